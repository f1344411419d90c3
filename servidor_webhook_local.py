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

    from webhook import ingest, sampling, selectors
    from webhook.conf import webhook_settings
    from webhook.front import read_bounded

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = webhook_settings.MAX_BODY_BYTES  # /test and the rest
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
        body, declared = read_bounded(  # the server's stream: werkzeug's would refuse first
            environ["wsgi.input"], request.content_length, webhook_settings.MAX_BODY_BYTES
        )
        return ingest.InboundRequest(
            body=body,
            declared_length=declared,
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
        detail = sampling.bearer_matches(authorization, webhook_settings.API_TOKEN)
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

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _http_error(error: Any) -> Response:  # JSON like every other answer of the receiver
        code = error.name.lower().replace(" ", "_")
        body = {"ok": False, "error": code, "detail": error.description}
        return Response(json.dumps(body), status=error.code, mimetype="application/json")

    @app.post("/test")  # a state-changing request: never GET (a link or an <img> could)
    def test() -> Response:
        return respond(_run_test(request.get_json(silent=True) or {}))

    def _run_test(options: dict[str, Any]) -> ingest.IngestResponse:
        from webhook.sample import sample_payload
        from webhook.validators import WebhookValidator

        ip = WebhookValidator.client_ip(
            request.remote_addr or "",
            request.headers.get("X-Forwarded-For", ""),
            webhook_settings.TRUSTED_PROXIES,
        )
        refusal = sampling.cross_site_refusal(
            host=request.host,
            scheme=request.scheme,
            origin=request.headers.get("Origin", ""),
            referer=request.headers.get("Referer", ""),
            fetch_site=request.headers.get("Sec-Fetch-Site", ""),
        ) or sampling.receiver_refusal(
            ip=ip,
            authorization=request.headers.get("Authorization", ""),
            api_token=webhook_settings.API_TOKEN,
        )
        client = sampling.sample_client(str(options.get("client", ""))) if not refusal else None
        if refusal is None and client is None:
            refusal = sampling.NO_CLIENT
        if refusal is not None:
            return ingest.IngestResponse(refusal.status, refusal.as_dict())
        payload = sample_payload(
            instance_id=client.instance_id, text=str(options.get("text") or "Mensagem de teste")
        )
        result = sampling.run_sample(client, payload, path="/test", remote_addr=ip)
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
    print(f"  Teste:           curl -X POST {local}/test")
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


def _granian_worker_app(_target: str) -> Any:
    """Runs in each granian worker before it serves: lower its priority, build the app
    behind its front (``webhook.receiver_front``: bodies read and deliveries acknowledged on
    granian's event loop, the other routes in a pool of ``--threads`` threads).

    The parent never imports Flask: each worker builds its own app (about 0.2 s, in parallel),
    which keeps Flask and Jinja out of the parent process (59 -> 52 MB resident here). The
    tunnel's address reaches the workers through the environment (forked on Linux, spawned on
    macOS)."""
    from webhook.receiver_front import receiver_front

    _lower_priority()
    app = create_app(
        {
            "TUNNEL_URL": os.environ.get("_WEBHOOK_TUNNEL_URL", ""),
            "TUNNEL_REASON": os.environ.get("_WEBHOOK_TUNNEL_REASON", ""),
        }
    )
    return receiver_front(app, threads=int(os.environ["_WEBHOOK_THREADS"]))


def _serve_granian(config: dict[str, Any], args: argparse.Namespace) -> None:
    """Granian: HTTP parsed in Rust; in each worker process the receiver's front
    (``webhook.receiver_front``) reads bodies and acknowledges deliveries on the event loop,
    and runs the Flask app's other routes in a pool of threads. Slow or huge bodies hold
    neither a thread nor memory (gunicorn and waitress, the alternatives, give each request a
    thread while its body arrives)."""
    from webhook.serving import serve_granian

    os.environ["_WEBHOOK_TUNNEL_URL"] = config.get("TUNNEL_URL", "")
    os.environ["_WEBHOOK_TUNNEL_REASON"] = config.get("TUNNEL_REASON", "")
    os.environ["_WEBHOOK_THREADS"] = str(args.threads)
    serve_granian(
        target="servidor_webhook_local:app",
        loader=_granian_worker_app,
        wsgi=False,
        host=args.host,
        port=args.port,
        workers=args.workers or default_workers(),
        threads=args.threads,
    )


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
            self.cfg.set("logger_class", "webhook.gunicorn_logging.SafeGunicornLogger")

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
