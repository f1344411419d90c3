#!/usr/bin/env python
"""Configuração inicial do MultiChat Webhook: rode uma vez (ou quantas quiser: é idempotente).

    python setup_webhook.py [--no-input] [--client-name NOME] [--instance-id ID]
                            [--admin-user admin] [--admin-email E] [--admin-password S]
                            [--env-file CAMINHO] [--quiet]

Writes a ``.env`` with fresh secrets (adding only the keys that are missing, never changing a
value that is there), applies the migrations, creates the test client and the admin user,
replays the deliveries stored for that instance before the client existed, and prints what to
paste into the gateway. The steps live in ``webhook/setup/``, one module per job.
"""

from __future__ import annotations

import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

from webhook.setup.cli import main  # noqa: E402 - after the project is importable

if __name__ == "__main__":
    sys.exit(main())
