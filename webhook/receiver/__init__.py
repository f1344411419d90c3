"""The Flask receiver that ``servidor_webhook_local.py`` starts (port 5000), by job:

* ``app``: the Flask application (``create_app``): webhook routes, ``/status``, ``/test``;
* ``front``: granian's asynchronous front, which reads bodies and acknowledges deliveries on
  the event loop;
* ``serving``: the servers (granian, gunicorn, waitress) and their worker set-up;
* ``supervision``: the applier process beside the server, restarted if it dies;
* ``cli``: the command line, the banner and ``main``.

Only ``setup_django`` lives here: it must run before anything imports Django's models.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def setup_django() -> None:
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    import django

    django.setup()
