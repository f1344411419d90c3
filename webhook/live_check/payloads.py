"""The README sample plus one message of each type, and what the read API must show for each."""

from __future__ import annotations

import time
import uuid
from typing import Any

from webhook.script_i18n import gettext as _

CHAT_JID = "5511988887777@s.whatsapp.net"

SENDER_NAME = "Teste Automático"

MEDIA_URL = "https://mmg.whatsapp.net/v/t62.7118-24/teste/{name}.enc?ccb=11-4"

FLOAT_TOLERANCE = 1e-6

PROTO_KEYS = {
    "text": "extendedTextMessage",
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
    "sticker": "stickerMessage",
    "location": "locationMessage",
    "contact": "contactMessage",
}

CONTENTS: dict[str, dict[str, Any]] = {
    "text": {"text": "Olá! Mensagem de texto de teste ✅"},
    "image": {
        "url": MEDIA_URL.format(name="imagem"),
        "mimetype": "image/jpeg",
        "caption": "Foto de teste 📷",
        "fileLength": "48213",
        "width": 1280,
        "height": 960,
    },
    "video": {
        "url": MEDIA_URL.format(name="video"),
        "mimetype": "video/mp4",
        "caption": "Vídeo de teste",
        "seconds": 12,
        "fileLength": "734003",
    },
    "audio": {
        "url": MEDIA_URL.format(name="audio"),
        "mimetype": "audio/ogg; codecs=opus",
        "seconds": 7,
        "ptt": True,
        "fileLength": "12045",
    },
    "document": {
        "url": MEDIA_URL.format(name="documento"),
        "mimetype": "application/pdf",
        "fileName": "relatorio-teste.pdf",
        "title": "relatorio-teste.pdf",
        "caption": "Relatório de teste",
        "fileLength": "102400",
        "pageCount": 2,
    },
    "sticker": {
        "url": MEDIA_URL.format(name="figurinha"),
        "mimetype": "image/webp",
        "isAnimated": False,
        "width": 512,
        "height": 512,
    },
    "location": {
        "degreesLatitude": -23.561414,
        "degreesLongitude": -46.655881,
        "name": "Avenida Paulista",
        "address": "Av. Paulista, 1578 - Bela Vista, São Paulo - SP",
    },
    "contact": {
        "displayName": "Maria da Silva",
        "vcard": "BEGIN:VCARD\nVERSION:3.0\nN:Silva;Maria;;;\nFN:Maria da Silva\n"
        "TEL;type=CELL;waid=5511977776666:+55 11 97777-6666\nEND:VCARD",
    },
}


def _message_id(type_name: str) -> str:
    return f"teste_{type_name}_{uuid.uuid4().hex[:12]}"


def build_payloads(instance_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(expected type, payload): the README sample, then one message of each type."""
    from webhook.sample import sample_payload

    payloads = [
        ("text", sample_payload(instance_id=instance_id, message_id=_message_id("exemplo")))
    ]
    for type_name, proto_key in PROTO_KEYS.items():
        message = {proto_key: dict(CONTENTS[type_name])}
        payloads.append(
            (
                type_name,
                {
                    "instanceId": instance_id,
                    "key": {"remoteJid": CHAT_JID, "fromMe": False, "id": _message_id(type_name)},
                    "message": message,
                    "messageTimestamp": str(int(time.time())),
                    "pushName": SENDER_NAME,
                    "msgContent": message,
                },
            )
        )
    return payloads


def expected_fields(type_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the read API must show for ``payload`` (keys as in /webhook/messages/ items)."""
    message = payload["message"]
    expected: dict[str, Any] = {"type": type_name}
    if "conversationMessage" in message:  # the README sample
        expected["text"] = message["conversationMessage"]["conversation"]
        return expected
    body = message[PROTO_KEYS[type_name]]
    if type_name == "text":
        expected["text"] = body["text"]
    elif type_name == "location":
        expected.update(
            text=body["name"], latitude=body["degreesLatitude"], longitude=body["degreesLongitude"]
        )
    elif type_name == "contact":
        expected["text"] = body["displayName"]
    else:
        expected.update(
            text=body.get("caption", ""), media_mimetype=body["mimetype"], media_url=body["url"]
        )
        if type_name == "audio":
            expected["is_voice"] = bool(body.get("ptt"))
    return expected


def mismatches(expected: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """Human-readable differences between what was sent and what was stored."""
    problems = []
    for name, want in expected.items():
        got = item.get(name)
        if isinstance(want, float) and isinstance(got, int | float):
            same = abs(want - got) <= FLOAT_TOLERANCE
        else:
            same = want == got
        if not same:
            problems.append(
                _("%(field)s: expected %(want)r, stored %(got)r")
                % {"field": name, "want": want, "got": got}
            )
    return problems
