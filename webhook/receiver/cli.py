"""``python servidor_webhook_local.py``: the command line, the banner and ``main``."""

from __future__ import annotations

import argparse
import os

from webhook.receiver import setup_django


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Defaults from the settings (``WEBHOOK_PORT``, ``WEBHOOK_HOST``, ``WEBHOOK_WORKERS``,
    ``WEBHOOK_THREADS``, ``WEBHOOK_SERVER``): Django must be set up first."""
    from django.utils.translation import gettext as _

    from webhook.conf import webhook_settings

    parser = argparse.ArgumentParser(
        description=_("MultiChat's local webhook server (Flask + ngrok).")
    )
    parser.add_argument("--port", type=int, default=webhook_settings.PORT)
    parser.add_argument("--host", default=webhook_settings.HOST)
    parser.add_argument("--no-tunnel", action="store_true", help=_("do not open the ngrok tunnel"))
    parser.add_argument(
        "--workers",
        type=int,
        default=webhook_settings.WORKERS or None,
        help=_("server processes (default: one per core, up to 4)"),
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=webhook_settings.THREADS,
        help=_("threads per process for the routes other than the webhook (default: 32)"),
    )
    parser.add_argument(
        "--server",
        choices=["granian", "gunicorn", "waitress"],
        default=webhook_settings.SERVER or None,
        help=_("server (default: granian on Linux/macOS, waitress on Windows)"),
    )
    return parser.parse_args(argv)


def banner(args: argparse.Namespace, tunnel) -> None:
    """What the terminal shows at start-up, in the site's language (pt-BR)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        lines = banner_lines(args, tunnel)
    print("\n".join(lines), flush=True)


def banner_lines(args: argparse.Namespace, tunnel) -> list[str]:
    from django.utils.translation import gettext as _

    from webhook.checks import insecure_settings_summary

    local = f"http://localhost:{args.port}"
    public = _("Public webhook")
    rows = [
        (_("Local webhook"), f"{local}/webhook"),
        (_("Status"), f"{local}/status"),
        (_("Test"), f"curl -X POST {local}/test"),
    ]
    if tunnel.is_open:
        paste = _("<- paste this URL into the gateway")
        rows.append((public, f"{tunnel.public_url}/webhook   {paste}"))
    width = max(len(label) for label in [public, *(label for label, _value in rows)]) + 2
    lines = ["=" * 70, _("MultiChat Webhook — Flask receiver")]
    lines += [f"  {label + ':':<{width}}{value}" for label, value in rows]
    if not tunnel.is_open:
        lines.append(f"  {tunnel.reason}")
    lines += [
        "  " + _("WARNING %(check)s") % {"check": line} for line in insecure_settings_summary()
    ]
    lines += ["  " + _("Ctrl+C to stop."), "=" * 70]
    return lines


def main(argv: list[str] | None = None) -> None:
    # The server acks once the raw event is committed (group commit); the applier process
    # applies it right after. WEBHOOK_APPLY_MODE=inline applies inside the request instead.
    os.environ.setdefault("WEBHOOK_APPLY_MODE", "background")
    setup_django()
    from webhook.queue.checks import queue_mode_problem

    if problem := queue_mode_problem():  # the queue mode on SQLite: one clear line, no start
        raise SystemExit(problem)
    from django.conf import settings
    from django.db import connections
    from django.utils import translation
    from django.utils.translation import gettext as _

    from webhook.receiver import serving
    from webhook.receiver.app import preload_clients
    from webhook.receiver.supervision import ApplierSupervisor
    from webhook.tunnel import TunnelResult, close_tunnel, open_tunnel

    translation.activate(settings.LANGUAGE_CODE)  # the terminal reads the site's language
    args = parse_args(argv)
    from webhook import metrics

    # One metrics folder for this receiver's workers, applier and media fetcher, emptied now.
    metrics.prepare_run_dir(f"receiver-{args.port}")
    tunnel = TunnelResult(reason=_("no public tunnel: turned off with --no-tunnel"))
    if not args.no_tunnel:
        tunnel = open_tunnel(args.port, settings.NGROK_AUTHTOKEN)
    applier = ApplierSupervisor()
    try:
        preload_clients()  # forked workers start with it (see preload_clients)
        banner(args, tunnel)
        connections.close_all()  # no connection may cross into forked workers
        applier.start()
        serving.serve({"TUNNEL_URL": tunnel.public_url, "TUNNEL_REASON": tunnel.reason}, args)
    finally:
        applier.stop()
        close_tunnel(tunnel)
