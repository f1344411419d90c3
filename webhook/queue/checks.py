"""Whether this configuration can run the queue mode: one clear line when it cannot."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from webhook.conf import webhook_settings

MODES = ("embedded", "celery")


def queue_mode_problem(mode: str | None = None) -> str | None:
    """Why ``WEBHOOK_PROCESSING`` (or ``mode``: a Celery worker asks for "celery") cannot run
    here, in one translated line; None when it can."""
    mode = mode or webhook_settings.PROCESSING
    if mode not in MODES:
        return _("WEBHOOK_PROCESSING=%(mode)s is unknown: use embedded or celery.") % {"mode": mode}
    if mode == "celery" and connection.vendor != "postgresql":
        return _(
            "The queue mode (WEBHOOK_PROCESSING=celery) needs PostgreSQL: set DATABASE_URL="
            "postgresql://... or use WEBHOOK_PROCESSING=embedded."
        )
    return None
