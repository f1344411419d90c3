"""``manage.py webhook_drain_spool``: move deliveries spooled during an outage into the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, InterfaceError
from django.utils.translation import gettext as _

from webhook import spool


class Command(BaseCommand):
    help = _(
        "Grava no banco (e processa) as entregas guardadas no spool em disco enquanto o banco "
        "estava indisponível. Seguro de repetir: cada entrega é gravada uma única vez."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help=_("só mostra quantas entregas aguardam no spool, sem gravar nada"),
        )

    def handle(self, *args, **options) -> None:
        if options["check"]:
            self.stdout.write(str(spool.pending_count()))
            return
        try:
            moved = spool.drain()
        except (DatabaseError, InterfaceError) as exc:
            raise CommandError(
                _("Banco de dados indisponível; o spool foi mantido. Tente de novo. (%(error)s)")
                % {"error": exc}
            ) from exc
        except OSError as exc:
            raise CommandError(
                _("Não foi possível ler o spool em %(dir)s: %(error)s")
                % {"dir": spool.spool_dir(), "error": exc}
            ) from exc
        if moved:
            message = _("%(n)s entrega(s) movida(s) do spool para o banco de dados.") % {"n": moved}
        else:
            message = _("Nenhuma entrega no spool: nada a mover.")
        self.stdout.write(self.style.SUCCESS(message))
