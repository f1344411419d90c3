"""Seeds the console bench's database (run inside Django by bench/console.py).

5 clients, 2,000 chats (400 each, one in ten a group), 200,000 messages over the last 7 days:
one chat holds 10,000 of them (the long transcript), the others share the rest. Every type,
both directions, delivery states, some waiting for our reply. Then the statistics are
rebuilt from the rows exactly as ``manage.py webhook_rebuild_stats`` does, and a superuser
session is made; prints one JSON line: the session cookie and the ids the bench opens.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.utils import timezone

from webhook.models import Chat, Client, Message, Sender
from webhook.services.replay import chat_counters_rebuild
from webhook.services.stats import realtime_refresh, stats_rebuild

CLIENTS = 5
CHATS_PER_CLIENT = 400
MESSAGES = 200_000
LONG_CHAT = 10_000
TYPES = ["text"] * 12 + ["image", "audio", "video", "document", "sticker", "location", "contact"]
STATES = ["sent", "delivered", "read", "read", "read", "failed"]


def _clients() -> list[Client]:
    return [
        Client.objects.create(name=f"Loja {n}", instance_id=f"bench_console_{n}")
        for n in range(1, CLIENTS + 1)
    ]


def _chats(clients: list[Client]) -> list[tuple[Chat, Sender, Sender]]:
    rows = []
    for client in clients:
        me = Sender.objects.create(client=client, sender_id="me", name="Equipe", is_me=True)
        chats = Chat.objects.bulk_create(
            Chat(
                client=client,
                chat_id=f"55119{client.pk:02d}{n:05d}@"
                + ("g.us" if n % 10 == 0 else "s.whatsapp.net"),
                name=f"Contato {client.pk}-{n}",
                is_group=n % 10 == 0,
            )
            for n in range(CHATS_PER_CLIENT)
        )
        senders = Sender.objects.bulk_create(
            Sender(client=client, sender_id=chat.chat_id, name=chat.name) for chat in chats
        )
        rows.extend((chat, sender, me) for chat, sender in zip(chats, senders, strict=True))
    return rows


def _message(chat, sender, me, n: int, moment, rng: random.Random) -> Message:
    from_me = rng.random() < 0.45
    kind = rng.choice(TYPES)
    return Message(
        client_id=chat.client_id,
        chat=chat,
        sender=me if from_me else sender,
        from_me=from_me,
        external_id=f"bench-{chat.pk}-{n}",
        type=kind,
        text=f"mensagem {n} da conversa {chat.pk}" if kind == "text" else "",
        timestamp=moment,
        status=rng.choice(STATES) if from_me else "",
        family="evolution",
        media_mimetype="image/jpeg" if kind == "image" else "",
        media_size=120_000 if kind in {"image", "video", "document"} else None,
        latitude=-23.55 if kind == "location" else None,
        longitude=-46.63 if kind == "location" else None,
    )


def _messages(rows, rng: random.Random) -> None:
    now = timezone.now()
    week = 7 * 24 * 3600
    plan = [(rows[0], LONG_CHAT)]
    rest = (MESSAGES - LONG_CHAT) // (len(rows) - 1)
    plan += [(row, rest) for row in rows[1:]]
    batch: list[Message] = []
    for (chat, sender, me), count in plan:
        start = now - timedelta(seconds=rng.randrange(week // 2, week))
        step = (now - start).total_seconds() / (count + 1)
        for n in range(count):
            moment = start + timedelta(seconds=step * (n + 1) * rng.uniform(0.9, 1.0))
            batch.append(_message(chat, sender, me, n, moment, rng))
            if len(batch) >= 5000:
                Message.objects.bulk_create(batch)
                batch = []
    Message.objects.bulk_create(batch)


def _session() -> str:
    user = User.objects.create_superuser("bench", "bench@example.com", "bench-password-123")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def main() -> None:
    rng = random.Random(12)  # the same data on every run
    with transaction.atomic():
        clients = _clients()
        rows = _chats(clients)
        _messages(rows, rng)
    for client in clients:
        chat_counters_rebuild(client=client)
        stats_rebuild(client=client)
        realtime_refresh(client=client)
    print(json.dumps({"session": _session(), "long_chat": rows[0][0].pk, "client": clients[0].pk}))


main()
