"""Every family's fixtures end to end, through both servers, down to the rows.

A payload of each family and kind, posted to either server (the ``post`` fixture is
parametrized over Django and Flask), ends as the right rows: Message, Chat, Sender,
WebhookEvent, PendingUpdate, ContactStats and RealTimeStats. Then the semantics that cut
across families: statuses never move backwards, updates that arrive before their message are
parked and applied on arrival, deletes/edits/reactions/replies, our own messages and response
times, @lid senders, Meta batches for two numbers, unknown payloads and timestamps.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db.models import Q

from webhook import parsers
from webhook.models import (
    Chat,
    ContactStats,
    Message,
    MessageStats,
    PendingUpdate,
    RealTimeStats,
    Sender,
    WebhookEvent,
)
from webhook.tests.helpers import (
    META_APP_SECRET,
    all_fixtures,
    credentials_for,
    fixture,
    fixture_bytes,
)

pytestmark = pytest.mark.django_db

INSTANCES = {
    "meta_cloud": "106540352242922",
    "evolution": "loja-centro",
    "zapi": "3D2B1A0C9E8F7A6B5C4D",
    "waha": "atendimento",
    "wapi": "LITE-7XK2P9-QW3R8T",
    "baileys_sample": "test_instance",
    "wppconnect": "vendas",
    "ultramsg": "instance105938",
    "wuzapi": "suporte",
}
META_SECOND = "106540352242923"  # the other phone_number_id of the Meta batch
API_TOKEN = "a" * 40

# Fixtures whose single event is a message of the delivery kind below (the rest: the family's).
EVENT_TYPES = {
    "meta_cloud": "messages",
    "evolution": "messages.upsert",
    "zapi": "ReceivedCallback",
    "waha": "message",
    "wapi": "webhookReceived",
    "baileys_sample": "message",
    "wppconnect": "onmessage",
    "ultramsg": "message_received",
    "wuzapi": "Message",
}
EVENT_TYPE_OF = {
    ("evolution", "send_message"): "send.message",
    ("waha", "message_any_from_me"): "message.any",
    ("waha", "message_any_from_me_image"): "message.any",
    ("waha", "message_any_from_me_voice"): "message.any",
    ("wapi", "delivery"): "webhookDelivery",
    ("wapi", "delivery_document"): "webhookDelivery",
    ("wapi", "delivery_image"): "webhookDelivery",
    ("wppconnect", "self_message"): "onselfmessage",
    ("ultramsg", "from_me_text"): "message_create",
}


def at(hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2025, 11, 29, hour, minute, second, tzinfo=UTC)


def ts_of(text: str | None) -> datetime | None:
    """The table's times: "HH:MM:SS" on 2025-11-29, an ISO datetime, or None (no usable time)."""
    if text is None:
        return None
    if len(text) == 8:
        return at(*(int(part) for part in text.split(":")))
    return datetime.fromisoformat(text)


# (family, fixture, external id, expected row). Keys: type text from_me chat is_group sender
# sender_alt mime url voice lat lng contacts quoted status ts (see ts_of).
MESSAGE_ROWS = [
    (
        "baileys_sample",
        "audio",
        "BAE5C81D2F6A4E04",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7117-24/f2/m2cd/AQcddab0e2104279f440c78b95e688?ccb=9-4&oh=01_Q5Aa2w4463&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "voice": True,
            "status": "",
            "ts": "07:59:40",
        },
    ),
    (
        "baileys_sample",
        "bad_timestamp",
        "BAE5C81D2F6A4E0E",
        {
            "type": "text",
            "text": "Mensagem com horário zerado ❓",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "",
            "ts": None,
        },
    ),
    (
        "baileys_sample",
        "cliente_id_only",
        "BAE5C81D2F6A4E0B",
        {
            "type": "text",
            "text": "Mensagem sem instanceId, só com cliente_id 👍",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "",
            "ts": "08:06:40",
        },
    ),
    (
        "baileys_sample",
        "contact",
        "BAE5C81D2F6A4E08",
        {
            "type": "contact",
            "text": "José Antônio Pereira",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "contacts": ["José Antônio Pereira"],
            "status": "",
            "ts": "08:03:40",
        },
    ),
    (
        "baileys_sample",
        "document",
        "BAE5C81D2F6A4E05",
        {
            "type": "document",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7119-24/f2/m205/AQ05d9ec1ad341b52280a177de871a?ccb=9-4&oh=01_Q5Aa2w01e8&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "08:00:40",
        },
    ),
    (
        "baileys_sample",
        "from_me_text",
        "BAE5C81D2F6A4E09",
        {
            "type": "text",
            "text": "Abrimos sim, das 8h às 14h! 🎂 Pode encomendar.",
            "from_me": True,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": None,
            "status": "sent",
            "ts": "08:04:40",
        },
    ),
    (
        "baileys_sample",
        "future_timestamp",
        "BAE5C81D2F6A4E0F",
        {
            "type": "text",
            "text": "Mensagem vinda do ano 2200 🚀",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "",
            "ts": None,
        },
    ),
    (
        "baileys_sample",
        "group_text",
        "BAE5C81D2F6A4E0A",
        {
            "type": "text",
            "text": "Gente, alguém sabe o horário da missa de sábado? ⛪",
            "from_me": False,
            "chat": "120363025678901234@g.us",
            "is_group": True,
            "sender": "5521998765432@s.whatsapp.net",
            "status": "",
            "ts": "08:05:40",
        },
    ),
    (
        "baileys_sample",
        "image",
        "BAE5C81D2F6A4E02",
        {
            "type": "image",
            "text": "Quero um bolo igual a esse 😍",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7118-24/f2/m2fb/AQfbafbcc41fa237672007cc219f26?ccb=9-4&oh=01_Q5Aa2w8d07&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:57:40",
        },
    ),
    (
        "baileys_sample",
        "location",
        "BAE5C81D2F6A4E07",
        {
            "type": "location",
            "text": "Cristo Redentor",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "lat": -22.9519,
            "lng": -43.2105,
            "status": "",
            "ts": "08:02:40",
        },
    ),
    (
        "baileys_sample",
        "ms_timestamp",
        "BAE5C81D2F6A4E0D",
        {
            "type": "text",
            "text": "Horário em milissegundos ⏱️",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "",
            "ts": "08:08:40",
        },
    ),
    (
        "baileys_sample",
        "readme_sample",
        "test_message_123",
        {
            "type": "text",
            "text": "Mensagem de teste",
            "from_me": False,
            "chat": "5511999999999@s.whatsapp.net",
            "sender": "5511999999999@s.whatsapp.net",
            "status": "",
            "ts": "2022-01-01T00:00:00+00:00",
        },
    ),
    (
        "baileys_sample",
        "reply",
        "BAE5C81D2F6A4E0C",
        {
            "type": "text",
            "text": "Então reservo um de chocolate, por favor 🍫",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "quoted": "BAE5C81D2F6A4E09",
            "status": "",
            "ts": "08:07:40",
        },
    ),
    (
        "baileys_sample",
        "sticker",
        "BAE5C81D2F6A4E06",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "image/webp",
            "url": "https://mmg.whatsapp.net/o1/v/t62.15575-24/f2/m2a3/AQa37ce55a3d9f1d2d5709c807861e?ccb=9-4&oh=01_Q5Aa2w915d&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "08:01:40",
        },
    ),
    (
        "baileys_sample",
        "text",
        "BAE5C81D2F6A4E01",
        {
            "type": "text",
            "text": "Olá! Vocês abrem no feriado? 🤔 Preciso de um bolo pra amanhã.",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "",
            "ts": "07:56:40",
        },
    ),
    (
        "baileys_sample",
        "video",
        "BAE5C81D2F6A4E03",
        {
            "type": "video",
            "text": "Olha a decoração 🎈",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "video/mp4",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7161-24/f2/m2e7/AQe79c0dbae5954ec78eb830d72910?ccb=9-4&oh=01_Q5Aa2wd131&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:58:40",
        },
    ),
    (
        "evolution",
        "audio",
        "3EB0BC23DE45F067BC89",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5521998765432@s.whatsapp.net",
            "sender": "5521998765432@s.whatsapp.net",
            "mime": "audio/mpeg",
            "url": "https://s3.lojacentro.com.br/evolution/7c9e6679-7425-40de-944b-e07fc1f90ae7/5521998765432@s.whatsapp.net/audioMessage/3EB0BC23DE45F067BC89.mpeg",
            "status": "delivered",
            "ts": "07:31:40",
        },
    ),
    (
        "evolution",
        "audio_ptt",
        "3EB0AB12CD34EF56AB78",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/83324817_6930042358112885_9099279491471941415_n.enc?ccb=11-4&oh=01_Q5Aa033471f1277640caffdbab7db07f0a31&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "voice": True,
            "status": "delivered",
            "ts": "07:26:40",
        },
    ),
    (
        "evolution",
        "buttons_response",
        "3EB045BC6D34E9204523",
        {
            "type": "button",
            "text": "Confirmar pedido ✅",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "quoted": "3EB05A7C9E1B2D4F6A80",
            "status": "delivered",
            "ts": "08:16:40",
        },
    ),
    (
        "evolution",
        "contact",
        "3EB001782390A5EC01DE",
        {
            "type": "contact",
            "text": "Ana Clara Oliveira",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "contacts": ["Ana Clara Oliveira"],
            "status": "delivered",
            "ts": "07:56:40",
        },
    ),
    (
        "evolution",
        "contacts_array",
        "3EB012893A01B6FD12EF",
        {
            "type": "contact",
            "text": "2 contatos",
            "from_me": False,
            "chat": "5521998765432@s.whatsapp.net",
            "sender": "5521998765432@s.whatsapp.net",
            "contacts": ["Bruno Costa", "Fernanda Rocha"],
            "status": "delivered",
            "ts": "08:01:40",
        },
    ),
    (
        "evolution",
        "document",
        "3EB0CD34EF5601A8CD9A",
        {
            "type": "document",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "application/pdf",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/33366544_5933077929529759_2951762672867852491_n.enc?ccb=11-4&oh=01_Q5Aa5107eec59859a9615ff79057ac71bebc&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "status": "delivered",
            "ts": "07:36:40",
        },
    ),
    (
        "evolution",
        "document_with_caption",
        "3EB0DE45F06712B9DEAB",
        {
            "type": "document",
            "text": "Segue a nota fiscal do pedido #4521 ✅",
            "from_me": False,
            "chat": "5521998765432@s.whatsapp.net",
            "sender": "5521998765432@s.whatsapp.net",
            "mime": "application/pdf",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/22858458_5490969463722690_2360086484087163572_n.enc?ccb=11-4&oh=01_Q5Aadcbc49153db41c83ae52a3d9cd7d62bb&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "status": "delivered",
            "ts": "07:41:40",
        },
    ),
    (
        "evolution",
        "ephemeral_text",
        "3EB067DE8F56AB426745",
        {
            "type": "text",
            "text": "Essa mensagem some em 7 dias ⏳",
            "from_me": False,
            "chat": "5521998765432@s.whatsapp.net",
            "sender": "5521998765432@s.whatsapp.net",
            "status": "delivered",
            "ts": "08:26:40",
        },
    ),
    (
        "evolution",
        "from_me_phone",
        "3AD1F3B5C7E9A0B2C4D6",
        {
            "type": "text",
            "text": "Oi João, seu pedido saiu para entrega 🚚",
            "from_me": True,
            "chat": "5521998765432@s.whatsapp.net",
            "sender": "5511912345678@s.whatsapp.net",
            "status": "sent",
            "ts": "08:36:40",
        },
    ),
    (
        "evolution",
        "group_text",
        "3EB089F0A178CD648967",
        {
            "type": "text",
            "text": "Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado? ☀️",
            "from_me": False,
            "chat": "120363041234567890@g.us",
            "is_group": True,
            "sender": "5521998765432@s.whatsapp.net",
            "sender_alt": "210987654321098@lid",
            "status": "delivered",
            "ts": "08:41:40",
        },
    ),
    (
        "evolution",
        "image",
        "3EB0D4E5F6A7B8C9D0E1",
        {
            "type": "image",
            "text": "Esse modelo ainda está disponível? 👟",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/66458536_3090765613220359_4814466925107187316_n.enc?ccb=11-4&oh=01_Q5Aac40b6e5e4033b7261941eb133e196f20&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "status": "delivered",
            "ts": "07:16:40",
        },
    ),
    (
        "evolution",
        "image_base64",
        "3EB0BC23D4AB0F97BC9A",
        {
            "type": "image",
            "text": "Comprovante do Pix 💸",
            "from_me": False,
            "chat": "5521998765432@s.whatsapp.net",
            "sender": "5521998765432@s.whatsapp.net",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/61709513_3215893238904351_2243005239913856429_n.enc?ccb=11-4&oh=01_Q5Aa7a3b4ee8178716b633c3177a42f7fa96&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "status": "delivered",
            "ts": "08:56:40",
        },
    ),
    (
        "evolution",
        "lid_sender",
        "3EB09A01B289DE759A78",
        {
            "type": "text",
            "text": "Oi! Vocês entregam em Belo Horizonte?",
            "from_me": False,
            "chat": "178292625068243@lid",
            "sender": "178292625068243@lid",
            "sender_alt": "5531988776655@s.whatsapp.net",
            "status": "delivered",
            "ts": "08:46:40",
        },
    ),
    (
        "evolution",
        "lid_sender_pn",
        "3EB0AB12C39AEF86AB89",
        {
            "type": "text",
            "text": "Boa tarde! Qual o prazo de entrega para Curitiba?",
            "from_me": False,
            "chat": "209341876543210@lid",
            "sender": "209341876543210@lid",
            "sender_alt": "5541991234567@s.whatsapp.net",
            "status": "delivered",
            "ts": "08:51:40",
        },
    ),
    (
        "evolution",
        "list_response",
        "3EB056CD7E45FA315634",
        {
            "type": "interactive",
            "text": "Entrega expressa 🚀",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "quoted": "3EB05A7C9E1B2D4F6A80",
            "status": "delivered",
            "ts": "08:21:40",
        },
    ),
    (
        "evolution",
        "location",
        "3EB0F067128934DBF0CD",
        {
            "type": "location",
            "text": "Avenida Paulista, 1578",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "lat": -23.5613991,
            "lng": -46.6565712,
            "status": "delivered",
            "ts": "07:51:40",
        },
    ),
    (
        "evolution",
        "send_message",
        "3EB05A7C9E1B2D4F6A80",
        {
            "type": "text",
            "text": "Seu pedido #4521 foi confirmado ✅ Obrigado pela preferência, Maria!",
            "from_me": True,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511912345678@s.whatsapp.net",
            "status": "pending",
            "ts": "07:08:40",
        },
    ),
    (
        "evolution",
        "sticker",
        "3EB0EF56017823CAEFBC",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "image/webp",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/89646553_4588297341670850_5708107499271470490_n.enc?ccb=11-4&oh=01_Q5Aa7b3eed38d5ee088fb2e58b7849dc0db7&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "status": "delivered",
            "ts": "07:46:40",
        },
    ),
    (
        "evolution",
        "text",
        "3EB0C7D2A91F4E6B8D21",
        {
            "type": "text",
            "text": "Olá! Quero saber o preço 😊",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "delivered",
            "ts": "07:06:40",
        },
    ),
    (
        "evolution",
        "text_extended_reply",
        "3A1F9C2E7B4D6A8E0C35",
        {
            "type": "text",
            "text": "Pode ser entregue amanhã de manhã? 🙏",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "quoted": "3EB05A7C9E1B2D4F6A80",
            "status": "delivered",
            "ts": "07:11:40",
        },
    ),
    (
        "evolution",
        "v1_text",
        "3EB0EF5607DE32CAEFCD",
        {
            "type": "text",
            "text": "Vocês têm o catálogo de Natal? 🎄",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "quoted": "3EB05A7C9E1B2D4F6A80",
            "status": "",
            "ts": "09:16:40",
        },
    ),
    (
        "evolution",
        "video",
        "3A7D2F9B1C4E6A8B0D12",
        {
            "type": "video",
            "text": "Vídeo da embalagem 📦",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "sender_alt": "145678901234567@lid",
            "mime": "video/mp4",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/45908007_7790173033124779_8706379443552004052_n.enc?ccb=11-4&oh=01_Q5Aa89acafc0a795481bae238e9b9489f4b4&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "status": "delivered",
            "ts": "07:21:40",
        },
    ),
    (
        "evolution",
        "view_once_image",
        "3EB078EF9067BC537856",
        {
            "type": "image",
            "text": "Só pode ver uma vez 👀",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/23040073_1336857474921708_4777942468781571562_n.enc?ccb=11-4&oh=01_Q5Aac428ae71c5e124a8b9244f02098d23b2&oe=6951A2B3&_nc_sid=5e03e0&mms3=true",
            "status": "delivered",
            "ts": "08:31:40",
        },
    ),
    (
        "meta_cloud",
        "audio",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA1AA==",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "audio/mpeg",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1203948576612347&ext=1764401000&hash=ATsN885fdbdf16b7e8ba49c43d16",
            "status": "",
            "ts": "07:18:20",
        },
    ),
    (
        "meta_cloud",
        "button",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBEAA==",
        {
            "type": "button",
            "text": "Falar com atendente",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "quoted": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAzAA==",
            "status": "",
            "ts": "07:31:40",
        },
    ),
    (
        "meta_cloud",
        "contacts",
        "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBBAA==",
        {
            "type": "contact",
            "text": "Pedro Álvares Cabral",
            "from_me": False,
            "chat": "5521998765432",
            "sender": "5521998765432",
            "contacts": ["Pedro Álvares Cabral", "Conceição Ribeiro"],
            "status": "",
            "ts": "07:26:40",
        },
    ),
    (
        "meta_cloud",
        "document",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA3AA==",
        {
            "type": "document",
            "text": "Comprovante de pagamento",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "application/pdf",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1203948576612349&ext=1764401200&hash=ATsNbf57e8c817db188eceb058f9",
            "status": "",
            "ts": "07:21:40",
        },
    ),
    (
        "meta_cloud",
        "image",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzAzAA==",
        {
            "type": "image",
            "text": "Foto da peça que quero trocar 📷",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "image/jpeg",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1203948576612345&ext=1764400800&hash=ATsN5f38520f7355ef54025c284a",
            "status": "",
            "ts": "07:15:00",
        },
    ),
    (
        "meta_cloud",
        "interactive_button_reply",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBCAA==",
        {
            "type": "interactive",
            "text": "Confirmar pedido ✅",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "quoted": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAxAA==",
            "status": "",
            "ts": "07:28:20",
        },
    ),
    (
        "meta_cloud",
        "interactive_list_reply",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzBDAA==",
        {
            "type": "interactive",
            "text": "Entrega expressa",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "quoted": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAyAA==",
            "status": "",
            "ts": "07:30:00",
        },
    ),
    (
        "meta_cloud",
        "location",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA5AA==",
        {
            "type": "location",
            "text": "MASP - Museu de Arte de São Paulo",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "lat": -23.5614141,
            "lng": -46.6558819,
            "status": "",
            "ts": "07:25:00",
        },
    ),
    (
        "meta_cloud",
        "order",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzEwAA==",
        {
            "type": "order",
            "text": "Gostaria de finalizar este pedido, por favor",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "status": "",
            "ts": "07:33:20",
        },
    ),
    (
        "meta_cloud",
        "referral",
        "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzEzAA==",
        {
            "type": "text",
            "text": "Olá! Vi o anúncio da promoção e quero saber mais.",
            "from_me": False,
            "chat": "5521998765432",
            "sender": "5521998765432",
            "status": "",
            "ts": "07:38:20",
        },
    ),
    (
        "meta_cloud",
        "sticker",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA4AA==",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "image/webp",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1203948576612350&ext=1764401300&hash=ATsN7eed5733cc9d1da16f88b04a",
            "status": "",
            "ts": "07:23:20",
        },
    ),
    (
        "meta_cloud",
        "system",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzExAA==",
        {
            "type": "system",
            "text": "João Araújo changed their phone number to a new number 5511976540000.",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "status": "",
            "ts": "07:35:00",
        },
    ),
    (
        "meta_cloud",
        "text",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzAxAA==",
        {
            "type": "text",
            "text": "Olá! Quero saber o preço 😊",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "status": "",
            "ts": "07:06:40",
        },
    ),
    (
        "meta_cloud",
        "text_reply",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzAyAA==",
        {
            "type": "text",
            "text": "Sim, pode enviar o catálogo, por favor. Obrigado!",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "quoted": "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
            "status": "",
            "ts": "07:11:40",
        },
    ),
    (
        "meta_cloud",
        "unsupported",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzEyAA==",
        {
            "type": "unsupported",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "status": "",
            "ts": "07:36:40",
        },
    ),
    (
        "meta_cloud",
        "video",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA0AA==",
        {
            "type": "video",
            "text": "Vídeo do defeito na peça",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "video/mp4",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1203948576612346&ext=1764400900&hash=ATsN4d304468945797fa565b94f2",
            "status": "",
            "ts": "07:16:40",
        },
    ),
    (
        "meta_cloud",
        "voice",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzA2AA==",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1203948576612348&ext=1764401100&hash=ATsN1fd6b56bded37ba0dd066ac3",
            "voice": True,
            "status": "",
            "ts": "07:20:00",
        },
    ),
    (
        "waha",
        "message_any_from_me",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        {
            "type": "text",
            "text": "Oi João! O sofá retrátil custa R$ 2.499,00 à vista 🛋️",
            "from_me": True,
            "chat": "5511987654321@c.us",
            "sender": "5511912345678@c.us",
            "status": "sent",
            "ts": "07:07:40",
        },
    ),
    (
        "waha",
        "message_any_from_me_image",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60703",
        {
            "type": "image",
            "text": "Catálogo de sofás – novembro 2025 🛋️",
            "from_me": True,
            "chat": "5511987654321@c.us",
            "sender": "5511912345678@c.us",
            "mime": "image/jpeg",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/true_5511987654321@c.us_3EB0A1B2C3D4E5F60703.jpeg",
            "status": "pending",
            "ts": "07:20:40",
        },
    ),
    (
        "waha",
        "message_any_from_me_voice",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60702",
        {
            "type": "audio",
            "text": "",
            "from_me": True,
            "chat": "5511987654321@c.us",
            "sender": "5511912345678@c.us",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/true_5511987654321@c.us_3EB0A1B2C3D4E5F60702.oga",
            "voice": True,
            "status": "sent",
            "ts": "07:19:40",
        },
    ),
    (
        "waha",
        "message_audio",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718297",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "audio/mpeg",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/false_5511987654321@c.us_3A1B2C3D4E5F60718297.mpga",
            "status": "sent",
            "ts": "07:11:40",
        },
    ),
    (
        "waha",
        "message_document",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718299",
        {
            "type": "document",
            "text": "Segue o orçamento da outra loja, vocês cobrem? 🤔",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "application/pdf",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/false_5511987654321@c.us_3A1B2C3D4E5F60718299.pdf",
            "status": "sent",
            "ts": "07:13:40",
        },
    ),
    (
        "waha",
        "message_group",
        "false_120363041234567890@g.us_3A1B2C3D4E5F6071829D_5521998765432@c.us",
        {
            "type": "text",
            "text": "Bom dia, pessoal! ☀️ Alguém já comprou o sofá retrátil aqui?",
            "from_me": False,
            "chat": "120363041234567890@g.us",
            "is_group": True,
            "sender": "5521998765432@c.us",
            "status": "sent",
            "ts": "07:17:40",
        },
    ),
    (
        "waha",
        "message_image",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718295",
        {
            "type": "image",
            "text": "Foto da sala onde vai o sofá 📷",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "image/jpeg",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/false_5511987654321@c.us_3A1B2C3D4E5F60718295.jpeg",
            "status": "sent",
            "ts": "07:09:40",
        },
    ),
    (
        "waha",
        "message_lid",
        "false_163829475610273@lid_3A1B2C3D4E5F6071829E",
        {
            "type": "text",
            "text": "Boa tarde! Vocês entregam em Niterói? 🚚",
            "from_me": False,
            "chat": "163829475610273@lid",
            "sender": "163829475610273@lid",
            "sender_alt": "5521976543210@s.whatsapp.net",
            "status": "delivered",
            "ts": "07:18:40",
        },
    ),
    (
        "waha",
        "message_location",
        "false_5511987654321@c.us_3A1B2C3D4E5F6071829B",
        {
            "type": "location",
            "text": "Avenida Paulista, 1578 - Bela Vista, São Paulo - SP",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "lat": -23.5613991,
            "lng": -46.6565712,
            "status": "sent",
            "ts": "07:15:40",
        },
    ),
    (
        "waha",
        "message_reply",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718294",
        {
            "type": "text",
            "text": "Ótimo! Dá pra parcelar em 10x sem juros?",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "quoted": "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
            "status": "sent",
            "ts": "07:08:40",
        },
    ),
    (
        "waha",
        "message_sticker",
        "false_5511987654321@c.us_3A1B2C3D4E5F6071829A",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "image/webp",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/false_5511987654321@c.us_3A1B2C3D4E5F6071829A.webp",
            "status": "sent",
            "ts": "07:14:40",
        },
    ),
    (
        "waha",
        "message_text",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718293",
        {
            "type": "text",
            "text": "Olá! Quero saber o preço 😊",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "status": "sent",
            "ts": "07:06:40",
        },
    ),
    (
        "waha",
        "message_vcard",
        "false_5511987654321@c.us_3A1B2C3D4E5F6071829C",
        {
            "type": "contact",
            "text": "Conceição Magalhães",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "contacts": ["Conceição Magalhães"],
            "status": "sent",
            "ts": "07:16:40",
        },
    ),
    (
        "waha",
        "message_video",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718296",
        {
            "type": "video",
            "text": "Vídeo do defeito no pé do sofá 🎬",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "video/mp4",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/false_5511987654321@c.us_3A1B2C3D4E5F60718296.mp4",
            "status": "sent",
            "ts": "07:10:40",
        },
    ),
    (
        "waha",
        "message_voice",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718298",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://waha.lojaexemplo.com.br/api/files/atendimento/false_5511987654321@c.us_3A1B2C3D4E5F60718298.oga",
            "voice": True,
            "status": "sent",
            "ts": "07:12:40",
        },
    ),
    (
        "wapi",
        "audio",
        "3AC9F4D1B28E7A60B105",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "audio/mpeg",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7114-24/f2/m2a5/AQa5ca0b5894324f8bb54bb9fffad2?ccb=9-4&oh=01_Q5Aa2w9d1e&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:16:40",
        },
    ),
    (
        "wapi",
        "contact",
        "3AC9F4D1B28E7A60B10A",
        {
            "type": "contact",
            "text": "José Antônio Pereira",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "contacts": ["José Antônio Pereira"],
            "status": "",
            "ts": "07:25:00",
        },
    ),
    (
        "wapi",
        "contacts_array",
        "3AC9F4D1B28E7A60B10B",
        {
            "type": "contact",
            "text": "2 contatos",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "contacts": ["Lúcia Araújo 🌻", "Tiago Gonçalves"],
            "status": "",
            "ts": "07:26:40",
        },
    ),
    (
        "wapi",
        "delivery",
        "3EB0A7C4D2F19E8B5C01",
        {
            "type": "text",
            "text": "Olá, Ana! Seu pedido nº 4821 saiu para entrega 🚚 Previsão: hoje até 18h.",
            "from_me": True,
            "chat": "5511987654321",
            "sender": "5511912345678",
            "status": "sent",
            "ts": "07:06:40",
        },
    ),
    (
        "wapi",
        "delivery_document",
        "3EB0A7C4D2F19E8B5C03",
        {
            "type": "document",
            "text": "",
            "from_me": True,
            "chat": "5511987654321",
            "sender": "5511912345678",
            "mime": "application/pdf",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7119-24/f2/m2f8/AQf8d5817990f589b9681ba3ac8065?ccb=9-4&oh=01_Q5Aa2wccf0&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "sent",
            "ts": "07:35:00",
        },
    ),
    (
        "wapi",
        "delivery_image",
        "3AB7E21C94D05F6A8E02",
        {
            "type": "image",
            "text": "Cardápio de Natal 🎄 encomendas até 20/12",
            "from_me": True,
            "chat": "5511987654321",
            "sender": "5511912345678",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7118-24/f2/m273/AQ7310686fa4610b803d4433889aa3?ccb=9-4&oh=01_Q5Aa2w7997&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "sent",
            "ts": "07:33:20",
        },
    ),
    (
        "wapi",
        "document",
        "3AC9F4D1B28E7A60B107",
        {
            "type": "document",
            "text": "Segue o comprovante do Pix 📄",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "application/pdf",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7119-24/f2/m2fd/AQfdc3bdefb79cec8eb8211d2499e0?ccb=9-4&oh=01_Q5Aa2w4704&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:20:00",
        },
    ),
    (
        "wapi",
        "ephemeral_text",
        "3AC9F4D1B28E7A60B10F",
        {
            "type": "text",
            "text": "Essa mensagem some em 7 dias ⏳ mas o endereço é Rua das Acácias, 120.",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "status": "",
            "ts": "07:30:00",
        },
    ),
    (
        "wapi",
        "extended_text_reply",
        "3AC9F4D1B28E7A60B102",
        {
            "type": "text",
            "text": "Oba! Muito obrigada 😍 Vocês entregam no sábado também?",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "quoted": "3EB0A7C4D2F19E8B5C01",
            "status": "",
            "ts": "07:08:50",
        },
    ),
    (
        "wapi",
        "group_text",
        "3AC9F4D1B28E7A60B10E",
        {
            "type": "text",
            "text": "Bom dia, pessoal! ☀️ Quem confirma o almoço de domingo na casa da vó? 🍗",
            "from_me": False,
            "chat": "120363025678901234@g.us",
            "is_group": True,
            "sender": "5521998765432",
            "status": "",
            "ts": "07:28:20",
        },
    ),
    (
        "wapi",
        "image",
        "3AC9F4D1B28E7A60B103",
        {
            "type": "image",
            "text": "Olha como ficou a mesa da festa! 🎉🎂",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7118-24/f2/m278/AQ78805a221a988e79ef3f42d7c5bf?ccb=9-4&oh=01_Q5Aa2wd418&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:13:20",
        },
    ),
    (
        "wapi",
        "location",
        "3AC9F4D1B28E7A60B109",
        {
            "type": "location",
            "text": "Museu de Arte de São Paulo",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "lat": -23.5613496,
            "lng": -46.6560501,
            "status": "",
            "ts": "07:23:20",
        },
    ),
    (
        "wapi",
        "sticker",
        "3AC9F4D1B28E7A60B108",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "image/webp",
            "url": "https://mmg.whatsapp.net/o1/v/t62.15575-24/f2/m291/AQ9173f7d7444d3161c4dea50f35f5?ccb=9-4&oh=01_Q5Aa2wd15f&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:21:40",
        },
    ),
    (
        "wapi",
        "text",
        "3AC9F4D1B28E7A60B101",
        {
            "type": "text",
            "text": "Olá! Quero saber o preço do bolo de cenoura com cobertura de chocolate 😊",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "status": "",
            "ts": "07:11:40",
        },
    ),
    (
        "wapi",
        "video",
        "3AC9F4D1B28E7A60B104",
        {
            "type": "video",
            "text": "Vídeo do parabéns 🎥 ficou lindo!",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "video/mp4",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7161-24/f2/m242/AQ421b47ffd946ca083b65cd668c6b?ccb=9-4&oh=01_Q5Aa2w17e6&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:15:00",
        },
    ),
    (
        "wapi",
        "view_once_image",
        "3AC9F4D1B28E7A60B110",
        {
            "type": "image",
            "text": "Só uma vez 👀",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7118-24/f2/m274/AQ7466420fcab17999bb52ebc0b570?ccb=9-4&oh=01_Q5Aa2weade&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "status": "",
            "ts": "07:31:40",
        },
    ),
    (
        "wapi",
        "voice",
        "3AC9F4D1B28E7A60B106",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://mmg.whatsapp.net/o1/v/t62.7117-24/f2/m2b9/AQb95677216e439d96ec4fba1240a3?ccb=9-4&oh=01_Q5Aa2wc1f8&oe=6951F0A2&_nc_sid=e6ed6c&mms3=true",
            "voice": True,
            "status": "",
            "ts": "07:18:20",
        },
    ),
    (
        "zapi",
        "audio",
        "3AF1C2E9B7D4A6E8C0D4",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "mime": "audio/mpeg",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3AF1C2E9B7D4A6E8C0D4.mp3",
            "status": "",
            "ts": "07:18:40",
        },
    ),
    (
        "zapi",
        "audio_ptt",
        "3AF1C2E9B7D4A6E8C0D5",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3AF1C2E9B7D4A6E8C0D5.ogg",
            "voice": True,
            "status": "",
            "ts": "07:19:40",
        },
    ),
    (
        "zapi",
        "buttons_response",
        "3AF1C2E9B7D4A6E8C0DD",
        {
            "type": "button",
            "text": "Sim, confirmar ✅",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "quoted": "3EB0C4F1A2B3D4E5F601",
            "status": "",
            "ts": "07:30:00",
        },
    ),
    (
        "zapi",
        "contact",
        "3AF1C2E9B7D4A6E8C0DA",
        {
            "type": "contact",
            "text": "Conceição Magalhães",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "contacts": ["Conceição Magalhães"],
            "status": "",
            "ts": "07:28:20",
        },
    ),
    (
        "zapi",
        "document",
        "3AF1C2E9B7D4A6E8C0D7",
        {
            "type": "document",
            "text": "",  # defect fixed (issue 13): the title is the name, not a caption
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "mime": "application/pdf",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3AF1C2E9B7D4A6E8C0D7.pdf",
            "status": "",
            "ts": "07:23:20",
        },
    ),
    (
        "zapi",
        "document_with_caption",
        "3AF1C2E9B7D4A6E8CAF1",
        {
            "type": "document",
            "text": "Segue o comprovante 📄",  # the caption, never the name
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "mime": "application/pdf",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3AF1C2E9B7D4A6E8CAF1.pdf",
            "status": "",
            "ts": "07:23:20",
        },
    ),
    (
        "zapi",
        "from_me_audio",
        "3EB0C4F1A2B3D4E5F602",
        {
            "type": "audio",
            "text": "",
            "from_me": True,
            "chat": "5511987654321",
            "sender": "5511912345678",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3EB0C4F1A2B3D4E5F602.ogg",
            "voice": True,
            "status": "sent",
            "ts": "07:35:00",
        },
    ),
    (
        "zapi",
        "from_me_image",
        "3EB0C4F1A2B3D4E5F603",
        {
            "type": "image",
            "text": "Sofá retrátil 3 lugares – tecido suede cinza 🛋️",
            "from_me": True,
            "chat": "5511987654321",
            "sender": "5511912345678",
            "mime": "image/jpeg",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3EB0C4F1A2B3D4E5F603.jpeg",
            "status": "sent",
            "ts": "07:35:50",
        },
    ),
    (
        "zapi",
        "from_me_text",
        "3EB0C4F1A2B3D4E5F601",
        {
            "type": "text",
            "text": "Olá, João! O preço é R$ 149,90 🙂 Posso agendar a entrega?",
            "from_me": True,
            "chat": "5511987654321",
            "sender": "5511912345678",
            "status": "sent",
            "ts": "07:09:40",
        },
    ),
    (
        "zapi",
        "group_text",
        "3EB05D7A1C9F2B4E6D80",
        {
            "type": "text",
            "text": "Bom dia, pessoal! Alguém já comprou com a loja? ☀️",
            "from_me": False,
            "chat": "120363041234567890-group",
            "is_group": True,
            "sender": "5521998765432",
            "sender_alt": "207345678901234@lid",
            "status": "",
            "ts": "07:40:00",
        },
    ),
    (
        "zapi",
        "image",
        "3AF1C2E9B7D4A6E8C0D3",
        {
            "type": "image",
            "text": "Foto da sala onde vai o sofá 📷",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "mime": "image/jpeg",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3AF1C2E9B7D4A6E8C0D3.jpeg",
            "status": "",
            "ts": "07:16:40",
        },
    ),
    (
        "zapi",
        "list_response",
        "3AF1C2E9B7D4A6E8C0DE",
        {
            "type": "interactive",
            "text": "Sábado, das 9h às 12h",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "quoted": "3EB0C4F1A2B3D4E5F601",
            "status": "",
            "ts": "07:31:40",
        },
    ),
    (
        "zapi",
        "location",
        "3AF1C2E9B7D4A6E8C0D9",
        {
            "type": "location",
            "text": "MASP – Museu de Arte de São Paulo",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "lat": -23.5613496,
            "lng": -46.6565712,
            "status": "",
            "ts": "07:26:40",
        },
    ),
    (
        "zapi",
        "notification",
        "1764402100-27",
        {
            "type": "system",
            "text": "GROUP_PARTICIPANT_ADD",
            "from_me": False,
            "chat": "120363041234567890-group",
            "is_group": True,
            "sender": "5521998765432",
            "sender_alt": "207345678901234@lid",
            "status": "",
            "ts": "07:41:40",
        },
    ),
    (
        "zapi",
        "sticker",
        "3AF1C2E9B7D4A6E8C0D8",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "mime": "image/webp",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3AF1C2E9B7D4A6E8C0D8.webp",
            "status": "",
            "ts": "07:25:00",
        },
    ),
    (
        "zapi",
        "text",
        "3AF1C2E9B7D4A6E8C0D1",
        {
            "type": "text",
            "text": "Olá! Quero saber o preço 😊",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "status": "",
            "ts": "07:06:40",
        },
    ),
    (
        "zapi",
        "text_reply",
        "3AF1C2E9B7D4A6E8C0D2",
        {
            "type": "text",
            "text": "Pode ser no sábado às 10h? Obrigado! 🙏",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "quoted": "3EB0C4F1A2B3D4E5F601",
            "status": "",
            "ts": "07:12:40",
        },
    ),
    (
        "zapi",
        "unknown_content",
        "3AF1C2E9B7D4A6E8C0E2",
        {
            "type": "unknown",
            "text": "",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "status": "",
            "ts": "07:43:20",
        },
    ),
    (
        "zapi",
        "video",
        "3AF1C2E9B7D4A6E8C0D6",
        {
            "type": "video",
            "text": "Vídeo do defeito no pé do sofá 🎬",
            "from_me": False,
            "chat": "5511987654321",
            "sender": "5511987654321",
            "sender_alt": "163829475610273@lid",
            "mime": "video/mp4",
            "url": "https://storage.z-api.io/instances/3D2B1A0C9E8F7A6B5C4D/3AF1C2E9B7D4A6E8C0D6.mp4",
            "status": "",
            "ts": "07:21:40",
        },
    ),
    (
        "ultramsg",
        "audio",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D707",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "url": "https://s3.eu-central-1.wasabisys.com/ultramsgmedia/2025/11/105938/3EB0D1E2F3A4B5C6D707.mp3",
            "status": "",
            "ts": "08:10:00",
        },
    ),
    (
        "ultramsg",
        "document",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D708",
        {
            "type": "document",
            "text": "Comprovante do Pix ✅",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "url": "https://s3.eu-central-1.wasabisys.com/ultramsgmedia/2025/11/105938/Comprovante_Pix_Poltrona.pdf",
            "status": "",
            "ts": "08:11:00",
        },
    ),
    (
        "ultramsg",
        "from_me_text",
        "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702",
        {
            "type": "text",
            "text": "Temos sim! Sai por R$ 899,00 😊",
            "from_me": True,
            "chat": "5511987654321@c.us",
            "sender": "5511912345678@c.us",
            "status": "pending",
            "ts": "08:03:00",
        },
    ),
    (
        "ultramsg",
        "group_text",
        "false_120363041234567890@g.us_3EB0D1E2F3A4B5C6D70C_5531988776655@c.us",
        {
            "type": "text",
            "text": "Alguém já comprou a poltrona verde? Vale a pena? 💚",
            "from_me": False,
            "chat": "120363041234567890@g.us",
            "is_group": True,
            "sender": "5531988776655@c.us",
            "status": "",
            "ts": "08:15:00",
        },
    ),
    (
        "ultramsg",
        "image",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D704",
        {
            "type": "image",
            "text": "Ela combina com esse tapete? 🤔",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "url": "https://s3.eu-central-1.wasabisys.com/ultramsgmedia/2025/11/105938/3EB0D1E2F3A4B5C6D704.jpg",
            "status": "",
            "ts": "08:07:00",
        },
    ),
    (
        "ultramsg",
        "location",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D70A",
        {
            "type": "location",
            "text": "Casa da Maria",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "lat": -23.5613496,
            "lng": -46.6565712,
            "status": "",
            "ts": "08:13:00",
        },
    ),
    (
        "ultramsg",
        "ptt",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D706",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "url": "https://s3.eu-central-1.wasabisys.com/ultramsgmedia/2025/11/105938/3EB0D1E2F3A4B5C6D706.oga",
            "voice": True,
            "status": "",
            "ts": "08:09:00",
        },
    ),
    (
        "ultramsg",
        "reply",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D703",
        {
            "type": "text",
            "text": "Perfeito, pode separar uma pra mim 🙏",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "quoted": "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702",
            "status": "",
            "ts": "08:05:00",
        },
    ),
    (
        "ultramsg",
        "sticker",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D709",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "url": "https://s3.eu-central-1.wasabisys.com/ultramsgmedia/2025/11/105938/3EB0D1E2F3A4B5C6D709.webp",
            "status": "",
            "ts": "08:12:00",
        },
    ),
    (
        "ultramsg",
        "text",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D701",
        {
            "type": "text",
            "text": "Oi! Ainda tem a poltrona verde? 🪑",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "status": "",
            "ts": "08:01:00",
        },
    ),
    (
        "ultramsg",
        "unknown_type",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D70D",
        {
            "type": "unknown",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "status": "",
            "ts": "08:16:00",
        },
    ),
    (
        "ultramsg",
        "vcard",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D70B",
        {
            "type": "contact",
            "text": "José Antônio Pereira",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "contacts": ["José Antônio Pereira"],
            "status": "",
            "ts": "08:14:00",
        },
    ),
    (
        "ultramsg",
        "video",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D705",
        {
            "type": "video",
            "text": "Olha o espaço da sala 🎥",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "url": "https://s3.eu-central-1.wasabisys.com/ultramsgmedia/2025/11/105938/3EB0D1E2F3A4B5C6D705.mp4",
            "status": "",
            "ts": "08:08:00",
        },
    ),
    (
        "wppconnect",
        "message_audio",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B707",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "audio/mpeg",
            "url": "https://mmg.whatsapp.net/v/t62.7114-24/61234567_4234567890123456_4234567890123456789_n.enc?ccb=11-4&oh=01_Q5AaI4&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "sent",
            "ts": "07:39:00",
        },
    ),
    (
        "wppconnect",
        "message_document",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B708",
        {
            "type": "document",
            "text": "Segue o orçamento da outra loja 🤔",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "application/pdf",
            "url": "https://mmg.whatsapp.net/v/t62.7119-24/71234567_5234567890123456_5234567890123456789_n.enc?ccb=11-4&oh=01_Q5AaI5&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "sent",
            "ts": "07:40:00",
        },
    ),
    (
        "wppconnect",
        "message_group",
        "false_120363041234567890@g.us_3EB0B1C2D3E4F5A6B70D_5531988776655@c.us",
        {
            "type": "text",
            "text": "Pessoal, a loja abre no feriado? 🎉",
            "from_me": False,
            "chat": "120363041234567890@g.us",
            "is_group": True,
            "sender": "5531988776655@c.us",
            "status": "sent",
            "ts": "07:45:00",
        },
    ),
    (
        "wppconnect",
        "message_image",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B704",
        {
            "type": "image",
            "text": "Foto da sala onde vai ficar o sofá 📷",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/31234567_1234567890123456_1234567890123456789_n.enc?ccb=11-4&oh=01_Q5AaI1&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "sent",
            "ts": "07:36:00",
        },
    ),
    (
        "wppconnect",
        "message_location",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B70A",
        {
            "type": "location",
            "text": "Loja Exemplo Campinas",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "lat": -22.9056391,
            "lng": -47.0608335,
            "status": "sent",
            "ts": "07:42:00",
        },
    ),
    (
        "wppconnect",
        "message_multi_vcard",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B70C",
        {
            "type": "contact",
            "text": "José Antônio Pereira",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "contacts": ["José Antônio Pereira", "Rafael Lima"],
            "status": "sent",
            "ts": "07:44:00",
        },
    ),
    (
        "wppconnect",
        "message_ptt",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B706",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://mmg.whatsapp.net/v/t62.7117-24/51234567_3234567890123456_3234567890123456789_n.enc?ccb=11-4&oh=01_Q5AaI3&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "voice": True,
            "status": "sent",
            "ts": "07:38:00",
        },
    ),
    (
        "wppconnect",
        "message_reply",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B703",
        {
            "type": "text",
            "text": "Ótimo, então vou fechar o pedido 👍",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "quoted": "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
            "status": "sent",
            "ts": "07:34:00",
        },
    ),
    (
        "wppconnect",
        "message_sticker",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B709",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "image/webp",
            "url": "https://mmg.whatsapp.net/v/t62.15575-24/81234567_6234567890123456_6234567890123456789_n.enc?ccb=11-4&oh=01_Q5AaI6&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "sent",
            "ts": "07:41:00",
        },
    ),
    (
        "wppconnect",
        "message_text",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B701",
        {
            "type": "text",
            "text": "Boa tarde! Vocês entregam sofá em Campinas? 🚚",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "status": "sent",
            "ts": "07:30:00",
        },
    ),
    (
        "wppconnect",
        "message_unknown_type",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B70E",
        {
            "type": "unknown",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "status": "sent",
            "ts": "07:46:00",
        },
    ),
    (
        "wppconnect",
        "message_vcard",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B70B",
        {
            "type": "contact",
            "text": "José Antônio Pereira",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "contacts": ["José Antônio Pereira"],
            "status": "sent",
            "ts": "07:43:00",
        },
    ),
    (
        "wppconnect",
        "message_video",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B705",
        {
            "type": "video",
            "text": "Vídeo do pé do sofá quebrado 🎬",
            "from_me": False,
            "chat": "5511987654321@c.us",
            "sender": "5511987654321@c.us",
            "mime": "video/mp4",
            "url": "https://mmg.whatsapp.net/v/t62.7161-24/41234567_2234567890123456_2234567890123456789_n.enc?ccb=11-4&oh=01_Q5AaI2&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "sent",
            "ts": "07:37:00",
        },
    ),
    (
        "wppconnect",
        "self_message",
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
        {
            "type": "text",
            "text": "Entregamos sim, João! Frete grátis acima de R$ 1.500 😉",
            "from_me": True,
            "chat": "5511987654321@c.us",
            "sender": "5511912345678@c.us",
            "status": "sent",
            "ts": "07:32:00",
        },
    ),
    (
        "wuzapi",
        "audio",
        "3EB0F1A2B3C4D5E6F707",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "audio/mpeg",
            "url": "https://mmg.whatsapp.net/v/t62.7114-24/94234567_4444444444444444_4444444444444444444_n.enc?ccb=11-4&oh=01_Q5AaW4&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "",
            "ts": "09:10:00",
        },
    ),
    (
        "wuzapi",
        "contact",
        "3EB0F1A2B3C4D5E6F70B",
        {
            "type": "contact",
            "text": "José Antônio Pereira",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "contacts": ["José Antônio Pereira"],
            "status": "",
            "ts": "09:14:00",
        },
    ),
    (
        "wuzapi",
        "document",
        "3EB0F1A2B3C4D5E6F708",
        {
            "type": "document",
            "text": "Segue a nota fiscal do pedido ✅",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "application/pdf",
            "url": "https://mmg.whatsapp.net/v/t62.7119-24/95234567_5555555555555555_5555555555555555555_n.enc?ccb=11-4&oh=01_Q5AaW5&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "",
            "ts": "09:11:00",
        },
    ),
    (
        "wuzapi",
        "extended_text_reply",
        "3EB0F1A2B3C4D5E6F703",
        {
            "type": "text",
            "text": "Obrigado! Vou ficar de olho 👀",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "quoted": "3EB0F1A2B3C4D5E6F702",
            "status": "",
            "ts": "09:05:00",
        },
    ),
    (
        "wuzapi",
        "from_me_text",
        "3EB0F1A2B3C4D5E6F702",
        {
            "type": "text",
            "text": "Bom dia, João! Saiu hoje cedo, chega até as 18h 🚚",
            "from_me": True,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511912345678@s.whatsapp.net",
            "status": "sent",  # our own, no ack yet
            "ts": "09:03:00",
        },
    ),
    (
        "wuzapi",
        "group_lid_text",
        "3EB0F1A2B3C4D5E6F70C",
        {
            "type": "text",
            "text": "Alguém mais recebeu o pedido hoje? 🙋\u200d♀️",
            "from_me": False,
            "chat": "120363041234567890@g.us",
            "is_group": True,
            "sender": "163829475610273@lid",
            "sender_alt": "5521976543210@s.whatsapp.net",
            "status": "",
            "ts": "09:15:00",
        },
    ),
    (
        "wuzapi",
        "image",
        "3EB0F1A2B3C4D5E6F704",
        {
            "type": "image",
            "text": "A caixa chegou amassada 😕",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "image/jpeg",
            "url": "https://mmg.whatsapp.net/v/t62.7118-24/91234567_1111111111111111_1111111111111111111_n.enc?ccb=11-4&oh=01_Q5AaW1&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "",
            "ts": "09:07:00",
        },
    ),
    (
        "wuzapi",
        "location",
        "3EB0F1A2B3C4D5E6F70A",
        {
            "type": "location",
            "text": "Centro de Distribuição",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "lat": -23.5505199,
            "lng": -46.6333094,
            "status": "",
            "ts": "09:13:00",
        },
    ),
    (
        "wuzapi",
        "sticker",
        "3EB0F1A2B3C4D5E6F709",
        {
            "type": "sticker",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "image/webp",
            "url": "https://mmg.whatsapp.net/v/t62.15575-24/96234567_6666666666666666_6666666666666666666_n.enc?ccb=11-4&oh=01_Q5AaW6&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "status": "",
            "ts": "09:12:00",
        },
    ),
    (
        "wuzapi",
        "text",
        "3EB0F1A2B3C4D5E6F701",
        {
            "type": "text",
            "text": "Bom dia! O pedido #4521 já saiu para entrega? 📦",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "",
            "ts": "09:01:00",
        },
    ),
    (
        "wuzapi",
        "unknown_message",
        "3EB0F1A2B3C4D5E6F70D",
        {
            "type": "unknown",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "status": "",
            "ts": "09:16:00",
        },
    ),
    (
        "wuzapi",
        "video",
        "3EB0F1A2B3C4D5E6F705",
        {
            "type": "video",
            "text": "Vídeo abrindo a caixa 🎥",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "video/mp4",
            "url": "https://wuzapi-media.s3.sa-east-1.amazonaws.com/users/a81b3c5d7e9f/inbox/5511987654321/3EB0F1A2B3C4D5E6F705.mp4",
            "status": "",
            "ts": "09:08:00",
        },
    ),
    (
        "wuzapi",
        "voice",
        "3EB0F1A2B3C4D5E6F706",
        {
            "type": "audio",
            "text": "",
            "from_me": False,
            "chat": "5511987654321@s.whatsapp.net",
            "sender": "5511987654321@s.whatsapp.net",
            "mime": "audio/ogg; codecs=opus",
            "url": "https://mmg.whatsapp.net/v/t62.7117-24/93234567_3333333333333333_3333333333333333333_n.enc?ccb=11-4&oh=01_Q5AaW3&oe=6951F0A2&_nc_sid=5e03e0&mms3=true",
            "voice": True,
            "status": "",
            "ts": "09:09:00",
        },
    ),
]


@pytest.fixture
def clients(make_client, settings) -> dict[str, Any]:
    # Meta signs with its app secret (one app for both numbers: the batch fixture spans two);
    # the other families authenticate with the client's token.
    settings.WEBHOOK_META_APP_SECRET = META_APP_SECRET
    settings.WEBHOOK_FALLBACK_CLIENT = False
    settings.WEBHOOK_API_TOKEN = API_TOKEN
    return {iid: make_client(iid) for iid in [*INSTANCES.values(), META_SECOND]}


@pytest.fixture
def send(post, clients):
    """send(family, fixture name or payload dict, expect=200) -> reply, with the client's token."""

    def go(family: str, body: str | dict[str, Any], *, expect: int = 200):
        token = clients[INSTANCES[family]].webhook_token
        payload = fixture_bytes(family, body) if isinstance(body, str) else body
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False).encode()
        reply = post(payload, credentials_for(family, payload, token))
        assert reply.status == expect, reply.body
        return reply

    return go


def event_of(reply) -> WebhookEvent:
    return WebhookEvent.objects.get(pk=reply.body["event_id"])


def message(family: str, external_id: str) -> Message:
    return Message.objects.select_related("chat", "sender", "client").get(
        client__instance_id=INSTANCES[family], external_id=external_id
    )


def wipe_conversation() -> None:
    """Forget every conversational row (clients and raw events stay)."""
    for model in (PendingUpdate, ContactStats, MessageStats, Message, Sender, Chat):
        model.objects.all().delete()


# --- One payload of each family and kind -> its rows ------------------------------------------


@pytest.mark.parametrize(
    ("family", "name", "external_id", "expected"),
    MESSAGE_ROWS,
    ids=[f"{family}/{name}" for family, name, _, _ in MESSAGE_ROWS],
)
def test_message_fixture_becomes_its_rows(send, family, name, external_id, expected):
    reply = send(family, name)
    assert reply.body["status"] == "processed"
    event = event_of(reply)
    assert (event.family, event.status, event.error) == (family, "processed", "")
    assert event.event_type == EVENT_TYPE_OF.get((family, name), EVENT_TYPES[family])
    assert event.client.instance_id == INSTANCES[family]

    row = message(family, external_id)
    assert row.external_id == external_id
    assert row.webhook_event_id == event.pk
    assert (row.type, row.text, row.from_me, row.status) == (
        expected["type"],
        expected["text"],
        expected["from_me"],
        expected["status"],
    )
    assert (row.chat.chat_id, row.chat.is_group) == (
        expected["chat"],
        expected.get("is_group", False),
    )
    assert (row.media_mimetype, row.media_url, row.is_voice) == (
        expected.get("mime", ""),
        expected.get("url", ""),
        expected.get("voice", False),
    )
    assert (row.latitude, row.longitude) == (expected.get("lat"), expected.get("lng"))
    assert [c["display_name"] for c in row.contacts] == expected.get("contacts", [])
    assert row.quoted_id == expected.get("quoted", "")
    _assert_sender(row, expected)
    _assert_timestamp(row, event, ts_of(expected["ts"]))
    _assert_counted_once(row)


def _assert_sender(row: Message, expected: dict[str, Any]) -> None:
    if expected["sender"] is None:
        assert row.sender is None
        return
    sender, alt = expected["sender"], expected.get("sender_alt", "")
    if sender.endswith("@lid") and alt and not alt.endswith("@lid"):
        sender, alt = alt, sender  # a contact's phone is its primary id, the LID its alternate
    assert (row.sender.sender_id, row.sender.alt_id) == (sender, alt)
    assert row.sender.is_me is expected["from_me"]
    assert Sender.objects.count() == 1


def _assert_timestamp(row: Message, event: WebhookEvent, expected: datetime | None) -> None:
    assert row.timestamp.utcoffset() == timedelta(0)
    if expected is None:  # no usable time in the payload: the time of receipt, flagged
        assert row.timestamp_estimated is True
        assert row.timestamp == event.received_at
    else:
        assert row.timestamp_estimated is False
        assert row.timestamp == expected


def _assert_counted_once(row: Message) -> None:
    chat = Chat.objects.get(pk=row.chat_id)
    assert (chat.message_count, chat.last_message_at, chat.last_message_from_me) == (
        1,
        row.timestamp,
        row.from_me,
    )
    stats = ContactStats.objects.get(chat=chat)
    assert (stats.total, stats.sent, stats.received) == (1, int(row.from_me), int(not row.from_me))
    bucket = MessageStats.objects.get(client=row.client)
    assert (bucket.total, bucket.sent, bucket.received) == (
        1,
        int(row.from_me),
        int(not row.from_me),
    )


def test_every_message_fixture_is_in_the_table():
    """A new message fixture must get a row in MESSAGE_ROWS (or be a batch handled below)."""
    from webhook import parsers
    from webhook.events import MessageEvent

    single = set()
    for family, name in all_fixtures():
        events = parsers.parse(fixture(family, name)).events
        if len(events) == 1 and isinstance(events[0], MessageEvent):
            single.add((family, name))
    assert single == {(family, name) for family, name, _, _ in MESSAGE_ROWS}


# Connection and QR code -> RealTimeStats.
CONNECTION_CASES = [
    ("evolution", "connection_open", "open", "5511912345678@s.whatsapp.net", at(6, 50)),
    ("evolution", "connection_close", "closed", "5511912345678@s.whatsapp.net", at(9, 20)),
    ("evolution", "status_instance", "closed", "", datetime(2025, 11, 29, 12, 10, tzinfo=UTC)),
    ("evolution", "qrcode_updated", "qr_required", "", at(6, 48, 20)),
    ("waha", "session_status_working", "open", "5511912345678@c.us", at(7, 1, 40)),
    ("waha", "session_status_scan_qr", "qr_required", "", at(7, 0, 15)),
    ("waha", "session_status_stopped", "closed", "", at(7, 23, 20)),
    ("zapi", "connected", "open", "5511912345678", at(6, 50)),
    ("zapi", "disconnected", "closed", "", datetime(2025, 11, 30, 8, 6, 40, tzinfo=UTC)),
    ("wapi", "connected", "open", "5511912345678", at(6, 50)),
    ("wapi", "disconnected", "closed", "5511912345678", at(7, 40)),
    ("wapi", "qrcode", "qr_required", "", at(6, 48, 20)),
    # No time in the payload (None): the time of receipt.
    ("wppconnect", "status_find_logged", "open", "", None),
    ("wppconnect", "status_find_not_logged", "qr_required", "", None),
    ("wppconnect", "status_find_closed", "closed", "", None),
    ("wppconnect", "qrcode", "qr_required", "", None),
    ("wuzapi", "connected", "open", "", None),
    ("wuzapi", "pair_success", "open", "5511912345678@s.whatsapp.net", None),
    ("wuzapi", "logged_out", "closed", "", None),
    ("wuzapi", "qr", "qr_required", "", None),
    ("wuzapi", "qr_timeout", "closed", "", None),
    ("wuzapi", "connect_failure", "closed", "", None),
]


@pytest.mark.parametrize(
    ("family", "name", "state", "phone", "changed_at"),
    CONNECTION_CASES,
    ids=[f"{c[0]}/{c[1]}" for c in CONNECTION_CASES],
)
def test_connection_and_qrcode_update_realtime_stats(send, family, name, state, phone, changed_at):
    reply = send(family, name)
    assert (reply.body["status"], event_of(reply).family) == ("processed", family)
    changed_at = changed_at or event_of(reply).received_at
    row = RealTimeStats.objects.get(client__instance_id=INSTANCES[family])
    assert (row.connection_state, row.connected_phone, row.connection_changed_at) == (
        state,
        phone,
        changed_at,
    )
    if name.startswith("qr") and name != "qr_timeout":
        if family != "wuzapi":  # Wuzapi sends the image only
            assert row.last_qr_code.startswith("2@")
        assert row.last_qr_image.startswith("data:image/png;base64,")
        assert row.last_qr_at == changed_at
    assert Message.objects.count() == 0


# Statuses for a message never stored -> parked in PendingUpdate.
UNKNOWN_TARGET_CASES = [
    pytest.param(
        "meta_cloud",
        "status_unknown_message",
        "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzk5AA==",
        id="meta_cloud",
    ),
    pytest.param("evolution", "update_unknown_message", "3EB0FFEE00DDCCBBAA99", id="evolution"),
    pytest.param(
        "waha", "ack_unknown_message", "true_5511987654321@c.us_3EB0A1B2C3D4E5F60799", id="waha"
    ),
    pytest.param("zapi", "status_unknown_message", "3EB0C4F1A2B3D4E5F699", id="zapi"),
    pytest.param(
        "zapi",
        "delivery_error",
        "3EB0C4F1A2B3D4E5F604",
        id="zapi-timeless",
    ),
    pytest.param("wapi", "status_unknown_message", "3EB0A7C4D2F19E8B5C99", id="wapi"),
    pytest.param(
        "wppconnect",
        "ack_unknown_message",
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B799",
        id="wppconnect-timeless",
    ),
    pytest.param(
        "ultramsg",
        "ack_unknown_message",
        "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D799",
        id="ultramsg-timeless",
    ),
    pytest.param("wuzapi", "receipt_unknown_message", "3EB0F1A2B3C4D5E6F799", id="wuzapi"),
]


@pytest.mark.parametrize(("family", "name", "target"), UNKNOWN_TARGET_CASES)
def test_status_for_an_absent_message_is_parked(send, family, name, target):
    reply = send(family, name)
    assert reply.body["status"] == "processed"
    pending = PendingUpdate.objects.get()
    assert (pending.client.instance_id, pending.target_id, pending.kind) == (
        INSTANCES[family],
        target,
        "status",
    )
    assert Message.objects.count() == 0
    assert send(family, name).body["status"] == "duplicate"
    assert PendingUpdate.objects.count() == 1


# Understood payloads that carry nothing to apply -> ignored, with the reason.
IGNORED_CASES = [
    ("evolution", "unhandled_event", "groups.upsert", "groups.upsert"),
    ("evolution", "qrcode_limit", "qrcode.updated", "limit"),
    ("waha", "unhandled_event", "call.received", "call.received"),
    ("wapi", "unhandled_event", "webhookSomethingNew", "webhookSomethingNew"),
    ("meta_cloud", "errors_only", "errors", "130429"),
    ("wppconnect", "unhandled_event", "incomingcall", "incomingcall"),
    ("ultramsg", "unhandled_event", "message_reaction", "message_reaction"),
    ("wuzapi", "history_sync", "HistorySync", "HistorySync"),
]


@pytest.mark.parametrize(
    ("family", "name", "event_type", "reason"),
    IGNORED_CASES,
    ids=[f"{c[0]}/{c[1]}" for c in IGNORED_CASES],
)
def test_unhandled_event_kind_is_ignored_with_reason(send, family, name, event_type, reason):
    reply = send(family, name)
    event = event_of(reply)
    assert (reply.body["status"], event.status) == ("ignored", "ignored")
    assert (event.family, event.event_type, event.client.instance_id) == (
        family,
        event_type,
        INSTANCES[family],
    )
    assert reason in event.error
    assert json.loads(event.body) == {**fixture(family, name), **_masked_fields(event)}
    assert Message.objects.count() == 0


def _masked_fields(event: WebhookEvent) -> dict[str, Any]:
    """Credentials in the body are masked when stored; compare everything else verbatim."""
    stored = json.loads(event.body)
    return {key: stored[key] for key in ("apikey",) if key in stored}


def test_meta_field_without_a_phone_number_id_is_kept_and_ignored(send):
    """message_template_status_update belongs to the WhatsApp Business Account, not a number:
    nothing to apply, so it is ignored (with the reason) whoever it belongs to."""
    reply = send("meta_cloud", "unhandled_field")
    event = event_of(reply)
    assert (event.family, event.event_type, event.status) == (
        "meta_cloud",
        "message_template_status_update",
        "ignored",
    )
    assert event.client is None
    assert event.error


def test_unknown_payload_is_stored_raw_and_listed(send, post, clients, client):
    token = clients[INSTANCES["evolution"]].webhook_token
    reply = post({"foo": "bar"}, {"x-webhook-token": token})
    assert reply.status == 200, reply.body
    event = event_of(reply)
    # No instance in the body: the token says whose delivery it is.
    owner = clients[INSTANCES["evolution"]].pk
    assert (event.family, event.status, event.client_id) == ("unknown", "ignored", owner)
    assert "not recognised" in event.error
    assert json.loads(event.body) == {"foo": "bar"}
    assert event.error  # why it was not applied
    assert event.headers["x-webhook-token"] != token  # the credential is not kept in clear

    listed = client.get(
        "/webhook/events/", {"family": "unknown"}, HTTP_AUTHORIZATION=f"Bearer {API_TOKEN}"
    )
    assert listed.status_code == 200
    items = listed.json()["results"]
    assert [(i["id"], i["family"], i["status"]) for i in items] == [
        (event.pk, "unknown", "ignored")
    ]
    assert items[0]["error"] == event.error
    assert client.get("/webhook/events/").status_code in (401, 403)


def test_unknown_payload_with_the_fallback_client_is_ignored_with_reason(post, clients, settings):
    settings.WEBHOOK_FALLBACK_CLIENT = True
    first = min(clients.values(), key=lambda c: c.pk)
    reply = post({"foo": "bar"}, {"x-webhook-token": first.webhook_token})
    assert reply.status == 200, reply.body
    event = event_of(reply)
    assert (event.family, event.status, event.client_id) == ("unknown", "ignored", first.pk)
    assert "not recognised" in event.error
    assert json.loads(event.body) == {"foo": "bar"}


# --- Statuses only move forward ---------------------------------------------------------------

WAHA_DEVICE_0702 = copy.deepcopy(fixture("waha", "ack_read_before_device"))
WAHA_DEVICE_0702["timestamp"] = 1764400795000  # 07:19:55, before the read (07:20:00)
WAHA_DEVICE_0702["payload"] |= {"ack": 2, "ackName": "DEVICE"}

# (family, message fixture, target, statuses posted read-first, delivered_at, read_at)
FORWARD_CASES = [
    (
        "meta_cloud",
        "message_echo",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
        ["status_read", "status_delivered"],
        at(7, 8, 43),
        at(7, 10),
    ),
    (
        "waha",
        "message_any_from_me",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        ["ack_read", "ack_device"],
        at(7, 7, 45),
        at(7, 8, 30),
    ),
    (
        "waha",
        "message_any_from_me_voice",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60702",
        ["ack_read_before_device", WAHA_DEVICE_0702],
        at(7, 19, 55),
        at(7, 20),
    ),
    (
        "evolution",
        "from_me_phone",
        "3AD1F3B5C7E9A0B2C4D6",
        ["update_read_before_delivered", "v1_update"],
        at(8, 37, 30),
        at(8, 37, 40),
    ),
    (
        "evolution",
        "send_message",
        "3EB05A7C9E1B2D4F6A80",
        ["update_read", "update_delivered"],
        at(7, 8, 45),
        at(7, 11, 30),
    ),
    (
        "zapi",
        "from_me_text",
        "3EB0C4F1A2B3D4E5F601",
        ["status_read", "status_received"],
        at(7, 9, 43),
        at(7, 10, 40),
    ),
    (
        "wapi",
        "delivery",
        "3EB0A7C4D2F19E8B5C01",
        ["status_read", "status_delivered"],
        at(7, 6, 52),
        at(7, 8, 15),
    ),
    (
        "wuzapi",
        "from_me_text",
        "3EB0F1A2B3C4D5E6F702",
        ["receipt_read", "receipt_delivered"],
        at(9, 3, 10),
        at(9, 3, 50),
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "target", "statuses", "delivered_at", "read_at"),
    FORWARD_CASES,
    ids=[f"{c[0]}/{c[1]}" for c in FORWARD_CASES],
)
def test_status_never_moves_backwards(
    send, family, origin, target, statuses, delivered_at, read_at
):
    send(family, origin)
    for status in statuses:
        assert send(family, status).body["status"] == "processed"
    row = message(family, target)
    assert row.status == "read"
    assert (row.delivered_at, row.read_at) == (delivered_at, read_at)
    assert row.sent_at is not None and row.sent_at <= delivered_at
    assert row.played_at is None
    bucket = MessageStats.objects.get(
        client=row.client, period_start=row.timestamp.replace(minute=0, second=0)
    )
    assert (bucket.delivered, bucket.read) == (1, 1)
    stale = {"waha": "ack_server", "zapi": "status_sent"}.get(family)
    if stale and target.endswith(("0701", "F601")):  # "sent" after "read", later than sent_at
        sent_at = row.sent_at
        assert send(family, stale).body["status"] == "duplicate"
        assert (message(family, target).status, message(family, target).sent_at) == (
            "read",
            sent_at,
        )
    for status in (statuses[-1], statuses[0]):  # the same status again: nothing to do
        reply = send(family, status)
        assert (reply.body["status"], event_of(reply).status) == ("duplicate", "duplicate")
    assert message(family, target).status == "read"


def test_terminal_failed_status_sticks(send):
    send("waha", "message_any_from_me_image")
    assert send("waha", "ack_error").body["status"] == "processed"
    fake_read = copy.deepcopy(fixture("waha", "ack_read"))
    fake_read["payload"]["id"] = "true_5511987654321@c.us_3EB0A1B2C3D4E5F60703"
    send("waha", fake_read)
    row = message("waha", "true_5511987654321@c.us_3EB0A1B2C3D4E5F60703")
    assert (row.status, row.failed_at) == ("failed", at(7, 20, 45))


# --- Updates that arrive before their message --------------------------------------------------

# (family, message fixtures, update fixtures, target, kinds parked)
PARKED_CASES = [
    (
        "meta_cloud",
        ["message_echo"],
        ["status_read", "status_delivered"],
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
        {"status"},
    ),
    (
        "meta_cloud",
        ["message_echo"],
        ["reaction"],
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE5AA==",
        {"reaction"},
    ),
    # Edits that say their chat create their message instead (issue 13, defect 2): see
    # test_edit_paths.py; an edit without its chat is still parked there.
    ("evolution", ["image"], ["delete_revoke"], "3EB0D4E5F6A7B8C9D0E1", {"delete"}),
    (
        "evolution",
        ["send_message"],
        ["update_read", "update_delivered", "reaction"],
        "3EB05A7C9E1B2D4F6A80",
        {"status", "reaction"},
    ),
    (
        "waha",
        ["message_any_from_me"],
        ["reaction", "ack_read", "ack_device"],
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        {"status", "reaction"},
    ),
    (
        "waha",
        ["message_video"],
        ["revoked"],
        "false_5511987654321@c.us_3A1B2C3D4E5F60718296",
        {"delete"},
    ),
    (
        "zapi",
        ["from_me_text"],
        ["status_read", "status_received", "reaction"],
        "3EB0C4F1A2B3D4E5F601",
        {"status", "reaction"},
    ),
    ("zapi", ["image"], ["revoke"], "3AF1C2E9B7D4A6E8C0D3", {"delete"}),
    (
        "wapi",
        ["delivery"],
        ["status_read", "status_delivered", "reaction"],
        "3EB0A7C4D2F19E8B5C01",
        {"status", "reaction"},
    ),
    # WPPConnect's acks carry no time (their receipt time differs between the two runs).
    (
        "wppconnect",
        ["self_message"],
        ["reaction"],
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
        {"reaction"},
    ),
    (
        "ultramsg",
        ["image"],
        ["revoked"],
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D704",
        {"delete"},
    ),
    (
        "wuzapi",
        ["from_me_text"],
        ["receipt_read", "receipt_delivered", "reaction"],
        "3EB0F1A2B3C4D5E6F702",
        {"status", "reaction"},
    ),
    ("wuzapi", ["image"], ["revoke"], "3EB0F1A2B3C4D5E6F704", {"delete"}),
]

UPDATE_FIELDS = (
    "status",
    "sent_at",
    "delivered_at",
    "read_at",
    "played_at",
    "deleted_at",
    "is_deleted",
    "text",
    "edit_history",
    "reactions",
    "type",
    "timestamp",
)


def _state(family: str, target: str) -> dict[str, Any]:
    row = message(family, target)
    client = row.client
    stats = list(
        MessageStats.objects.filter(client=client)
        .order_by("period_start")
        .values("period_start", "total", "sent", "received", "delivered", "read", "failed")
    )
    return {"message": {f: getattr(row, f) for f in UPDATE_FIELDS}, "stats": stats}


@pytest.mark.parametrize(
    ("family", "messages", "updates", "target", "kinds"),
    PARKED_CASES,
    ids=[f"{c[0]}/{'+'.join(c[2])}" for c in PARKED_CASES],
)
def test_update_before_its_message_is_parked_then_applied(
    send, family, messages, updates, target, kinds
):
    for name in [*messages, *updates]:
        send(family, name)
    in_order = _state(family, target)
    assert PendingUpdate.objects.count() == 0

    wipe_conversation()
    for name in updates:
        assert send(family, name).body["status"] == "processed"
    parked = set(PendingUpdate.objects.filter(target_id=target).values_list("kind", flat=True))
    assert parked == kinds
    for name in messages:
        send(family, name)
    assert PendingUpdate.objects.filter(target_id=target).count() == 0
    assert _state(family, target) == in_order


def test_a_wuzapi_edit_whose_original_never_arrived_creates_the_message(send):
    """As Z-API's: whatsmeow's edit names its target; the message is created with the new text."""
    target = "3EB0F1A2B3C4D5E6F701"
    assert send("wuzapi", "edit").body["status"] == "processed"
    assert PendingUpdate.objects.count() == 0
    row = message("wuzapi", target)
    assert row.text == "Bom dia! O pedido #4521 já saiu para entrega? Moro no apto 52 📦"
    assert row.edit_history == []
    assert MessageStats.objects.get(client=row.client).received == 1
    # The late original completes the row (its time; its text first in the history).
    original_text = parsers.parse(fixture("wuzapi", "text")).events[0].text
    assert send("wuzapi", "text").body["status"] == "processed"
    late = message("wuzapi", target)
    assert late.text == row.text
    assert late.edit_history == [
        {"text": original_text, "replaced_at": row.timestamp.isoformat()}
    ]
    assert late.timestamp < row.timestamp and not late.created_by_edit
    assert MessageStats.objects.get(client=row.client).received == 1


@pytest.mark.parametrize(
    ("family", "origin", "target"),
    [
        ("wppconnect", "self_message", "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702"),
        ("ultramsg", "from_me_text", "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702"),
    ],
)
def test_timeless_acks_never_move_backwards(send, family, origin, target):
    """WPPConnect's and UltraMsg's acks carry the message's time, not theirs: each is applied
    at its time of receipt, and a late lower ack changes nothing."""
    send(family, origin)
    read = send(family, "ack_read")
    assert read.body["status"] == "processed"
    for stale in ("ack_device", "ack_server"):
        assert send(family, stale).body["status"] == "duplicate"
    row = message(family, target)
    assert (row.status, row.read_at) == ("read", event_of(read).received_at)


def test_a_zapi_edit_whose_original_never_arrived_creates_the_message(send):
    """Issue 13, defect 2: the edit carries the whole message; it used to be parked forever."""
    target = "3AF1C2E9B7D4A6E8C0D1"
    assert send("zapi", "edit").body["status"] == "processed"
    assert PendingUpdate.objects.count() == 0
    row = message("zapi", target)
    assert row.text == "Olá! Quero saber o preço e o prazo de entrega 😊"
    assert row.edit_history == []  # there was no earlier text to keep
    assert MessageStats.objects.get(client=row.client).received == 1
    # The original, arriving late, does not bring the old text back or count twice: it
    # completes the row (its own time; its text first in the history), as if it came first.
    assert send("zapi", "text").body["status"] == "processed"
    late = message("zapi", target)
    assert late.text == row.text
    assert late.edit_history == [
        {"text": "Olá! Quero saber o preço 😊", "replaced_at": row.timestamp.isoformat()}
    ]
    assert late.timestamp < row.timestamp and not late.created_by_edit
    assert MessageStats.objects.get(client=row.client).received == 1


# --- Deletes, edits, reactions, replies --------------------------------------------------------

# (family, message fixture, delete fixture, target, text kept, deleted_at)
DELETE_CASES = [
    (
        "evolution",
        "image",
        "delete_revoke",
        "3EB0D4E5F6A7B8C9D0E1",
        "Esse modelo ainda está disponível? 👟",
        at(7, 20),
    ),
    (
        "evolution",
        "video",
        "upsert_revoke",
        "3A7D2F9B1C4E6A8B0D12",
        "Vídeo da embalagem 📦",
        at(9, 1, 40),
    ),
    (
        "evolution",
        "document_with_caption",
        "edited_revoke",
        "3EB0DE45F06712B9DEAB",
        "Segue a nota fiscal do pedido #4521 ✅",
        at(7, 45),
    ),
    (
        "evolution",
        "from_me_phone",
        "delete_api",
        "3AD1F3B5C7E9A0B2C4D6",
        "Oi João, seu pedido saiu para entrega 🚚",
        at(8, 45),
    ),
    (
        "waha",
        "message_video",
        "revoked",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718296",
        "Vídeo do defeito no pé do sofá 🎬",
        at(7, 10, 50),
    ),
    (
        "zapi",
        "image",
        "revoke",
        "3AF1C2E9B7D4A6E8C0D3",
        "Foto da sala onde vai o sofá 📷",
        at(7, 38, 20),
    ),
    (
        "wppconnect",  # onrevokedmessage carries no time: deleted at the time of receipt
        "message_image",
        "revoked",
        "false_5511987654321@c.us_3EB0B1C2D3E4F5A6B704",
        "Foto da sala onde vai ficar o sofá 📷",
        None,
    ),
    (
        "ultramsg",
        "image",
        "revoked",
        "false_5511987654321@c.us_3EB0D1E2F3A4B5C6D704",
        "Ela combina com esse tapete? 🤔",
        at(8, 17),
    ),
    (
        "wuzapi",
        "image",
        "revoke",
        "3EB0F1A2B3C4D5E6F704",
        "A caixa chegou amassada 😕",
        at(9, 7, 30),
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "delete", "target", "text", "deleted_at"),
    DELETE_CASES,
    ids=[f"{c[0]}/{c[2]}" for c in DELETE_CASES],
)
def test_delete_marks_the_message_and_keeps_its_text(
    send, family, origin, delete, target, text, deleted_at
):
    send(family, origin)
    reply = send(family, delete)
    assert reply.body["status"] == "processed"
    deleted_at = deleted_at or event_of(reply).received_at
    row = message(family, target)
    assert (row.is_deleted, row.status, row.text, row.deleted_at) == (
        True,
        "deleted",
        text,
        deleted_at,
    )
    assert Message.objects.count() == 1  # the row stays; nothing new is created
    assert send(family, delete).body["status"] == "duplicate"


# (family, message fixture, edit fixture, target, old text, new text, edited at)
EDIT_CASES = [
    (
        "evolution",
        "text",
        "edited",
        "3EB0C7D2A91F4E6B8D21",
        "Olá! Quero saber o preço 😊",
        "Olá! Quero saber o preço do tênis azul, tamanho 38 😊",
        at(7, 10),
    ),
    (
        "evolution",
        "group_text",
        "upsert_edit",
        "3EB089F0A178CD648967",
        "Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado? ☀️",
        "Bom dia, pessoal! Alguém sabe o horário de funcionamento no sábado e no domingo? ☀️",
        at(9, 6, 40),
    ),
    (
        "waha",
        "message_text",
        "edited",
        "false_5511987654321@c.us_3A1B2C3D4E5F60718293",
        "Olá! Quero saber o preço 😊",
        "Olá! Quero saber o preço do sofá retrátil cinza 😊",
        at(7, 9, 10),
    ),
    (
        "zapi",
        "text",
        "edit",
        "3AF1C2E9B7D4A6E8C0D1",
        "Olá! Quero saber o preço 😊",
        "Olá! Quero saber o preço e o prazo de entrega 😊",
        at(7, 33, 20),
    ),
    (
        "wuzapi",
        "text",
        "edit",
        "3EB0F1A2B3C4D5E6F701",
        "Bom dia! O pedido #4521 já saiu para entrega? 📦",
        "Bom dia! O pedido #4521 já saiu para entrega? Moro no apto 52 📦",
        at(9, 2),
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "edit", "target", "old", "new", "edited_at"),
    EDIT_CASES,
    ids=[f"{c[0]}/{c[2]}" for c in EDIT_CASES],
)
def test_edit_replaces_text_and_keeps_history(
    send, family, origin, edit, target, old, new, edited_at
):
    send(family, origin)
    assert send(family, edit).body["status"] == "processed"
    row = message(family, target)
    assert row.text == new
    assert row.edit_history == [{"text": old, "replaced_at": edited_at.isoformat()}]
    assert row.is_deleted is False
    assert send(family, edit).body["status"] == "duplicate"
    assert message(family, target).edit_history == row.edit_history


# (family, message fixture, target, reacting sender, emoji)
REACTION_CASES = [
    (
        "meta_cloud",
        "message_echo",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE5AA==",
        "5511987654321",
        "😍",
    ),
    ("evolution", "send_message", "3EB05A7C9E1B2D4F6A80", "5511987654321@s.whatsapp.net", "❤️"),
    (
        "waha",
        "message_any_from_me",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        "5511987654321@c.us",
        "❤️",
    ),
    ("zapi", "from_me_text", "3EB0C4F1A2B3D4E5F601", "5511987654321", "❤️"),
    ("wapi", "delivery", "3EB0A7C4D2F19E8B5C01", "5511987654321", "❤️"),
    (
        "wppconnect",
        "self_message",
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
        "5511987654321@c.us",
        "❤️",
    ),
    (
        "wuzapi",
        "from_me_text",
        "3EB0F1A2B3C4D5E6F702",
        "5511987654321@s.whatsapp.net",
        "❤️",
    ),
]


@pytest.mark.parametrize(
    ("family", "origin", "target", "who", "emoji"),
    REACTION_CASES,
    ids=[c[0] for c in REACTION_CASES],
)
def test_reaction_is_set_and_its_removal_clears_it(send, family, origin, target, who, emoji):
    send(family, origin)
    assert send(family, "reaction").body["status"] == "processed"
    assert message(family, target).reactions == {who: emoji}
    assert send(family, "reaction").body["status"] == "duplicate"
    assert send(family, "reaction_removed").body["status"] == "processed"
    assert message(family, target).reactions == {}
    # Replaying the older reaction after its removal does not bring it back.
    assert send(family, "reaction").body["status"] == "duplicate"
    assert message(family, target).reactions == {}
    assert not Message.objects.filter(type="reaction").exists()


# (family, quoted fixture, reply fixture, quoted id)
REPLY_CASES = [
    (
        "meta_cloud",
        "message_echo",
        "text_reply",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
    ),
    ("evolution", "send_message", "text_extended_reply", "3EB05A7C9E1B2D4F6A80"),
    (
        "waha",
        "message_any_from_me",
        "message_reply",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
    ),
    ("zapi", "from_me_text", "text_reply", "3EB0C4F1A2B3D4E5F601"),
    ("wapi", "delivery", "extended_text_reply", "3EB0A7C4D2F19E8B5C01"),
    ("baileys_sample", "from_me_text", "reply", "BAE5C81D2F6A4E09"),
    ("wppconnect", "self_message", "message_reply", "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702"),
    ("ultramsg", "from_me_text", "reply", "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702"),
    ("wuzapi", "from_me_text", "extended_text_reply", "3EB0F1A2B3C4D5E6F702"),
]


@pytest.mark.parametrize(
    ("family", "quoted", "reply_name", "quoted_id"), REPLY_CASES, ids=[c[0] for c in REPLY_CASES]
)
def test_reply_points_at_the_quoted_message(send, family, quoted, reply_name, quoted_id):
    send(family, quoted)
    reply = send(family, reply_name)
    answer = Message.objects.get(webhook_event_id=reply.body["event_id"])
    assert answer.quoted_id == quoted_id
    original = message(family, answer.quoted_id)
    assert (original.chat_id, original.from_me, answer.from_me) == (answer.chat_id, True, False)


# --- Our own messages and response times -------------------------------------------------------

# (family, inbound fixture, our reply fixture, reply id, seconds to answer)
RESPONSE_CASES = [
    (
        "meta_cloud",
        "text",
        "message_echo",
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBBMUIyQzNENEU1RjYwNzE4AA==",
        120,
    ),
    ("evolution", "text", "send_message", "3EB05A7C9E1B2D4F6A80", 120),
    ("evolution", "audio", "from_me_phone", "3AD1F3B5C7E9A0B2C4D6", 3900),
    (
        "waha",
        "message_text",
        "message_any_from_me",
        "true_5511987654321@c.us_3EB0A1B2C3D4E5F60701",
        60,
    ),
    ("zapi", "text", "from_me_text", "3EB0C4F1A2B3D4E5F601", 180),
    ("wapi", "text", "delivery_image", "3AB7E21C94D05F6A8E02", 1300),
    ("baileys_sample", "text", "from_me_text", "BAE5C81D2F6A4E09", 480),
    (
        "wppconnect",
        "message_text",
        "self_message",
        "true_5511987654321@c.us_3EB0B1C2D3E4F5A6B702",
        120,
    ),
    ("ultramsg", "text", "from_me_text", "true_5511987654321@c.us_3EB0D1E2F3A4B5C6D702", 120),
    ("wuzapi", "text", "from_me_text", "3EB0F1A2B3C4D5E6F702", 120),
]


@pytest.mark.parametrize(
    ("family", "inbound", "ours", "ours_id", "seconds"),
    RESPONSE_CASES,
    ids=[f"{c[0]}/{c[2]}" for c in RESPONSE_CASES],
)
def test_our_reply_is_from_me_and_answers_the_chat(send, family, inbound, ours, ours_id, seconds):
    send(family, inbound)
    waiting = ContactStats.objects.get()
    assert waiting.waiting_since is not None and waiting.responses == 0
    send(family, ours)
    reply = message(family, ours_id)
    assert reply.from_me is True
    assert reply.status in ("sent", "pending")
    stats = ContactStats.objects.get(chat=reply.chat)
    assert (stats.responses, stats.waiting_since, stats.first_response_seconds) == (
        1,
        None,
        seconds,
    )
    assert stats.sent >= 1 and stats.received == 1
    chat = reply.chat
    chat.refresh_from_db()
    assert chat.last_message_from_me is True


# --- @lid: one Sender under both ids -----------------------------------------------------------


def _from_phone(phone: str, name: str) -> dict[str, Any]:
    """Evolution's text fixture, sent by the phone JID of someone we also see as an @lid."""
    payload = copy.deepcopy(fixture("evolution", "text"))
    payload["data"]["key"] |= {"remoteJid": phone, "id": "3EB0PHONE000000000001"}
    payload["data"]["pushName"] = name
    return payload


@pytest.mark.parametrize("phone_first", [True, False], ids=["phone_first", "lid_first"])
@pytest.mark.parametrize(
    ("name", "lid", "phone", "person"),
    [
        ("lid_sender", "178292625068243@lid", "5531988776655@s.whatsapp.net", "Carla Mendes"),
        ("lid_sender_pn", "209341876543210@lid", "5541991234567@s.whatsapp.net", "Rafael Lima"),
    ],
)
def test_lid_and_phone_are_one_sender(send, name, lid, phone, person, phone_first):
    posts = [_from_phone(phone, person), name]
    for body in posts if phone_first else posts[::-1]:
        assert send("evolution", body).body["status"] == "processed"
    sender = Sender.objects.get()
    assert {sender.sender_id, sender.alt_id} == {lid, phone}
    assert (sender.sender_id, sender.alt_id) == (
        phone,
        lid,
    )  # the phone is primary, whatever came first
    assert sender.name == person
    for key in (lid, phone):
        assert Sender.objects.filter(Q(sender_id=key) | Q(alt_id=key)).get() == sender
    assert set(Message.objects.values_list("sender_id", flat=True)) == {sender.pk}


# --- Meta: one delivery, two numbers -----------------------------------------------------------


def test_meta_batch_is_split_between_two_clients(send, clients):
    reply = send("meta_cloud", "batch")
    assert reply.body["status"] == "processed"
    first, second = clients[INSTANCES["meta_cloud"]], clients[META_SECOND]
    ours = set(Message.objects.filter(client=first).values_list("external_id", flat=True))
    theirs = set(Message.objects.filter(client=second).values_list("external_id", flat=True))
    assert ours == {
        "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzIwAA==",
        "wamid.HBgMNTUzMTg4Nzc2NjU1FQIAEhgUM0E0RjJDOEIxRDlFN0E2QjVDMjEA",
    }
    assert theirs == {"wamid.HBgNNTUyMTk5ODc2NTQzMhUCABIYFDNBNEYyQzhCMUQ5RTdBNkI1QzIyAA=="}
    assert Chat.objects.get(client=second).chat_id == "5521998765432"
    assert set(Chat.objects.filter(client=first).values_list("chat_id", flat=True)) == {
        "5511987654321",
        "553188776655",
    }
    parked = set(PendingUpdate.objects.values_list("client_id", "target_id"))
    assert parked == {
        (first.pk, "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAxAA=="),
        (first.pk, "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzAyAA=="),
        (second.pk, "wamid.HBgNNTUyMTk5ODc2NTQzMhUCABEYFDNFQjBDOUQ4RTdGNkE1QjRDMzA0AA=="),
    }
    assert event_of(reply).client_id == first.pk
    assert send("meta_cloud", "batch").body["status"] == "duplicate"


# --- Timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize("family", list(INSTANCES))
def test_every_stored_time_is_aware_utc(send, family):
    for _, name in all_fixtures(family):
        send(family, name)
    rows = list(Message.objects.filter(client__instance_id=INSTANCES[family]))
    assert rows
    for row in rows:
        for moment in (row.timestamp, row.sent_at, row.delivered_at, row.read_at, row.deleted_at):
            assert moment is None or moment.utcoffset() == timedelta(0), (row.external_id, moment)
        assert row.timestamp.tzinfo is not None
    estimated = {r.external_id for r in rows if r.timestamp_estimated}
    expected = {"BAE5C81D2F6A4E0E", "BAE5C81D2F6A4E0F"} if family == "baileys_sample" else set()
    assert estimated == expected


def test_zapi_momment_in_milliseconds_is_converted(send):
    send("zapi", "text")
    momment = fixture("zapi", "text")["momment"]
    assert momment > 1e11  # milliseconds
    row = message("zapi", "3AF1C2E9B7D4A6E8C0D1")
    assert row.timestamp == datetime.fromtimestamp(momment // 1000, tz=UTC) == at(7, 6, 40)
    assert row.timestamp_estimated is False


@pytest.mark.parametrize("name", ["bad_timestamp", "future_timestamp"])
def test_unusable_time_falls_back_to_receipt_and_is_flagged(send, name):
    reply = send("baileys_sample", name)
    row = Message.objects.get(webhook_event_id=reply.body["event_id"])
    assert row.timestamp_estimated is True
    assert row.timestamp == event_of(reply).received_at
    assert row.timestamp.utcoffset() == timedelta(0)
    assert row.timestamp.year < 2200
