#!/usr/bin/env python
"""Servidor webhook local (Flask, porta 5000) com túnel público ngrok.

A thin HTTP adapter: it recognises nothing and stores nothing itself. Every delivery goes to
``webhook.ingest.receive`` after ``django.setup()``, exactly like Django's ``/webhook/``.

    python servidor_webhook_local.py [--port 5000] [--host 0.0.0.0] [--no-tunnel]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask, Response

BASE_DIR = Path(__file__).resolve().parent


def setup_django() -> None:
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    import django

    django.setup()


class ServerState:
    """Per-process counters and the tunnel URL, shown by /status."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.responses: Counter[int] = Counter()
        self.started_at = time.time()
        self.tunnel_url = ""
        self.tunnel_reason = ""

    def count(self, status: int) -> None:
        with self.lock:
            self.responses[status] += 1


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory: sets Django up and registers the routes."""
    from flask import Flask, Response, jsonify, request

    setup_django()
    from django.db import close_old_connections

    from webhook import ingest, selectors
    from webhook.conf import webhook_settings

    app = Flask(__name__)
    app.config.update(config or {})
    state = ServerState()
    state.tunnel_url = app.config.get("TUNNEL_URL", "")
    state.tunnel_reason = app.config.get("TUNNEL_REASON", "")
    app.extensions["multichat"] = state
    _preload_clients()

    # Each request ends a Django request boundary, as in Django's own handler: connections
    # that went bad or too old are closed. Tests run inside a transaction that closing would
    # end, exactly like Django's test client avoids.
    @app.teardown_request
    def _db_end(_exc: BaseException | None) -> None:
        if not app.testing:
            close_old_connections()

    def inbound(token: str = "") -> ingest.InboundRequest:
        environ = request.environ
        # What werkzeug's Headers would give, lower-cased, read straight from the environ.
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
            if environ.get(key):
                headers[name] = environ[key]
        return ingest.InboundRequest(
            body=request.get_data(cache=True),
            headers=headers,
            query=request.args.to_dict() if environ.get("QUERY_STRING") else {},
            remote_addr=request.remote_addr or "",
            path=request.path,
            path_token=token,
            method=request.method,
        )

    def respond(result: ingest.IngestResponse) -> Response:
        if isinstance(result.body, str):
            response = Response(result.body, status=result.status, mimetype="text/plain")
        else:
            response = Response(
                json.dumps(result.body), status=result.status, mimetype="application/json"
            )
        response.headers.update(dict(result.headers))
        state.count(result.status)
        return response

    @app.route("/webhook", methods=["GET", "POST"], strict_slashes=False)
    @app.route("/webhook/<event>", methods=["GET", "POST"], strict_slashes=False)
    @app.route("/webhook/k/<token>", methods=["GET", "POST"], strict_slashes=False)
    @app.route("/webhook/k/<token>/<event>", methods=["GET", "POST"], strict_slashes=False)
    def webhook(event: str = "", token: str = "") -> Response:
        if request.method == "GET":
            return respond(ingest.handshake(inbound(token)))
        return respond(ingest.receive(inbound(token)))

    @app.get("/status")
    def status() -> Response:
        # Per-client detail (names, instance ids) only for the read API's token.
        authorization = request.headers.get("Authorization", "")
        detail = _bearer_matches(authorization, webhook_settings.API_TOKEN)
        summary = selectors.status_summary(detail=detail)
        summary.update(
            server="flask",
            tunnel_url=state.tunnel_url or None,
            tunnel=state.tunnel_reason or ("aberto" if state.tunnel_url else "desligado"),
            processing={"apply_mode": webhook_settings.APPLY_MODE},
            this_process={
                "requests_total": sum(state.responses.values()),
                "responses_by_status": {str(k): v for k, v in sorted(state.responses.items())},
                "uptime_seconds": round(time.time() - state.started_at, 1),
            },
        )
        return jsonify(summary)

    @app.route("/test", methods=["GET", "POST"])
    def test() -> Response:
        return respond(_run_test(request.get_json(silent=True) or {}))

    def _run_test(options: dict[str, Any]) -> ingest.IngestResponse:
        from webhook.models import Client
        from webhook.sample import sample_payload
        from webhook.validators import WebhookValidator
        from webhook.views import run_sample

        ip = WebhookValidator.client_ip(
            request.remote_addr or "",
            request.headers.get("X-Forwarded-For", ""),
            webhook_settings.TRUSTED_PROXIES,
        )
        if not _local_or_token(
            ip, request.headers.get("Authorization", ""), webhook_settings.API_TOKEN
        ):
            return ingest.IngestResponse(
                401,
                {
                    "ok": False,
                    "error": "authentication_required",
                    "detail": "/test answers localhost, or "
                    "Authorization: Bearer <WEBHOOK_API_TOKEN>",
                },
            )
        client = Client.objects.filter(active=True).order_by("pk").first()
        if client is None:
            return ingest.IngestResponse(
                400,
                {
                    "ok": False,
                    "error": "no_client",
                    "detail": "crie um cliente: python setup_webhook.py",
                },
            )
        payload = sample_payload(
            instance_id=client.instance_id, text=str(options.get("text") or "Mensagem de teste")
        )
        result = run_sample(client, payload, path="/test", remote_addr=ip)
        return ingest.IngestResponse(200 if result["ok"] else 500, result)

    return app


def _preload_clients() -> None:
    """Load the client directory before the workers fork, so that every worker can still
    authenticate (and spool) deliveries if the database goes away before its first request."""
    from django.db import DatabaseError

    from webhook.clients import client_directory

    try:
        client_directory.preload()
    except DatabaseError:
        pass  # database down at start-up: deliveries answer 503 until it is back


def _local_or_token(ip: str, authorization: str, api_token: str) -> bool:
    return ip in ("127.0.0.1", "::1") or _bearer_matches(authorization, api_token)


def _bearer_matches(authorization: str, api_token: str) -> bool:
    import hmac

    presented = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    return bool(
        api_token and presented and hmac.compare_digest(presented.encode(), api_token.encode())
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Servidor webhook local do MultiChat (Flask + ngrok)."
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEBHOOK_PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("WEBHOOK_HOST", "0.0.0.0"))  # noqa: S104
    parser.add_argument("--no-tunnel", action="store_true", help="não abrir o túnel ngrok")
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEBHOOK_WORKERS", "0")) or None,
        help="processos do servidor (padrão: um por núcleo, até 4)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("WEBHOOK_THREADS", "32")),
        help="threads por processo (padrão: 32; cada uma espera a gravação da sua entrega)",
    )
    parser.add_argument(
        "--server",
        choices=["granian", "gunicorn", "waitress"],
        default=os.environ.get("WEBHOOK_SERVER") or None,
        help="servidor WSGI (padrão: granian no Linux/macOS, waitress no Windows)",
    )
    return parser.parse_args(argv)


def _banner(args: argparse.Namespace, tunnel: Any) -> None:
    from webhook.checks import insecure_settings_summary

    local = f"http://localhost:{args.port}"
    print("=" * 70)
    print("MultiChat Webhook — receptor Flask")
    print(f"  Webhook local:   {local}/webhook")
    print(f"  Status:          {local}/status")
    print(f"  Teste:           {local}/test")
    if tunnel.is_open:
        print(f"  Webhook público: {tunnel.public_url}/webhook   <- cole esta URL no gateway")
    else:
        print(f"  {tunnel.reason}")
    for line in insecure_settings_summary():
        print(f"  ATENÇÃO {line}")
    print("  Ctrl+C para parar.")
    print("=" * 70, flush=True)


def default_workers() -> int:
    """One process per core, up to 4: each request thread mostly waits for its commit, the
    processes spread the HTTP and JSON work over the cores (``make bench``)."""
    return max(1, min(4, os.cpu_count() or 1))


def _lower_priority(_server: Any = None, _worker: Any = None) -> None:
    """Receiver workers yield the CPU to the applier when both want it (WEBHOOK_RECEIVER_NICE,
    default 5): a burst cannot outrun normalisation, and acks stay fast (they wait on fsync,
    not on CPU). Called in each worker before it starts its threads, which inherit it."""
    from django.conf import settings

    if hasattr(os, "nice") and settings.WEBHOOK_RECEIVER_NICE > 0:
        os.nice(settings.WEBHOOK_RECEIVER_NICE)


def _granian_worker_app(_target: str) -> Flask:
    """Runs in each granian worker before it serves: lower its priority, build the app.

    The parent never imports Flask: each worker builds its own app (about 0.2 s, in parallel),
    which keeps Flask and Jinja out of the parent process (59 -> 52 MB resident here). The
    tunnel's address reaches the workers through the environment (forked on Linux, spawned on
    macOS)."""
    _lower_priority()
    return create_app(
        {
            "TUNNEL_URL": os.environ.get("_WEBHOOK_TUNNEL_URL", ""),
            "TUNNEL_REASON": os.environ.get("_WEBHOOK_TUNNEL_REASON", ""),
        }
    )


def _serve_granian(config: dict[str, Any], args: argparse.Namespace) -> None:
    """Granian: HTTP parsed in Rust, the Flask app run by a pool of Python threads per worker
    process. Measured in ``make bench``: about 1.4x the requests/s of gunicorn's gthread
    workers on the same app and machine (gunicorn parses HTTP and hands every request between
    threads in Python)."""
    import granian._signals
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    class _Server(Server):
        """Stops on the first SIGINT/SIGTERM, whichever thread the kernel hands it to.

        granian 2.8's main loop waits on an Event with no timeout and its handler calls that
        Event's set(): a signal delivered to another thread then waits until the main thread
        wakes (never), and a second one (Ctrl+C in `make run` sends SIGINT, then SIGTERM) can
        run the handler while the main thread holds the Event's lock (deadlock). Here the
        handler only raises a flag, and the main loop looks at it twice a second."""

        def __init__(self, *server_args: Any, **kwargs: Any) -> None:
            super().__init__(*server_args, **kwargs)
            self.main_loop_interrupt = _WakingEvent(lambda: self.interrupt_signal)

        def signal_handler_interrupt(self, *_args: Any, **_kwargs: Any) -> None:
            self.interrupt_signal = True

    # The workers' handler has the same flaws; granian installs it from granian._signals after
    # _granian_worker_app has run, so the workers take this one instead.
    granian._signals.set_sync_signals = _set_sync_signals_in_a_thread
    os.environ["_WEBHOOK_TUNNEL_URL"] = config.get("TUNNEL_URL", "")
    os.environ["_WEBHOOK_TUNNEL_REASON"] = config.get("TUNNEL_REASON", "")
    _Server(
        "servidor_webhook_local:app",
        address=args.host,
        port=args.port,
        interface=Interfaces.WSGI,
        workers=args.workers or default_workers(),
        blocking_threads=args.threads,
        respawn_failed_workers=True,  # as gunicorn's arbiter: a dead worker is replaced
        # A worker still running 5 s after being told to stop is killed (a safety net: what
        # it acknowledged is already on disk).
        workers_kill_timeout=5,
        log_level=LogLevels.error,  # not its advice on thread counts; errors and crashes show
        websockets=False,
    ).serve(target_loader=_granian_worker_app)


class _WakingEvent(threading.Event):
    """An Event whose wait() also returns once ``stop_requested()`` is true, looking twice a
    second, so that the waiting main thread runs Python's pending signal handlers."""

    def __init__(self, stop_requested: Any) -> None:
        super().__init__()
        self._stop_requested = stop_requested

    def wait(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not super().wait(0.5):
            if self._stop_requested():
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True


def _set_sync_signals_in_a_thread() -> Any:
    """granian._signals.set_sync_signals for a worker, without a Python signal handler.

    Runs in the worker's main thread before it starts any other: SIGINT and SIGTERM are
    blocked here, and so in every thread started afterwards, and one thread waits for them
    with sigwait() and tells granian. No signal can land on a thread that ignores it, and no
    handler can interrupt code holding a lock."""
    import signal

    from granian._granian import WorkerSignal

    signal_event = WorkerSignal()
    stop = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)

    def wait_for_stop() -> None:
        signal.sigwait(stop)
        signal_event.set()

    threading.Thread(target=wait_for_stop, name="stop-signal", daemon=True).start()
    return signal_event


def _serve_gunicorn(app: Flask, args: argparse.Namespace) -> None:
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
            self.cfg.set("post_fork", _lower_priority)

        def load(self) -> Flask:
            return app

    _Gunicorn().run()


def _serve(config: dict[str, Any], args: argparse.Namespace) -> None:
    server = args.server or ("waitress" if os.name == "nt" else "granian")
    if server == "granian":
        _serve_granian(config, args)
        return
    app = create_app(config)  # gunicorn's workers fork from this process: built once here
    from django.db import connections

    connections.close_all()  # no connection may cross into forked workers
    if server == "waitress":
        from waitress import serve

        serve(app, host=args.host, port=args.port, threads=args.threads)
    else:
        _serve_gunicorn(app, args)


class ApplierSupervisor:
    """In background mode the applier runs beside the server in a process of its own; if it
    dies, it is started again (events wait safely in the table meanwhile, and on SQLite the
    receivers commit their acks themselves until its socket is back)."""

    CHECK_SECONDS = 1.0

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ApplierSupervisor:
        from webhook.conf import webhook_settings

        if webhook_settings.APPLY_MODE != "background":
            if not webhook_settings.MEDIA_FETCH:
                return self
            # Inline apply: no applier process, but media files are still fetched beside us.
            self.command = "webhook_fetch_media", "--loop"
        self.process = self._spawn()
        self._thread = threading.Thread(target=self._watch, name="applier-watch", daemon=True)
        self._thread.start()
        return self

    command: tuple[str, ...] = ("webhook_apply",)  # which also runs the media fetch loop

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), *self.command], cwd=BASE_DIR
        )

    def _watch(self) -> None:
        while not self._stopping.wait(self.CHECK_SECONDS):
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                print(
                    f"O aplicador terminou (código {process.returncode}); iniciando outro.",
                    file=sys.stderr,
                    flush=True,
                )
                self.process = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str] | None = None) -> None:
    args = _parse_args(argv)
    # The server acks once the raw event is committed (group commit); the applier process
    # applies it right after. WEBHOOK_APPLY_MODE=inline applies inside the request instead.
    os.environ.setdefault("WEBHOOK_APPLY_MODE", "background")
    setup_django()
    from django.conf import settings
    from django.db import connections

    from webhook.tunnel import TunnelResult, close_tunnel, open_tunnel

    tunnel = TunnelResult(reason="sem túnel público: desligado com --no-tunnel")
    if not args.no_tunnel:
        tunnel = open_tunnel(args.port, settings.NGROK_AUTHTOKEN)
    applier = ApplierSupervisor()
    try:
        _preload_clients()  # forked workers start with it (see _preload_clients)
        _banner(args, tunnel)
        connections.close_all()  # no connection may cross into forked workers
        applier.start()
        _serve({"TUNNEL_URL": tunnel.public_url, "TUNNEL_REASON": tunnel.reason}, args)
    finally:
        applier.stop()
        close_tunnel(tunnel)


if __name__ == "__main__":
    main()
