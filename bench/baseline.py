"""The baseline: the straightforward receiver the issue describes, kept for comparison.

Flask calling ``django.setup()`` and, per request: insert the event, get-or-create the chat
and the sender, insert the message and bump a counter — no batching, no writer thread.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

import django  # noqa: E402

django.setup()

from django.db import close_old_connections, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.utils import timezone  # noqa: E402
from flask import Flask, jsonify, request  # noqa: E402

from webhook.models import Chat, Client, Message, MessageStats, Sender, WebhookEvent  # noqa: E402

app = Flask(__name__)


@app.before_request
def _begin():
    close_old_connections()


@app.teardown_request
def _end(_exc):
    close_old_connections()


@app.post("/webhook")
def webhook():
    body = request.get_data()
    try:
        payload = json.loads(body)
        key = payload["key"]
    except (ValueError, KeyError, TypeError):
        return jsonify({"ok": False}), 400
    now = timezone.now()
    client = Client.objects.get(instance_id=payload["instanceId"])
    event = WebhookEvent.objects.create(
        client=client,
        delivery_id=os.urandom(16).hex(),
        received_at=now,
        body=body.decode(),
        status="processed",
    )
    with transaction.atomic():
        chat, _ = Chat.objects.get_or_create(client=client, chat_id=key["remoteJid"])
        sender, _ = Sender.objects.get_or_create(client=client, sender_id=key["remoteJid"])
        Message.objects.create(
            client=client,
            external_id=key["id"],
            chat=chat,
            sender=sender,
            timestamp=now,
            text=payload.get("msgContent", {}).get("conversation", ""),
            webhook_event=event,
        )
        stats, _ = MessageStats.objects.get_or_create(
            client=client, period_start=now.replace(minute=0, second=0, microsecond=0)
        )
        MessageStats.objects.filter(pk=stats.pk).update(total=F("total") + 1)
    return jsonify({"ok": True})
