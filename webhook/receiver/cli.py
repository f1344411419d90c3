"""``python servidor_webhook_local.py``: the command line, the banner and ``main``."""

from __future__ import annotations

import argparse
import os

from webhook.receiver import setup_django


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Defaults from the settings (``WEBHOOK_PORT``, ``WEBHOOK_HOST``, ``WEBHOOK_WORKERS``,
    ``WEBHOOK_THREADS``, ``WEBHOOK_SERVER``): Django must be set up first."""
    from webhook.conf import webhook_settings

    parser = argparse.ArgumentParser(
        description="Servidor webhook local do MultiChat (Flask + ngrok)."
    )
    parser.add_argument("--port", type=int, default=webhook_settings.PORT)
    parser.add_argument("--host", default=webhook_settings.HOST)
    parser.add_argument("--no-tunnel", action="store_true", help="não abrir o túnel ngrok")
    parser.add_argument(
        "--workers",
        type=int,
        default=webhook_settings.WORKERS or None,
        help="processos do servidor (padrão: um por núcleo, até 4)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=webhook_settings.THREADS,
        help="threads por processo para as rotas fora do webhook (padrão: 32)",
    )
    parser.add_argument(
        "--server",
        choices=["granian", "gunicorn", "waitress"],
        default=webhook_settings.SERVER or None,
        help="servidor (padrão: granian no Linux/macOS, waitress no Windows)",
    )
    return parser.parse_args(argv)


def banner(args: argparse.Namespace, tunnel) -> None:
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

    from webhook.receiver import serving
    from webhook.receiver.app import preload_clients
    from webhook.receiver.supervision import ApplierSupervisor
    from webhook.tunnel import TunnelResult, close_tunnel, open_tunnel

    args = parse_args(argv)
    tunnel = TunnelResult(reason="sem túnel público: desligado com --no-tunnel")
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
