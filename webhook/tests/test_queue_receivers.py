"""Several receiver processes share nothing that matters in memory: a client edited in the
admin (here: its token rotated and a new client created, through the same model save the
admin does) reaches every receiver process within seconds.

Two real receivers (``servidor_webhook_local.py``; the directory is the same in both modes) on one fresh
PostgreSQL database; skipped without PostgreSQL.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from webhook.sample import sample_payload
from webhook.tests.live import ROOT, LiveReceiver, postgres_database, postgres_url

pytestmark = pytest.mark.postgres
REACHES_WITHIN = 10.0  # seconds; the directory reloads every TTL_SECONDS (5)

EDIT = (
    "import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','django_project.settings');"
    "django.setup();from webhook.models import Client;"
    "c=Client.objects.get(instance_id='test_instance');c.webhook_token='rotated-'+'t'*40;c.save();"
    "n=Client.objects.create(instance_id='nova_instancia',name='Nova');print(n.webhook_token)"
)


def _status(receiver: LiveReceiver, token: str, instance: str) -> int:
    receiver.token = token
    status, _ = receiver.post(sample_payload(instance_id=instance), timeout=10)
    return status


def test_a_client_edited_once_reaches_every_receiver_within_seconds(tmp_path):
    if postgres_url() is None:
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgresql://... (.ci/run does)")
    database_url, drop = postgres_database("webhook_queue_receivers")
    receivers = []
    try:
        for index in range(2):
            folder = tmp_path / f"receiver{index}"
            folder.mkdir()
            receivers.append(
                LiveReceiver(folder, database_url=database_url, env={"WEBHOOK_WORKERS": "1"})
            )
        receivers[0].prepare()
        old_token = receivers[0].token
        for receiver in receivers:
            receiver.start()
            assert _status(receiver, old_token, "test_instance") == 202
        done = subprocess.run(
            [sys.executable, "-c", EDIT],
            cwd=ROOT,
            env=receivers[0].env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        new_client_token = done.stdout.strip().splitlines()[-1]
        edited = time.monotonic()
        for receiver in receivers:
            while (
                _status(receiver, "rotated-" + "t" * 40, "test_instance") != 202
                or _status(receiver, new_client_token, "nova_instancia") != 202
            ):
                assert time.monotonic() - edited < REACHES_WITHIN, receiver.log()
                time.sleep(0.2)
            assert _status(receiver, old_token, "test_instance") in (401, 403)
        print(f"\nclient edit reached both receivers in {time.monotonic() - edited:.1f} s")
    finally:
        for receiver in receivers:
            receiver.kill()
        drop()
