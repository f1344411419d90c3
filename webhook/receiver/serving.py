"""The receiver's servers: granian (the default, behind ``webhook.receiver.front``), gunicorn
and waitress; and what each worker process does before it serves."""

from __future__ import annotations

import argparse
import os
from typing import Any

from webhook.receiver.app import create_app

THREADS_VARIABLE = "_WEBHOOK_THREADS"
TUNNEL_VARIABLES = {"TUNNEL_URL": "_WEBHOOK_TUNNEL_URL", "TUNNEL_REASON": "_WEBHOOK_TUNNEL_REASON"}


def default_workers() -> int:
    """One process per core, up to 4: the processes spread the HTTP and JSON work over the
    cores (``make bench``)."""
    return max(1, min(4, os.cpu_count() or 1))


def lower_priority(_server: Any = None, _worker: Any = None) -> None:
    """Receiver workers yield the CPU to the applier when both want it (WEBHOOK_RECEIVER_NICE,
    default 12): a burst cannot outrun normalisation, and acks stay fast (they wait on fsync,
    not on CPU). Called in each worker before it starts its threads, which inherit it."""
    from webhook.conf import webhook_settings

    if hasattr(os, "nice") and webhook_settings.RECEIVER_NICE > 0:
        os.nice(webhook_settings.RECEIVER_NICE)


def granian_worker_app(_target: str) -> Any:
    """Runs in each granian worker before it serves: lower its priority, build the app
    behind its front (``webhook.receiver.front``: bodies read and deliveries acknowledged on
    granian's event loop, the other routes in a pool of ``--threads`` threads).

    The parent never imports Flask: each worker builds its own app (about 0.2 s, in parallel),
    which keeps Flask and Jinja out of the parent process (59 -> 52 MB resident here). The
    tunnel's address reaches the workers through the environment (forked on Linux, spawned on
    macOS)."""
    from webhook import metrics
    from webhook.receiver.front import receiver_front

    metrics.process_started("receiver")
    lower_priority()
    app = create_app({key: os.environ.get(name, "") for key, name in TUNNEL_VARIABLES.items()})
    return receiver_front(app, threads=int(os.environ[THREADS_VARIABLE]))


def serve_with_granian(config: dict[str, Any], args: argparse.Namespace) -> None:
    """Granian: HTTP parsed in Rust; in each worker process the receiver's front reads bodies
    and acknowledges deliveries on the event loop, and runs the Flask app's other routes in a
    pool of threads. Slow or huge bodies hold neither a thread nor memory (gunicorn and
    waitress, the alternatives, give each request a thread while its body arrives)."""
    from webhook.serving import serve_granian

    for key, name in TUNNEL_VARIABLES.items():
        os.environ[name] = config.get(key, "")
    os.environ[THREADS_VARIABLE] = str(args.threads)
    serve_granian(
        target="servidor_webhook_local:app",
        loader=granian_worker_app,
        wsgi=False,
        host=args.host,
        port=args.port,
        workers=args.workers or default_workers(),
        threads=args.threads,
    )


def serve_with_gunicorn(app: Any, args: argparse.Namespace) -> None:
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{args.host}:{args.port}")
            self.cfg.set("workers", args.workers or default_workers())
            self.cfg.set("threads", args.threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("keepalive", 5)
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("post_fork", lower_priority)
            self.cfg.set("logger_class", "webhook.gunicorn_logging.SafeGunicornLogger")

        def load(self) -> Any:
            return app

    _Gunicorn().run()


def serve(config: dict[str, Any], args: argparse.Namespace) -> None:
    server = args.server or ("waitress" if os.name == "nt" else "granian")
    if server == "granian":
        serve_with_granian(config, args)
        return
    app = create_app(config)  # gunicorn's workers fork from this process: built once here
    from django.db import connections

    connections.close_all()  # no connection may cross into forked workers
    if server == "waitress":
        from waitress import serve as serve_with_waitress

        serve_with_waitress(app, host=args.host, port=args.port, threads=args.threads)
    else:
        serve_with_gunicorn(app, args)
