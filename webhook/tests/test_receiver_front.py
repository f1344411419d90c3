"""The receiver's asynchronous front (``webhook.receiver.front``): which requests it answers on
the event loop, and that what it hands to ingestion is what the Flask route would."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from webhook.receiver.front import inbound, webhook_route
from webhook.sample import sample_payload
from webhook.tests.live import LiveReceiver

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    ("path", "token"),
    [
        ("/webhook", ""),
        ("/webhook/", ""),
        ("/webhook/messages-upsert", ""),
        ("/webhook/messages-upsert/", ""),
        ("/webhook/k", ""),  # Flask's /webhook/<event> with event "k"
        ("/webhook/k/abc123", "abc123"),
        ("/webhook/k/abc123/", "abc123"),
        ("/webhook/k/abc123/on-message", "abc123"),
        ("/webhook/k/abc123/on-message/", "abc123"),
        ("/webhookx", None),
        ("/webhook//", None),
        ("/webhook/a/b", None),
        ("/webhook/k/abc/on-message/more", None),
        ("/status", None),
        ("/test", None),
    ],
)
def test_the_routes_answered_on_the_loop_are_the_flask_webhook_routes(path, token):
    assert webhook_route(path) == token


class _Headers(dict):
    def items(self):  # granian's headers: one pair per header line
        return [
            ("Content-Type", "application/json"),
            ("X-Webhook-Token", "t0k"),
            ("X-Forwarded-For", "10.0.0.1"),
            ("x-forwarded-for", "10.0.0.2"),
            ("Content-Length", "2"),
        ]


def test_the_request_handed_to_ingestion_is_the_one_the_flask_route_builds():
    scope = SimpleNamespace(
        headers=_Headers(),
        query_string="token=a&token=b&flag=",
        client="127.0.0.1:40000",
        path="/webhook/k/abc",
        method="POST",
    )
    request = inbound(scope, b"{}", "abc")
    assert request.headers["x-webhook-token"] == "t0k"
    assert request.headers["x-forwarded-for"] == "10.0.0.1,10.0.0.2"
    assert request.query == {"token": "a", "flag": ""}  # first value wins, like args.to_dict()
    assert request.remote_addr == "127.0.0.1"
    assert request.declared_length == 2
    assert (request.path, request.path_token, request.body) == ("/webhook/k/abc", "abc", b"{}")


@pytest.fixture
def receiver(tmp_path):
    live = LiveReceiver(tmp_path, env={"WEBHOOK_APPLY_MODE": "background"})
    live.prepare()
    live.start()
    yield live
    live.kill()


def _post(live: LiveReceiver, path: str, body: bytes, headers: dict[str, str]):
    request = urllib.request.Request(
        f"http://127.0.0.1:{live.port}{path}", data=body, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310
            return reply.status, reply.headers, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers, json.loads(error.read())


def test_the_live_receiver_answers_deliveries_refusals_and_other_routes(receiver):
    body = json.dumps(sample_payload(message_id="front-1")).encode()
    json_type = {"Content-Type": "application/json"}
    status, headers, answer = _post(
        receiver, "/webhook", body, {**json_type, "X-Webhook-Token": receiver.token}
    )
    assert (status, answer["ok"]) == (202, True), answer
    # stored, or spooled when SQLite stayed locked past its timeout (a loaded machine): lossless
    assert answer.get("status") == "received" or answer.get("spooled") is True, answer
    assert headers["Content-Type"] == "application/json"
    # A refusal recorded by a blocking step (in the pool), then answered from the loop.
    status, _, answer = _post(receiver, "/webhook", b"{not json", json_type)
    assert status == 400 and answer["ok"] is False and answer["event_id"]
    status, _, answer = _post(receiver, f"/webhook/k/{receiver.token}x", body, json_type)
    assert status == 401 and answer["ok"] is False
    # Everything else is the Flask app, in the pool.
    status, _, answer = _post(receiver, "/nowhere", b"", json_type)
    assert (status, answer["error"]) == (404, "not_found")
    with urllib.request.urlopen(f"http://127.0.0.1:{receiver.port}/status", timeout=10) as r:  # noqa: S310
        summary = json.loads(r.read())
    assert summary["server"] == "flask"


def test_a_wuzapi_form_post_is_acknowledged_on_the_loop_like_a_json_one(tmp_path):
    """Wuzapi's default body is a form (``jsonData`` + ``token``): the front hands it to the
    same decode path, with its Content-Type."""
    from webhook.tests.helpers import wuzapi_form

    live = LiveReceiver(tmp_path, env={"WEBHOOK_APPLY_MODE": "background"})
    live.prepare(instance_id="suporte")
    live.start()
    try:
        payload = json.loads((FIXTURES / "wuzapi" / "text.json").read_text())
        body, content_type = wuzapi_form(payload, token=live.token)
        status, _, answer = _post(live, "/webhook", body, {"Content-Type": content_type})
        assert (status, answer["family"], answer["status"]) == (202, "wuzapi", "received")
        body, content_type = wuzapi_form(payload, token=live.token + "x")
        status, _, answer = _post(live, "/webhook", body, {"Content-Type": content_type})
        assert status == 401 and answer["ok"] is False
    finally:
        live.kill()
