"""``manage.py webhook_reprocess``: replay stored deliveries through today's parsers."""

from __future__ import annotations

from datetime import datetime, time

from django.core.management.base import CommandError, OutputWrapper
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from webhook.management.base import TranslatedCommand
from webhook.models import WebhookEvent
from webhook.services.replay import events_reprocess, summary_rows


class _RawStream:
    """Lets tqdm write through a command's OutputWrapper without a newline after each redraw."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()


def progress_bar(stream: OutputWrapper, *, total: int, desc: str, unit: str) -> tqdm:
    """A tqdm bar on the command's stderr (shared by the webhook_* commands)."""
    return tqdm(total=total, desc=desc, unit=unit, file=_RawStream(stream), leave=True)


def parse_since(value: str) -> datetime:
    """ISO-8601 date-time (or date: its midnight), naive values in the project's time zone."""
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        moment = datetime.combine(day, time.min) if day is not None else None
    if moment is None:
        raise ValueError(value)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def print_table(
    stdout: OutputWrapper, header: tuple[str, str], rows: list[tuple[str, int]]
) -> None:
    """A two-column table: label, count."""
    width = max([len(header[0]), *(len(label) for label, _count in rows)])
    stdout.write(f"{header[0]:<{width}}  {header[1]:>8}")
    stdout.write(f"{'-' * width}  {'-' * 8}")
    for label, count in rows:
        stdout.write(f"{label:<{width}}  {count:>8}")


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Reprocesses stored webhook events with the current parsers, idempotently "
        "(reprocessing again does not duplicate messages). Choose the events with --failed, "
        "--unassigned, --ids, --since or --all; rejected events are never reprocessed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--failed", action="store_true", help=_("events whose status is 'failed'")
        )
        parser.add_argument(
            "--unassigned", action="store_true", help=_("events whose status is 'no client'")
        )
        parser.add_argument(
            "--ids", nargs="+", type=int, metavar="ID", help=_("only these event IDs")
        )
        parser.add_argument(
            "--since",
            metavar="DATA_HORA",
            help=_("events received from this ISO-8601 date/time on, e.g. 2025-01-31T14:00"),
        )
        parser.add_argument(
            "--all", action="store_true", help=_("every event (except the rejected ones)")
        )

    def handle(self, *args, **options) -> None:
        events = self._selection(options)
        total = events.count()
        if total == 0:
            self.stdout.write(_("No event matches the selection."))
            return
        bar = progress_bar(self.stderr, total=total, desc=_("Reprocessing"), unit=_("event"))
        with bar:
            summary = events_reprocess(
                queryset=events, progress=lambda done: bar.update(done - bar.n)
            )
        self.stdout.write(_("Reprocessing summary:"))
        print_table(self.stdout, (_("Event status"), _("Events")), summary_rows(summary))
        examined = ngettext("%(n)s event examined.", "%(n)s events examined.", total)
        self.stdout.write(self.style.SUCCESS(examined % {"n": total}))

    def _selection(self, options) -> QuerySet[WebhookEvent]:
        statuses = [
            status
            for flag, status in (
                ("failed", WebhookEvent.Status.FAILED),
                ("unassigned", WebhookEvent.Status.UNASSIGNED),
            )
            if options[flag]
        ]
        if not (statuses or options["ids"] or options["since"] or options["all"]):
            raise CommandError(
                _(
                    "Say which events to reprocess: --failed (those that failed), --unassigned "
                    "(those without a client), --ids 1 2 3 (these IDs), --since "
                    "2025-01-31T14:00 (received since then) or --all (all of them). The "
                    "options combine: --failed --since 2025-01-31 reprocesses only those that "
                    "failed since that date."
                )
            )
        events = WebhookEvent.objects.all()
        if statuses:
            events = events.filter(status__in=statuses)
        if options["ids"]:
            events = events.filter(pk__in=options["ids"])
        if options["since"]:
            try:
                since = parse_since(options["since"])
            except ValueError as exc:
                raise CommandError(
                    _("Invalid --since: '%(value)s'. Use ISO-8601, e.g. %(example)s.")
                    % {"value": options["since"], "example": "2025-01-31T14:00:00-03:00"}
                ) from exc
            events = events.filter(received_at__gte=since)
        return events
