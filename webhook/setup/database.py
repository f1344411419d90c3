"""Django set up on the ``.env`` just written, the migrations, and the deliveries stored for an
instance before its client existed (replayed once the client is there)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from webhook.script_env import BASE_DIR


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
            f"Nota: {pending} evento(s) sem cliente aguardam reprocessamento, mas esta versão "
            "não tem webhook.services.replay; reprocesse-os pelo admin depois."
        )
        return
    summary = events_reprocess(queryset=queryset)
    labels = dict(WebhookEvent.Status.choices)
    parts = ", ".join(f"{labels.get(k, k)}: {n}" for k, n in sorted(summary.items()))
    say(f"Eventos recebidos antes do cliente existir reprocessados: {parts}.")
    if summary.get(WebhookEvent.Status.UNASSIGNED):
        say(
            f"{summary[WebhookEvent.Status.UNASSIGNED]} deles não traziam o token deste cliente "
            "e continuam sem cliente (qualquer um poderia tê-los enviado). Para aplicá-los "
            "mesmo assim: admin → Eventos de webhook → ação “Liberar entregas sem cliente”."
        )
