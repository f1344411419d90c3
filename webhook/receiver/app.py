"""The receiver's Flask application: a thin HTTP adapter over ``webhook.ingest``.

It recognises nothing and stores nothing itself: every delivery goes to
``webhook.ingest.receive`` after ``django.setup()``, exactly like Django's ``/webhook/``. Under
granian (the default) the front (``webhook.receiver.front``) answers the webhook ``POST``
routes itself and hands this app the rest; under gunicorn, waitress and Flask's test client this
app answers everything.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

from webhook.receiver import setup_django

if TYPE_CHECKING:
    from flask import Flask, Response

    from webhook.ingest import InboundRequest, IngestResponse

WEBHOOK_ROUTES = (
    "/webhook",
    "/webhook/<event>",
    "/webhook/k/<token>",
    "/webhook/k/<token>/<event>",
)


class ServerState:
    """This process's counters and the tunnel URL, shown by /status. Every answer is also
    counted for the whole receiver (``webhook.server_stats``: memory, then the database
    every two seconds from a background thread)."""

    def __init__(self, tunnel_url: str = "", tunnel_reason: str = "") -> None:
        self.lock = threading.Lock()
        self.responses: Counter[int] = Counter()
        self.started_at = time.time()
        self.tunnel_url = tunnel_url
        self.tunnel_reason = tunnel_reason

    def count(self, status: int) -> None:
        from webhook import server_stats

        with self.lock:
            self.responses[status] += 1
        server_stats.record(server_stats.RECEIVER, status)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory: sets Django up and registers the routes."""
    from flask import Flask

    setup_django()
    from webhook.conf import webhook_settings

    app = Flask(__name__, static_folder=None)  # /static/ is the console's (webhook.receiver.status)
    app.config["MAX_CONTENT_LENGTH"] = webhook_settings.MAX_BODY_BYTES  # /test and the rest
    app.config.update(config or {})
    app.extensions["multichat"] = ServerState(
        app.config.get("TUNNEL_URL", ""), app.config.get("TUNNEL_REASON", "")
    )
    preload_clients()
    if not app.testing:
        from webhook import server_stats

        server_stats.enable(server_stats.RECEIVER, tunnel_url=app.config.get("TUNNEL_URL", ""))
    app.teardown_request(_end_database_request)
    for rule in WEBHOOK_ROUTES:
        app.add_url_rule(rule, view_func=webhook, methods=["GET", "POST"], strict_slashes=False)
    app.add_url_rule("/status", view_func=status, methods=["GET"])
    app.add_url_rule("/healthz", view_func=healthz, methods=["GET"])
    app.add_url_rule("/readyz", view_func=readyz, methods=["GET"])
    app.add_url_rule("/metrics", view_func=metrics, methods=["GET"])
    _status_page_routes(app)
    app.add_url_rule("/test", view_func=send_sample, methods=["POST"])  # never GET: a link could
    app.register_error_handler(404, http_error)
    app.register_error_handler(405, http_error)
    return app


def preload_clients() -> None:
    """Load the client directory before the workers fork, so that every worker can still
    authenticate (and spool) deliveries if the database goes away before its first request."""
    from django.db import DatabaseError

    from webhook.clients import client_directory

    try:
        client_directory.preload()
    except DatabaseError:
        pass  # database down at start-up: deliveries answer 503 until it is back


def _end_database_request(_exc: BaseException | None) -> None:
    """Each request ends a Django request boundary, as in Django's own handler: connections
    that went bad or too old are closed. Tests run inside a transaction that closing would
    end, exactly like Django's test client avoids."""
    from django.db import close_old_connections
    from flask import current_app

    if not current_app.testing:
        close_old_connections()


def _state() -> ServerState:
    from flask import current_app

    return current_app.extensions["multichat"]


def inbound(token: str = "") -> InboundRequest:
    """The current Flask request as ``webhook.ingest`` takes it."""
    from flask import request

    from webhook import ingest
    from webhook.conf import webhook_settings
    from webhook.front import read_bounded

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


def respond(result: IngestResponse) -> Response:
    from flask import Response

    if isinstance(result.body, str):
        response = Response(result.body, status=result.status, mimetype="text/plain")
    else:
        response = Response(
            json.dumps(result.body), status=result.status, mimetype="application/json"
        )
    response.headers.update(dict(result.headers))
    _state().count(result.status)
    return response


def webhook(event: str = "", token: str = "") -> Response:
    from flask import request

    from webhook import ingest

    if request.method == "GET":
        return respond(ingest.handshake(inbound(token)))
    return respond(ingest.receive(inbound(token)))


def status() -> Response:
    """Aggregate health, HTML for browsers and JSON for machines (``webhook.receiver.status``):
    the request counters of the whole receiver, and this worker's own for debugging."""
    from webhook.conf import webhook_settings
    from webhook.receiver.status import status_response

    state = _state()
    with state.lock:
        responses = dict(state.responses)
    return status_response(
        {
            "server": "flask",
            "tunnel_url": state.tunnel_url or None,
            "tunnel": state.tunnel_reason or ("aberto" if state.tunnel_url else "desligado"),
            "processing": {"apply_mode": webhook_settings.APPLY_MODE},
            "this_process": {
                "scope": "only the worker process that answered this request (debugging)",
                "requests_total": sum(responses.values()),
                "responses_by_status": {str(k): v for k, v in sorted(responses.items())},
                "uptime_seconds": round(time.time() - state.started_at, 1),
            },
        }
    )


def _status_page_routes(app: Flask) -> None:
    """What the status page's console header links to (``webhook.receiver.status``)."""
    from webhook.receiver import status as page

    app.add_url_rule("/static/<path:name>", view_func=page.static_file, methods=["GET"])
    app.add_url_rule("/i18n/setlang/", view_func=page.set_language, methods=["POST"])
    app.add_url_rule("/painel/", view_func=page.to_console, methods=["GET"])
    app.add_url_rule("/painel/<path:path>", view_func=page.to_console, methods=["GET"])


def healthz() -> Response:
    """Alive: answers without touching the database or the disk (``webhook.health``)."""
    from flask import jsonify

    from webhook import health

    return jsonify(health.liveness("flask"))


def readyz() -> Response:
    """Ready: database answering and spool writable; 503 with the reasons otherwise."""
    from flask import jsonify

    from webhook import health

    status, body = health.readiness("flask")
    return jsonify(body), status


def metrics() -> Response:
    """Prometheus, summed over this receiver's processes (``webhook.metrics_export``)."""
    from flask import Response, jsonify, request

    from webhook import metrics_export

    refused = metrics_export.refusal(
        request.remote_addr or "",
        request.headers.get("X-Forwarded-For", ""),
        request.headers.get("Authorization", ""),
    )
    if refused is not None:
        status, detail = refused
        error = "authentication_required" if status == 401 else "forbidden"
        return jsonify({"ok": False, "error": error, "detail": detail}), status
    content, content_type = metrics_export.exposition()
    return Response(content, mimetype=None, content_type=content_type)


def http_error(error: Any) -> Response:
    """404 and 405 in JSON, like every other answer of the receiver."""
    from flask import Response

    code = error.name.lower().replace(" ", "_")
    body = {"ok": False, "error": code, "detail": error.description}
    return Response(json.dumps(body), status=error.code, mimetype="application/json")


def send_sample() -> Response:
    """``POST /test``: the sample delivery, for a local or API-token caller (``sampling``)."""
    from flask import request

    return respond(_run_sample(request.get_json(silent=True) or {}))


def _run_sample(options: dict[str, Any]) -> IngestResponse:
    from flask import request

    from webhook import ingest, sampling
    from webhook.conf import webhook_settings
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
