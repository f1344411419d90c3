"""No secret in any log line of any server we start, and no forged lines (issue 10).

The live test starts every server the way ``make run`` does (the Django command is read from
the Makefile itself) plus each WSGI server the receiver offers and Django's runserver, sends
credentials in every place a gateway puts them and an ``instanceId`` holding a newline and an
ANSI escape, then greps everything the processes wrote."""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webhook.log_safety import SafeLogFilter, safe_line
from webhook.tests.live import ROOT, LiveReceiver, free_port

FORGED = "FORGED-LINE"


def test_safe_line_masks_credentials_and_escapes_control_characters():
    token = secrets.token_urlsafe(24)
    text = (
        f"POST /webhook/k/{token}/received?token={token}&x=1 "
        f"Authorization: Bearer {token} apikey={token} X-Hub-Signature-256: sha256={token} "
        f"GET /webhook?hub.mode=subscribe&hub.verify_token={token} "
        f"instance 'evil\n{FORGED}\r\x1b[31m\u2028'"
    )
    line = safe_line(text)
    assert token not in line
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line
    assert f"evil\\n{FORGED}\\r\\x1b[31m" in line


def test_the_filter_formats_once_and_keeps_tracebacks_apart():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "for '%s'", ("a\nb",), None)
    SafeLogFilter().filter(record)
    assert (record.getMessage(), record.args) == ("for 'a\\nb'", ())


def _makefile_django_command(port: int) -> list[str]:
    """The Django server command of `make run`, from the Makefile."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    command = re.search(r"\$\(PY\) (manage\.py webhook_serve[^&]*)&", text).group(1)
    words = shlex.split(command.replace("$(DJANGO_PORT)", str(port)))
    return [sys.executable, *words, "--host", "127.0.0.1"]


def _request(port: int, method: str, path: str, body: bytes = b"", headers=None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(
        method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    status = conn.getresponse().status
    conn.close()
    return status


def _attack(port: int, slash: str, live_token: str, secrets_used: list[str]) -> list[int]:
    """``slash``: "/" for Django's URLs, "" for Flask's."""
    wrong, query, bearer, verify, api = (secrets.token_urlsafe(20) for _ in range(5))
    secrets_used += [wrong, query, bearer, verify, api, live_token]
    forged_instance = f"evil\n2026-12-02 00:00:00 WARNING {FORGED} admin logged in\x1b[2J"
    body = json.dumps({"instanceId": forged_instance, "key": {"id": "x"}, "message": {}}).encode()
    return [
        _request(port, "POST", f"/webhook/k/{wrong}/received{slash}?token={query}", body),
        _request(
            port,
            "POST",
            f"/webhook{slash}",
            body,
            {"X-Webhook-Token": live_token, "Authorization": f"Bearer {bearer}"},
        ),
        _request(port, "POST", f"/webhook{slash}?token={live_token}", b"{bad", {"apikey": api}),
        _request(
            port,
            "GET",
            f"/webhook{slash}?hub.mode=subscribe&hub.verify_token={verify}&hub.challenge=1",
        ),
    ]


def _wait_http(port: int, path: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log.read_text(errors="replace"))
        try:
            _request(port, "GET", path)
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start: {log.read_text(errors='replace')[-2000:]}")


def _assert_clean(text: str, used: list[str]) -> None:
    assert text.strip(), "the server wrote no log at all"
    for secret in used:
        assert secret not in text, f"a secret reached the log:\n{text[-3000:]}"
    forged = [line for line in text.splitlines() if line.lstrip().startswith("2026-12-02 00:00:00")]
    assert not forged, forged
    assert "\x1b" not in text


@pytest.mark.skipif(os.name == "nt", reason="POSIX servers")
@pytest.mark.parametrize("server", ["granian", "gunicorn", "waitress"])
def test_receiver_logs_hold_no_secret_and_no_forged_line(tmp_path, server):
    live = LiveReceiver(tmp_path, env={"WEBHOOK_SERVER": server, "WEBHOOK_LOG_LEVEL": "INFO"})
    live.prepare()
    live.start()
    used: list[str] = []
    try:
        statuses = _attack(live.port, "", live.token, used)
        assert statuses == [401, 401, 400, 403], statuses
        time.sleep(0.5)
    finally:
        live.kill(signal.SIGTERM)
    text = live.log()
    assert "rejected" in text  # the refusals were logged (masked), not silenced
    _assert_clean(text, used)


@pytest.mark.skipif(os.name == "nt", reason="POSIX servers")
@pytest.mark.parametrize("how", ["make-run", "runserver"])
def test_django_server_logs_hold_no_secret_and_no_forged_line(tmp_path, how):
    live = LiveReceiver(tmp_path, env={"WEBHOOK_APPLY_MODE": "inline", "WEBHOOK_LOG_LEVEL": "INFO"})
    live.prepare()
    port = free_port()
    if how == "runserver":
        command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    else:
        command = _makefile_django_command(port)
    log = tmp_path / "django.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=live.env, stdout=out, stderr=out, start_new_session=True
        )
    used: list[str] = []
    try:
        _wait_http(port, "/webhook/status/", process, log)
        statuses = _attack(port, "/", live.token, used)
        assert statuses == [401, 401, 400, 403], statuses
        time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    text = log.read_text(errors="replace")
    assert "/webhook/k/***" in text  # the access log line is there, masked
    _assert_clean(text, used)
