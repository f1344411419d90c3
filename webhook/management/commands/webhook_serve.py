"""``manage.py webhook_serve``: the Django server of `make run` (admin, status, read API,
``/webhook/``), on granian, behind ``webhook.front`` so that slow or huge bodies never hold
one of its threads."""

from __future__ import annotations

import os

from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhook.management.base import TranslatedCommand

THREADS_VARIABLE = "_WEBHOOK_SERVE_THREADS"


def _load(_target: str):
    from django.core.wsgi import get_wsgi_application

    from webhook import metrics, server_stats
    from webhook.front import front_for

    metrics.process_started("django")
    front = front_for(get_wsgi_application(), threads=int(os.environ[THREADS_VARIABLE]))
    server_stats.enable(server_stats.DJANGO)  # its /webhook/ answers, over all its workers
    return front


class Command(TranslatedCommand):
    help = gettext_lazy("Starts the Django server (admin, status, API) with granian.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="0.0.0.0", help=_("address (default: 0.0.0.0)"))  # noqa: S104
        parser.add_argument("--port", type=int, default=8000, help=_("port (default: 8000)"))
        parser.add_argument("--workers", type=int, default=1, help=_("processes (default: 1)"))
        parser.add_argument(
            "--threads", type=int, default=8, help=_("threads per process (default: 8)")
        )

    def handle(self, *args, **options) -> None:
        from webhook import metrics
        from webhook.serving import serve_granian

        metrics.prepare_run_dir(f"django-{options['port']}")  # before any worker starts
        os.environ[THREADS_VARIABLE] = str(options["threads"])
        connections.close_all()  # no connection may cross into forked workers
        self.stdout.write(
            _("Django at http://localhost:%(port)s (Ctrl+C to stop)") % {"port": options["port"]}
        )
        serve_granian(
            target="django_project.wsgi:application",
            loader=_load,
            wsgi=False,
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
            log_access=True,
        )
