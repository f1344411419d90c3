"""Writes of the drift counters (``UnrecognisedItem``): one row per family, kind and name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, F, Value, When
from django.db.models.functions import Greatest, Least

from webhook.drift import Drift
from webhook.models import UnrecognisedItem
from webhook.services.rows import insert_ignoring_conflicts


@dataclass(frozen=True, slots=True)
class Sighting:
    """One delivery showing one unrecognised thing."""

    drift: Drift
    event_id: int | None
    seen_at: datetime


def drift_record(*, sightings: list[Sighting]) -> None:
    """Add a batch's sightings to the counters: one INSERT for the new names, then one UPDATE
    per distinct name (few per batch). Concurrent appliers add up: the increments are done by
    the database, and a name two of them insert at once is inserted once."""
    if not sightings:
        return
    grouped: dict[Drift, list[Sighting]] = {}
    for sighting in sightings:
        grouped.setdefault(sighting.drift, []).append(sighting)
    insert_ignoring_conflicts(
        UnrecognisedItem,
        [
            UnrecognisedItem(
                family=drift.family,
                kind=drift.kind,
                name=drift.name,
                count=0,
                first_seen=min(s.seen_at for s in group),
                last_seen=min(s.seen_at for s in group),
            )
            for drift, group in grouped.items()
        ],
    )
    for drift, group in grouped.items():
        newest = max(group, key=lambda s: s.seen_at)
        UnrecognisedItem.objects.filter(
            family=drift.family, kind=drift.kind, name=drift.name
        ).update(
            count=F("count") + len(group),
            first_seen=Least(F("first_seen"), min(s.seen_at for s in group)),
            last_seen=Greatest(F("last_seen"), newest.seen_at),
            # The newest delivery is the sample (a batch older than the row keeps its own).
            sample_event_id=Case(
                When(last_seen__lte=newest.seen_at, then=Value(newest.event_id)),
                default=F("sample_event_id"),
                output_field=UnrecognisedItem._meta.get_field("sample_event").target_field,
            ),
        )
