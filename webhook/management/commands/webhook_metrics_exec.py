"""``manage.py webhook_metrics_exec NAME -- COMMAND ...``: run a process that has no HTTP port
(a Celery worker) with its metrics folder ready: ``<spool>/metrics/worker-NAME``, emptied at
start (``webhook.metrics.prepare_run_dir``), where the Django server's ``/metrics`` finds it.

The command replaces this process (``exec``): signals from honcho or systemd reach it directly.
"""

from __future__ import annotations

import os
import re
import shutil

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhook import metrics
from webhook.management.base import TranslatedCommand
from webhook.metrics_export import WORKERS_PREFIX


class Command(TranslatedCommand):
    requires_system_checks: list[str] = []
    help = gettext_lazy(
        "Run a command (a Celery worker) with its Prometheus metrics folder prepared, "
        "shown by the Django server's /metrics."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help=gettext_lazy("worker name, e.g. apply or media"))
        parser.add_argument("command", nargs="+", help=gettext_lazy("the command, after --"))

    def handle(self, *args, **options) -> None:
        name, command = options["name"], options["command"]
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise CommandError(_("Invalid worker name '%(name)s'.") % {"name": name})
        program = shutil.which(command[0])
        if program is None:
            raise CommandError(_("Command not found: %(command)s") % {"command": command[0]})
        metrics.prepare_run_dir(f"{WORKERS_PREFIX}{name}")
        os.execv(program, command)  # noqa: S606 - the operator's own command line, no shell
