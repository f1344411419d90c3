"""Every payload fixture as deliveries, and the normalised rows they leave, as plain data.

Used by ``test_reprocess_fixtures.py`` (``webhook_reprocess --all`` leaves the same rows) and
runnable on its own to compare two versions of the code over the same fixtures::

    DATABASE_URL=sqlite:////tmp/rows.sqlite3 python manage.py migrate
    DATABASE_URL=sqlite:////tmp/rows.sqlite3 python -m webhook.tests.fixture_rows rows.json

Time is frozen while the fixtures are fed (``django.utils.timezone.now``), so rows that fall
back to the time of receipt are equal between runs; row identities (pks, creation times, the
source event) are left out.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from unittest import mock

FROZEN = datetime(2025, 11, 30, 12, 0, tzinfo=UTC)
INSTANCES = {
    "meta_cloud": "106540352242922",
    "evolution": "loja-centro",
    "zapi": "3D2B1A0C9E8F7A6B5C4D",
    "waha": "atendimento",
    "wapi": "LITE-7XK2P9-QW3R8T",
    "baileys_sample": "test_instance",
    "wppconnect": "vendas",
    "ultramsg": "instance105938",
    "wuzapi": "suporte",
}
META_SECOND = "106540352242923"  # the other phone_number_id of the Meta batch
MESSAGE_IDENTITY = {"id", "created_at", "webhook_event", "client", "chat", "sender"}


def fixture_names() -> list[tuple[str, str]]:
    """(family, name) of every fixture, sub-folders included ("edits/edited"), sorted."""
    from webhook.tests.helpers import FIXTURES

    found = []
    for path in sorted(FIXTURES.rglob("*.json")):
        relative = path.relative_to(FIXTURES)
        found.append((relative.parts[0], str(relative.with_suffix("")).split("/", 1)[1]))
    return found


@contextmanager
def frozen_time() -> Iterator[None]:
    with mock.patch("django.utils.timezone.now", lambda: FROZEN):
        yield


def make_clients() -> dict[str, str]:
    """A client per fixture instance; returns instance id -> token."""
    from webhook.clients import client_directory
    from webhook.models import Client

    tokens = {}
    for instance_id in [*INSTANCES.values(), META_SECOND]:
        client, _ = Client.objects.get_or_create(
            instance_id=instance_id, defaults={"name": f"Cliente {instance_id}"}
        )
        tokens[instance_id] = client.webhook_token
    client_directory.invalidate()
    return tokens


def feed(tokens: dict[str, str]) -> list[tuple[str, str, int, str]]:
    """Post every fixture through ``ingest.receive``; (family, name, HTTP status, status)."""
    from webhook.ingest import InboundRequest, receive
    from webhook.tests.helpers import credentials_for, fixture_bytes

    answers = []
    for family, name in fixture_names():
        body = fixture_bytes(family, name)
        headers = {
            **credentials_for(family, body, tokens[INSTANCES[family]]),
            "content-type": "application/json",
        }
        response = receive(InboundRequest(body=body, headers=headers, remote_addr="127.0.0.1"))
        answers.append((family, name, response.status, str(response.body.get("status", ""))))
    return answers


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _keyed(model, key: tuple[str, ...], fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    rows = model.objects.values("client__instance_id", *key, *fields)
    return {
        " ".join(str(r[k]) for k in ("client__instance_id", *key)): {
            f: _plain(r[f]) for f in fields
        }
        for r in rows
    }


def _fields(model, *excluded: str) -> tuple[str, ...]:
    skip = {"id", "client", *excluded}
    return tuple(f.name for f in model._meta.concrete_fields if f.name not in skip)


def snapshot() -> dict[str, Any]:
    """Chat, Sender, Message, parked updates and statistics rows, as JSON-ready data."""
    from webhook.models import Chat, ContactStats, Message, MessageStats, PendingUpdate, Sender

    messages = {}
    for m in Message.objects.select_related("client", "chat", "sender"):
        values = {
            f.name: _plain(getattr(m, f.attname))
            for f in Message._meta.concrete_fields
            if f.name not in MESSAGE_IDENTITY
        }
        values["chat"] = m.chat.chat_id
        values["sender"] = m.sender.sender_id if m.sender else None
        messages[f"{m.client.instance_id} {m.external_id}"] = values
    pending = sorted(
        " ".join(row)
        for row in PendingUpdate.objects.values_list("client__instance_id", "target_id", "kind")
    )
    return {
        "messages": messages,
        "chats": _keyed(Chat, ("chat_id",), _fields(Chat, "chat_id", "created_at")),
        "senders": _keyed(Sender, ("sender_id",), _fields(Sender, "sender_id")),
        "pending": pending,
        "message_stats": _keyed(
            MessageStats, ("period_start",), _fields(MessageStats, "period_start")
        ),
        "contact_stats": _keyed(ContactStats, ("chat__chat_id",), _fields(ContactStats, "chat")),
    }


def main(argv: list[str]) -> int:
    import django

    django.setup()
    from django.test.utils import override_settings

    from webhook.tests.helpers import META_APP_SECRET

    with (
        override_settings(
            WEBHOOK_META_APP_SECRET=META_APP_SECRET,
            WEBHOOK_FALLBACK_CLIENT=False,
            WEBHOOK_APPLY_MODE="inline",
        ),
        frozen_time(),
    ):
        answers = feed(make_clients())
        rows = snapshot()
    out = {"answers": answers, "rows": rows}
    with open(argv[0], "w", encoding="utf-8") as handle:
        json.dump(out, handle, ensure_ascii=False, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    sys.exit(main(sys.argv[1:]))
