"""What a sender without credentials can cost us, and what masking may never change (issue 10:
CPU, disk, "smaller findings"). Through both servers; each test failed before the fix."""

from __future__ import annotations

import json
import secrets
import time

import pytest

from webhook import limits
from webhook.models import Message, WebhookEvent
from webhook.processor import WhatsAppWebhookProcessor
from webhook.quota import body_quota
from webhook.tests.helpers import fixture, fixture_bytes
from webhook.validators import WebhookValidator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_quota():
    body_quota.reset()
    yield
    body_quota.reset()


# --- CPU: refused before decoding ---------------------------------------------------------


def test_an_unknown_explicit_token_is_refused_without_decoding_the_body(
    post, sample_client, monkeypatch
):
    def no_decoding(self, body):
        raise AssertionError("a forged token must be refused before json.loads")

    monkeypatch.setattr(WebhookValidator, "decode", no_decoding)
    big = b'{"instanceId": "test_instance", "filler": "' + b"x" * 2_000_000 + b'"}'
    reply = post(big, path=f"/webhook/k/{secrets.token_hex(16)}/")
    assert reply.status == 401, reply.body
    assert "unknown webhook token" in reply.body["detail"]


def test_a_forged_meta_signature_is_refused_without_decoding_the_body(
    post, make_client, settings, monkeypatch
):
    settings.WEBHOOK_META_APP_SECRET = secrets.token_hex(16)
    make_client("106540352242922")
    monkeypatch.setattr(
        WebhookValidator, "decode", lambda self, body: pytest.fail("decoded a forged body")
    )
    reply = post(fixture_bytes("meta_cloud", "text"), {"x-hub-signature-256": "sha256=" + "0" * 64})
    assert reply.status == 401, reply.body


@pytest.mark.parametrize(
    "body",
    [
        b"[" + b"0," * 3_000_000 + b"0]",  # a 6 MB top-level array
        b'{"instanceId": "test_instance", "a": [' + b"1," * 3_000_000 + b"1]}",
        b'{"instanceId": "test_instance", "a": [' + b"{}," * 1_000_000 + b"{}]}",
    ],
    ids=["array", "numbers", "objects"],
)
def test_a_huge_json_without_credentials_costs_well_under_a_second(post, sample_client, body):
    before = limits.trip_counts().get("json_too_complex", 0)
    started = time.process_time()
    reply = post(body)
    cpu = time.process_time() - started
    assert reply.status in (400, 413), reply.body
    assert cpu < 0.5, f"{cpu:.2f} s of CPU for one request"
    event = WebhookEvent.objects.get()
    assert event.status == "rejected" and len(event.body) <= 64 * 1024
    if reply.status == 413:
        assert reply.body["error"] == "json_too_complex"
        limits.flush()
        assert limits.trip_counts().get("json_too_complex", 0) == before + 1


def test_an_ordinary_large_batch_is_still_accepted(post, sample_client):
    payload = fixture("baileys_sample", "readme_sample")
    payload["filler"] = [{"k": i, "v": "x"} for i in range(20_000)]  # ~60,000 values
    assert post(payload, {"x-webhook-token": sample_client.webhook_token}).status == 200


# --- Disk: bodies nobody vouched for are kept under a quota --------------------------------


def test_rejected_bodies_past_the_quota_keep_only_the_record(post, sample_client, settings):
    settings.WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES = 100_000
    settings.WEBHOOK_REJECTED_BODY_QUOTA_BYTES = 10_000_000
    filler = "y" * 40_000
    body = json.dumps({"instanceId": "test_instance", "filler": filler}).encode()
    replies = [post(body, {"x-webhook-token": secrets.token_hex(8)}) for _ in range(5)]
    assert [r.status for r in replies] == [401] * 5
    kept = list(WebhookEvent.objects.order_by("pk").values_list("status", "body"))
    assert [s for s, _ in kept] == ["rejected"] * 5  # every refusal is on record
    assert [bool(b) for _, b in kept] == [True, True, False, False, False]
    limits.flush()
    assert limits.trip_counts().get("rejected_body_quota", 0) >= 3


def test_the_quota_is_per_source(post, sample_client, settings):
    settings.WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES = 50_000
    body = json.dumps({"instanceId": "test_instance", "filler": "z" * 40_000}).encode()
    for ip in ("127.0.0.1", "127.0.0.1", "127.0.0.2"):
        post(body, {"x-webhook-token": "wrong", "_remote_addr": ip})
    kept = list(WebhookEvent.objects.order_by("pk").values_list("source_ip", "body"))
    assert [(ip, bool(b)) for ip, b in kept][-2:] == [("127.0.0.1", False), ("127.0.0.2", True)]


def test_unassigned_anonymous_bodies_past_the_quota_are_503_retry_after(post, settings):
    settings.WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES = 3_000
    payload = fixture("evolution", "text")
    payload.pop("apikey", None)
    payload["instance"] = "ninguem"
    payload["data"]["message"]["conversation"] = "w" * 2_000
    assert post(payload).status == 202
    over = post(payload)
    assert over.status == 503, over.body
    assert over.headers.get("Retry-After")
    assert WebhookEvent.objects.count() == 1  # the first is kept whole, for the operator


def test_accepted_deliveries_never_count_against_the_quota(post, sample_client, settings):
    settings.WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES = 10
    settings.WEBHOOK_REJECTED_BODY_QUOTA_BYTES = 10
    token = {"x-webhook-token": sample_client.webhook_token}
    payload = fixture("baileys_sample", "readme_sample")
    for i in range(3):
        payload["key"]["id"] = f"quota-{i}"
        assert post(payload, token).status == 200
    assert Message.objects.count() == 3


# --- Masking by where credentials live, before cutting -------------------------------------


def test_a_message_whose_text_equals_the_apikey_keeps_its_text_on_replay(post, make_client):
    payload = fixture("evolution", "text")
    make_client(payload["instance"], webhook_token=payload["apikey"])
    payload["data"]["message"]["conversation"] = payload["apikey"]
    reply = post(payload)
    assert reply.status == 200, reply.body
    event = WebhookEvent.objects.get()
    assert payload["apikey"] not in json.loads(event.body)["apikey"]  # the credential is masked
    Message.objects.all().delete()
    WhatsAppWebhookProcessor().process(event)  # what the background applier does: re-parse
    assert Message.objects.get().text == payload["apikey"]  # the sender's text, not ***


def test_a_credential_across_the_cut_of_a_rejected_body_is_not_kept(post, sample_client):
    secret = "S" + secrets.token_hex(20)
    filler = "f" * (64 * 1024 - 30)
    raw = json.dumps({"filler": filler, "token": secret, "instanceId": "test_instance"})
    cut = raw.index(secret) + 10
    assert cut > 64 * 1024 > raw.index(secret)  # the cut falls inside the credential
    reply = post(raw.encode(), {"x-webhook-token": secrets.token_hex(8)})
    assert reply.status == 401
    stored = WebhookEvent.objects.get().body
    assert secret[:8] not in stored
    assert len(stored) <= 64 * 1024


def test_ignored_bodies_count_against_the_quota_only_when_unauthenticated(
    post, sample_client, settings
):
    settings.WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES = 30_000
    settings.WEBHOOK_REQUIRE_TOKEN = False  # unknown shapes for test_instance are accepted
    body = {"instanceId": "test_instance", "unknown_shape": "u" * 20_000}
    token = {"x-webhook-token": sample_client.webhook_token}
    for headers in (token, token, {}, {}):
        assert post(body, headers).status == 200
    kept = [bool(b) for b in WebhookEvent.objects.order_by("pk").values_list("body", flat=True)]
    assert kept == [True, True, True, False]  # the client's own deliveries are never cut
    assert "body not kept" in WebhookEvent.objects.order_by("pk").last().error
