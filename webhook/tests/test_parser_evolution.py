"""Evolution API parser: every fixture to its exact normalised events, detection, robustness."""

from __future__ import annotations

import base64
import copy
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from webhook.events import (
    ConnectionEvent,
    ConnectionState,
    Contact,
    ContactEvent,
    DeleteEvent,
    DeliveryStatus,
    EditEvent,
    Event,
    Location,
    Media,
    MessageEvent,
    MessageType,
    ParseContext,
    PresenceEvent,
    QrCodeEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers import detect, evolution
from webhook.tests.helpers import all_fixtures, fixture

FAMILY = "evolution"
CLIENT = "loja-centro"
OWN = "5511912345678@s.whatsapp.net"
MARIA, MARIA_NAME = "5511987654321@s.whatsapp.net", "Maria Souza"
JOAO, JOAO_NAME = "5521998765432@s.whatsapp.net", "João Pereira"
GROUP = "120363041234567890@g.us"

TEXT_ID = "3EB0C7D2A91F4E6B8D21"
SEND_ID = "3EB05A7C9E1B2D4F6A80"
FROM_ME_ID = "3AD1F3B5C7E9A0B2C4D6"
IMAGE_ID = "3EB0D4E5F6A7B8C9D0E1"
VIDEO_ID = "3A7D2F9B1C4E6A8B0D12"
DOC_CAPTION_ID = "3EB0DE45F06712B9DEAB"
GROUP_TEXT_ID = "3EB089F0A178CD648967"
UNKNOWN_ID = "3EB0FFEE00DDCCBBAA99"

SEND_TEXT = "Seu pedido #4521 foi confirmado ✅ Obrigado pela preferência, Maria!"
MMG = "https://mmg.whatsapp.net/v/t62.7118-24/"
VCARD_ANA = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Oliveira;Ana Clara;;;\nFN:Ana Clara Oliveira\n"
    "item1.TEL;waid=5511976543210:+55 11 97654-3210\nitem1.X-ABLabel:Celular\nEND:VCARD"
)
VCARD_BRUNO = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Costa;Bruno;;;\nFN:Bruno Costa\n"
    "item1.TEL;waid=5521987651234:+55 21 98765-1234\nitem1.X-ABLabel:Celular\nEND:VCARD"
)
VCARD_FERNANDA = (
    "BEGIN:VCARD\nVERSION:3.0\nN:Rocha;Fernanda;;;\nFN:Fernanda Rocha\n"
    "item1.TEL;waid=5511934567890:+55 11 93456-7890\nitem1.X-ABLabel:Trabalho\nEND:VCARD"
)


def at(hour: int, minute: int, second: int) -> datetime:
    """A moment of 2025-11-29, in UTC."""
    return datetime(2025, 11, 29, hour, minute, second, tzinfo=UTC)


def from_maria(**fields: Any) -> MessageEvent:
    base: dict[str, Any] = {
        "client_key": CLIENT,
        "chat_id": MARIA,
        "chat_name": MARIA_NAME,
        "sender_id": MARIA,
        "sender_name": MARIA_NAME,
        "status": DeliveryStatus.DELIVERED,
    }
    return MessageEvent(**(base | fields))


def from_joao(**fields: Any) -> MessageEvent:
    base: dict[str, Any] = {
        "client_key": CLIENT,
        "chat_id": JOAO,
        "chat_name": JOAO_NAME,
        "sender_id": JOAO,
        "sender_name": JOAO_NAME,
        "status": DeliveryStatus.DELIVERED,
    }
    return MessageEvent(**(base | fields))


def status(message_id: str, value: DeliveryStatus, chat: str, when: datetime) -> StatusEvent:
    return StatusEvent(
        client_key=CLIENT,
        timestamp=when,
        message_id=message_id,
        status=value,
        chat_id=chat,
        recipient_id=chat,
    )


# fixture name -> (ParseResult.event_type, events in payload order)
EXPECTED: dict[str, tuple[str, list[Event]]] = {
    "text": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 6, 40),
                message_id=TEXT_ID,
                text="Olá! Quero saber o preço 😊",
                subtype="conversation",
            )
        ],
    ),
    "text_extended_reply": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 11, 40),
                message_id="3A1F9C2E7B4D6A8E0C35",
                text="Pode ser entregue amanhã de manhã? 🙏",
                quoted_id=SEND_ID,
                subtype="conversation",
            )
        ],
    ),
    "send_message": (
        "send.message",
        [
            MessageEvent(
                client_key=CLIENT,
                timestamp=at(7, 8, 40),
                message_id=SEND_ID,
                chat_id=MARIA,
                sender_id=OWN,
                from_me=True,
                text=SEND_TEXT,
                status=DeliveryStatus.PENDING,
                subtype="conversation",
            )
        ],
    ),
    "from_me_phone": (
        "messages.upsert",
        [
            MessageEvent(
                client_key=CLIENT,
                timestamp=at(8, 36, 40),
                message_id=FROM_ME_ID,
                chat_id=JOAO,
                sender_id=OWN,
                from_me=True,
                text="Oi João, seu pedido saiu para entrega 🚚",
                status=DeliveryStatus.SENT,
                subtype="conversation",
            )
        ],
    ),
    "image": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 16, 40),
                message_id=IMAGE_ID,
                type=MessageType.IMAGE,
                text="Esse modelo ainda está disponível? 👟",
                media=Media(
                    url=MMG
                    + "66458536_3090765613220359_4814466925107187316_n.enc?ccb=11-4&oh=01_Q5Aac40b6e5e4033b7261941eb133e196f20&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="image/jpeg",
                    sha256="F06EGLJ6hO96rbNTgVCwprgdZbiO1sbyeptnxo3P5N0=",
                    size=245760,
                    width=960,
                    height=1280,
                ),
                subtype="imageMessage",
            )
        ],
    ),
    "video": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 21, 40),
                message_id=VIDEO_ID,
                chat_alt_id="145678901234567@lid",  # phone remoteJid + senderLid: the alt is the LID
                sender_alt_id="145678901234567@lid",
                type=MessageType.VIDEO,
                text="Vídeo da embalagem 📦",
                media=Media(
                    url=MMG
                    + "45908007_7790173033124779_8706379443552004052_n.enc?ccb=11-4&oh=01_Q5Aa89acafc0a795481bae238e9b9489f4b4&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="video/mp4",
                    sha256="/QYA8xCinj0+MlOBqjtyO2yFi6TWAPradFBXZyZp0T0=",
                    size=1843200,
                    duration=12,
                    width=720,
                    height=1280,
                ),
                subtype="videoMessage",
            )
        ],
    ),
    "audio_ptt": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 26, 40),
                message_id="3EB0AB12CD34EF56AB78",
                type=MessageType.AUDIO,
                media=Media(
                    url=MMG
                    + "83324817_6930042358112885_9099279491471941415_n.enc?ccb=11-4&oh=01_Q5Aa033471f1277640caffdbab7db07f0a31&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="audio/ogg; codecs=opus",
                    sha256="qj1h+X1IXI660gsKzKKTvQumFbaDqJ7Bhy6+PeGxjs8=",
                    size=14336,
                    duration=8,
                    voice=True,
                ),
                subtype="audioMessage",
            )
        ],
    ),
    "audio": (
        "messages.upsert",
        [
            from_joao(
                timestamp=at(7, 31, 40),
                message_id="3EB0BC23DE45F067BC89",
                type=MessageType.AUDIO,
                media=Media(  # mediaUrl (S3 copy) wins over the encrypted mmg URL
                    url="https://s3.lojacentro.com.br/evolution/7c9e6679-7425-40de-944b-e07fc1f90ae7/5521998765432@s.whatsapp.net/audioMessage/3EB0BC23DE45F067BC89.mpeg",
                    mimetype="audio/mpeg",
                    sha256="oHRp+hSG798x9nWkOiNGLnhZ7pWqTm4jtiDpdTUd5zs=",
                    size=2960384,
                    duration=185,
                ),
                subtype="audioMessage",
            )
        ],
    ),
    "document": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 36, 40),
                message_id="3EB0CD34EF5601A8CD9A",
                type=MessageType.DOCUMENT,
                media=Media(
                    url=MMG
                    + "33366544_5933077929529759_2951762672867852491_n.enc?ccb=11-4&oh=01_Q5Aa5107eec59859a9615ff79057ac71bebc&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="application/pdf",
                    sha256="5IWN+FTlenBmVFlL7m/NoWctrxMQAVSrfIuPwKsDkfY=",
                    size=184320,
                    file_name="orçamento_novembro.pdf",
                ),
                subtype="documentMessage",
            )
        ],
    ),
    "document_with_caption": (
        "messages.upsert",
        [
            from_joao(
                timestamp=at(7, 41, 40),
                message_id=DOC_CAPTION_ID,
                type=MessageType.DOCUMENT,
                text="Segue a nota fiscal do pedido #4521 ✅",
                media=Media(
                    url=MMG
                    + "22858458_5490969463722690_2360086484087163572_n.enc?ccb=11-4&oh=01_Q5Aadcbc49153db41c83ae52a3d9cd7d62bb&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="application/pdf",
                    sha256="d0AWrBeCSa/UDrzMlJYVrduDPZ9Aj5fxaDsf82+MkDw=",
                    size=98304,
                    file_name="nota_fiscal_4521.pdf",
                ),
                subtype="documentMessage",
            )
        ],
    ),
    "sticker": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 46, 40),  # messageTimestamp as a numeric string
                message_id="3EB0EF56017823CAEFBC",
                type=MessageType.STICKER,
                media=Media(
                    url=MMG
                    + "89646553_4588297341670850_5708107499271470490_n.enc?ccb=11-4&oh=01_Q5Aa7b3eed38d5ee088fb2e58b7849dc0db7&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="image/webp",
                    sha256="6p0yhcU0sZsIq2srTd0UJRY+9Iq7kGwRRviB9xKFTf4=",
                    size=18432,
                    width=512,
                    height=512,
                ),
                subtype="stickerMessage",
            )
        ],
    ),
    "location": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 51, 40),
                message_id="3EB0F067128934DBF0CD",
                type=MessageType.LOCATION,
                text="Avenida Paulista, 1578",
                location=Location(
                    latitude=-23.5613991,
                    longitude=-46.6565712,
                    name="Avenida Paulista, 1578",
                    address="Bela Vista, São Paulo - SP, 01310-200",
                ),
                subtype="locationMessage",
            )
        ],
    ),
    "contact": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(7, 56, 40),
                message_id="3EB001782390A5EC01DE",
                type=MessageType.CONTACT,
                text="Ana Clara Oliveira",
                contacts=(Contact(display_name="Ana Clara Oliveira", vcard=VCARD_ANA),),
                subtype="contactMessage",
            )
        ],
    ),
    "contacts_array": (
        "messages.upsert",
        [
            from_joao(
                timestamp=at(8, 1, 40),  # messageTimestamp as a protobuf Long object
                message_id="3EB012893A01B6FD12EF",
                type=MessageType.CONTACT,
                text="2 contatos",
                contacts=(
                    Contact(display_name="Bruno Costa", vcard=VCARD_BRUNO),
                    Contact(display_name="Fernanda Rocha", vcard=VCARD_FERNANDA),
                ),
                subtype="contactsArrayMessage",
            )
        ],
    ),
    "reaction": (
        "messages.upsert",
        [
            ReactionEvent(
                client_key=CLIENT,
                timestamp=at(8, 6, 40),
                target_id=SEND_ID,
                emoji="❤️",
                chat_id=MARIA,
                sender_id=MARIA,
            )
        ],
    ),
    "reaction_removed": (
        "messages.upsert",
        [
            ReactionEvent(
                client_key=CLIENT,
                timestamp=at(8, 11, 40),
                target_id=SEND_ID,
                emoji="",
                chat_id=MARIA,
                sender_id=MARIA,
            )
        ],
    ),
    "buttons_response": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(8, 16, 40),
                message_id="3EB045BC6D34E9204523",
                type=MessageType.BUTTON,
                text="Confirmar pedido ✅",
                quoted_id=SEND_ID,
                subtype="buttonsResponseMessage",
            )
        ],
    ),
    "list_response": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(8, 21, 40),
                message_id="3EB056CD7E45FA315634",
                type=MessageType.INTERACTIVE,
                text="Entrega expressa 🚀",
                quoted_id=SEND_ID,
                subtype="listResponseMessage",
            )
        ],
    ),
    "ephemeral_text": (
        "messages.upsert",
        [
            from_joao(
                timestamp=at(8, 26, 40),
                message_id="3EB067DE8F56AB426745",
                text="Essa mensagem some em 7 dias ⏳",
                subtype="extendedTextMessage",
            )
        ],
    ),
    "view_once_image": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(8, 31, 40),
                message_id="3EB078EF9067BC537856",
                type=MessageType.IMAGE,
                text="Só pode ver uma vez 👀",
                media=Media(
                    url=MMG
                    + "23040073_1336857474921708_4777942468781571562_n.enc?ccb=11-4&oh=01_Q5Aac428ae71c5e124a8b9244f02098d23b2&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="image/jpeg",
                    sha256="GnEJ2NnXO23CTMQacNEK5uPuDU4FntLWQoe5zMlNo+E=",
                    size=153600,
                    width=1200,
                    height=1600,
                ),
                subtype="imageMessage",
            )
        ],
    ),
    "group_text": (
        "messages.upsert",
        [
            MessageEvent(
                client_key=CLIENT,
                timestamp=at(8, 41, 40),
                message_id=GROUP_TEXT_ID,
                chat_id=GROUP,
                is_group=True,
                sender_id=JOAO,
                sender_name=JOAO_NAME,
                sender_alt_id="210987654321098@lid",
                text="Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado? ☀️",
                status=DeliveryStatus.DELIVERED,
                subtype="conversation",
            )
        ],
    ),
    "lid_sender": (
        "messages.upsert",
        [
            MessageEvent(
                client_key=CLIENT,
                timestamp=at(8, 46, 40),
                message_id="3EB09A01B289DE759A78",
                chat_id="178292625068243@lid",
                chat_name="Carla Mendes",
                chat_alt_id="5531988776655@s.whatsapp.net",
                sender_id="178292625068243@lid",
                sender_name="Carla Mendes",
                sender_alt_id="5531988776655@s.whatsapp.net",
                text="Oi! Vocês entregam em Belo Horizonte?",
                status=DeliveryStatus.DELIVERED,
                subtype="conversation",
            )
        ],
    ),
    "lid_sender_pn": (
        "messages.upsert",
        [
            MessageEvent(
                client_key=CLIENT,
                timestamp=at(8, 51, 40),
                message_id="3EB0AB12C39AEF86AB89",
                chat_id="209341876543210@lid",
                chat_name="Rafael Lima",
                chat_alt_id="5541991234567@s.whatsapp.net",
                sender_id="209341876543210@lid",
                sender_name="Rafael Lima",
                sender_alt_id="5541991234567@s.whatsapp.net",
                text="Boa tarde! Qual o prazo de entrega para Curitiba?",
                status=DeliveryStatus.DELIVERED,
                subtype="conversation",
            )
        ],
    ),
    "image_base64": (
        "messages.upsert",
        [
            from_joao(
                timestamp=at(8, 56, 40),
                message_id="3EB0BC23D4AB0F97BC9A",
                type=MessageType.IMAGE,
                text="Comprovante do Pix 💸",
                media=Media(
                    url=MMG
                    + "61709513_3215893238904351_2243005239913856429_n.enc?ccb=11-4&oh=01_Q5Aa7a3b4ee8178716b633c3177a42f7fa96&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
                    mimetype="image/jpeg",
                    sha256="b3ZfJ3xI0/nvb/c6hqHEUPbLEGkRWqUM0pg2FCoLlNg=",
                    size=2250000,
                    width=1080,
                    height=1920,
                    has_inline_data=True,
                ),
                subtype="imageMessage",
            )
        ],
    ),
    "upsert_revoke": (
        "messages.upsert",
        [DeleteEvent(client_key=CLIENT, timestamp=at(9, 1, 40), target_id=VIDEO_ID, chat_id=MARIA)],
    ),
    "upsert_edit": (
        "messages.upsert",
        [
            # the message as edited, for when the original never arrived (issue 13, defect 2)
            MessageEvent(
                client_key=CLIENT,
                timestamp=at(9, 6, 40),
                message_id=GROUP_TEXT_ID,
                chat_id=GROUP,
                is_group=True,
                sender_id=JOAO,
                sender_name=JOAO_NAME,
                text="Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado e no domingo? ☀️",
                from_edit=True,
            ),
            EditEvent(
                client_key=CLIENT,
                timestamp=at(9, 6, 40),
                target_id=GROUP_TEXT_ID,
                new_text="Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado e no domingo? ☀️",
                chat_id=GROUP,
            ),
        ],
    ),
    "v1_text": (
        "messages.upsert",
        [
            from_maria(
                timestamp=at(9, 16, 40),
                message_id="3EB0EF5607DE32CAEFCD",
                text="Vocês têm o catálogo de Natal? 🎄",
                quoted_id=SEND_ID,  # from the content's own contextInfo (v1 keeps extendedText)
                status=None,  # v1.8 upserts carry no status
                subtype="extendedTextMessage",
            )
        ],
    ),
    # Receipts: v2 has no per-status time, so the envelope date_time (São Paulo local) is used.
    "update_delivered": (
        "messages.update",
        [status(SEND_ID, DeliveryStatus.DELIVERED, MARIA, at(7, 8, 45))],
    ),
    "update_read": (
        "messages.update",
        [status(SEND_ID, DeliveryStatus.READ, MARIA, at(7, 11, 30))],
    ),
    "update_read_before_delivered": (
        "messages.update",
        [status(FROM_ME_ID, DeliveryStatus.READ, JOAO, at(8, 37, 40))],
    ),
    "update_unknown_message": (
        "messages.update",
        [status(UNKNOWN_ID, DeliveryStatus.DELIVERED, MARIA, at(9, 11, 40))],
    ),
    "update_array": (
        "messages.update",
        [
            status(SEND_ID, DeliveryStatus.SENT, MARIA, at(8, 38, 40)),
            status(FROM_ME_ID, DeliveryStatus.DELIVERED, JOAO, at(8, 38, 40)),  # numeric 3
        ],
    ),
    "v1_update": (
        "messages.update",
        [status(FROM_ME_ID, DeliveryStatus.DELIVERED, JOAO, at(8, 37, 30))],  # datetime in ms
    ),
    "delete_revoke": (
        "messages.delete",
        [DeleteEvent(client_key=CLIENT, timestamp=at(7, 20, 0), target_id=IMAGE_ID, chat_id=MARIA)],
    ),
    "delete_api": (
        "messages.delete",
        [
            DeleteEvent(
                client_key=CLIENT, timestamp=at(8, 45, 0), target_id=FROM_ME_ID, chat_id=JOAO
            )
        ],
    ),
    "edited": (
        "messages.edited",
        [
            # the message as edited: sender and direction from the protocolMessage's key
            MessageEvent(
                client_key=CLIENT,
                timestamp=at(7, 10, 0),
                message_id=TEXT_ID,
                chat_id=MARIA,
                sender_id=MARIA,
                text="Olá! Quero saber o preço do tênis azul, tamanho 38 😊",
                from_edit=True,
            ),
            EditEvent(
                client_key=CLIENT,
                timestamp=at(7, 10, 0),
                target_id=TEXT_ID,
                new_text="Olá! Quero saber o preço do tênis azul, tamanho 38 😊",
                chat_id=MARIA,
            ),
        ],
    ),
    "edited_revoke": (
        "messages.edited",
        [
            DeleteEvent(
                client_key=CLIENT, timestamp=at(7, 45, 0), target_id=DOC_CAPTION_ID, chat_id=JOAO
            )
        ],
    ),
    "connection_open": (
        "connection.update",
        [
            ConnectionEvent(
                client_key=CLIENT,
                timestamp=at(6, 50, 0),
                state=ConnectionState.OPEN,
                phone=OWN,
                reason="200",
            )
        ],
    ),
    "connection_close": (
        "connection.update",
        [
            ConnectionEvent(
                client_key=CLIENT,
                timestamp=at(9, 20, 0),
                state=ConnectionState.CLOSED,
                phone=OWN,
                reason="428",
            )
        ],
    ),
    "status_instance": (
        "status.instance",
        [
            ConnectionEvent(
                client_key=CLIENT,
                timestamp=at(12, 10, 0),
                state=ConnectionState.CLOSED,
                reason="401",
            )
        ],
    ),
    "contacts_upsert": (
        "contacts.upsert",
        [
            ContactEvent(
                client_key=CLIENT, timestamp=at(6, 51, 40), contact_id=MARIA, name=MARIA_NAME
            ),
            ContactEvent(
                client_key=CLIENT, timestamp=at(6, 51, 40), contact_id=JOAO, name=JOAO_NAME
            ),
        ],
    ),
    "contacts_update": (
        "contacts.update",
        [
            ContactEvent(
                client_key=CLIENT,
                timestamp=at(8, 46, 50),
                contact_id="5531988776655@s.whatsapp.net",
                name="Carla Mendes",
            )
        ],
    ),
    "chats_upsert": (
        "chats.upsert",
        [
            ContactEvent(
                client_key=CLIENT,
                timestamp=at(6, 53, 20),
                contact_id=GROUP,
                name="Clientes VIP 💎",
                is_group=True,
            ),
            ContactEvent(
                client_key=CLIENT, timestamp=at(6, 53, 20), contact_id=MARIA, name=MARIA_NAME
            ),
        ],
    ),
    "presence_update": (
        "presence.update",
        [
            PresenceEvent(
                client_key=CLIENT, timestamp=at(8, 40, 50), chat_id=JOAO, presence="composing"
            ),
            PresenceEvent(
                client_key=CLIENT, timestamp=at(8, 40, 50), chat_id=MARIA, presence="available"
            ),
        ],
    ),
}

# fixture name -> (event_type, ignored_reason): understood, nothing to apply.
IGNORED: dict[str, tuple[str, str]] = {
    "unhandled_event": ("groups.upsert", "event groups.upsert not handled"),
    "qrcode_limit": ("qrcode.updated", "qrcode.updated: QR code limit reached, please login again"),
}


def load(name: str) -> dict[str, Any]:
    return fixture(FAMILY, name)


def parse(payload: dict[str, Any], **kwargs: Any):
    return evolution.parse(payload, **kwargs)


def edit_of(payload: dict[str, Any]) -> EditEvent:
    """The EditEvent of an edit that names its chat, after the message it may create."""
    message, edit = parse(payload).events
    assert isinstance(message, MessageEvent) and message.from_edit
    assert (message.message_id, message.text) == (edit.target_id, edit.new_text)
    return edit


def only_event(payload: dict[str, Any], **kwargs: Any) -> Any:
    result = parse(payload, **kwargs)
    assert len(result.events) == 1, result
    return result.events[0]


# --- every fixture, every field ---


def test_every_fixture_has_an_expectation() -> None:
    names = {name for _, name in all_fixtures(FAMILY)}
    assert names == set(EXPECTED) | set(IGNORED) | {"qrcode_updated"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_to_expected_events(name: str) -> None:
    event_type, expected = EXPECTED[name]
    result = parse(load(name))
    assert result.family == FAMILY
    assert result.event_type == event_type
    assert result.client_key == CLIENT
    assert result.ignored_reason == ""
    assert list(result.events) == expected


@pytest.mark.parametrize("name", sorted(IGNORED))
def test_ignored_fixtures(name: str) -> None:
    event_type, reason = IGNORED[name]
    result = parse(load(name))
    assert (result.family, result.event_type, result.client_key) == (FAMILY, event_type, CLIENT)
    assert result.events == ()
    assert result.ignored_reason == reason


def test_qrcode_updated() -> None:
    payload = load("qrcode_updated")
    qr = payload["data"]["qrcode"]
    result = parse(payload)
    assert result.event_type == "qrcode.updated"
    assert result.events == (
        QrCodeEvent(
            client_key=CLIENT, timestamp=at(6, 48, 20), code=qr["code"], image=qr["base64"]
        ),
    )
    assert qr["code"].startswith("2@")
    assert qr["base64"].startswith("data:image/png;base64,iVBORw0KGgo")


def test_raw_is_the_data_item_the_event_came_from() -> None:
    payload = load("text")
    assert only_event(payload).raw is payload["data"]
    payload = load("update_array")
    assert [e.raw for e in parse(payload).events] == payload["data"]
    payload = load("presence_update")
    assert parse(payload).events[0].raw is payload["data"]["presences"][JOAO]


def test_extra_records_version_and_source() -> None:
    assert only_event(load("v1_text")).extra == {"version": "v1", "source": "android"}
    assert only_event(load("text_extended_reply")).extra == {"version": "v2", "source": "ios"}


def test_inline_base64_is_flagged_never_copied() -> None:
    payload = load("image_base64")
    blob = payload["data"]["message"]["base64"]
    assert len(blob) >= 3_000_000
    assert len(base64.b64decode(blob, validate=True)) == 2_250_000  # real bytes, validly encoded
    event = only_event(payload)
    assert event.media.has_inline_data is True
    for field in dataclasses.fields(event):
        if field.name != "raw":
            assert blob[:200] not in repr(getattr(event, field.name)), field.name


# --- detection ---


@pytest.mark.parametrize("name", [name for _, name in all_fixtures(FAMILY)])
def test_detects_own_fixtures(name: str) -> None:
    payload = load(name)
    assert detect(payload) is evolution
    assert evolution.client_key(payload) == CLIENT


@pytest.mark.parametrize(("family", "name"), [item for item in all_fixtures() if item[0] != FAMILY])
def test_does_not_claim_other_families(family: str, name: str) -> None:
    assert not evolution.matches(fixture(family, name))
    assert detect(fixture(family, name)) is not evolution


@pytest.mark.parametrize(
    "payload",
    [
        {"instance": "x", "data": {}},  # no event
        {"event": "messages.upsert", "data": {}},  # no instance
        {"event": "messages.upsert", "instance": "x"},  # no data
        {"event": {"type": "Message"}, "instance": "x", "data": {}},  # Wuzapi: event object
        {"event": "messages.upsert", "instance": 7, "data": {}},
        {"event": "message", "session": "default", "payload": {}},  # WAHA
        {"event": "onmessage", "session": "s1", "body": "oi"},  # WPPConnect
        {"object": "whatsapp_business_account", "entry": []},  # Meta
    ],
)
def test_matches_rejects_other_shapes(payload: dict[str, Any]) -> None:
    assert evolution.matches(payload) is False


def test_matches_with_null_data() -> None:
    assert evolution.matches({"event": "application.startup", "instance": "x", "data": None})


# --- event routing ---


@pytest.mark.parametrize("spelling", ["MESSAGES_UPSERT", "messages-upsert", "Messages.Upsert"])
def test_event_name_spellings_route_alike(spelling: str) -> None:
    payload = load("text") | {"event": spelling}
    result = parse(payload)
    assert result.event_type == spelling
    assert result.events == parse(load("text")).events


def test_path_event_used_when_body_has_no_event() -> None:
    payload = load("group_text")
    del payload["event"]
    result = parse(payload, path_event="messages-upsert")
    assert result.event_type == "messages-upsert"
    assert result.events == parse(load("group_text")).events
    assert parse(payload).ignored_reason == "event ? not handled"


def test_body_event_wins_over_path_event() -> None:
    result = parse(load("update_read"), path_event="messages-upsert")
    assert result.event_type == "messages.update"
    assert result.events[0].status is DeliveryStatus.READ


@pytest.mark.parametrize("event", ["application.startup", "call", "labels.edit", "chats.delete"])
def test_other_events_are_ignored(event: str) -> None:
    payload = {"event": event, "instance": CLIENT, "data": {"id": "x"}}
    result = parse(payload)
    assert result.events == ()
    assert result.ignored_reason == f"event {event} not handled"


# --- statuses and states ---


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ERROR", DeliveryStatus.FAILED),
        ("PENDING", DeliveryStatus.PENDING),
        ("SERVER_ACK", DeliveryStatus.SENT),
        ("DELIVERY_ACK", DeliveryStatus.DELIVERED),
        ("READ", DeliveryStatus.READ),
        ("PLAYED", DeliveryStatus.PLAYED),
        ("DELETED", DeliveryStatus.DELETED),
        ("read", DeliveryStatus.READ),
        (0, DeliveryStatus.FAILED),
        (1, DeliveryStatus.PENDING),
        (2, DeliveryStatus.SENT),
        (3, DeliveryStatus.DELIVERED),
        (4, DeliveryStatus.READ),
        ("5", DeliveryStatus.PLAYED),
        ("SEEN_BY_ALIENS", DeliveryStatus.UNKNOWN),
        (42, DeliveryStatus.UNKNOWN),
        ({"x": 1}, None),
    ],
)
def test_update_status_map(raw: Any, expected: DeliveryStatus | None) -> None:
    payload = load("update_delivered")
    payload["data"]["status"] = raw
    result = parse(payload)
    if expected is None:  # no usable status: nothing to apply
        assert result.events == ()
        assert result.ignored_reason == "messages.update: no status in data"
    else:
        assert result.events[0].status is expected


def test_update_uses_key_id_not_evolution_db_id() -> None:
    payload = load("update_read")
    event = only_event(payload)
    assert event.message_id == SEND_ID != payload["data"]["messageId"]


def test_update_about_their_message_names_us_as_recipient() -> None:
    payload = load("update_read")
    payload["data"] |= {"fromMe": False, "keyId": TEXT_ID}
    assert only_event(payload).recipient_id == OWN


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("open", ConnectionState.OPEN),
        ("connecting", ConnectionState.CONNECTING),
        ("close", ConnectionState.CLOSED),
        ("refused", ConnectionState.CLOSED),
        ("OPEN", ConnectionState.OPEN),
        ("teleporting", ConnectionState.UNKNOWN),
        (None, ConnectionState.UNKNOWN),
    ],
)
def test_connection_states(state: Any, expected: ConnectionState) -> None:
    payload = load("connection_open")
    payload["data"]["state"] = state
    assert only_event(payload).state is expected


def test_connection_without_reason_or_wuid() -> None:
    payload = load("connection_open")
    payload["data"] = {"instance": CLIENT, "state": "connecting"}
    event = only_event(payload)
    assert (event.state, event.phone, event.reason) == (ConnectionState.CONNECTING, "", "")


# --- message content details ---


def test_content_context_info_is_used_when_data_has_none() -> None:
    payload = load("buttons_response")
    del payload["data"]["contextInfo"]
    assert only_event(payload).quoted_id == SEND_ID


def test_document_with_caption_unwrapped_by_v2_gateway() -> None:
    payload = load("document_with_caption")
    message = payload["data"]["message"]
    payload["data"]["message"] = message["documentWithCaptionMessage"]["message"]
    assert only_event(payload) == EXPECTED["document_with_caption"][1][0]


def test_from_me_in_a_group_is_our_own_jid() -> None:
    payload = load("group_text")
    payload["data"]["key"]["fromMe"] = True
    event = only_event(payload)
    assert (event.sender_id, event.sender_name, event.sender_alt_id) == (OWN, "", "")
    assert event.from_me is True


def test_from_me_without_envelope_sender_has_empty_sender() -> None:
    payload = load("from_me_phone")
    del payload["sender"]
    assert only_event(payload).sender_id == ""


def test_group_participant_pn_and_lid_alternates() -> None:
    payload = load("group_text")
    key = payload["data"]["key"]
    del key["participantAlt"]
    key |= {"participant": "98765432109876@lid", "participantPn": JOAO}
    event = only_event(payload)
    assert (event.sender_id, event.sender_alt_id, event.chat_alt_id) == (
        "98765432109876@lid",
        JOAO,
        "",
    )


def test_lid_without_any_alternate() -> None:
    payload = load("lid_sender")
    del payload["data"]["key"]["remoteJidAlt"]
    event = only_event(payload)
    assert (event.chat_id, event.chat_alt_id, event.sender_alt_id) == (
        "178292625068243@lid",
        "",
        "",
    )


def test_media_url_at_data_level_and_base64_at_data_level() -> None:
    payload = load("image")
    payload["data"] |= {"mediaUrl": "https://s3.example.com/x.jpeg", "base64": "/9j/4AAQ"}
    media = only_event(payload).media
    assert (media.url, media.has_inline_data) == ("https://s3.example.com/x.jpeg", True)


def test_edit_of_a_caption() -> None:
    payload = load("edited")
    payload["data"]["editedMessage"] = {"imageMessage": {"caption": "Nova legenda ✏️"}}
    assert edit_of(payload).new_text == "Nova legenda ✏️"
    assert parse(payload).events[0].type is MessageType.IMAGE


def test_edit_sent_as_a_whole_message() -> None:
    payload = load("edited")
    payload["data"] = {
        "key": {"remoteJid": MARIA, "fromMe": False, "id": TEXT_ID},
        "message": {"conversation": "Texto corrigido"},
        "messageTimestamp": 1764400200,
        "status": "EDITED",
    }
    assert edit_of(payload) == EditEvent(
        client_key=CLIENT,
        timestamp=at(7, 10, 0),
        target_id=TEXT_ID,
        new_text="Texto corrigido",
        chat_id=MARIA,
    )


def test_numeric_protocol_types() -> None:
    payload = load("edited_revoke")
    payload["data"]["type"] = 0
    assert isinstance(only_event(payload), DeleteEvent)
    payload = load("edited")
    payload["data"]["type"] = 14
    assert isinstance(edit_of(payload), EditEvent)


def test_housekeeping_protocol_messages_are_ignored() -> None:
    payload = load("upsert_revoke")
    payload["data"]["message"]["protocolMessage"]["type"] = "EPHEMERAL_SETTING"
    result = parse(payload)
    assert result.events == ()
    assert result.ignored_reason == "messages.upsert: no message to apply in data"
    payload = load("edited")
    payload["data"] = {"key": {"id": TEXT_ID}, "type": "HISTORY_SYNC_NOTIFICATION"}
    assert parse(payload).ignored_reason == "messages.edited: no edit or revoke in data"


def test_poll_and_unknown_kinds() -> None:
    payload = load("text")
    payload["data"]["message"] = {"pollCreationMessageV3": {"name": "Qual sabor? 🍕"}}
    event = only_event(payload)
    assert (event.type, event.text, event.subtype) == (
        MessageType.UNSUPPORTED,
        "Qual sabor? 🍕",
        "pollCreationMessageV3",
    )
    payload["data"]["message"] = {"hologramMessage": {"depth": 3}}
    assert only_event(payload).type is MessageType.UNKNOWN


def test_message_arrays_are_parsed_in_order() -> None:
    payload = load("text")
    second = copy.deepcopy(payload["data"])
    second["key"]["id"] = "3EB0AAAABBBBCCCCDDDD"
    payload["data"] = [payload["data"], "lixo", 7, second]
    assert [e.message_id for e in parse(payload).events] == [TEXT_ID, "3EB0AAAABBBBCCCCDDDD"]


def test_single_contact_object_and_chat_without_name() -> None:
    payload = load("chats_upsert")
    payload["data"] = {"remoteJid": GROUP}
    event = only_event(payload)
    assert (event.contact_id, event.name, event.is_group) == (GROUP, "", True)


# --- robustness: wrong types ---


@pytest.mark.parametrize(
    ("path", "value", "check"),
    [
        (("message",), "texto solto", lambda e: e.type is MessageType.UNSUPPORTED and e.text == ""),
        (("message",), None, lambda e: e.type is MessageType.UNSUPPORTED),
        (("message", "conversation"), 12345, lambda e: e.text == ""),
        (("pushName",), 123, lambda e: e.sender_name == "123"),
        (("pushName",), {"nome": "x"}, lambda e: e.sender_name == "" and e.chat_name == ""),
        (("key", "fromMe"), "true", lambda e: e.from_me and e.sender_id == OWN),
        (("key", "fromMe"), None, lambda e: not e.from_me and e.sender_id == MARIA),
        (("contextInfo",), "x", lambda e: e.quoted_id == ""),
        (("status",), ["READ"], lambda e: e.status is None),
        (("status",), "WEIRD", lambda e: e.status is DeliveryStatus.UNKNOWN),
        (("messageType",), 9, lambda e: e.subtype == "conversation"),
    ],
)
def test_wrong_types_in_a_message_degrade(path: tuple[str, ...], value: Any, check: Any) -> None:
    payload = load("text")
    target = payload["data"]
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    assert check(only_event(payload))


def test_wrong_types_in_media_and_location_degrade() -> None:
    payload = load("image")
    payload["data"]["message"]["imageMessage"] |= {"fileLength": "abc", "height": [1], "url": 5}
    media = only_event(payload).media
    assert (media.size, media.height, media.url) == (None, None, "5")
    payload = load("location")
    payload["data"]["message"]["locationMessage"] |= {"degreesLatitude": "norte", "name": None}
    event = only_event(payload)
    assert (event.location.latitude, event.location.longitude, event.text) == (
        None,
        -46.6565712,
        "",
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("text", "oops", "messages.upsert: no message to apply in data"),
        ("text", None, "messages.upsert: no message to apply in data"),
        ("update_read", [1, 2], "messages.update: no status in data"),
        ("delete_revoke", 5, "messages.delete: no message key in data"),
        ("edited", [], "messages.edited: no edit or revoke in data"),
        ("connection_open", "open", "connection.update: no connection state in data"),
        ("qrcode_updated", {"qrcode": "2@abc"}, "qrcode.updated: no qrcode in data"),
        ("contacts_upsert", "x", "contacts.upsert: no contact in data"),
        (
            "presence_update",
            {"id": GROUP, "presences": []},
            "presence.update: no presences in data",
        ),
    ],
)
def test_wrong_data_types_are_ignored_with_a_reason(name: str, data: Any, reason: str) -> None:
    payload = load(name)
    payload["data"] = data
    result = parse(payload)
    assert result.events == ()
    assert result.ignored_reason == reason


def test_presence_entry_of_wrong_type() -> None:
    payload = load("presence_update")
    payload["data"]["presences"] = {JOAO: "composing"}
    assert only_event(payload).presence == ""


# --- robustness: missing mandatory ids ---


def _drop(path: tuple[Any, ...]) -> Any:
    def mutate(payload: dict[str, Any]) -> None:
        target = payload
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


@pytest.mark.parametrize(
    ("name", "path", "field"),
    [
        ("text", ("data", "key", "id"), "data.key.id"),
        ("text", ("data", "key", "remoteJid"), "data.key.remoteJid"),
        ("text", ("data", "key"), "data.key.id"),
        ("send_message", ("data", "key", "id"), "data.key.id"),
        (
            "reaction",
            ("data", "message", "reactionMessage", "key", "id"),
            "data.message.reactionMessage.key.id",
        ),
        (
            "upsert_revoke",
            ("data", "message", "protocolMessage", "key", "id"),
            "protocolMessage.key.id",
        ),
        ("update_delivered", ("data", "keyId"), "data.keyId"),
        ("update_array", ("data", 1, "keyId"), "data.keyId"),
        ("v1_update", ("data", "id"), "data.id"),
        ("delete_revoke", ("data", "id"), "data.id"),
        ("delete_api", ("data", "key", "id"), "data.key.id"),
        ("edited", ("data", "key", "id"), "protocolMessage.key.id"),
        ("edited_revoke", ("data", "key"), "protocolMessage.key.id"),
        ("contacts_upsert", ("data", 0, "remoteJid"), "data.id"),
    ],
)
def test_missing_ids_raise_payload_error(name: str, path: tuple[Any, ...], field: str) -> None:
    payload = load(name)
    _drop(path)(payload)
    with pytest.raises(PayloadError) as caught:
        parse(payload)
    assert caught.value.field == field


@pytest.mark.parametrize("value", ["", "   ", None, [], {"id": "x"}])
def test_blank_or_wrong_type_ids_raise(value: Any) -> None:
    payload = load("text")
    payload["data"]["key"]["id"] = value
    with pytest.raises(PayloadError):
        parse(payload)


def test_update_status_map_rejects_db_id_only() -> None:
    payload = load("update_delivered")
    del payload["data"]["keyId"]  # messageId (Evolution's DB id) must not stand in for it
    with pytest.raises(PayloadError):
        parse(payload)


# --- timestamps ---

ENVELOPE_TIME = at(7, 6, 41)  # text.json date_time "2025-11-29T04:06:41.xxxZ" in São Paulo


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1764400000, at(7, 6, 40)),
        ("1764400000", at(7, 6, 40)),
        (1764400000123, at(7, 6, 40)),  # milliseconds
        ({"low": 1764400000, "high": 0, "unsigned": True}, at(7, 6, 40)),  # protobuf Long
        (-1764400000, ENVELOPE_TIME),  # negative: fall back to the envelope
        (0, ENVELOPE_TIME),
        (99999999999999999, ENVELOPE_TIME),  # absurd
        (4102444800, ENVELOPE_TIME),  # 2100: in the future
        ("ontem", ENVELOPE_TIME),
        (None, ENVELOPE_TIME),
        (True, ENVELOPE_TIME),
    ],
)
def test_message_timestamps(value: Any, expected: datetime) -> None:
    payload = load("text")
    payload["data"]["messageTimestamp"] = value
    assert only_event(payload).timestamp == expected


def test_missing_message_timestamp_falls_back_to_envelope_local_time() -> None:
    payload = load("text")
    del payload["data"]["messageTimestamp"]
    assert only_event(payload).timestamp == ENVELOPE_TIME


def test_no_usable_time_at_all_gives_none() -> None:
    payload = load("text")
    payload["data"]["messageTimestamp"] = -5
    payload["date_time"] = "não é data"
    assert only_event(payload).timestamp is None
    del payload["date_time"]
    assert only_event(payload).timestamp is None


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("America/Sao_Paulo", at(7, 6, 41)),
        ("UTC", at(4, 6, 41)),  # a gateway container running with TZ=UTC
        ("Europe/Lisbon", at(4, 6, 41)),
        ("America/Manaus", at(8, 6, 41)),
        ("Mars/Olympus_Mons", at(4, 6, 41)),  # unknown zone: taken as UTC
    ],
)
def test_envelope_time_is_the_gateway_local_time(zone: str, expected: datetime) -> None:
    result = parse(
        load("update_delivered") | {"date_time": "2025-11-29T04:06:41.649Z"},
        context=ParseContext(gateway_tz=zone),
    )
    assert result.events[0].timestamp == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-11-29T04:06:41.649Z", at(7, 6, 41)),
        ("2025-11-29T04:06:41", at(7, 6, 41)),
        ("2025-11-29T04:06:41-03:00", at(7, 6, 41)),  # an explicit offset is trusted
        ("2025-11-29T07:06:41+00:00", at(7, 6, 41)),
        ("", None),
        ("amanhã", None),
        (1764400000, None),
        (None, None),
        ("2999-01-01T00:00:00.000Z", None),  # absurd
        ("1999-01-01T00:00:00.000Z", None),
    ],
)
def test_gateway_time_to_utc(value: Any, expected: datetime | None) -> None:
    assert evolution.gateway_time_to_utc(value, "America/Sao_Paulo") == expected


def test_v1_update_datetime_absurd_falls_back_to_envelope() -> None:
    payload = load("v1_update")
    payload["data"]["datetime"] = -1
    assert only_event(payload).timestamp == at(8, 37, 31)


def test_edit_timestamp_ms_as_long_or_missing() -> None:
    payload = load("edited")
    payload["data"]["timestampMs"] = {"low": 3_463_608_640, "high": 410, "unsigned": True}
    assert edit_of(payload).timestamp == at(7, 10, 0)  # 1764400200000 as a Long
    del payload["data"]["timestampMs"]
    assert edit_of(payload).timestamp == at(7, 10, 1)  # envelope date_time


def test_status_instance_time_falls_back_to_envelope() -> None:
    payload = load("status_instance")
    payload["data"]["disconnectionAt"] = "ontem à noite"
    assert only_event(payload).timestamp == at(12, 10, 0)
