"""``test_webhook.py``'s command line: the options, the tokens, the run and its exit code.

Tokens default to WEBHOOK_CLIENT_TOKEN and WEBHOOK_API_TOKEN from the environment or the
project's ``.env`` (written by ``setup_webhook.py``), read through ``webhook.script_env``.
"""

from __future__ import annotations

import argparse
import sys
import urllib.parse

from webhook import script_env
from webhook.live_check.checking import check_stored, exit_code, render_table
from webhook.live_check.payloads import PROTO_KEYS, build_payloads
from webhook.live_check.transport import CheckError, ServerUnreachable, api_fetcher, send

UNREACHABLE_HINT = "servidor não está rodando? use make run"


def _http_url(value: str) -> str:
    if urllib.parse.urlsplit(value).scheme not in ("http", "https"):
        raise argparse.ArgumentTypeError(f"URL http(s) esperada, recebido {value!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Envia um exemplo de cada tipo de mensagem ao receptor e confere o que "
        "foi gravado."
    )
    parser.add_argument(
        "--url",
        type=_http_url,
        default="http://localhost:5000",
        help="receptor que recebe os webhooks (padrão: Flask em http://localhost:5000)",
    )
    parser.add_argument(
        "--api",
        type=_http_url,
        default="http://localhost:8000",
        help="Django com a API de leitura (padrão: http://localhost:8000)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="token do cliente (padrão: WEBHOOK_CLIENT_TOKEN do ambiente ou do .env)",
    )
    parser.add_argument(
        "--api-token",
        default=None,
        help="token da API de leitura (padrão: WEBHOOK_API_TOKEN do ambiente ou do .env)",
    )
    parser.add_argument(
        "--instance-id",
        default="test_instance",
        help="instância do cliente (padrão: test_instance)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="segundos de espera por requisição e pela gravação (padrão: 10)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    env = script_env.read_env_file(script_env.env_file_path())
    token = args.token or script_env.script_setting("WEBHOOK_CLIENT_TOKEN", env)
    api_token = args.api_token or script_env.script_setting("WEBHOOK_API_TOKEN", env)
    if not api_token:
        print(
            "Erro: sem token da API de leitura para conferir as mensagens: defina "
            "WEBHOOK_API_TOKEN (python setup_webhook.py grava um no .env) ou use --api-token.",
            file=sys.stderr,
        )
        return 2
    if not token:
        print("Aviso: sem token do cliente (WEBHOOK_CLIENT_TOKEN); enviando sem X-Webhook-Token.")
    print(f"Enviando {len(PROTO_KEYS) + 1} mensagens para {args.url.rstrip('/')}/webhook ...")
    try:
        deliveries = [
            send(args.url, type_name, payload, token=token, timeout=args.timeout)
            for type_name, payload in build_payloads(args.instance_id)
        ]
        fetch = api_fetcher(args.api, api_token, args.instance_id, args.timeout)
        results = check_stored(deliveries, fetch, timeout=args.timeout)
    except ServerUnreachable as exc:
        print(
            f"Erro: não foi possível conectar a {exc.url} ({exc.reason}) — {UNREACHABLE_HINT}",
            file=sys.stderr,
        )
        return 2
    except CheckError as exc:
        print(f"Erro: {exc}", file=sys.stderr)
        return 2
    print(render_table(results))
    return exit_code(results)


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))
