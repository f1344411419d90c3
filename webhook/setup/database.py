"""Django set up on the ``.env`` just written, the migrations, and the deliveries stored for an
instance before its client existed (replayed once the client is there)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from webhook.script_env import BASE_DIR
from webhook.script_i18n import gettext as _


def setup_django(env_path: Path) -> None:
    """Point settings.py at ``env_path``, load it (without overriding) and set Django up."""
    from django.apps import apps
    from dotenv import load_dotenv

    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ["WEBHOOK_ENV_FILE"] = str(env_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    load_dotenv(env_path, override=False)
    if not apps.ready:
        import django

        django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def replay_unassigned(instance_id: str, say: Callable[[str], None]) -> None:
    """Apply the deliveries stored for ``instance_id`` before its client existed."""
    from webhook.models import WebhookEvent

    queryset = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.UNASSIGNED, client_key=instance_id
    )
    pending = queryset.count()
    if not pending:
        return
    try:
        from webhook.services.replay import events_reprocess
    except ImportError:
        say(
            _(
                "Note: %(n)s event(s) without a client await reprocessing, but this version "
                "has no webhook.services.replay; reprocess them from the admin later."
            )
            % {"n": pending}
        )
        return
    summary = events_reprocess(queryset=queryset)
    labels = dict(WebhookEvent.Status.choices)
    parts = ", ".join(f"{labels.get(k, k)}: {n}" for k, n in sorted(summary.items()))
    say(_("Events received before the client existed, reprocessed: %(parts)s.") % {"parts": parts})
    if summary.get(WebhookEvent.Status.UNASSIGNED):
        say(
            _(
                "%(n)s of them did not carry this client's token and remain without a client "
                "(anyone could have sent them). To apply them anyway: admin → Webhook events → "
                "action “Release deliveries without a client”."
            )
            % {"n": summary[WebhookEvent.Status.UNASSIGNED]}
        )
