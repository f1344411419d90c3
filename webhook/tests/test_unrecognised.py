"""Drift seen the day it happens: what the parsers did not recognise is counted and shown.

A made-up message type, a made-up event kind, a shape no family knows and a payload missing
an expected field go through the real pipeline (either server, inline; the applier in
background mode) and end as ``UnrecognisedItem`` counters, in the status JSON and page, and in
the admin's "Não reconhecidos" list with a link to the sample event. Replays never count twice.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import Client as HttpClient

from webhook import applier, ingest, parsers
from webhook.drift import Drift, DriftKind, drift_of
from webhook.models import Message, UnrecognisedItem, WebhookEvent
from webhook.parsers._common import collecting_missing, expected
from webhook.tests.helpers import credentials_for, fixture
from webhook.writer import writer

API_TOKEN = "d" * 40


def _meta_hologram() -> dict:
    payload = fixture("meta_cloud", "text")
    message = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    message.pop("text")
    message["type"] = "hologram"
    message["hologram"] = {"frames": 3}
    return payload


def _evolution_made_up_event() -> dict:
    payload = fixture("evolution", "text")
    payload["event"] = "labels.teleport"
    return payload


def _waha_without_timestamp() -> dict:
    payload = fixture("waha", "message_text")
    payload["payload"].pop("timestamp")
    return payload


def _counters() -> dict[tuple[str, str, str], int]:
    return {(r.family, r.kind, r.name): r.count for r in UnrecognisedItem.objects.all()}


@pytest.fixture
def clients(make_client, settings):
    from webhook.tests.helpers import META_APP_SECRET

    settings.WEBHOOK_META_APP_SECRET = META_APP_SECRET
    settings.WEBHOOK_FALLBACK_CLIENT = False
    return {
        "meta_cloud": make_client("106540352242922"),
        "evolution": make_client("loja-centro"),
        "waha": make_client("atendimento"),
    }


def _send(post, clients, family: str, payload: dict):
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = credentials_for(family, body, clients[family].webhook_token)
    reply = post(body, headers)
    assert reply.status in (200, 202), reply.body
    return reply


# --- reading drift from a parse result (pure) -------------------------------------------------


def test_drift_is_read_generically_from_the_parse_result():
    assert drift_of(parsers.parse(_meta_hologram())) == (
        Drift("meta_cloud", DriftKind.MESSAGE_TYPE, "hologram"),
    )
    assert drift_of(parsers.parse(_evolution_made_up_event())) == (
        Drift("evolution", DriftKind.EVENT_KIND, "labels.teleport"),
    )
    assert drift_of(parsers.parse(_waha_without_timestamp())) == (
        Drift("waha", DriftKind.MISSING_FIELD, "payload.timestamp"),
    )
    assert drift_of(parsers.parse({"hello": "world", "type": "mystery"})) == (
        Drift("unknown", DriftKind.EVENT_KIND, "mystery"),
    )
    # a known kind that carried nothing to apply is not drift
    empty_update = copy.deepcopy(fixture("evolution", "update_read"))
    empty_update["data"].pop("status")
    assert not parsers.parse(empty_update).events
    assert drift_of(parsers.parse(empty_update)) == ()


def test_expected_reports_only_inside_a_parse_and_once_per_name():
    assert expected(None, "outside") is None  # a parser called directly records nothing
    with collecting_missing() as missing:
        assert expected("", "a") == ""
        assert expected("x", "b") == "x"
        expected(None, "a")
    assert missing == ["a", "a"]
    batch = fixture("meta_cloud", "batch")
    for change in batch["entry"][0]["changes"]:
        for message in change["value"].get("messages", []):
            message.pop("timestamp", None)
    assert "messages[].timestamp" in parsers.parse(batch).missing_fields
    assert len(set(parsers.parse(batch).missing_fields)) == len(parsers.parse(batch).missing_fields)


# --- through the pipeline -------------------------------------------------------------------


def test_unrecognised_things_are_counted_with_a_sample_event(post, clients):
    _send(post, clients, "meta_cloud", _meta_hologram())
    ignored = _send(post, clients, "evolution", _evolution_made_up_event())
    _send(post, clients, "waha", _waha_without_timestamp())

    assert ignored.status == 200 and ignored.body["status"] == "ignored"
    assert _counters() == {
        ("meta_cloud", "message_type", "hologram"): 1,
        ("evolution", "event_kind", "labels.teleport"): 1,
        ("waha", "missing_field", "payload.timestamp"): 1,
    }
    # the message with the unknown type is still stored, as unknown, and the made-up event
    # still ends ignored: counting changes nothing else
    assert Message.objects.get(family="meta_cloud").type == "unknown"
    evolution_event = WebhookEvent.objects.get(family="evolution")
    assert evolution_event.status == "ignored"
    row = UnrecognisedItem.objects.get(family="evolution")
    assert row.sample_event_id == evolution_event.pk
    assert row.first_seen == row.last_seen == evolution_event.received_at

    _send(post, clients, "evolution", _evolution_made_up_event())
    row.refresh_from_db()
    newest = WebhookEvent.objects.filter(family="evolution").latest("pk")
    assert row.count == 2 and row.sample_event_id == newest.pk
    assert row.last_seen == newest.received_at and row.first_seen == evolution_event.received_at


def test_a_shape_no_family_knows_is_counted_under_unknown(post, clients):
    reply = post({"instanceId": "x", "type": "TeleportCallback", "phone": "5511"})
    assert reply.status == 200 and reply.body["status"] == "ignored"
    assert _counters() == {("unknown", "event_kind", "TeleportCallback"): 1}
    assert WebhookEvent.objects.get().status == "ignored"


def test_replays_do_not_count_again(post, clients):
    _send(post, clients, "meta_cloud", _meta_hologram())
    _send(post, clients, "evolution", _evolution_made_up_event())
    before = _counters()
    call_command("webhook_reprocess", "--all", verbosity=0)
    call_command("webhook_reprocess", "--all", verbosity=0)
    assert _counters() == before
    assert WebhookEvent.objects.get(family="evolution").status == "ignored"


@pytest.mark.django_db(transaction=True)
def test_background_mode_the_applier_counts_and_the_ack_writes_nothing_more(make_client, settings):
    settings.WEBHOOK_APPLY_MODE = "background"
    client = make_client("loja-centro")
    body = json.dumps(_evolution_made_up_event()).encode()
    try:
        response = ingest.receive(
            ingest.InboundRequest(body=body, headers={"x-webhook-token": client.webhook_token})
        )
    finally:
        connections.close_all()
    writer.shutdown()
    assert response.status == 200 and response.body["status"] == "ignored"
    assert not UnrecognisedItem.objects.exists()  # nothing counted on the ack path

    assert applier.run(once=True) == 1
    assert _counters() == {("evolution", "event_kind", "labels.teleport"): 1}
    event = WebhookEvent.objects.get()
    assert event.status == "ignored" and "labels.teleport" in event.error
    assert UnrecognisedItem.objects.get().sample_event_id == event.pk


# --- shown: status JSON and page, admin -------------------------------------------------------


@pytest.fixture
def drifted(post, clients):
    _send(post, clients, "meta_cloud", _meta_hologram())
    _send(post, clients, "evolution", _evolution_made_up_event())
    _send(post, clients, "waha", _waha_without_timestamp())


def test_status_json_shows_aggregates_to_everyone_and_names_with_samples_to_staff(
    drifted, settings, flask_app
):
    settings.WEBHOOK_API_TOKEN = API_TOKEN
    expected_totals = {
        "total": 3,
        "by_family": {
            "evolution": {"event_kind": 1},
            "meta_cloud": {"message_type": 1},
            "waha": {"missing_field": 1},
        },
    }
    anonymous = [
        HttpClient().get("/webhook/status/").json(),
        flask_app.test_client().get("/status").get_json(),
    ]
    for summary in anonymous:
        assert summary["unrecognised"] == expected_totals
        assert "hologram" not in json.dumps(summary)

    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    detailed = [
        HttpClient().get("/webhook/status/", headers=auth).json(),
        flask_app.test_client().get("/status", headers=auth).get_json(),
    ]
    sample = WebhookEvent.objects.get(family="meta_cloud").pk
    for summary in detailed:
        items = {(i["family"], i["kind"], i["name"]): i for i in summary["unrecognised"]["items"]}
        assert set(items) == {
            ("meta_cloud", "message_type", "hologram"),
            ("evolution", "event_kind", "labels.teleport"),
            ("waha", "missing_field", "payload.timestamp"),
        }
        hologram = items[("meta_cloud", "message_type", "hologram")]
        assert hologram["count"] == 1 and hologram["sample_event_id"] == sample


def test_status_page_shows_the_card(drifted, admin_client):
    page = HttpClient().get("/webhook/status/", HTTP_ACCEPT="text/html").content.decode()
    assert "Não reconhecidos" in page and "tipo de mensagem" in page
    assert "hologram" not in page  # names only for staff
    staff_page = admin_client.get("/webhook/status/", HTTP_ACCEPT="text/html").content.decode()
    sample = WebhookEvent.objects.get(family="meta_cloud").pk
    assert "hologram" in staff_page
    assert f"/admin/webhook/webhookevent/{sample}/change/" in staff_page


def test_admin_lists_them_read_only_with_a_link_to_the_sample(drifted, admin_client):
    page = admin_client.get("/admin/webhook/unrecogniseditem/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Não reconhecidos" in html or "não reconhecidos" in html
    for name in ("hologram", "labels.teleport", "payload.timestamp"):
        assert name in html
    for event in WebhookEvent.objects.all():
        assert f"/admin/webhook/webhookevent/{event.pk}/change/" in html
    assert "tipo de evento" in html and "campo esperado ausente" in html
    row = UnrecognisedItem.objects.get(family="meta_cloud")
    change = admin_client.get(f"/admin/webhook/unrecogniseditem/{row.pk}/change/")
    assert change.status_code == 200 and "hologram" in change.content.decode()
    assert admin_client.get("/admin/webhook/unrecogniseditem/add/").status_code == 403
    filtered = admin_client.get("/admin/webhook/unrecogniseditem/?kind=event_kind")
    assert "labels.teleport" in filtered.content.decode()
    assert "hologram" not in filtered.content.decode()


def _without(payload: dict, *paths: tuple[str, ...]) -> dict:
    payload = copy.deepcopy(payload)
    for path in paths:
        node = payload
        for key in path[:-1]:
            node = node[key]
        node.pop(path[-1])
    return payload


@pytest.mark.parametrize(
    ("family", "name", "paths", "field"),
    [
        ("wppconnect", "message_text", [("t",), ("timestamp",)], "t"),  # either will do
        ("wppconnect", "ack_read", [("ack",)], "ack"),
        ("ultramsg", "text", [("data", "time")], "data.time"),
        ("ultramsg", "ack_read", [("data", "ack")], "data.ack"),
        ("wuzapi", "text", [("event", "Info", "Timestamp")], "event.Info.Timestamp"),
        ("wuzapi", "receipt_read", [("state",)], "state"),
    ],
)
def test_the_newer_gateways_report_the_fields_they_expected(family, name, paths, field):
    """WPPConnect, UltraMsg and Wuzapi use the same shared helper as the older families."""
    assert drift_of(parsers.parse(fixture(family, name))) == ()
    assert drift_of(parsers.parse(_without(fixture(family, name), *paths))) == (
        Drift(family, DriftKind.MISSING_FIELD, field),
    )
