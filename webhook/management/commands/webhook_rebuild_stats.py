"""``manage.py webhook_rebuild_stats``: recompute the derived statistics from the Message rows."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from webhook.management.commands.webhook_reprocess import progress_bar
from webhook.models import Client, ContactStats, MessageStats
from webhook.services.replay import chat_counters_rebuild
from webhook.services.stats import realtime_refresh, stats_rebuild


class Command(BaseCommand):
    help = _(
        "Recalcula as estatísticas (por hora, por contato e em tempo real) e os contadores das "
        "conversas a partir das mensagens armazenadas, de todos os clientes ou de um só."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--client",
            metavar="INSTANCE_ID",
            help=_("ID da instância do cliente (padrão: todos os clientes)"),
        )

    def handle(self, *args, **options) -> None:
        clients = Client.objects.order_by("pk")
        if options["client"]:
            clients = clients.filter(instance_id=options["client"])
            if not clients.exists():
                raise CommandError(
                    _("Nenhum cliente com o ID de instância '%(id)s'.") % {"id": options["client"]}
                )
        clients = list(clients)  # few rows, and no cursor left open while we write
        rows = []
        bar = progress_bar(
            self.stderr, total=len(clients), desc=_("Recalculando"), unit=_("cliente")
        )
        with bar:
            for client in clients:
                stats_rebuild(client=client)
                corrected = chat_counters_rebuild(client=client)
                realtime_refresh(client=client)
                rows.append((client, corrected))
                bar.update(1)
        self._summary(rows)

    def _summary(self, rows: list) -> None:
        header = (_("Cliente"), _("Horas"), _("Contatos"), _("Conversas corrigidas"))
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
        done = _("Estatísticas recalculadas para %(n)s cliente(s).") % {"n": len(rows)}
        self.stdout.write(self.style.SUCCESS(done))
