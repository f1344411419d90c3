"""Issue 13, "done means": ``webhook_reprocess --all`` over every fixture leaves the same rows.

Every fixture under ``fixtures/`` (sub-folders included) is posted as a delivery and applied;
the normalised rows (Chat, Sender, Message, parked updates, statistics) are snapshotted; then
``manage.py webhook_reprocess --all`` replays every stored event through today's parsers and
the rows must be exactly the same, twice over. See ``fixture_rows.py`` for the snapshot (also
runnable on its own to compare two versions of the code).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from webhook.models import Message, UnrecognisedItem, WebhookEvent
from webhook.tests import fixture_rows
from webhook.tests.helpers import META_APP_SECRET

pytestmark = pytest.mark.django_db


@pytest.fixture
def fed(settings):
    settings.WEBHOOK_META_APP_SECRET = META_APP_SECRET
    settings.WEBHOOK_FALLBACK_CLIENT = False
    with fixture_rows.frozen_time():
        answers = fixture_rows.feed(fixture_rows.make_clients())
        yield answers


def test_every_fixture_is_accepted_and_none_fails(fed):
    assert len(fed) == len(fixture_rows.fixture_names()) >= 190
    refused = [a for a in fed if a[2] not in (200, 202) or a[3] == "failed"]
    assert refused == []
    assert Message.objects.count() > 100


def test_reprocess_all_over_the_fixtures_leaves_the_same_rows(fed):
    before = fixture_rows.snapshot()
    drift_before = list(UnrecognisedItem.objects.values_list("family", "kind", "name", "count"))
    statuses = dict(WebhookEvent.objects.values_list("pk", "status"))
    for _ in range(2):
        call_command("webhook_reprocess", "--all", stdout=StringIO(), stderr=StringIO())
        after = fixture_rows.snapshot()
        for table in before:
            assert after[table] == before[table], table
        # nothing fails on replay, and what was ignored or unassigned stays so (connection,
        # contact and presence events are "processed" again, messages and updates duplicate)
        now = dict(WebhookEvent.objects.values_list("pk", "status"))
        assert "failed" not in now.values()
        assert {pk for pk, s in now.items() if s in ("ignored", "unassigned")} == {
            pk for pk, s in statuses.items() if s in ("ignored", "unassigned")
        }
    # and replays never count drift twice
    assert (
        list(UnrecognisedItem.objects.values_list("family", "kind", "name", "count"))
        == drift_before
    )
