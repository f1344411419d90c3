"""The Celery app of the queue mode (``WEBHOOK_PROCESSING=celery``; see ``webhook.queue``).

Configured from Django's settings under the ``CELERY_`` namespace (``CELERY_BROKER_URL`` ...);
tasks are found in each app's ``tasks`` module and in ``webhook.queue.tasks``. Run the
workers with ``celery -A django_project worker -Q apply`` (events), media fetchers on their own
with ``celery -A django_project worker -Q media -c 4``, and the schedule (the sweeper) with
``celery -A django_project beat``.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")

app = Celery("multichat_webhook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["webhook.queue"])
