"""The queue mode (``WEBHOOK_PROCESSING=celery``): applying on Celery workers over a broker.

The event table is the outbox. A receiver commits each group of deliveries
(``webhook.writer``), acks them, and hands the ids of the batch to :mod:`webhook.queue.publisher`,
a background thread that publishes one ``apply_events(ids)`` task per batch, best effort and
bounded in time: a slow or absent broker never delays or fails an ack. A worker claims the rows
still ``received`` with ``FOR UPDATE SKIP LOCKED`` and applies them
(:mod:`webhook.queue.tasks`); the sweeper (Celery beat, and each worker at start) re-publishes
events still ``received`` after a lease, so an event whose publish was lost, or whose worker
died, is applied anyway. Applying the same client's events from several workers at once is
serialised per client by a PostgreSQL advisory lock (:mod:`webhook.queue.locks`).

Public functions: ``publisher.publish(ids)``, ``publisher.stats()``, ``publisher.flush()``;
``tasks.apply_events``, ``tasks.sweep``, ``tasks.fetch_media``, ``tasks.stale_ids()``;
``locks.lock_clients(ids)``; ``checks.queue_mode_problem()``.
"""
