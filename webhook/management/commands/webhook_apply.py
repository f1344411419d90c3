"""python manage.py webhook_apply [--once]: apply stored events in the background."""

from __future__ import annotations

import signal
import time

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from webhook import applier
from webhook.management.base import TranslatedCommand
from webhook.media import loop as media_loop


class SignalStop:
    """What the run loop needs of a threading.Event (is_set, wait), set from signal handlers
    without a lock: Event.set() in a handler deadlocks when the signal interrupts the main
    thread inside that Event's wait() holding its lock (SIGINT then SIGTERM, as Ctrl+C in
    `make run` sends, did exactly that)."""

    def __init__(self) -> None:
        self.requested = False

    def set(self, *_args) -> None:
        self.requested = True

    def is_set(self) -> bool:
        return self.requested

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.requested and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))  # a signal's handler runs between two naps
        return self.requested


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Applies the stored events (status 'received') in the background: conversations, "
        "messages, statuses and statistics. The Flask server starts one by itself."
    )

    requires_system_checks: list[str] = []  # the server that starts it has already checked

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help=_("apply whatever is pending, then exit")
        )

    def handle(self, *args, **options) -> None:
        from webhook import metrics

        metrics.process_started("applier")
        stop = SignalStop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, stop.set)
        if not options["once"]:  # media files follow their messages, in a thread of this process
            media_loop.start_thread(stop)
        total = applier.run(stop, once=options["once"])
        if options["verbosity"] > 0:
            self.stdout.write(
                ngettext("%(n)s event applied.", "%(n)s events applied.", total) % {"n": total}
            )
