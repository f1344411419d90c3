"""python manage.py webhook_apply [--once]: apply stored events in the background."""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

from webhook import applier


class Command(BaseCommand):
    help = (
        "Aplica em segundo plano os eventos gravados (situação 'recebido'): conversas, mensagens, "
        "situações e estatísticas. O servidor Flask inicia um automaticamente."
    )

    requires_system_checks: list[str] = []  # the server that starts it has already checked

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="aplica o que estiver pendente e termina"
        )

    def handle(self, *args, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        total = applier.run(stop, once=options["once"])
        if options["verbosity"] > 0:
            self.stdout.write(f"{total} eventos aplicados.")
