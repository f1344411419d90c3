"""``manage.py webhook_rebuild_stats``: recompute the derived statistics from the Message rows."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from webhook.management.base import TranslatedCommand
from webhook.management.commands.webhook_reprocess import progress_bar
from webhook.models import Client, ContactStats, MessageStats
from webhook.services.replay import chat_counters_rebuild
from webhook.services.stats import realtime_refresh, stats_rebuild


class Command(TranslatedCommand):
    help = gettext_lazy(
        "Recomputes the statistics (hourly, per contact and real-time) and the conversations' "
        "counters from the stored messages, for every client or just one."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--client",
            metavar="INSTANCE_ID",
            help=_("the client's instance ID (default: every client)"),
        )

    def handle(self, *args, **options) -> None:
        clients = Client.objects.order_by("pk")
        if options["client"]:
            clients = clients.filter(instance_id=options["client"])
            if not clients.exists():
                raise CommandError(
                    _("No client with the instance ID '%(id)s'.") % {"id": options["client"]}
                )
        clients = list(clients)  # few rows, and no cursor left open while we write
        rows = []
        bar = progress_bar(self.stderr, total=len(clients), desc=_("Recomputing"), unit=_("client"))
        with bar:
            for client in clients:
                stats_rebuild(client=client)
                corrected = chat_counters_rebuild(client=client)
                realtime_refresh(client=client)
                rows.append((client, corrected))
                bar.update(1)
        self._summary(rows)

    def _summary(self, rows: list) -> None:
        header = (_("Client"), _("Hours"), _("Contacts"), _("Conversations fixed"))
        lines = [
            (
                client.instance_id,
                MessageStats.objects.filter(client=client).count(),
                ContactStats.objects.filter(client=client).count(),
                corrected,
            )
            for client, corrected in rows
        ]
        width = max([len(header[0]), *(len(line[0]) for line in lines)])
        self.stdout.write(f"{header[0]:<{width}}  " + "  ".join(f"{h:>20}" for h in header[1:]))
        for name, *counts in lines:
            self.stdout.write(f"{name:<{width}}  " + "  ".join(f"{c:>20}" for c in counts))
        done = ngettext(
            "Statistics recomputed for %(n)s client.",
            "Statistics recomputed for %(n)s clients.",
            len(rows),
        ) % {"n": len(rows)}
        self.stdout.write(self.style.SUCCESS(done))
