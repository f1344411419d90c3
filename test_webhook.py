#!/usr/bin/env python
"""Testa um receptor em execução com um exemplo de cada tipo de mensagem.

    python test_webhook.py [--url http://localhost:5000] [--api http://localhost:8000]
                           [--token T] [--api-token T] [--instance-id test_instance] [--timeout 10]

Sends the README sample plus one message of each type (text, image, video, audio, document,
sticker, location, contact) to ``<url>/webhook`` with ``X-Webhook-Token``, then asks the read
API ``<api>/webhook/messages/?external_id=...`` whether each was stored with the right type
and content, and prints a pass/fail table. Exit code 0 only when every message passed.

Tokens default to WEBHOOK_CLIENT_TOKEN and WEBHOOK_API_TOKEN from the environment or the
project's ``.env`` (written by ``setup_webhook.py``). Only the standard library speaks HTTP;
no Django is needed in this mode. The parts live in ``webhook/live_check/``; the in-process
tests of the same payloads in ``webhook/tests/test_live_check.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from webhook.live_check.cli import main  # noqa: E402 - after the project is importable

if __name__ == "__main__":
    sys.exit(main())
