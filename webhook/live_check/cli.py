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
from webhook.script_i18n import gettext as _

# Translated once, at import: this command line runs in one language (pt-BR).
UNREACHABLE_HINT = _("is the server not running? use make run")


def _http_url(value: str) -> str:
    if urllib.parse.urlsplit(value).scheme not in ("http", "https"):
        raise argparse.ArgumentTypeError(
            _("an http(s) URL was expected, got %(value)r") % {"value": value}
        )
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=_(
            "Sends a sample of each message type to the receiver and checks what was stored."
        )
    )
    parser.add_argument(
        "--url",
        type=_http_url,
        default="http://localhost:5000",
        help=_("receiver that takes the webhooks (default: Flask at http://localhost:5000)"),
    )
    parser.add_argument(
        "--api",
        type=_http_url,
        default="http://localhost:8000",
        help=_("Django with the read API (default: http://localhost:8000)"),
    )
    parser.add_argument(
        "--token",
        default=None,
        help=_("the client's token (default: WEBHOOK_CLIENT_TOKEN from the environment or .env)"),
    )
    parser.add_argument(
        "--api-token",
        default=None,
        help=_("the read API's token (default: WEBHOOK_API_TOKEN from the environment or .env)"),
    )
    parser.add_argument(
        "--instance-id",
        default="test_instance",
        help=_("the client's instance (default: test_instance)"),
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help=_("seconds to wait for each request and for the storing (default: 10)"),
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    env = script_env.read_env_file(script_env.env_file_path())
    token = args.token or script_env.script_setting("WEBHOOK_CLIENT_TOKEN", env)
    api_token = args.api_token or script_env.script_setting("WEBHOOK_API_TOKEN", env)
    if not api_token:
        print(
            _(
                "Error: no read API token to check the messages: set WEBHOOK_API_TOKEN "
                "(python setup_webhook.py writes one into .env) or use --api-token."
            ),
            file=sys.stderr,
        )
        return 2
    if not token:
        print(
            _("Warning: no client token (WEBHOOK_CLIENT_TOKEN); sending without X-Webhook-Token.")
        )
    print(
        _("Sending %(n)s messages to %(url)s ...")
        % {"n": len(PROTO_KEYS) + 1, "url": f"{args.url.rstrip('/')}/webhook"}
    )
    try:
        deliveries = [
            send(args.url, type_name, payload, token=token, timeout=args.timeout)
            for type_name, payload in build_payloads(args.instance_id)
        ]
        fetch = api_fetcher(args.api, api_token, args.instance_id, args.timeout)
        results = check_stored(deliveries, fetch, timeout=args.timeout)
    except ServerUnreachable as exc:
        print(
            _("Error: could not connect to %(url)s (%(reason)s) — %(hint)s")
            % {"url": exc.url, "reason": exc.reason, "hint": UNREACHABLE_HINT},
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
