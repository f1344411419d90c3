#!/usr/bin/env python
"""Servidor webhook local (Flask, porta 5000) com túnel público ngrok.

    python servidor_webhook_local.py [--port 5000] [--host 0.0.0.0] [--no-tunnel]

The entry point our users run; the receiver itself lives in ``webhook/receiver/`` (the Flask
app, its asynchronous front, the servers, the applier's supervision, the command line).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhook.receiver.app import create_app  # noqa: E402  (the seed's public factory)
from webhook.receiver.cli import main  # noqa: E402

__all__ = ["create_app", "main"]

if __name__ == "__main__":
    main()
