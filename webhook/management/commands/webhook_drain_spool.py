"""``manage.py webhook_drain_spool``: move deliveries spooled during an outage into the database."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import DatabaseError, InterfaceError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhook import spool
from webhook.management.base import TranslatedCommand


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Stores in the database (and processes) the deliveries kept in the disk spool while "
        "the database was unavailable. Safe to repeat: each delivery is stored only once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help=_("only show how many deliveries wait in the spool, storing nothing"),
        )

    def handle(self, *args, **options) -> None:
        if options["check"]:
            self.stdout.write(str(spool.pending_count()))
            return
        try:
            moved = spool.drain()
        except (DatabaseError, InterfaceError) as exc:
            raise CommandError(
                _("Database unavailable; the spool was kept. Try again. (%(error)s)")
                % {"error": exc}
            ) from exc
        except OSError as exc:
            raise CommandError(
                _("Could not read the spool in %(dir)s: %(error)s")
                % {"dir": spool.spool_dir(), "error": exc}
            ) from exc
        if moved:
            message = _("%(n)s delivery(ies) moved from the spool to the database.") % {"n": moved}
        else:
            message = _("No delivery in the spool: nothing to move.")
        self.stdout.write(self.style.SUCCESS(message))
