"""Security, through both servers: authenticity, handshake, IP allow-list, read API, masking.

Every HTTP test posts the exact bytes a sender would post (signed when it signs) through the
``post`` fixture, which runs once against Django's view and once against the Flask app.
Secrets are made at run time, so nothing here looks like a committed credential.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client as HttpClient

from webhook import authentication
from webhook.checks import check_webhook_security
from webhook.exceptions import Forbidden
from webhook.models import Message, WebhookEvent
from webhook.tests.helpers import fixture, fixture_bytes
from webhook.validators import WebhookValidator

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
META_PHONE_NUMBER_ID = "106540352242922"
CHALLENGE = "1158201444"
DEFAULT_PROXIES = ["127.0.0.1/32", "::1/128"]


def _rejected(reply, status: int = 401, error: str = "authentication_failed") -> None:
    assert reply.status == status, reply.body
    assert isinstance(reply.body, dict), reply.body
    assert reply.body["ok"] is False
    assert reply.body["error"] == error


def _accepted(reply) -> None:
    assert reply.status == 200, reply.body
    assert reply.body["ok"] is True
    assert reply.body["status"] == "processed"


def _sample() -> bytes:
    return fixture_bytes("baileys_sample", "readme_sample")


# --- 1. authenticity per family ---------------------------------------------------------


@pytest.fixture
def meta_secret(settings, make_client) -> str:
    settings.WEBHOOK_META_APP_SECRET = secrets.token_hex(16)
    make_client(META_PHONE_NUMBER_ID, name="Cloud API")
    return settings.WEBHOOK_META_APP_SECRET


def _meta_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_meta_signature_over_the_exact_bytes_is_accepted(post, meta_secret):
    body = fixture_bytes("meta_cloud", "text")
    reply = post(body, {"x-hub-signature-256": _meta_signature(body, meta_secret)})
    _accepted(reply)
    assert Message.objects.get().client.instance_id == META_PHONE_NUMBER_ID


@pytest.mark.parametrize("case", ["wrong", "missing", "tampered", "re-serialised"])
def test_meta_bad_signature_is_401(post, meta_secret, case):
    body = fixture_bytes("meta_cloud", "text")
    good = _meta_signature(body, meta_secret)
    sent, headers = body, {"x-hub-signature-256": good}
    if case == "wrong":
        headers = {"x-hub-signature-256": _meta_signature(body, meta_secret + "x")}
    elif case == "missing":
        headers = {}
    elif case == "tampered":
        sent = body.replace(b"Quero", b"quero")
    else:  # same JSON, different bytes: Meta signs what it sent, not a re-encoding
        sent = json.dumps(json.loads(body), ensure_ascii=False).encode()
    assert sent != body or case in ("wrong", "missing")
    _rejected(post(sent, headers))
    assert Message.objects.count() == 0
    assert WebhookEvent.objects.get().status == "rejected"


def _waha_hmac(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def test_waha_hmac_sha512_right_is_accepted_wrong_is_401(post, make_client):
    client = make_client("atendimento", name="WAHA")
    body = fixture_bytes("waha", "message_text")
    algorithm = {"x-webhook-hmac-algorithm": "sha512"}
    wrong = post(
        body, {"x-webhook-hmac": _waha_hmac(body, client.webhook_token + "x"), **algorithm}
    )
    _rejected(wrong)
    assert Message.objects.count() == 0
    right = post(body, {"x-webhook-hmac": _waha_hmac(body, client.webhook_token), **algorithm})
    _accepted(right)
    assert Message.objects.count() == 1


def test_evolution_apikey_in_the_body_is_accepted(post, make_client):
    payload = fixture("evolution", "text")
    make_client(payload["instance"], webhook_token=payload["apikey"])
    _accepted(post(fixture_bytes("evolution", "text")))


def test_evolution_apikey_header_is_accepted(post, make_client):
    payload = fixture("evolution", "text")
    client = make_client(payload["instance"], webhook_token=secrets.token_hex(16))
    del payload["apikey"]
    _rejected(post(payload))
    _accepted(post(payload, {"apikey": client.webhook_token}))


def test_evolution_wrong_apikey_is_401(post, make_client):
    payload = fixture("evolution", "text")
    make_client(payload["instance"], webhook_token=secrets.token_hex(16))
    _rejected(post(payload))
    _rejected(post({**payload, "apikey": "x"}, {"apikey": secrets.token_hex(16)}))
    assert Message.objects.count() == 0


@pytest.mark.parametrize("where", ["header", "query", "path", "path+event", "bearer"])
def test_per_client_token_in_every_place(post, sample_client, where):
    token = sample_client.webhook_token
    kwargs = {
        "header": {"headers": {"x-webhook-token": token}},
        "query": {"query": f"token={token}"},
        "path": {"path": f"/webhook/k/{token}/"},
        "path+event": {"path": f"/webhook/k/{token}/messages-upsert/"},
        "bearer": {"headers": {"authorization": f"Bearer {token}"}},
    }[where]
    _accepted(post(_sample(), **kwargs))
    assert Message.objects.get().external_id == "test_message_123"


@pytest.mark.parametrize("where", ["header", "query", "path", "path+event", "bearer"])
def test_wrong_per_client_token_is_401(post, sample_client, where):
    wrong = secrets.token_hex(16)
    kwargs = {
        "header": {"headers": {"x-webhook-token": wrong}},
        "query": {"query": f"token={wrong}"},
        "path": {"path": f"/webhook/k/{wrong}/"},
        "path+event": {"path": f"/webhook/k/{wrong}/messages-upsert/"},
        "bearer": {"headers": {"authorization": f"Bearer {wrong}"}},
    }[where]
    _rejected(post(_sample(), **kwargs))
    assert Message.objects.count() == 0
    event = WebhookEvent.objects.get()
    assert event.status == "rejected"
    if where == "bearer":  # a gateway's own header: checked against the client the body names
        assert event.client_id == sample_client.pk
    else:  # a token for us alone is refused on the raw bytes, before the body is decoded
        assert event.client_id is None
        assert "unknown webhook token" in event.error


def test_token_required_by_default_and_none_sent_is_401(post, sample_client, settings):
    assert settings.WEBHOOK_REQUIRE_TOKEN is True
    _rejected(post(_sample()))
    assert Message.objects.count() == 0


def test_client_require_token_false_overrides_the_global_setting(post, make_client):
    make_client("test_instance", require_token=False)
    _accepted(post(_sample()))


def test_client_require_token_true_overrides_a_global_off(post, make_client, settings):
    settings.WEBHOOK_REQUIRE_TOKEN = False
    make_client("test_instance", require_token=True)
    _rejected(post(_sample()))


def test_global_off_accepts_without_token_but_not_a_wrong_explicit_one(
    post, sample_client, settings
):
    settings.WEBHOOK_REQUIRE_TOKEN = False
    _rejected(post(_sample(), {"x-webhook-token": secrets.token_hex(16)}))
    assert Message.objects.count() == 0
    _accepted(post(_sample()))


def test_rejection_happens_before_parsing(post, sample_client, monkeypatch):
    def exploding_parse(*args, **kwargs):
        raise RuntimeError("the parser must not run for a rejected delivery")

    monkeypatch.setattr("webhook.parsers.parse_as", exploding_parse)
    _rejected(post(_sample(), {"x-webhook-token": secrets.token_hex(16)}))
    assert Message.objects.count() == 0
    assert WebhookEvent.objects.get().status == "rejected"
    # Control: an authenticated delivery does reach the (patched) parser.
    control = post(_sample(), {"x-webhook-token": sample_client.webhook_token})
    assert control.status == 202, control.body
    assert control.body["status"] == "failed"
    assert Message.objects.count() == 0


def test_token_compare_is_constant_time(post, sample_client, monkeypatch):
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(authentication.hmac, "compare_digest", spy)
    assert authentication._same("abc", "abc") is True
    assert authentication._same("abc", "abd") is False
    assert calls[:2] == [(b"abc", b"abc"), (b"abc", b"abd")]
    calls.clear()
    token = sample_client.webhook_token.encode()
    _accepted(post(_sample(), {"apikey": sample_client.webhook_token}))
    assert (token, token) in calls
    # A token for us alone is looked up by its SHA-256 digest, never compared as text: the
    # time a probe takes says nothing about how close a guess is.
    from webhook.clients import client_directory

    assert client_directory.by_token(sample_client.webhook_token).id == sample_client.pk
    assert all(len(key) == 32 for key in client_directory._by_token)
    assert sample_client.webhook_token not in client_directory._by_token


# --- 2. Meta's GET handshake --------------------------------------------------------------


@pytest.fixture
def get(server, request):
    def send(path: str, query: dict[str, str]):
        if server == "django":
            response = HttpClient().get(path, query)
            return response.status_code, response.content, response.headers.get("Content-Type", "")
        app = request.getfixturevalue("flask_app")
        response = app.test_client().get(path.rstrip("/"), query_string=query)
        return response.status_code, response.data, response.headers.get("Content-Type", "")

    return send


def _hub(token: str) -> dict[str, str]:
    return {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": CHALLENGE}


def test_meta_handshake_echoes_the_challenge(get, settings):
    settings.WEBHOOK_META_VERIFY_TOKEN = secrets.token_hex(12)
    status, content, content_type = get("/webhook/", _hub(settings.WEBHOOK_META_VERIFY_TOKEN))
    assert status == 200
    assert content == CHALLENGE.encode()
    assert content_type.startswith("text/plain")


@pytest.mark.parametrize("configured", [True, False])
def test_meta_handshake_wrong_token_is_403_json(get, settings, configured):
    settings.WEBHOOK_META_VERIFY_TOKEN = secrets.token_hex(12) if configured else ""
    status, content, _ = get("/webhook/", _hub("not-the-token"))
    assert status == 403
    body = json.loads(content)
    assert body["ok"] is False and body["error"] == "forbidden"
    assert CHALLENGE not in content.decode()


# --- 3. IP allow-list behind trusted proxies ----------------------------------------------


@pytest.fixture
def allowlist(settings):
    settings.WEBHOOK_IP_ALLOWLIST = ["203.0.113.0/24"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "allowed", "seen"),
    [
        (None, "203.0.113.7", True, "203.0.113.7"),  # through the local proxy (ngrok agent)
        (None, "198.51.100.1", False, "198.51.100.1"),
        ("198.51.100.9", "203.0.113.7", False, "198.51.100.9"),  # untrusted peer: XFF ignored
        # The trusted proxy saw 10.0.0.1, which is not trusted: what it claims is not believed.
        (None, "203.0.113.7, 10.0.0.1", False, "10.0.0.1"),
        (None, "198.51.100.1, 203.0.113.7", True, "203.0.113.7"),  # spoofed left part ignored
        (None, "203.0.113.7, 198.51.100.1", False, "198.51.100.1"),
    ],
)
def test_ip_allowlist(post, auth_headers, allowlist, remote, forwarded, allowed, seen):
    headers = {**auth_headers, "x-forwarded-for": forwarded}
    if remote:
        headers["_remote_addr"] = remote
    reply = post(_sample(), headers)
    if allowed:
        _accepted(reply)
    else:
        _rejected(reply, 403, "forbidden")
        assert Message.objects.count() == 0
    assert WebhookEvent.objects.get().source_ip == seen


def test_ip_allowlist_walks_past_every_trusted_proxy(post, auth_headers, allowlist, settings):
    settings.WEBHOOK_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    _accepted(post(_sample(), {**auth_headers, "x-forwarded-for": "203.0.113.7, 10.0.0.1"}))
    assert WebhookEvent.objects.get().source_ip == "203.0.113.7"


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("::1", "2001:db8::7", "2001:db8::7"),
        ("::1", "2001:db8::7, ::1", "2001:db8::7"),
        ("2001:db8::5", "203.0.113.7", "2001:db8::5"),  # untrusted IPv6 peer
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", " , ,", "127.0.0.1"),
        ("203.0.113.7", "", "203.0.113.7"),
    ],
)
def test_client_ip_unit(remote, forwarded, expected):
    assert WebhookValidator.client_ip(remote, forwarded, DEFAULT_PROXIES) == expected


@pytest.mark.parametrize(
    ("remote", "forwarded"),
    [
        ("127.0.0.1", "not-an-ip"),
        ("127.0.0.1", "203.0.113.7, garbage"),
        ("127.0.0.1", "203.0.113.7:4711"),
        ("127.0.0.1", "999.1.1.1"),
        ("garbage", "203.0.113.7"),
        ("", "203.0.113.7"),
        ("::1", "[2001:db8::7]"),
    ],
)
def test_client_ip_garbage_never_raises_and_is_never_allowed(remote, forwarded):
    ip = WebhookValidator.client_ip(remote, forwarded, DEFAULT_PROXIES)
    assert ip not in ("127.0.0.1", "::1", "203.0.113.7")
    with pytest.raises(Forbidden):
        WebhookValidator.check_ip(ip, ["203.0.113.0/24", "2001:db8::/32", "127.0.0.0/8"])


def test_check_ip_ipv6_and_mixed_versions():
    WebhookValidator.check_ip("2001:db8::7", ["2001:db8::/32"])
    WebhookValidator.check_ip("203.0.113.7", [])  # no allow-list: everyone
    with pytest.raises(Forbidden):
        WebhookValidator.check_ip("2001:db8::7", ["203.0.113.0/24"])
    with pytest.raises(Forbidden):
        WebhookValidator.check_ip("203.0.113.7", ["2001:db8::/32"])


def test_client_ip_ipv4_mapped_peer_is_the_trusted_proxy():
    assert (
        WebhookValidator.client_ip("::ffff:127.0.0.1", "203.0.113.7", DEFAULT_PROXIES)
        == "203.0.113.7"
    )


def test_garbage_forwarded_for_is_not_stored_as_source_ip(post, auth_headers):
    _accepted(post(_sample(), {**auth_headers, "x-forwarded-for": "not-an-ip"}))
    assert WebhookEvent.objects.get().source_ip in (None, "127.0.0.1")


# --- 4. read API and status ---------------------------------------------------------------


API_PATHS = ["/webhook/messages/", "/webhook/events/"]


@pytest.fixture
def api_token(settings) -> str:
    settings.WEBHOOK_API_TOKEN = secrets.token_urlsafe(30)
    return settings.WEBHOOK_API_TOKEN


@pytest.mark.parametrize("path", API_PATHS)
def test_read_api_requires_credentials(client, api_token, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"] == "authentication_required"
    for wrong in (f"Bearer {api_token}x", "Bearer ", f"Basic {api_token}", api_token):
        assert client.get(path, HTTP_AUTHORIZATION=wrong).status_code == 401, wrong
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {api_token}")
    assert response.status_code == 200
    assert response.json()["ok"] is True


@pytest.mark.parametrize("path", API_PATHS)
def test_read_api_empty_api_token_never_matches(client, settings, path):
    settings.WEBHOOK_API_TOKEN = ""
    assert client.get(path, HTTP_AUTHORIZATION="Bearer ").status_code == 401


@pytest.mark.parametrize("path", API_PATHS)
def test_read_api_staff_yes_non_staff_no(client, admin_client, django_user_model, path):
    assert admin_client.get(path).status_code == 200
    user = django_user_model.objects.create_user("atendente", password=secrets.token_hex(8))
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["ok"] is False


def _status_pages(server, request) -> list[str]:
    if server == "django":
        http = HttpClient()
        json_page = http.get("/webhook/status/")
        html_page = http.get("/webhook/status/", HTTP_ACCEPT="text/html")
        assert json_page.status_code == html_page.status_code == 200
        assert json_page.json()["messages_total"] == 1
        assert "<html" in html_page.content.decode().lower()
        return [json_page.content.decode(), html_page.content.decode()]
    response = request.getfixturevalue("flask_app").test_client().get("/status")
    assert response.status_code == 200
    assert response.get_json()["messages_total"] == 1
    return [response.data.decode()]


def test_status_shows_aggregates_only(post, server, request, sample_client, api_token):
    _accepted(post(_sample(), {"x-webhook-token": sample_client.webhook_token}))
    for page in _status_pages(server, request):
        for private in (
            "Mensagem de teste",
            "5511999999999",
            "s.whatsapp.net",
            "test_message_123",
            "Usuário Teste",
            "Usu\\u00e1rio",
            sample_client.webhook_token,
            api_token,
        ):
            assert private not in page, private


# --- 5. masking -------------------------------------------------------------------------


SECRET_HEADER_NAMES = [
    "authorization",
    "apikey",
    "x-api-key",
    "client-token",
    "x-webhook-token",
    "x-hub-signature-256",
]


@pytest.fixture
def secret_client(make_client):
    return make_client("test_instance", webhook_token=secrets.token_hex(20))


def _secret_headers(secret: str) -> dict[str, str]:
    return {
        "authorization": f"Bearer {secret}",
        "apikey": secret,
        "x-api-key": secret,
        "client-token": secret,
        "x-webhook-token": secret,
        "x-hub-signature-256": f"sha256={secret}",
    }


def _all_log_text(caplog, prefix: str = "webhook") -> str:
    return "\n".join(
        f"{r.getMessage()} {r.exc_text or ''} {r.args!r}"
        for r in caplog.records
        if r.name == prefix or r.name.startswith(prefix + ".")
    )


def test_credentials_are_masked_everywhere(post, secret_client, caplog, client, api_token):
    caplog.set_level(logging.DEBUG, logger="webhook")
    secret = secret_client.webhook_token
    raw = json.dumps({**fixture("baileys_sample", "readme_sample"), "apikey": secret}).encode()
    _accepted(post(raw, _secret_headers(secret)))
    event = WebhookEvent.objects.get()
    stored = {name.lower(): value for name, value in event.headers.items()}
    for name in SECRET_HEADER_NAMES:
        assert stored[name] == "***", name
    assert event.body == raw.decode().replace(json.dumps(secret), '"***"')
    assert secret not in json.dumps(event.headers)
    assert secret not in _all_log_text(caplog)
    events_api = client.get("/webhook/events/", HTTP_AUTHORIZATION=f"Bearer {api_token}")
    assert events_api.status_code == 200
    assert secret not in events_api.content.decode()


def test_rejection_logs_no_credentials(post, secret_client, caplog, client, api_token):
    caplog.set_level(logging.DEBUG, logger="webhook")
    wrong = secrets.token_hex(20)
    _rejected(post(_sample(), _secret_headers(wrong)))
    _rejected(post(_sample(), path=f"/webhook/k/{wrong}/"))
    assert wrong not in _all_log_text(caplog)
    for event in WebhookEvent.objects.all():
        assert wrong not in json.dumps(event.headers) + event.path + event.error
    events_api = client.get("/webhook/events/", HTTP_AUTHORIZATION=f"Bearer {api_token}")
    assert wrong not in events_api.content.decode()


@pytest.mark.parametrize("suffix", ["", "messages-upsert/"])
def test_secret_path_is_masked_in_the_stored_path(post, secret_client, caplog, suffix):
    caplog.set_level(logging.DEBUG, logger="webhook")
    secret = secret_client.webhook_token
    _accepted(post(_sample(), path=f"/webhook/k/{secret}/{suffix}"))
    event = WebhookEvent.objects.get()
    assert secret not in event.path
    assert event.path.startswith("/webhook/k/***")
    assert secret not in _all_log_text(caplog)


def test_secret_path_is_not_logged_by_django_on_errors(secret_client, caplog):
    caplog.set_level(logging.DEBUG)
    secret = secret_client.webhook_token
    response = HttpClient().post(
        f"/webhook/k/{secret}/", data=b"{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert secret not in _all_log_text(caplog, "django")


def test_rejected_body_is_masked(post, secret_client):
    # e.g. Evolution's global apikey, configured where the client's token was expected
    gateway_key = secrets.token_hex(20)
    raw = json.dumps({**fixture("baileys_sample", "readme_sample"), "apikey": gateway_key}).encode()
    _rejected(post(raw))
    event = WebhookEvent.objects.get()
    assert event.status == "rejected"
    assert gateway_key not in event.body


def test_failed_body_is_masked(post, secret_client, monkeypatch):
    monkeypatch.setattr("webhook.parsers.parse_as", lambda *a, **k: 1 / 0)
    secret = secret_client.webhook_token
    raw = json.dumps({**fixture("baileys_sample", "readme_sample"), "apikey": secret}).encode()
    assert post(raw).status == 202
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert secret not in event.body


# --- 6. admin and test pages behind login; CSRF -------------------------------------------


def test_admin_requires_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_django_test_page_requires_credentials(client, sample_client):
    assert client.get("/webhook/test/").status_code == 401
    assert client.get("/webhook/test/", HTTP_ACCEPT="text/html").status_code == 401
    assert client.post("/webhook/test/", {"text": "oi"}).status_code == 401
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    "environ",
    [
        {"REMOTE_ADDR": "198.51.100.9"},
        {"REMOTE_ADDR": "198.51.100.9", "HTTP_X_FORWARDED_FOR": "127.0.0.1"},  # spoofed
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.9"},  # via the tunnel
    ],
)
def test_flask_test_page_from_outside(flask_app, sample_client, api_token, environ):
    http = flask_app.test_client()
    denied = http.post("/test", json={}, environ_base=environ)
    assert denied.status_code == 401
    assert denied.get_json()["error"] == "authentication_required"
    wrong = http.post("/test", json={}, environ_base=environ, headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401
    assert Message.objects.count() == 0
    allowed = http.post(
        "/test", json={}, environ_base=environ, headers={"Authorization": f"Bearer {api_token}"}
    )
    assert allowed.status_code == 200, allowed.get_json()
    assert allowed.get_json()["ok"] is True
    assert Message.objects.count() == 1


def test_admin_login_needs_csrf_but_webhook_does_not(django_user_model, sample_client):
    password = secrets.token_hex(8)
    django_user_model.objects.create_superuser("chefe", password=password)
    strict = HttpClient(enforce_csrf_checks=True)
    response = strict.post("/admin/login/", {"username": "chefe", "password": password})
    assert response.status_code == 403
    reply = strict.post(
        "/webhook/",
        data=_sample(),
        content_type="application/json",
        HTTP_X_WEBHOOK_TOKEN=sample_client.webhook_token,
    )
    assert reply.status_code == 200, reply.content
    assert Message.objects.count() == 1


# --- 7. system checks ------------------------------------------------------------------


def _check_ids() -> set[str]:
    return {message.id for message in check_webhook_security()}


@pytest.mark.parametrize("debug", [False, True])
def test_require_token_off_is_reported(settings, debug):
    settings.DEBUG = debug
    settings.WEBHOOK_REQUIRE_TOKEN = True
    assert "webhook.W001" not in _check_ids()
    settings.WEBHOOK_REQUIRE_TOKEN = False
    assert "webhook.W001" in _check_ids()


def test_debug_does_not_switch_authentication_off(post, sample_client, settings):
    settings.DEBUG = True
    _rejected(post(_sample()))
    _rejected(post(_sample(), {"x-webhook-token": secrets.token_hex(16)}))
    assert Message.objects.count() == 0


def _random(n: int) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _deploy_check(tmp_path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "WEBHOOK_", "NGROK_")) and k != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="django_project.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=_random(60),
        WEBHOOK_API_TOKEN=_random(40),
        WEBHOOK_META_APP_SECRET="x" * 32,
        DJANGO_SECURE_COOKIES="1",
        DJANGO_SECURE_SSL_REDIRECT="1",
        DJANGO_SECURE_HSTS_SECONDS="31536000",
        WEBHOOK_REQUIRE_TOKEN="1",
        WEBHOOK_ENV_FILE="/nonexistent",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_leaves_only_hsts_domain_policy(tmp_path):
    """What remains is a decision about the domain (HSTS for subdomains / preload list).

    Both are opt-in through DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS / _PRELOAD, because turning
    them on for a shared domain (ngrok's, or a company's) breaks other sites.
    """
    result = _deploy_check(tmp_path)
    output = result.stdout + result.stderr
    found = set(re.findall(r"\(([a-z_]+\.[A-Z]\d{3})\)", output))
    assert found == {"security.W005", "security.W021"}, output
    assert result.returncode == 1


def test_deploy_check_passes_with_the_hsts_policy_set(tmp_path):
    result = _deploy_check(
        tmp_path, DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="1", DJANGO_SECURE_HSTS_PRELOAD="1"
    )
    assert result.returncode == 0, result.stdout + result.stderr


# --- /test and /webhook/test/: no cross-site writes; Bearer without CSRF -------------------


def test_flask_test_is_post_only(flask_app, sample_client):
    reply = flask_app.test_client().get("/test")
    assert reply.status_code == 405
    assert reply.get_json()["ok"] is False
    assert Message.objects.count() == 0


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({"Host": "evil.example"}, 400, "invalid_host"),  # DNS rebinding onto 127.0.0.1
        ({"Origin": "http://evil.example"}, 403, "cross_origin"),  # a page on another site
        ({"Referer": "http://evil.example/page"}, 403, "cross_origin"),
        ({"Sec-Fetch-Site": "cross-site"}, 403, "cross_origin"),
    ],
    ids=["host", "origin", "referer", "sec-fetch-site"],
)
def test_flask_test_refuses_cross_site_requests(flask_app, sample_client, headers, status, error):
    reply = flask_app.test_client().post("/test", json={}, headers=headers)
    assert reply.status_code == status, reply.get_json()
    assert reply.get_json()["error"] == error
    assert Message.objects.count() == 0


def test_flask_test_accepts_its_own_origin(flask_app, sample_client):
    headers = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    reply = flask_app.test_client().post("/test", json={}, headers=headers)
    assert reply.status_code == 200, reply.get_json()
    assert Message.objects.count() == 1


def test_django_test_page_takes_bearer_without_csrf(sample_client, api_token):
    strict = HttpClient(enforce_csrf_checks=True)
    reply = strict.post(
        "/webhook/test/",
        {"text": "via API"},
        HTTP_AUTHORIZATION=f"Bearer {api_token}",
    )
    assert reply.status_code == 200, reply.content
    assert reply.json()["stored"]["text"] == "via API"


def test_django_test_page_session_still_needs_csrf(django_user_model, sample_client):
    staff = django_user_model.objects.create_user("equipe", password=None, is_staff=True)
    strict = HttpClient(enforce_csrf_checks=True)
    strict.force_login(staff)
    assert strict.post("/webhook/test/", {"text": "forjada"}).status_code == 403
    assert Message.objects.count() == 0
    page = strict.get("/webhook/test/", HTTP_ACCEPT="text/html")
    token = page.cookies["csrftoken"].value
    ok = strict.post("/webhook/test/", {"text": "legítima", "csrfmiddlewaretoken": token})
    assert ok.status_code == 200, ok.content
    assert Message.objects.get().text == "legítima"
