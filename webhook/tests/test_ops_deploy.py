"""deploy/: the systemd units pass ``systemd-analyze verify`` and are hardened; the nginx config
passes ``nginx -t``, agrees with the project's limits and trusted proxies, and — run for real
in front of a test upstream — replaces a forged X-Forwarded-For, says https, and refuses a body
over WEBHOOK_MAX_BODY_BYTES. Each check skips with its reason where its tool is absent."""

from __future__ import annotations

import http.server
import json
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from webhook.tests.test_ops_stack import check_command

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
NGINX_CONF = DEPLOY / "nginx" / "multichat.conf"
INSTALL_DIR = "/opt/multichat"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
NO_NGINX = "nginx is not installed here (.ci/run installs nginx-light): nginx -t not run"


def unit_settings(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_every_process_has_a_hardened_unit():
    names = {path.name for path in UNITS}
    assert names == {
        "multichat-receiver@.service",
        "multichat-django.service",
        "multichat-worker-apply.service",
        "multichat-worker-media.service",
        "multichat-beat.service",
    }
    for path in UNITS:
        unit = unit_settings(path)
        for key, value in {
            "User": "multichat",
            "WorkingDirectory": INSTALL_DIR,
            "EnvironmentFile": "/etc/multichat/webhook.env",
            "Restart": "always",
            "NoNewPrivileges": "yes",
            "ProtectSystem": "strict",
            "ProtectHome": "yes",
            "PrivateTmp": "yes",
            "CapabilityBoundingSet": "",
            "StateDirectory": "multichat",
        }.items():
            assert unit.get(key) == [value], (path.name, key)


def test_units_start_commands_that_exist():
    for path in UNITS:
        for key in ("ExecStartPre", "ExecStart"):
            for line in unit_settings(path).get(key, []):
                argv = shlex.split(line.replace(f"{INSTALL_DIR}/", "").replace("%i", "5000"))
                check_command(argv)


def test_systemd_analyze_verify(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here: the units were not verified")
    for path in [*UNITS, DEPLOY / "systemd" / "multichat.target"]:
        # The same units, pointing at this checkout instead of /opt/multichat.
        text = path.read_text(encoding="utf-8").replace(INSTALL_DIR, str(ROOT))
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    files = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(
        [tool, "verify", "--man=no", *files], capture_output=True, text=True, timeout=60
    )
    output = (result.stdout + result.stderr).strip()
    if "Failed to" in output and "bus" in output.lower():
        pytest.skip(f"systemd-analyze cannot run in this container: {output.splitlines()[0]}")
    assert result.returncode == 0 and output == "", output


def nginx_directives(name: str) -> list[str]:
    text = NGINX_CONF.read_text(encoding="utf-8")
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, flags=re.MULTILINE)


def test_nginx_agrees_with_the_project_settings():
    from django.conf import settings

    env_example = (DEPLOY / "webhook.env.example").read_text(encoding="utf-8")
    assert "WEBHOOK_MAX_BODY_BYTES=67108864" in env_example
    assert settings.WEBHOOK_MAX_BODY_BYTES == 64 * 1024 * 1024 == 67108864
    assert nginx_directives("client_max_body_size") == ["64m"]
    assert nginx_directives("client_body_timeout") == [f"{settings.WEBHOOK_BODY_TIMEOUT_SECONDS}s"]
    headers = nginx_directives("proxy_set_header")
    assert "X-Forwarded-For $remote_addr" in headers  # replaced, never appended to
    assert "X-Forwarded-Proto $scheme" in headers
    assert "$proxy_add_x_forwarded_for" not in " ".join(headers)
    # nginx reaches the servers from loopback, which WEBHOOK_TRUSTED_PROXIES trusts by default.
    assert settings.WEBHOOK_TRUSTED_PROXIES == ["127.0.0.1/32", "::1/128"]
    assert "WEBHOOK_TRUSTED_PROXIES=127.0.0.1/32,::1/128" in env_example
    target = (DEPLOY / "systemd" / "multichat.target").read_text(encoding="utf-8")
    receivers = sorted(re.findall(r"multichat-receiver@(\d+)\.service", target))
    assert nginx_directives(r"server(?=\s+\d)") == [
        *(f"127.0.0.1:{p}" for p in receivers),
        "127.0.0.1:8000",
    ]
    django_unit = (DEPLOY / "systemd" / "multichat-django.service").read_text(encoding="utf-8")
    assert "--port 8000" in django_unit


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook.example.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_test_config(folder: Path, *, http_port: int, https_port: int, upstream: int) -> Path:
    """deploy/nginx/multichat.conf as it is, but listening on free loopback ports, with a
    throw-away certificate, and every upstream pointing at ``upstream``."""
    cert, key = self_signed(folder)
    site = NGINX_CONF.read_text(encoding="utf-8")
    site = re.sub(r"listen \[::\]:\d+[^;]*;", "", site)
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", site)
    site = re.sub(r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", site)
    site = re.sub(r"server 127\.0\.0\.1:\d+;", f"server 127.0.0.1:{upstream};", site)
    site = re.sub(r"ssl_certificate\s+\S+;", f"ssl_certificate {cert};", site)
    site = re.sub(r"ssl_certificate_key\s+\S+;", f"ssl_certificate_key {key};", site)
    (folder / "site.conf").write_text(site, encoding="utf-8")
    main = folder / "nginx.conf"
    main.write_text(
        f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {folder}/body;\n"
        f" proxy_temp_path {folder}/proxy;\n include {folder}/site.conf;\n}}\n",
        encoding="utf-8",
    )
    return main


@pytest.mark.skipif(NGINX is None, reason=NO_NGINX)
def test_nginx_t_accepts_the_config(tmp_path):
    config = nginx_test_config(tmp_path, http_port=free_port(), https_port=free_port(), upstream=9)
    result = subprocess.run(
        [NGINX, "-t", "-c", str(config), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


class _Echo(http.server.BaseHTTPRequestHandler):
    """The upstream: answers with the path and the headers it was given."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = json.dumps({"path": self.path, "headers": dict(self.headers)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.mark.skipif(NGINX is None, reason=NO_NGINX)
def test_nginx_in_front_forwards_the_real_client_and_refuses_big_bodies(tmp_path):
    from webhook.validators import WebhookValidator

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port = free_port(), free_port()
    config = nginx_test_config(
        tmp_path, http_port=http_port, https_port=https_port, upstream=upstream.server_port
    )
    nginx = subprocess.Popen(
        [
            NGINX,
            "-c",
            str(config),
            "-p",
            str(tmp_path),
            "-e",
            str(tmp_path / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    base = f"https://127.0.0.1:{https_port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", https_port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        forged = urllib.request.Request(  # noqa: S310 - loopback
            f"{base}/webhook/evolution",
            data=b"{}",
            headers={"X-Forwarded-For": "10.9.9.9", "Content-Type": "application/json"},
        )
        with _open(forged, context=tls, timeout=10) as reply:
            seen = json.loads(reply.read())
        assert seen["path"] == "/webhook/evolution"
        assert seen["headers"]["X-Forwarded-For"] == "127.0.0.1"  # the sender as nginx saw it
        assert seen["headers"]["X-Forwarded-Proto"] == "https"
        # What the servers make of it: the sender, never the forged address.
        client = WebhookValidator.client_ip(
            "127.0.0.1", seen["headers"]["X-Forwarded-For"], ["127.0.0.1/32", "::1/128"]
        )
        assert client == "127.0.0.1"

        too_big = urllib.request.Request(  # noqa: S310 - loopback
            f"{base}/webhook", data=b"x", headers={"Content-Length": str(64 * 1024 * 1024 + 1)}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            _open(too_big, context=tls, timeout=10)
        assert refused.value.code == 413

        with pytest.raises(urllib.error.HTTPError) as hidden:
            _open(f"{base}/metrics", context=tls, timeout=10)
        assert hidden.value.code == 404

        plain = urllib.request.Request(f"http://127.0.0.1:{http_port}/painel/", method="GET")
        opener = urllib.request.build_opener(_NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as moved:
            opener.open(plain, timeout=10)  # noqa: S310 - loopback
        assert moved.value.code == 301
        assert moved.value.headers["Location"].startswith("https://")
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
        upstream.shutdown()


def _open(request, **kwargs):
    """urllib.request.urlopen on the test's own loopback URLs (https:// or http:// only)."""
    return urllib.request.urlopen(request, **kwargs)  # noqa: S310 - loopback URLs built here


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
