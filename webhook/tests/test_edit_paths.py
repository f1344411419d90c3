"""Every family's edit path (issue 13, defect 2): an edit whose original never arrived.

An edit that says its chat creates the message with the edited text instead of being parked
forever; its original, arriving late, completes that row, so both orders end with the same
rows and statistics. An edit that names only its target (no chat) is parked as before.
Meta's Cloud API delivers no edits (docs/formats.md §5.4: they surface as ``unsupported``), so it has
no edit path to check. Z-API's own test is in test_end_to_end_families.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from webhook.models import Chat, Message, MessageStats, PendingUpdate, Sender
from webhook.tests.helpers import credentials_for, fixture, fixture_bytes

pytestmark = pytest.mark.django_db

INSTANCES = {
    "evolution": "loja-centro",
    "zapi": "3D2B1A0C9E8F7A6B5C4D",
    "waha": "atendimento",
    "wapi": "LITE-7XK2P9-QW3R8T",
    "baileys_sample": "test_instance",
}

# (family, edit fixture, original fixture, original's id, original text, edited text)
CASES = [
    (
        "evolution",
        "edited",
        "text",
        "3EB0C7D2A91F4E6B8D21",
        "Olá! Quero saber o preço 😊",
        "Olá! Quero saber o preço do tênis azul, tamanho 38 😊",
    ),
    (
        "evolution",
        "upsert_edit",
        "group_text",
        "3EB089F0A178CD648967",
        None,
        "Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado e no domingo? ☀️",
    ),
    (
        "waha",
        "edited",
        "message_text",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718293",
        None,
        "Olá! Quero saber o preço do sofá retrátil cinza 😊",
    ),
    (
        "wapi",
        "edits/edited",
        "text",
        "3AC9F4D1B28E7A60B101",
        "Olá! Quero saber o preço do bolo de cenoura com cobertura de chocolate 😊",
        "Olá! Quero saber o preço do bolo de cenoura com cobertura de brigadeiro 😊",
    ),
    (
        "baileys_sample",
        "edits/edited",
        "text",
        "BAE5C81D2F6A4E01",
        "Olá! Vocês abrem no feriado? 🤔 Preciso de um bolo pra amanhã.",
        "Olá! Vocês abrem no feriado? 🤔 Preciso de um bolo pra depois de amanhã.",
    ),
]
IDS = [f"{c[0]}/{c[1]}" for c in CASES]
COMPARED = (
    "external_id",
    "from_me",
    "type",
    "subtype",
    "text",
    "timestamp",
    "timestamp_estimated",
    "status",
    "edit_history",
    "is_deleted",
    "created_by_edit",
)


@pytest.fixture
def send(post, make_client, settings):
    settings.WEBHOOK_FALLBACK_CLIENT = False
    clients = {family: make_client(iid) for family, iid in INSTANCES.items()}

    def go(family: str, body: str | dict[str, Any]):
        payload = fixture_bytes(family, body) if isinstance(body, str) else body
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False).encode()
        reply = post(payload, credentials_for(family, payload, clients[family].webhook_token))
        assert reply.status == 200, reply.body
        return reply

    return go


def _wipe_conversation() -> None:
    for model in (PendingUpdate, MessageStats, Message, Sender, Chat):  # chats take their stats
        model.objects.all().delete()


def _row(family: str, external_id: str) -> Message:
    return Message.objects.get(client__instance_id=INSTANCES[family], external_id=external_id)


def _state(family: str, external_id: str) -> dict[str, Any]:
    row = _row(family, external_id)
    stats = list(
        MessageStats.objects.filter(client=row.client)
        .order_by("period_start")
        .values("period_start", "total", "received", "sent", "text", "other")
    )
    chat = row.chat
    counters = (chat.message_count, chat.last_message_at, chat.last_message_from_me)
    contact = chat.stats
    contact_figures = (contact.total, contact.first_message_at, contact.last_message_at)
    return {
        "message": {name: getattr(row, name) for name in COMPARED},
        "sender": row.sender.sender_id if row.sender else None,
        "stats": stats,
        "chat": counters,
        "contact": contact_figures,
    }


@pytest.mark.parametrize(("family", "edit", "original", "target", "old", "new"), CASES, ids=IDS)
def test_an_edit_whose_original_never_arrived_creates_the_message(
    send, family, edit, original, target, old, new
):
    assert send(family, edit).body["status"] == "processed"
    assert PendingUpdate.objects.count() == 0  # it used to wait here forever
    row = _row(family, target)
    assert (row.text, row.edit_history, row.created_by_edit) == (new, [], True)
    assert row.type == "text" and not row.from_me
    assert MessageStats.objects.get(client=row.client).received == 1
    # W-API and the README sample used to store the edit as a system message of its own
    assert Message.objects.count() == 1


@pytest.mark.parametrize(("family", "edit", "original", "target", "old", "new"), CASES, ids=IDS)
def test_the_late_original_completes_it_as_if_it_had_come_first(
    send, family, edit, original, target, old, new
):
    send(family, original)
    send(family, edit)
    in_order = _state(family, target)
    first_text = _row(family, target).edit_history[0]["text"]
    if old is not None:
        assert first_text == old
    _wipe_conversation()

    send(family, edit)
    placeholder = _row(family, target)
    assert send(family, original).body["status"] == "processed"
    late = _row(family, target)
    assert late.text == new and not late.created_by_edit
    assert late.edit_history == [
        {"text": first_text, "replaced_at": placeholder.timestamp.isoformat()}
    ]
    assert _state(family, target) == in_order
    # and neither counts twice nor changes anything when delivered again
    assert send(family, original).body["status"] == "duplicate"
    assert send(family, edit).body["status"] == "duplicate"
    assert _state(family, target) == in_order


def _without_chat(family: str) -> tuple[dict[str, Any], str]:
    if family == "evolution":  # a protocolMessage whose key lost its remoteJid
        payload = fixture("evolution", "edited")
        del payload["data"]["key"]["remoteJid"]
        return payload, "3EB0C7D2A91F4E6B8D21"
    payload = fixture("waha", "edited")  # no from / to: only the target and the new body
    for name in ("from", "to"):
        payload["payload"].pop(name)
    return payload, "false_5511987654321@c.us_3A1B2C3D4E5F60718293"


@pytest.mark.parametrize("family", ["evolution", "waha"])
def test_an_edit_without_its_chat_is_parked_until_the_original_arrives(send, family):
    payload, target = _without_chat(family)
    assert send(family, payload).body["status"] == "processed"
    assert not Message.objects.exists()
    assert list(PendingUpdate.objects.values_list("kind", "target_id")) == [("edit", target)]
    send(family, "text" if family == "evolution" else "message_text")
    assert not PendingUpdate.objects.exists()
    row = _row(family, target)
    new_text = {case[0]: case[5] for case in reversed(CASES)}[family]
    assert row.text == new_text
    assert len(row.edit_history) == 1 and not row.created_by_edit


@pytest.mark.django_db(transaction=True)
def test_an_edit_and_its_original_in_one_applier_batch_end_as_in_order(make_client, settings):
    """The applier takes both in one batch: whichever came first, the original is stored and
    the edit applied to it (within a batch the original beats the message its edit carries)."""
    from django.db import connections

    from webhook import applier, ingest
    from webhook.writer import writer

    settings.WEBHOOK_APPLY_MODE = "background"
    settings.WEBHOOK_FALLBACK_CLIENT = False
    token = make_client("loja-centro").webhook_token
    target = "3EB0C7D2A91F4E6B8D21"

    def deliver(names: list[str]) -> dict[str, Any]:
        try:
            for name in names:
                body = fixture_bytes("evolution", name)
                request = ingest.InboundRequest(body=body, headers={"x-webhook-token": token})
                assert ingest.receive(request).status == 202
        finally:
            connections.close_all()
        writer.shutdown()
        assert applier.run(once=True) == len(names)
        return _state("evolution", target)

    in_order = deliver(["text", "edited"])
    _wipe_conversation()
    assert deliver(["edited", "text"]) == in_order
    assert in_order["message"]["edit_history"][0]["text"] == "Olá! Quero saber o preço 😊"
