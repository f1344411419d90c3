"""Conversation rows for the console's tests: a chat holding every message type and state,
written straight through the ORM (edge cases the fixtures do not reach), with real stored
media files (a JPEG with its thumbnail, a WAV, a PDF) so a browser can load them.

Used by ``test_conversations.py`` and, through ``LiveStack.django``, by
``test_browser_conversations.py``.
"""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from webhook.models import Chat, Client, MediaFile, Message, Sender

BASE = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
EVIL = '<script>alert("x")</script><b>bold</b>'


def jpeg_bytes(color: str = "teal") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), color).save(out, "JPEG")
    return out.getvalue()


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    frames = b"\x80" * int(seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + len(frames)) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, rate, rate, 1, 8) + b"data"
    return header + struct.pack("<I", len(frames)) + frames


def store_media(message: Message, content: bytes, mimetype: str, name: str = "") -> MediaFile:
    """A ``stored`` MediaFile with its bytes (and a thumbnail for images) in the storage."""
    from webhook.media import storage

    digest = hashlib.sha256(content).hexdigest()
    path = storage.storage_name(client_id=message.client_id, sha256=digest, mimetype=mimetype)
    tmp = io.BytesIO(content)
    stored = storage.store(tmp, path)
    thumb = storage.make_thumbnail(tmp, stored) if mimetype.startswith("image/") else ""
    return MediaFile.objects.create(
        client_id=message.client_id,
        message=message,
        media_type=message.type,
        source=MediaFile.Source.DIRECT_URL,
        state=MediaFile.State.STORED,
        sniffed_mimetype=mimetype,
        size=len(content),
        sha256=digest,
        file_name=name,
        storage_name=stored,
        thumbnail_name=thumb,
    )


class Seeder:
    """Adds messages to one chat, one second apart."""

    def __init__(self, chat: Chat, start: datetime = BASE) -> None:
        self.chat = chat
        self.moment = start
        self.count = 0

    def add(self, sender: Sender | None = None, **fields: Any) -> Message:
        self.count += 1
        self.moment += timedelta(seconds=fields.pop("gap", 60))
        fields.setdefault("external_id", f"seed-{self.chat.pk}-{uuid.uuid4().hex[:12]}")
        fields.setdefault("timestamp", self.moment)
        message = Message.objects.create(
            client=self.chat.client, chat=self.chat, sender=sender, **fields
        )
        return message


def make_chat(client: Client, *, chat_id: str, name: str = "", is_group: bool = False) -> Chat:
    return Chat.objects.create(client=client, chat_id=chat_id, name=name, is_group=is_group)


def finish(chat: Chat) -> Chat:
    """Chat counters as the pipeline keeps them (last message time and count)."""
    last = chat.messages.order_by("-timestamp", "-id").first()
    chat.message_count = chat.messages.count()
    chat.last_message_at = last.timestamp if last else None
    chat.last_message_from_me = bool(last and last.from_me)
    chat.save(update_fields=["message_count", "last_message_at", "last_message_from_me"])
    return chat


def seed_every_type(client: Client, *, with_files: bool = True) -> Chat:
    """A group chat holding every Message.Type, delivery state and decoration."""
    chat = make_chat(client, chat_id="120363000000000001@g.us", name="Equipe Loja", is_group=True)
    ana = Sender.objects.create(client=client, sender_id="5511911112222@s.whatsapp.net", name="Ana")
    bob = Sender.objects.create(client=client, sender_id="5511933334444@s.whatsapp.net")
    s = Seeder(chat)
    first = s.add(ana, type="text", text="Bom dia! Alguém pode confirmar o pedido?")
    s.add(
        None,
        from_me=True,
        text="Confirmado ✅",
        status="read",
        quoted_id=first.external_id,
        sent_at=s.moment,
        delivered_at=s.moment,
        read_at=s.moment,
    )
    s.add(None, from_me=True, text="Saiu para entrega", status="delivered", delivered_at=s.moment)
    s.add(None, from_me=True, text="Chegou?", status="sent", sent_at=s.moment)
    s.add(
        None,
        from_me=True,
        text="Sem sinal",
        status="failed",
        failed_at=s.moment,
        status_error="131026: message undeliverable",
    )
    s.add(
        None,
        from_me=True,
        type="audio",
        is_voice=True,
        status="played",
        played_at=s.moment,
        media_mimetype="audio/ogg",
        media_size=5120,
        media_duration=4,
    )
    s.add(bob, type="text", text="Resposta a algo antigo", quoted_id="desconhecida-123")
    s.add(
        ana,
        type="text",
        text="Texto novo",
        edit_history=[
            {"text": "Texto velho", "replaced_at": (s.moment + timedelta(minutes=2)).isoformat()}
        ],
    )
    s.add(
        bob,
        type="text",
        text="Isto foi apagado",
        is_deleted=True,
        deleted_at=s.moment,
        status="deleted",
    )
    s.add(
        ana,
        type="text",
        text="Reagida",
        reactions={bob.sender_id: "👍", "me": "👍", "5511955556666@s.whatsapp.net": "❤️"},
    )
    image = s.add(
        ana, type="image", text="Foto da vitrine", media_mimetype="image/jpeg", media_size=2048
    )
    sticker = s.add(bob, type="sticker", media_mimetype="image/webp")
    audio = s.add(ana, type="audio", media_mimetype="audio/wav", media_duration=1)
    s.add(
        ana,
        type="video",
        text="Vídeo do produto",
        media_mimetype="video/mp4",
        media_size=1_500_000,
        media_file_name="produto.mp4",
    )
    doc = s.add(
        bob,
        type="document",
        text="Segue o boleto",
        media_mimetype="application/pdf",
        media_file_name="boleto.pdf",
    )
    pending = s.add(ana, type="image", media_mimetype="image/jpeg", media_size=4096)
    failed = s.add(
        ana,
        type="document",
        media_mimetype="application/pdf",
        media_file_name="contrato-de-prestacao-de-servicos-" * 3 + "contrato.pdf",
        media_size=10_000,
    )
    s.add(
        ana,
        type="location",
        gap=86400,
        latitude=-23.561414,
        longitude=-46.655881,
        location_name="Avenida Paulista",
        location_address="Av. Paulista, 1578 - São Paulo",
    )
    s.add(
        bob,
        type="contact",
        text="Carlos",
        contacts=[
            {
                "display_name": "Carlos Souza",
                "phones": [],
                "vcard": "BEGIN:VCARD\nVERSION:3.0\nFN:Carlos Souza\n"
                "TEL;type=CELL;waid=5511977778888:+55 11 97777-8888\nEND:VCARD",
            }
        ],
    )
    s.add(ana, type="reaction", text="🔥")
    s.add(bob, type="unsupported", subtype="pollCreationMessage", text="Qual horário?")
    s.add(ana, type="interactive", subtype="list_reply", text="Opção 2")
    s.add(bob, type="button", text="Quero comprar")
    s.add(ana, type="order", text="Pedido #123")
    s.add(None, type="system", subtype="gp2", text="Ana adicionou Bob")
    s.add(bob, type="unknown", subtype="newThing")
    s.add(ana, type="text", text=EVIL)
    s.add(ana, type="text", text="Bem-vindos ao grupo 🎉", forwarded=True)
    s.add(bob, type="text", text="Veja https://exemplo.com.br/" + "caminho-bem-comprido/" * 12)
    if with_files:
        store_media(image, jpeg_bytes("teal"), "image/jpeg", "vitrine.jpg")
        store_media(sticker, jpeg_bytes("orange"), "image/jpeg", "")
        store_media(audio, wav_bytes(), "audio/wav", "")
        store_media(doc, b"%PDF-1.4 fake boleto", "application/pdf", "boleto.pdf")
    MediaFile.objects.create(
        client=client,
        message=pending,
        media_type="image",
        source=MediaFile.Source.WHATSAPP_CDN,
        state=MediaFile.State.PENDING,
        declared_size=4096,
    )
    MediaFile.objects.create(
        client=client,
        message=failed,
        media_type="document",
        source=MediaFile.Source.DIRECT_URL,
        state=MediaFile.State.FAILED,
        last_error="HTTP 404 from the CDN",
    )
    return finish(chat)


def seed_long(client: Client, n: int, *, chat_id: str = "5511944440000@s.whatsapp.net") -> Chat:
    """A contact chat of ``n`` short texts, about 40 a day, in and out alternately; groups of
    three share one timestamp (keyset paging must split ties correctly)."""
    chat = make_chat(client, chat_id=chat_id, name="Cliente Antigo")
    rows = [
        Message(
            client=client,
            chat=chat,
            external_id=f"{chat_id}-{i}",
            timestamp=BASE + timedelta(hours=(i // 3) * 1.8),
            text=f"mensagem {i}",
            from_me=i % 2 == 1,
            status="read" if i % 2 else "",
        )
        for i in range(n)
    ]
    Message.objects.bulk_create(rows, batch_size=500)
    return finish(chat)
