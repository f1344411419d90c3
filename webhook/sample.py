"""The README's sample delivery, shared by /webhook/test/, Flask's /test and test_webhook.py."""

from __future__ import annotations

import time
import uuid
from typing import Any


def sample_payload(
    *,
    instance_id: str = "test_instance",
    text: str = "Mensagem de teste",
    message_id: str | None = None,
) -> dict[str, Any]:
    """The README's curl body, with a fresh id so every test stores a new message."""
    return {
        "instanceId": instance_id,
        "key": {
            "remoteJid": "5511999999999@s.whatsapp.net",
            "fromMe": False,
            "id": message_id or f"test_{uuid.uuid4().hex[:16]}",
        },
        "message": {"conversationMessage": {"conversation": text}},
        "messageTimestamp": str(int(time.time())),
        "pushName": "Usuário Teste",
        "msgContent": {"conversation": text},
    }
