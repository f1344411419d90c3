"""python manage.py webhook_fetch_media [--failed] [--client X] [--since D] [--loop]."""

from __future__ import annotations

import signal
from datetime import datetime, time

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from tqdm import tqdm

from webhook.conf import webhook_settings
from webhook.management.base import TranslatedCommand
from webhook.management.commands.webhook_apply import SignalStop
from webhook.media import loop
from webhook.media.services import media_retry
from webhook.models import Client, MediaFile


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Downloads, decrypts and stores the messages' pending media. With --failed, retries "
        "those that failed or expired; with --loop, keeps running in the background."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--failed", action="store_true", help=_("retry those that failed or expired")
        )
        parser.add_argument("--client", help=_("only this client (instance ID)"))
        parser.add_argument("--since", help=_("only messages since this date (YYYY-MM-DD[THH:MM])"))
        parser.add_argument("--loop", action="store_true", help=_("keep running until Ctrl+C"))
        parser.add_argument(
            "--concurrency",
            type=int,
            default=0,
            help=_("simultaneous downloads (default: the settings)"),
        )

    def handle(self, *args, **options) -> None:
        concurrency = options["concurrency"] or webhook_settings.MEDIA_CONCURRENCY
        if options["loop"]:
            stop = SignalStop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, stop.set)
            loop.run(stop, concurrency=concurrency)
            return
        queryset = self._selection(options)
        if options["failed"]:
            media_retry(
                queryset=queryset.filter(
                    state__in=[MediaFile.State.FAILED, MediaFile.State.EXPIRED]
                )
            )
        ids = list(
            queryset.filter(state=MediaFile.State.PENDING)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        bar = tqdm(total=len(ids), unit=_("file"), disable=options["verbosity"] == 0)
        counts = loop.fetch_batch(ids, concurrency=concurrency, progress=lambda _s: bar.update(1))
        bar.close()
        labels = dict(MediaFile.State.choices)
        summary = ", ".join(f"{labels.get(k, k)}: {n}" for k, n in sorted(counts.items()))
        if options["verbosity"] > 0:
            done = ngettext(
                "%(n)s media file processed.", "%(n)s media files processed.", len(ids)
            ) % {"n": len(ids)}
            self.stdout.write(f"{done} {summary}".strip())

    def _selection(self, options):
        queryset = MediaFile.objects.all()
        if options["client"]:
            client = Client.objects.filter(instance_id=options["client"]).first()
            if client is None:
                raise CommandError(_("Client not found: %(id)s") % {"id": options["client"]})
            queryset = queryset.filter(client=client)
        if options["since"]:
            queryset = queryset.filter(message__timestamp__gte=_since(options["since"]))
        return queryset


def _since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(
                _("Invalid date in --since: %(value)s (use YYYY-MM-DD)") % {"value": value}
            )
        moment = datetime.combine(day, time.min)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
