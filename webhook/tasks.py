"""Celery tasks of the webhook app, found by ``django_project.celery``'s autodiscovery.

``prune_raw_bodies``: retention (``webhook.retention``), for Celery beat in the queue mode. Its
schedule entry, beside the sweeper's in ``CELERY_BEAT_SCHEDULE``::

    "webhook-prune": {"task": "webhook.tasks.prune_raw_bodies", "schedule": 3600.0}

Hourly is cheap (one indexed query when nothing is due) and keeps each run small.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from webhook.conf import webhook_settings
from webhook.retention import raw_bodies_prune

logger = logging.getLogger(__name__)


@shared_task(name="webhook.tasks.prune_raw_bodies", ignore_result=True)
def prune_raw_bodies() -> dict[str, object]:
    """Blank the raw bodies older than WEBHOOK_RETENTION_RAW_DAYS (0: retention off)."""
    days = webhook_settings.RETENTION_RAW_DAYS
    if not days:
        return {"events": 0, "retention": "off"}
    summary = raw_bodies_prune(older_than=timezone.now() - timedelta(days=days))
    if summary.events:
        logger.info(
            "retention: raw bodies of %s events blanked: %s", summary.events, summary.as_dict()
        )
    return summary.as_dict()
