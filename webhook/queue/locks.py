"""Per-client advisory locks: concurrent appliers leave exactly what a sequential apply leaves.

Applying a batch takes ``pg_advisory_xact_lock`` on every client the batch touches, in
ascending order (so two batches can never wait on each other's locks), after the events are
parsed and before anything is written; the locks end with the transaction. Parsing, the bulk
of an event's cost, stays parallel; the writes of one client are serialised. Two workers
applying the same client's events therefore behave exactly as one after the other, in some
order: every write of the apply was designed to be order-independent (messages first-wins by
the unique constraint, statuses only move forward, parked updates, statistics recomputed from
the rows when a message arrives out of order), and this removes the remaining interleavings
(an update parked while its message is being inserted by another transaction, a chat's
response figures recounted from rows another transaction has not committed yet, an hour
recounted while another transaction increments it).

A task (``webhook.queue.tasks``) builds its chunks one client at a time and first tries that
client's lock (:func:`try_lock_client`, never waiting): a worker skips a client another worker
is applying and takes the next one, so two workers apply two clients side by side instead of
queueing for every client of a mixed chunk; the processor then takes the same lock again (a
no-op) and any other client an event resolves to.

Why not finer (per chat) locks: the hour counters of a client (``MessageStats``) are row-locked
by every transaction that adds messages to that hour until it commits, so per-chat locks would
buy little concurrency for the same client and add deadlock paths; different clients apply
fully in parallel. On SQLite (one writer at a time) this does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

NAMESPACE = 0x57484B  # the first key of pg_advisory_xact_lock(int, int): "WHK"


def lock_clients(client_ids: Iterable[int]) -> list[int]:
    """Take this transaction's advisory lock on each client id, ascending; returns the ids.

    Must run inside a transaction (``transaction.atomic``): the locks are released when it
    ends. Waits for any other transaction applying the same clients."""
    ids = sorted({int(pk) for pk in client_ids if pk is not None})
    if not ids or connection.vendor != "postgresql":
        return ids
    with connection.cursor() as cursor:
        # One statement; unnest yields the (sorted) array in order, so locks are taken ascending.
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, k)) FROM unnest(%s::integer[]) AS k",
            [NAMESPACE, ids],
        )
    return ids


def try_lock_client(client_id: int) -> bool:
    """Take this transaction's advisory lock on one client if no other transaction holds it;
    whether it was taken (never waits). On SQLite: always True."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [NAMESPACE, int(client_id)])
        return bool(cursor.fetchone()[0])
