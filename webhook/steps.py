"""Steps that may block, and the synchronous driver that runs them.

:func:`webhook.ingest.receive_steps` is a generator: its stages are pure and quick, and what
may wait on the database or the disk is yielded as a :class:`Blocking` step for a driver to
run where it may. :func:`drive` runs each in the calling thread (both servers' WSGI paths);
``webhook.receiver.front`` runs them on granian's event loop, the commit awaited through the
group-commit writer and the rest in a thread pool.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any


class Blocking:
    """A step of ``webhook.ingest.receive_steps`` that may wait on the database or the disk.

    The steps themselves are pure and quick; what waits is handed to the driver, which runs it
    where it may: :func:`drive` in the calling thread, the receiver's asynchronous front
    (``webhook.receiver.front``) in a thread pool, or, for ``webhook.ingest.StoreEvent``,
    through the group-commit writer without holding a thread at all."""

    __slots__ = ("args", "call", "kwargs")

    def __init__(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.call, self.args, self.kwargs = call, args, kwargs

    def __call__(self) -> Any:
        return self.call(*self.args, **self.kwargs)


def drive(steps: Generator[Blocking, Any, Any]) -> Any:
    """Run ``steps`` to the end, each blocking step in this thread."""
    try:
        step = next(steps)
        while True:
            try:
                result = step()
            except BaseException as exc:  # handed back: the step's caller decides
                step = steps.throw(exc)
            else:
                step = steps.send(result)
    except StopIteration as done:
        return done.value
