"""W-API and README-sample fixtures end to end, through both servers, down to the rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webhook.models import (
    Chat,
    Client,
    Message,
    PendingUpdate,
    RealTimeStats,
    Sender,
    WebhookEvent,
)
from webhook.tests.helpers import all_fixtures, fixture, fixture_bytes

pytestmark = pytest.mark.django_db

INSTANCE = "LITE-7XK2P9-QW3R8T"
ME = "5511912345678"
ANA, ANA_NAME = "5511987654321", "Ana Beatriz Conceição"
MARIA, MARIA_NAME = "5521998765432", "Maria Eduarda Souza"
GROUP = "120363025678901234@g.us"
OUT_TEXT = "3EB0A7C4D2F19E8B5C01"
OUT_IMAGE = "3AB7E21C94D05F6A8E02"
OUT_DOC = "3EB0A7C4D2F19E8B5C03"
NEVER_ARRIVES = "3EB0A7C4D2F19E8B5C99"


def at(hour: int, minute: int, second: int) -> datetime:
    return datetime(2025, 11, 29, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def wapi_client(make_client) -> Client:
    return make_client(INSTANCE, name="Doceria Vó Benedita")


@pytest.fixture
def send(post, wapi_client):
    """send(fixture name or body, path=...) -> reply, with the W-API client's token."""
    headers = {"x-webhook-token": wapi_client.webhook_token}

    def go(body: str | dict[str, Any], path: str = "/webhook/", expect: int = 200):
        payload = fixture_bytes("wapi", body) if isinstance(body, str) else body
        reply = post(payload, headers, path=path)
        assert reply.status == expect, reply.body
        return reply

    return go


# --- Messages ----------------------------------------------------------------------------------

MESSAGE_FIELDS = (
    "external_id",
    "type",
    "subtype",
    "text",
    "from_me",
    "status",
    "quoted_id",
    "forwarded",
    "timestamp",
    "timestamp_estimated",
    "family",
    "chat",
    "sender",
    "media_url",
    "media_id",
    "media_mimetype",
    "media_sha256",
    "media_size",
    "media_file_name",
    "media_duration",
    "media_width",
    "media_height",
    "is_voice",
    "latitude",
    "longitude",
    "location_name",
    "location_address",
    "contacts",
    "reactions",
    "is_deleted",
    "sent_at",
    "delivered_at",
    "read_at",
)


def row(message: Message) -> dict[str, Any]:
    values = {name: getattr(message, name) for name in MESSAGE_FIELDS}
    values["chat"] = (message.chat.chat_id, message.chat.is_group)
    values["sender"] = message.sender.sender_id if message.sender else None
    return values


def media_of(name: str, *path: str) -> dict[str, Any]:
    """The media fields stored for the proto body at ``path`` inside the fixture's msgContent."""
    body = fixture("wapi", name)["msgContent"]
    for key in path:
        body = body[key]
    return {
        "media_url": body["url"],
        "media_mimetype": body["mimetype"],
        "media_sha256": body["fileSha256"],
        "media_size": int(body["fileLength"]),
    }


def expected_row(external_id: str, when: datetime, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "external_id": external_id,
        "type": "text",
        "subtype": "",
        "text": "",
        "from_me": False,
        "status": "",
        "quoted_id": "",
        "forwarded": False,
        "timestamp": when,
        "timestamp_estimated": False,
        "family": "wapi",
        "chat": (ANA, False),
        "sender": ANA,
        "media_url": "",
        "media_id": "",
        "media_mimetype": "",
        "media_sha256": "",
        "media_size": None,
        "media_file_name": "",
        "media_duration": None,
        "media_width": None,
        "media_height": None,
        "is_voice": False,
        "latitude": None,
        "longitude": None,
        "location_name": "",
        "location_address": "",
        "contacts": [],
        "reactions": {},
        "is_deleted": False,
        "sent_at": None,
        "delivered_at": None,
        "read_at": None,
    }
    unknown = set(fields) - set(values)
    assert not unknown, unknown
    return {**values, **fields}


def ours_row(external_id: str, when: datetime, **fields: Any) -> dict[str, Any]:
    return expected_row(
        external_id, when, from_me=True, status="sent", sender=ME, sent_at=when, **fields
    )


def vcard(name: str, index: int = 0) -> str:
    content = fixture("wapi", name)["msgContent"]
    if "contactMessage" in content:
        return content["contactMessage"]["vcard"]
    return content["contactsArrayMessage"]["contacts"][index]["vcard"]


def contact(display_name: str, card: str) -> dict[str, Any]:
    return {"display_name": display_name, "vcard": card, "phones": []}


MESSAGE_ROWS: dict[str, Any] = {
    "text": lambda: expected_row(
        "3AC9F4D1B28E7A60B101",
        at(7, 11, 40),
        subtype="conversation",
        text="Olá! Quero saber o preço do bolo de cenoura com cobertura de chocolate 😊",
    ),
    "extended_text_reply": lambda: expected_row(
        "3AC9F4D1B28E7A60B102",
        at(7, 8, 50),
        subtype="extendedTextMessage",
        text="Oba! Muito obrigada 😍 Vocês entregam no sábado também?",
        quoted_id=OUT_TEXT,
    ),
    "image": lambda: expected_row(
        "3AC9F4D1B28E7A60B103",
        at(7, 13, 20),
        type="image",
        subtype="imageMessage",
        text="Olha como ficou a mesa da festa! 🎉🎂",
        media_width=1200,
        media_height=1600,
        **media_of("image", "imageMessage"),
    ),
    "video": lambda: expected_row(
        "3AC9F4D1B28E7A60B104",
        at(7, 15, 0),
        type="video",
        subtype="videoMessage",
        text="Vídeo do parabéns 🎥 ficou lindo!",
        media_duration=14,
        media_width=480,
        media_height=848,
        **media_of("video", "videoMessage"),
    ),
    "audio": lambda: expected_row(
        "3AC9F4D1B28E7A60B105",
        at(7, 16, 40),
        type="audio",
        subtype="audioMessage",
        media_duration=185,
        is_voice=False,
        **media_of("audio", "audioMessage"),
    ),
    "voice": lambda: expected_row(
        "3AC9F4D1B28E7A60B106",
        at(7, 18, 20),
        type="audio",
        subtype="audioMessage",
        media_duration=9,
        is_voice=True,
        **media_of("voice", "audioMessage"),
    ),
    "document": lambda: expected_row(
        "3AC9F4D1B28E7A60B107",
        at(7, 20, 0),
        type="document",
        subtype="documentMessage",
        text="Segue o comprovante do Pix 📄",
        media_file_name="Comprovante_Pix_Março.pdf",
        **media_of("document", "documentWithCaptionMessage", "message", "documentMessage"),
    ),
    "sticker": lambda: expected_row(
        "3AC9F4D1B28E7A60B108",
        at(7, 21, 40),
        type="sticker",
        subtype="stickerMessage",
        media_width=512,
        media_height=512,
        **media_of("sticker", "stickerMessage"),
    ),
    "location": lambda: expected_row(
        "3AC9F4D1B28E7A60B109",
        at(7, 23, 20),
        type="location",
        subtype="locationMessage",
        text="Museu de Arte de São Paulo",
        latitude=-23.5613496,
        longitude=-46.6560501,
        location_name="Museu de Arte de São Paulo",
        location_address="Av. Paulista, 1578 - Bela Vista, São Paulo - SP, 01310-200",
    ),
    "contact": lambda: expected_row(
        "3AC9F4D1B28E7A60B10A",
        at(7, 25, 0),
        type="contact",
        subtype="contactMessage",
        text="José Antônio Pereira",
        contacts=[contact("José Antônio Pereira", vcard("contact"))],
    ),
    "contacts_array": lambda: expected_row(
        "3AC9F4D1B28E7A60B10B",
        at(7, 26, 40),
        type="contact",
        subtype="contactsArrayMessage",
        text="2 contatos",
        contacts=[
            contact("Lúcia Araújo 🌻", vcard("contacts_array", 0)),
            contact("Tiago Gonçalves", vcard("contacts_array", 1)),
        ],
    ),
    "group_text": lambda: expected_row(
        "3AC9F4D1B28E7A60B10E",
        at(7, 28, 20),
        subtype="conversation",
        chat=(GROUP, True),
        sender=MARIA,
        text="Bom dia, pessoal! ☀️ Quem confirma o almoço de domingo na casa da vó? 🍗",
    ),
    "ephemeral_text": lambda: expected_row(
        "3AC9F4D1B28E7A60B10F",
        at(7, 30, 0),
        subtype="extendedTextMessage",
        text="Essa mensagem some em 7 dias ⏳ mas o endereço é Rua das Acácias, 120.",
    ),
    "view_once_image": lambda: expected_row(
        "3AC9F4D1B28E7A60B110",
        at(7, 31, 40),
        type="image",
        subtype="imageMessage",
        text="Só uma vez 👀",
        media_width=960,
        media_height=1280,
        **media_of("view_once_image", "viewOnceMessageV2", "message", "imageMessage"),
    ),
    "delivery": lambda: ours_row(
        OUT_TEXT,
        at(7, 6, 40),
        subtype="extendedTextMessage",
        text="Olá, Ana! Seu pedido nº 4821 saiu para entrega 🚚 Previsão: hoje até 18h.",
    ),
    "delivery_image": lambda: ours_row(
        OUT_IMAGE,
        at(7, 33, 20),
        type="image",
        subtype="imageMessage",
        text="Cardápio de Natal 🎄 encomendas até 20/12",
        media_width=1080,
        media_height=1350,
        **media_of("delivery_image", "imageMessage"),
    ),
    "delivery_document": lambda: ours_row(
        OUT_DOC,
        at(7, 35, 0),
        type="document",
        subtype="documentMessage",
        media_file_name="Nota_Fiscal_4821.pdf",
        **media_of("delivery_document", "documentMessage"),
    ),
}


@pytest.mark.parametrize("name", sorted(MESSAGE_ROWS))
def test_message_fixture_is_stored_with_every_field(send, wapi_client, name):
    reply = send(name)
    assert reply.body["status"] == "processed"
    assert reply.body["family"] == "wapi"
    message = Message.objects.select_related("chat", "sender").get()
    assert message.client_id == wapi_client.pk
    assert row(message) == MESSAGE_ROWS[name]()
    assert message.webhook_event_id == reply.body["event_id"]
    event = WebhookEvent.objects.get(pk=reply.body["event_id"])
    assert (event.status, event.family, event.client_key, event.error) == (
        "processed",
        "wapi",
        INSTANCE,
        "",
    )
    assert event.event_type == fixture("wapi", name)["event"]


def test_chats_and_senders_are_named_and_ours_is_me(send, wapi_client):
    for name in ("delivery", "text", "group_text"):
        send(name)
    chats = {c.chat_id: (c.name, c.is_group) for c in Chat.objects.filter(client=wapi_client)}
    assert chats == {ANA: (ANA_NAME, False), GROUP: ("", True)}
    senders = {s.sender_id: (s.name, s.is_me) for s in Sender.objects.filter(client=wapi_client)}
    assert senders == {ME: ("", True), ANA: (ANA_NAME, False), MARIA: (MARIA_NAME, False)}


def test_posting_a_message_twice_is_a_duplicate(send):
    first, second = send("image"), send("image")
    assert (first.body["status"], second.body["status"]) == ("processed", "duplicate")
    assert Message.objects.count() == 1
    assert WebhookEvent.objects.filter(status="duplicate").count() == 1


# --- Statuses ----------------------------------------------------------------------------------


def statuses() -> dict[str, tuple[str, datetime | None, datetime | None, datetime | None]]:
    return {
        m.external_id: (m.status, m.sent_at, m.delivered_at, m.read_at)
        for m in Message.objects.all()
    }


def test_statuses_move_our_message_forward(send):
    send("delivery")
    assert statuses()[OUT_TEXT] == ("sent", at(7, 6, 40), None, None)
    assert send("status_delivered").body["status"] == "processed"
    assert statuses()[OUT_TEXT] == ("delivered", at(7, 6, 40), at(7, 6, 52), None)
    send("status_read")
    assert statuses()[OUT_TEXT] == ("read", at(7, 6, 40), at(7, 6, 52), at(7, 8, 15))
    # A late "delivered" does not move it back; a repeated "read" is a duplicate.
    assert send("status_delivered").body["status"] == "duplicate"
    assert send("status_read").body["status"] == "duplicate"
    assert statuses()[OUT_TEXT] == ("read", at(7, 6, 40), at(7, 6, 52), at(7, 8, 15))


def test_read_before_delivered_ends_read_with_both_times(send):
    send("delivery_image")
    send("delivery_document")
    send("read_before_delivered")
    assert statuses()[OUT_IMAGE][0] == "read"
    send("status_ids")  # the DELIVERY of the same image (and of the document), arriving late
    assert statuses() == {
        OUT_IMAGE: ("read", at(7, 33, 20), at(7, 36, 0), at(7, 37, 0)),
        OUT_DOC: ("delivered", at(7, 35, 0), at(7, 36, 0), None),
    }
    event = WebhookEvent.objects.filter(event_type="webhookStatus").latest("pk")
    assert (event.family, event.status) == ("wapi", "processed")


def test_status_before_its_message_is_parked_then_applied(send, wapi_client):
    assert send("status_delivered").body["status"] == "processed"
    assert send("status_read").body["status"] == "processed"
    pending = PendingUpdate.objects.get(kind="status", data__status="read")
    assert (pending.client_id, pending.target_id) == (wapi_client.pk, OUT_TEXT)
    assert PendingUpdate.objects.filter(target_id=OUT_TEXT).count() == 2
    assert not Message.objects.exists()
    send("delivery")
    assert statuses()[OUT_TEXT] == ("read", at(7, 6, 40), at(7, 6, 52), at(7, 8, 15))
    assert not PendingUpdate.objects.exists()


def test_status_for_a_message_that_never_arrives_stays_pending(send):
    reply = send("status_unknown_message")
    assert reply.body["status"] == "processed"
    pending = PendingUpdate.objects.get()
    assert (pending.target_id, pending.kind, pending.data["status"]) == (
        NEVER_ARRIVES,
        "status",
        "delivered",
    )
    assert send("status_unknown_message").body["status"] == "duplicate"
    assert PendingUpdate.objects.count() == 1
    assert not Message.objects.exists()


# --- Reactions ---------------------------------------------------------------------------------


def test_reaction_attaches_and_removal_clears(send):
    send("delivery")
    assert send("reaction").body["status"] == "processed"
    assert Message.objects.get(external_id=OUT_TEXT).reactions == {ANA: "❤️"}
    assert send("reaction").body["status"] == "duplicate"
    assert send("reaction_removed").body["status"] == "processed"
    assert Message.objects.get(external_id=OUT_TEXT).reactions == {}
    assert Message.objects.count() == 1  # a reaction is not a message of its own


def test_reaction_before_its_message_is_applied_on_arrival(send):
    send("reaction")
    assert PendingUpdate.objects.get().kind == "reaction"
    send("delivery")
    assert Message.objects.get(external_id=OUT_TEXT).reactions == {ANA: "❤️"}
    assert not PendingUpdate.objects.exists()


# --- Instance events ---------------------------------------------------------------------------


def realtime(client: Client) -> RealTimeStats:
    return RealTimeStats.objects.get(client=client)


def test_connection_events_set_the_state(send, wapi_client):
    assert send("connected").body["status"] == "processed"
    state = realtime(wapi_client)
    assert (state.connection_state, state.connected_phone, state.connection_changed_at) == (
        "open",
        ME,
        at(6, 50, 0),
    )
    send("disconnected")
    state = realtime(wapi_client)
    assert (state.connection_state, state.connection_reason, state.connection_changed_at) == (
        "closed",
        "Device has been disconnected",
        at(7, 40, 0),
    )
    send("connected")  # an older report does not reopen it
    assert realtime(wapi_client).connection_state == "closed"


def test_qrcode_is_stored(send, wapi_client):
    payload = fixture("wapi", "qrcode")
    assert send("qrcode").body["status"] == "processed"
    state = realtime(wapi_client)
    assert (state.last_qr_code, state.last_qr_image, state.last_qr_at) == (
        payload["qrcode"],
        payload["base64"],
        at(6, 48, 20),
    )
    assert state.connection_state == "qr_required"
    send("connected")
    assert realtime(wapi_client).connection_state == "open"


def test_older_qrcode_does_not_override_a_newer_connection_state(send, wapi_client):
    send("disconnected")  # 07:40
    send("qrcode")  # 06:48, delivered late
    assert realtime(wapi_client).connection_state == "closed"


def test_presence_is_processed_without_rows(send, wapi_client):
    reply = send("presence")
    assert reply.body["status"] == "processed"
    assert reply.body["events"] == 1
    event = WebhookEvent.objects.get()
    assert (event.status, event.event_type, event.error) == ("processed", "webhookPresence", "")
    for model in (Message, Chat, Sender, PendingUpdate):
        assert not model.objects.exists(), model


def test_unhandled_event_is_answered_and_stored_ignored(send, wapi_client):
    reply = send("unhandled_event")
    assert reply.body["status"] == "ignored"
    event = WebhookEvent.objects.get(pk=reply.body["event_id"])
    assert (event.status, event.family, event.event_type, event.client_id) == (
        "ignored",
        "wapi",
        "webhookSomethingNew",
        wapi_client.pk,
    )
    assert "webhookSomethingNew" in event.error
    assert json.loads(event.body)["data"]["label"] == "Cliente VIP ⭐"
    assert not Message.objects.exists()


# --- Per-kind URLs -----------------------------------------------------------------------------


def without_event(name: str) -> dict[str, Any]:
    payload = fixture("wapi", name)
    del payload["event"]
    return payload


def test_status_without_event_on_the_message_status_url_is_a_status(send):
    send("delivery")
    reply = send(without_event("status_read"), path="/webhook/message-status/")
    assert (reply.body["status"], reply.body["family"], reply.body["event_type"]) == (
        "processed",
        "wapi",
        "webhookStatus",
    )
    # "read" without "delivered": both steps reached at the read time.
    assert statuses()[OUT_TEXT] == ("read", at(7, 6, 40), at(7, 8, 15), at(7, 8, 15))
    event = WebhookEvent.objects.get(pk=reply.body["event_id"])
    assert (event.path.rstrip("/"), event.event_type) == (
        "/webhook/message-status",
        "webhookStatus",
    )


def test_message_without_event_on_the_received_and_delivery_urls(send):
    send(without_event("text"), path="/webhook/received/")
    payload = without_event("delivery")
    payload["fromMe"] = False  # the URL alone says it is ours
    send(payload, path="/webhook/delivery/")
    stored = {m.external_id: (m.from_me, m.status) for m in Message.objects.all()}
    assert stored == {"3AC9F4D1B28E7A60B101": (False, ""), OUT_TEXT: (True, "sent")}


def test_per_kind_url_with_the_token_in_the_path(post, wapi_client):
    path = f"/webhook/k/{wapi_client.webhook_token}/chat-presence/"
    reply = post(without_event("presence"), {}, path=path)
    assert reply.status == 200, reply.body
    event = WebhookEvent.objects.get(pk=reply.body["event_id"])
    assert (event.status, event.event_type) == ("processed", "webhookPresence")
    assert wapi_client.webhook_token not in event.path


def test_connection_without_event_on_its_urls(send, wapi_client):
    send(without_event("connected"), path="/webhook/connected/")
    assert realtime(wapi_client).connection_state == "open"
    send(without_event("disconnected"), path="/webhook/disconnected/")
    assert realtime(wapi_client).connection_state == "closed"


# --- Every fixture together --------------------------------------------------------------------


def post_every_wapi_fixture(send) -> list[str]:
    names = [name for _, name in all_fixtures("wapi")]
    replies = {name: send(name).body["status"] for name in names}
    assert replies.pop("unhandled_event") == "ignored"
    assert set(replies.values()) == {"processed"}
    return names


def conversation_rows() -> dict[str, Any]:
    return {
        "messages": {
            m.external_id: row(m) for m in Message.objects.select_related("chat", "sender")
        },
        "pending": sorted(PendingUpdate.objects.values_list("target_id", "kind", "fingerprint")),
        "chats": sorted(Chat.objects.values_list("chat_id", "name", "is_group", "message_count")),
        "senders": sorted(Sender.objects.values_list("sender_id", "name", "is_me")),
    }


def test_every_wapi_fixture_ends_as_the_right_rows(send, wapi_client):
    post_every_wapi_fixture(send)
    assert Message.objects.count() == len(MESSAGE_ROWS)
    assert statuses()[OUT_TEXT] == ("read", at(7, 6, 40), at(7, 6, 52), at(7, 8, 15))
    assert statuses()[OUT_IMAGE] == ("read", at(7, 33, 20), at(7, 36, 0), at(7, 37, 0))
    assert statuses()[OUT_DOC] == ("delivered", at(7, 35, 0), at(7, 36, 0), None)
    assert list(PendingUpdate.objects.values_list("target_id", flat=True)) == [NEVER_ARRIVES]
    assert Message.objects.get(external_id=OUT_TEXT).reactions == {}  # added, then removed
    assert Chat.objects.count() == 2
    assert not WebhookEvent.objects.exclude(status__in=["processed", "ignored"]).exists()
    state = realtime(wapi_client)
    assert (state.connected_phone, state.last_qr_at) == (ME, at(6, 48, 20))


def test_replaying_every_wapi_fixture_in_the_same_order_changes_nothing(send):
    names = post_every_wapi_fixture(send)
    before = conversation_rows()
    for name in names:
        status = send(name).body["status"]
        if name in MESSAGE_ROWS or name.startswith("status") or name == "read_before_delivered":
            assert status == "duplicate", name
    assert conversation_rows() == before


def test_replaying_every_wapi_fixture_backwards_changes_nothing(send):
    names = post_every_wapi_fixture(send)
    before = conversation_rows()
    for name in reversed(names):
        send(name)
    assert conversation_rows() == before


# --- The README sample family ------------------------------------------------------------------

SAMPLE_TEXT = {
    "text": "Olá! Vocês abrem no feriado? 🤔 Preciso de um bolo pra amanhã.",
    "from_me_text": "Abrimos sim, das 8h às 14h! 🎂 Pode encomendar.",
    "group_text": "Gente, alguém sabe o horário da missa de sábado? ⛪",
    "cliente_id_only": "Mensagem sem instanceId, só com cliente_id 👍",
    "reply": "Então reservo um de chocolate, por favor 🍫",
    "ms_timestamp": "Horário em milissegundos ⏱️",
    "bad_timestamp": "Mensagem com horário zerado ❓",
    "future_timestamp": "Mensagem vinda do ano 2200 🚀",
    "image": "Quero um bolo igual a esse 😍",
    "video": "Olha a decoração 🎈",
    "audio": "",
    "document": "",
    "sticker": "",
    "location": "Cristo Redentor",
    "contact": "José Antônio Pereira",
    "readme_sample": "Mensagem de teste",
}
SAMPLE_TYPES = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "document": "document",
    "sticker": "sticker",
    "location": "location",
    "contact": "contact",
}
SAMPLE_TIMES = {
    "text": at(7, 56, 40),
    "image": at(7, 57, 40),
    "video": at(7, 58, 40),
    "audio": at(7, 59, 40),
    "document": at(8, 0, 40),
    "sticker": at(8, 1, 40),
    "location": at(8, 2, 40),
    "contact": at(8, 3, 40),
    "from_me_text": at(8, 4, 40),
    "group_text": at(8, 5, 40),
    "cliente_id_only": at(8, 6, 40),
    "reply": at(8, 7, 40),
    "ms_timestamp": at(8, 8, 40),
    "readme_sample": datetime(2022, 1, 1, tzinfo=UTC),
}
SAMPLE_ANA = "5511987654321@s.whatsapp.net"


def test_every_sample_fixture_has_an_expectation():
    assert {name for _, name in all_fixtures("baileys_sample")} == set(SAMPLE_TEXT)


@pytest.mark.parametrize("name", sorted(SAMPLE_TEXT))
def test_sample_fixture_is_stored(post, auth_headers, sample_client, name):
    payload = fixture("baileys_sample", name)
    reply = post(fixture_bytes("baileys_sample", name), auth_headers)
    assert reply.status == 200, reply.body
    assert (reply.body["status"], reply.body["family"]) == ("processed", "baileys_sample")
    message = Message.objects.select_related("chat", "sender").get()
    assert message.client_id == sample_client.pk
    assert message.external_id == payload["key"]["id"]
    assert message.chat.chat_id == payload["key"]["remoteJid"]
    assert message.type == SAMPLE_TYPES.get(name, "text")
    assert message.text == SAMPLE_TEXT[name]
    assert message.family == "baileys_sample"
    event = WebhookEvent.objects.get(pk=reply.body["event_id"])
    assert (event.client_id, event.client_key, event.status) == (
        sample_client.pk,
        "test_instance",
        "processed",
    )
    if name in SAMPLE_TIMES:
        assert (message.timestamp, message.timestamp_estimated) == (SAMPLE_TIMES[name], False)
    else:  # bad and future timestamps: the time of receipt, flagged
        assert message.timestamp_estimated is True
        assert message.timestamp == event.received_at
        assert abs(datetime.now(tz=UTC) - message.timestamp) < timedelta(hours=1)


def test_sample_sender_chat_and_status(post, auth_headers, sample_client):
    for name in ("text", "from_me_text", "group_text", "reply"):
        post(fixture_bytes("baileys_sample", name), auth_headers)
    rows = {
        m.external_id: (
            m.chat.chat_id,
            m.chat.is_group,
            m.sender.sender_id if m.sender else None,
            m.from_me,
            m.status,
            m.quoted_id,
        )
        for m in Message.objects.select_related("chat", "sender")
    }
    assert rows == {
        "BAE5C81D2F6A4E01": (SAMPLE_ANA, False, SAMPLE_ANA, False, "", ""),
        "BAE5C81D2F6A4E09": (SAMPLE_ANA, False, None, True, "sent", ""),
        "BAE5C81D2F6A4E0A": (GROUP, True, f"{MARIA}@s.whatsapp.net", False, "", ""),
        "BAE5C81D2F6A4E0C": (SAMPLE_ANA, False, SAMPLE_ANA, False, "", "BAE5C81D2F6A4E09"),
    }
    # Our own pushName never names the customer's chat.
    assert Chat.objects.get(chat_id=SAMPLE_ANA).name == ANA_NAME
    assert Sender.objects.get(sender_id=f"{MARIA}@s.whatsapp.net").name == MARIA_NAME


def test_sample_media_location_and_contact_fields(post, auth_headers, sample_client):
    for name in ("audio", "document", "location", "contact", "sticker"):
        post(fixture_bytes("baileys_sample", name), auth_headers)
    audio = Message.objects.get(type="audio")
    assert (audio.is_voice, audio.media_duration, audio.media_mimetype, audio.media_size) == (
        True,
        7,
        "audio/ogg; codecs=opus",
        12045,
    )
    document = Message.objects.get(type="document")
    assert (document.media_file_name, document.media_size) == ("Lista_de_convidados.xlsx", 19876)
    location = Message.objects.get(type="location")
    assert (location.latitude, location.longitude, location.location_name) == (
        -22.9519,
        -43.2105,
        "Cristo Redentor",
    )
    card = fixture("baileys_sample", "contact")["message"]["contactMessage"]["vcard"]
    assert Message.objects.get(type="contact").contacts == [
        {"display_name": "José Antônio Pereira", "vcard": card, "phones": []}
    ]
    sticker = Message.objects.get(type="sticker")
    assert (sticker.media_mimetype, sticker.media_width, sticker.media_height) == (
        "image/webp",
        512,
        512,
    )


def test_cliente_id_identifies_the_client_without_instance_id(post, make_client, settings):
    settings.WEBHOOK_FALLBACK_CLIENT = False
    make_client("another_instance", name="Outra Loja")  # the fallback would pick the wrong one
    client = make_client("test_instance", name="Loja Teste")
    reply = post(
        fixture_bytes("baileys_sample", "cliente_id_only"),
        {"x-webhook-token": client.webhook_token},
    )
    assert reply.status == 200, reply.body
    message = Message.objects.get()
    assert message.client.instance_id == "test_instance"
    assert WebhookEvent.objects.get().client_key == "test_instance"
