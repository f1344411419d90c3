"""``manage.py webhook_reprocess``: replay stored deliveries through today's parsers."""

from __future__ import annotations

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from tqdm import tqdm

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


class Command(BaseCommand):
    help = _(
        "Reprocessa eventos de webhook armazenados com os parsers atuais, de forma idempotente "
        "(reprocessar de novo não duplica mensagens). Escolha os eventos com --failed, "
        "--unassigned, --ids, --since ou --all; eventos rejeitados nunca são reprocessados."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--failed", action="store_true", help=_("eventos com situação 'falhou'")
        )
        parser.add_argument(
            "--unassigned", action="store_true", help=_("eventos com situação 'sem cliente'")
        )
        parser.add_argument(
            "--ids", nargs="+", type=int, metavar="ID", help=_("somente estes IDs de evento")
        )
        parser.add_argument(
            "--since",
            metavar="DATA_HORA",
            help=_("eventos recebidos a partir desta data/hora ISO-8601, ex.: 2025-01-31T14:00"),
        )
        parser.add_argument(
            "--all", action="store_true", help=_("todos os eventos (exceto os rejeitados)")
        )

    def handle(self, *args, **options) -> None:
        events = self._selection(options)
        total = events.count()
        if total == 0:
            self.stdout.write(_("Nenhum evento corresponde à seleção."))
            return
        bar = progress_bar(self.stderr, total=total, desc=_("Reprocessando"), unit=_("evento"))
        with bar:
            summary = events_reprocess(
                queryset=events, progress=lambda done: bar.update(done - bar.n)
            )
        self.stdout.write(_("Resumo do reprocessamento:"))
        print_table(self.stdout, (_("Situação"), _("Eventos")), summary_rows(summary))
        self.stdout.write(self.style.SUCCESS(_("%(n)s evento(s) analisado(s).") % {"n": total}))

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
                    "Diga quais eventos reprocessar: --failed (os que falharam), --unassigned "
                    "(os sem cliente), --ids 1 2 3 (estes IDs), --since 2025-01-31T14:00 "
                    "(recebidos desde então) ou --all (todos). As opções se combinam: "
                    "--failed --since 2025-01-31 reprocessa só os que falharam desde essa data."
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
                    _("--since inválido: '%(value)s'. Use ISO-8601, ex.: %(example)s.")
                    % {"value": options["since"], "example": "2025-01-31T14:00:00-03:00"}
                ) from exc
            events = events.filter(received_at__gte=since)
        return events
