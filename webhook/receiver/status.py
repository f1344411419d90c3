"""The receiver's status page (``/status``) and the little it needs to be a console page.

The page is Django's template ``webhook/status.html``, the one Django's ``/webhook/status/``
renders, filled from the same ``selectors.status_summary``. Around it the receiver answers
what the console's base template links to: its static files (``/static/webhook/...``), the
language switch (``/i18n/setlang/``, a cookie) and the console's own pages (``/painel/``,
redirected to the Django server on this host, port 8000 as in ``make run``).

Who sees client names: the read API's token (every client) or the staff user of a Django
session: the browser sends the Django server's session cookie to this port too (cookies are
per host, not per port), so a user logged in at ``:8000`` sees the same detail here, limited
to their clients (``webhook.access``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Response

DJANGO_PORT = 8000  # `make run`'s Django server
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def session_user(cookies: Any) -> Any:
    """The Django user of the session cookie, or None (no session, expired, database down)."""
    from django.conf import settings
    from django.db import DatabaseError

    key = cookies.get(settings.SESSION_COOKIE_NAME, "")
    if not key:
        return None
    from importlib import import_module

    from django.contrib.auth import get_user
    from django.http import HttpRequest

    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(key)
    try:
        user = get_user(request)
    except DatabaseError:
        return None
    return user if user.is_authenticated and user.is_active else None


def detail_for(authorization: str, user: Any) -> tuple[bool, set[int] | None]:
    """As Django's status view: the token sees every client, staff their own."""
    from webhook import access, sampling
    from webhook.conf import webhook_settings

    if sampling.bearer_matches(authorization, webhook_settings.API_TOKEN):
        return True, None
    if user is not None and user.is_staff:
        return True, access.visible_client_ids(user)
    return False, None


def console_url(host: str, scheme: str) -> str:
    """The Django server beside this receiver, when the page was opened on this computer."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return f"{scheme}://{name}:{DJANGO_PORT}" if name in LOCAL_HOSTS else ""


def status_response(extra: dict[str, Any]) -> Response:
    """``GET /status``: HTML for browsers, JSON (UTF-8, no ``\\u`` escapes) for machines."""
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import translation
    from flask import Response, request

    from webhook import selectors, status_page

    user = session_user(request.cookies)
    detail, client_ids = detail_for(request.headers.get("Authorization", ""), user)
    summary = selectors.status_summary(detail=detail, client_ids=client_ids)
    summary.update(extra)
    private = {"Vary": "Accept, Cookie, Authorization"}
    if detail:
        private["Cache-Control"] = "private, no-store"
    if not status_page.wants_html(request.headers.get("Accept", ""), request.args.get("format")):
        body = json.dumps(summary, ensure_ascii=False)
        return Response(body, mimetype="application/json", headers=private)
    chosen = request.cookies.get(settings.LANGUAGE_COOKIE_NAME, "")
    language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
    shared = summary["receiver"]  # every worker of the receiver announces the same tunnel
    tunnel_url = summary.get("tunnel_url") or (shared["tunnel_url"] if shared["online"] else None)
    context = status_page.page_context(summary, server="receiver", tunnel_url=tunnel_url)
    context.update(
        console_url=console_url(request.host, request.scheme),
        request={"path": request.path, "get_full_path": request.full_path.rstrip("?")},
        csrf_token="",  # the language form posts to this server, which needs none
    )
    with translation.override(language):
        html = render_to_string("webhook/status.html", context)
    headers = {**private, "Content-Security-Policy": CSP, "Content-Language": language}
    return Response(html, mimetype="text/html", headers=headers)


def static_file(name: str) -> Response:
    """``/static/webhook/...``: the console's CSS, scripts and icon, from the Django app."""
    from django.contrib.staticfiles import finders
    from flask import abort, send_file

    if not name.startswith("webhook/") or ".." in name.split("/"):
        abort(404)
    path = finders.find(name)
    if not path:
        abort(404)
    return send_file(path, max_age=3600)


def set_language() -> Response:
    """The language switch of the page's header: the same cookie Django's ``set_language``
    sets, then back to the page (a path on this server only)."""
    from django.conf import settings
    from flask import redirect, request

    language = request.form.get("language", "")
    target = request.form.get("next", "") or "/status"
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/status"
    response = redirect(target, code=303)
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
        )
    return response


def to_console(path: str = "") -> Response:
    """``/painel/...``: the console lives on the Django server."""
    from flask import abort, redirect, request

    base = console_url(request.host, request.scheme)
    if not base:
        abort(404)
    return redirect(f"{base}/painel/{path}", code=302)
