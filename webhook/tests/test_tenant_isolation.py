"""Tenant isolation, through both servers: a delivery is applied only to the clients it is
authenticated for (issue 10). Each test failed on the code before the fix.

Two clients (two Cloud API numbers, or two gateway instances); a delivery authenticated for
one that names the other is refused whole; a batch signed by the Meta app of both numbers
goes to each number's client; deliveries for instances without a client are kept but never
applied to a client created later unless they carried its credential or an operator says so.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from webhook.models import Message, WebhookEvent
from webhook.tests.helpers import fixture, fixture_bytes

pytestmark = pytest.mark.django_db

NUMBER_A = "106540352242922"
NUMBER_B = "207650463353033"


def _change(number: str, value: dict) -> dict:
    return {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "55114000" + number[-4:],
                "phone_number_id": number,
            },
            **value,
        },
    }


def _text(number: str, wamid: str, body: str) -> dict:
    return _change(
        number,
        {
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": "5511987654321"}],
            "messages": [
                {
                    "from": "5511987654321",
                    "id": wamid,
                    "timestamp": "1764400000",
                    "type": "text",
                    "text": {"body": body},
                }
            ],
        },
    )


def _failed_status(number: str, wamid: str) -> dict:
    status = {
        "id": wamid,
        "status": "failed",
        "timestamp": "1764400100",
        "recipient_id": "5511987654321",
        "errors": [{"code": 131026, "title": "Message undeliverable"}],
    }
    return _change(number, {"statuses": [status]})


def _batch(*changes: dict) -> bytes:
    entry = {"id": "184950627381945", "changes": list(changes)}
    return json.dumps({"object": "whatsapp_business_account", "entry": [entry]}).encode()


def _sign(body: bytes, secret: str) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"x-hub-signature-256": "sha256=" + digest}


@pytest.fixture
def two_numbers(make_client, settings):
    settings.WEBHOOK_META_APP_SECRET = ""
    return make_client(NUMBER_A, name="Loja A"), make_client(NUMBER_B, name="Loja B")


# --- 1. one client's token never writes into another client --------------------------------


def test_a_token_of_client_a_cannot_create_messages_under_client_b(post, two_numbers):
    a, b = two_numbers
    body = _batch(_text(NUMBER_A, "wamid.A1", "oi de A"), _text(NUMBER_B, "wamid.B1", "forjada"))
    reply = post(body, path=f"/webhook/k/{a.webhook_token}/")
    assert reply.status == 401, reply.body
    assert reply.body["error"] == "authentication_failed"
    assert NUMBER_B in reply.body["detail"]
    assert not Message.objects.exists()  # nothing of the delivery is applied, not even A's part
    event = WebhookEvent.objects.get()
    assert event.status == "rejected"
    assert NUMBER_B in event.error


def test_a_status_signed_by_client_a_cannot_fail_client_b_messages(post, two_numbers):
    a, b = two_numbers
    own = _batch(_text(NUMBER_B, "wamid.B2", "mensagem de B"))
    assert post(own, path=f"/webhook/k/{b.webhook_token}/").status == 200
    forged = _batch(_text(NUMBER_A, "wamid.A2", "oi"), _failed_status(NUMBER_B, "wamid.B2"))
    assert post(forged, path=f"/webhook/k/{a.webhook_token}/").status == 401
    assert post(forged, {"x-webhook-token": a.webhook_token}).status == 401
    message = Message.objects.get(external_id="wamid.B2")
    assert message.client == b
    assert message.status != "failed"


def test_a_batch_signed_by_the_app_goes_to_each_numbers_client(post, two_numbers, settings):
    a, b = two_numbers
    settings.WEBHOOK_META_APP_SECRET = secrets.token_hex(16)
    body = _batch(_text(NUMBER_A, "wamid.A3", "para A"), _text(NUMBER_B, "wamid.B3", "para B"))
    reply = post(body, _sign(body, settings.WEBHOOK_META_APP_SECRET))
    assert reply.status == 200, reply.body
    assert Message.objects.get(external_id="wamid.A3").client == a
    assert Message.objects.get(external_id="wamid.B3").client == b


def test_app_secret_per_client_authenticates_only_that_apps_numbers(post, two_numbers):
    a, b = two_numbers
    app_one, app_two = secrets.token_hex(16), secrets.token_hex(16)
    a.meta_app_secret, b.meta_app_secret = app_one, app_two
    a.save()
    b.save()
    only_a = _batch(_text(NUMBER_A, "wamid.A4", "de A"))
    assert post(only_a, _sign(only_a, app_one)).status == 200
    assert post(only_a, _sign(only_a, app_two)).status == 401  # B's app does not sign A's number
    both = _batch(_text(NUMBER_A, "wamid.A5", "de A"), _text(NUMBER_B, "wamid.B5", "de B"))
    reply = post(both, _sign(both, app_one))
    assert reply.status == 401, reply.body  # app one does not sign for B's number
    assert NUMBER_B in reply.body["detail"]
    assert set(Message.objects.values_list("external_id", flat=True)) == {"wamid.A4"}
    b.meta_app_secret = app_one  # both numbers registered under the same app
    b.save()
    assert post(both, _sign(both, app_one)).status == 200
    assert Message.objects.get(external_id="wamid.B5").client == b


@pytest.mark.parametrize("order", ["registered-first", "unregistered-first"])
def test_a_signed_batch_keeps_an_unregistered_numbers_part_for_later(
    post, two_numbers, settings, order
):
    a, _b = two_numbers
    settings.WEBHOOK_META_APP_SECRET = secrets.token_hex(16)
    changes = [_text(NUMBER_A, "wamid.A6", "de A"), _text("308760", "wamid.C6", "de C")]
    body = _batch(*(changes if order == "registered-first" else changes[::-1]))
    reply = post(body, _sign(body, settings.WEBHOOK_META_APP_SECRET))
    assert reply.status == 200, reply.body
    assert Message.objects.get(external_id="wamid.A6").client == a
    assert not Message.objects.filter(external_id="wamid.C6").exists()  # never under A
    event = WebhookEvent.objects.get()
    assert (event.client_id, event.client_key) == (a.pk, NUMBER_A)
    assert event.credential_proofs  # the app's proof, for number C's client later


# --- 2. deliveries for instances without a client -----------------------------------------


def _evolution_for(instance: str, apikey: str | None) -> bytes:
    payload = fixture("evolution", "text")
    payload["instance"] = instance
    payload.pop("apikey", None)
    if apikey is not None:
        payload["apikey"] = apikey
    return json.dumps(payload).encode()


def _replay_unassigned() -> None:
    from webhook.services.replay import events_reprocess

    events_reprocess(queryset=WebhookEvent.objects.filter(status="unassigned"))


def test_an_anonymous_delivery_never_preseeds_a_future_client(post, make_client):
    reply = post(_evolution_for("loja_futura", None))
    assert reply.status == 202 and reply.body["status"] == "unassigned", reply.body
    make_client("loja_futura", name="Loja Futura")
    _replay_unassigned()
    assert not Message.objects.exists()
    event = WebhookEvent.objects.get()
    assert event.status == "unassigned"
    assert "operator releases it in the admin" in event.error
    assert "apikey" not in json.dumps(event.credential_proofs)


def test_a_delivery_that_carried_the_clients_token_applies_once_it_exists(post, make_client):
    token = secrets.token_urlsafe(24)
    assert post(_evolution_for("loja_nova", token)).body["status"] == "unassigned"
    event = WebhookEvent.objects.get()
    assert event.credential_proofs and token not in json.dumps(event.credential_proofs)
    assert token not in event.body  # the credential itself is never kept
    client = make_client("loja_nova", webhook_token=token)
    _replay_unassigned()
    event.refresh_from_db()
    assert (event.status, event.client_id) == ("processed", client.pk)
    assert Message.objects.get().client == client


def test_another_token_does_not_unlock_an_unassigned_delivery(post, make_client):
    post(_evolution_for("loja_x", "um-token-qualquer-" + secrets.token_hex(8)))
    make_client("loja_x")  # a different, generated token
    _replay_unassigned()
    assert WebhookEvent.objects.get().status == "unassigned"
    assert not Message.objects.exists()


def test_an_operator_can_release_unassigned_deliveries_in_the_admin(post, make_client):
    post(_evolution_for("loja_y", None))
    client = make_client("loja_y")
    _replay_unassigned()
    event = WebhookEvent.objects.get()
    assert event.status == "unassigned"
    user = get_user_model().objects.create_superuser("op", "op@example.com", "x-" + "p" * 12)
    browser = HttpClient()
    browser.force_login(user)
    url = "/admin/webhook/webhookevent/"
    form = {"action": "release", "_selected_action": [str(event.pk)]}
    warning = browser.post(url, form)
    assert warning.status_code == 200
    assert "Qualquer pessoa" in warning.content.decode()  # the warning page, nothing applied yet
    assert not Message.objects.exists()
    done = browser.post(url, {**form, "confirm": "yes"}, follow=True)
    assert done.status_code == 200
    event.refresh_from_db()
    assert (event.status, event.client_id, event.approved_by) == ("processed", client.pk, "op")
    assert event.approved_at is not None
    assert Message.objects.get().client == client


def test_an_inactive_clients_deliveries_are_refused_like_unknown_tokens(post, make_client):
    client = make_client("loja_inativa", active=False)
    body = _evolution_for("loja_inativa", client.webhook_token)
    for headers, path in (({}, "/webhook/"), ({}, f"/webhook/k/{client.webhook_token}/")):
        reply = post(body, headers, path=path)
        assert reply.status == 401, reply.body
        assert "inactive" in reply.body["detail"]
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {"rejected"}
    client.active = True  # reactivation does not bring refused deliveries back
    client.save()
    _replay_unassigned()
    assert not Message.objects.exists()


# --- 3. the anonymous status page shows aggregates only -----------------------------------


def test_anonymous_status_lists_no_client_names_or_instances(make_client, flask_app, settings):
    make_client("instancia_secreta", name="Padaria Segredo")
    settings.WEBHOOK_API_TOKEN = secrets.token_hex(16)
    pages = [
        HttpClient().get("/webhook/status/?format=json").content,
        HttpClient().get("/webhook/status/", HTTP_ACCEPT="text/html").content,
        flask_app.test_client().get("/status").data,
    ]
    for page in pages:
        text = page.decode()
        assert "instancia_secreta" not in text and "Padaria Segredo" not in text
    summary = json.loads(pages[0])
    assert summary["clients_total"] == 1 and "clients" not in summary
    bearer = {"Authorization": f"Bearer {settings.WEBHOOK_API_TOKEN}"}
    detailed = [
        HttpClient().get("/webhook/status/?format=json", headers=bearer).json(),
        flask_app.test_client().get("/status", headers=bearer).get_json(),
    ]
    for summary in detailed:
        assert [c["client"] for c in summary["clients"]] == ["instancia_secreta"]


# --- 4. a wrong explicit token is always 401 ----------------------------------------------


@pytest.mark.parametrize(
    "wrong_place", ["header", "query"], ids=["header-wrong-path-right", "query-wrong-path-right"]
)
def test_a_wrong_explicit_token_is_401_even_with_the_right_one_in_the_path(
    post, sample_client, wrong_place
):
    wrong = secrets.token_hex(16)
    kwargs = {
        "header": {"headers": {"x-webhook-token": wrong}},
        "query": {"query": f"token={wrong}"},
    }
    reply = post(
        fixture_bytes("baileys_sample", "readme_sample"),
        path=f"/webhook/k/{sample_client.webhook_token}/",
        **kwargs[wrong_place],
    )
    assert reply.status == 401, reply.body
    assert not Message.objects.exists()


def test_another_clients_right_token_is_401_too(post, sample_client, make_client):
    other = make_client("outra_instancia")
    reply = post(
        fixture_bytes("baileys_sample", "readme_sample"), {"x-webhook-token": other.webhook_token}
    )
    assert reply.status == 401, reply.body
    assert "outra_instancia" in reply.body["detail"] or "test_instance" in reply.body["detail"]
    assert not Message.objects.exists()
