"""``setup_webhook.py``'s command line: the options, the order of the steps, the exit codes.

Writes a ``.env`` with fresh secrets (adding only the keys that are missing, never changing a
value that is there), applies the migrations, creates the test client and the admin user,
replays the deliveries stored for that instance before the client existed, and prints what to
paste into the gateway.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from webhook.setup import SetupError
from webhook.setup.accounts import admin_ensure, client_ensure
from webhook.setup.database import migrate, replay_unassigned, setup_django
from webhook.setup.envfile import (
    CLIENT_TOKEN_ENTRY,
    ENV_ENTRIES,
    default_env_path,
    ensure_env,
    read_env,
)
from webhook.setup.summary import summary_lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Configura o MultiChat Webhook: .env, banco, cliente de teste e administrador."
    )
    parser.add_argument(
        "--no-input",
        action="store_true",
        help="não perguntar nada (gera a senha do admin se preciso)",
    )
    parser.add_argument(
        "--client-name",
        default=None,
        help='nome do cliente (padrão na criação: "Cliente de teste")',
    )
    parser.add_argument(
        "--instance-id",
        default="test_instance",
        help="ID da instância do gateway (padrão: test_instance)",
    )
    parser.add_argument("--admin-user", default="admin", help="usuário do admin (padrão: admin)")
    parser.add_argument("--admin-email", default="", help="e-mail do admin")
    parser.add_argument(
        "--admin-password",
        default=None,
        help="senha do admin (validada); se o usuário existir, troca a senha",
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help="arquivo .env (padrão: WEBHOOK_ENV_FILE ou .env na raiz do projeto)",
    )
    parser.add_argument("--quiet", action="store_true", help="mostrar menos mensagens")
    return parser.parse_args(argv)


def _client_step(args: argparse.Namespace, env_path: Path, say: Callable[[str], None]) -> Any:
    client, created = client_ensure(name=args.client_name, instance_id=args.instance_id)
    say(
        f"Cliente: {client.name} (instância {client.instance_id}) "
        + ("criado" if created else "já existia")
    )
    if not client.active:
        print(f"ATENÇÃO: o cliente {client.instance_id} está inativo; ative-o no admin.")
    ensure_env(env_path, (replace(CLIENT_TOKEN_ENTRY, make_value=lambda: client.webhook_token),))
    if read_env(env_path).get(CLIENT_TOKEN_ENTRY.key) != client.webhook_token:
        print(
            f"ATENÇÃO: {CLIENT_TOKEN_ENTRY.key} em {env_path} não é o token deste cliente; "
            "corrija-o para usar test_webhook.py."
        )
    return client


def _admin_step(args: argparse.Namespace, say: Callable[[str], None]) -> None:
    interactive = not args.no_input and sys.stdin is not None and sys.stdin.isatty()
    outcome, generated = admin_ensure(
        username=args.admin_user,
        email=args.admin_email,
        password=args.admin_password,
        interactive=interactive,
        say=print,
    )
    say(f'Administrador "{args.admin_user}": {outcome}')
    if generated:
        print(
            f'\n  SENHA GERADA para o admin "{args.admin_user}": {generated}\n'
            "  Guarde esta senha agora: ela não será mostrada de novo.\n"
        )


def run(args: argparse.Namespace) -> None:
    say: Callable[[str], None] = (lambda _line: None) if args.quiet else print
    env_path = (args.env_file or default_env_path()).expanduser().resolve()
    written = ensure_env(env_path, ENV_ENTRIES)
    say(
        f"Configuração: {env_path} "
        + (f"(adicionado: {', '.join(written)})" if written else "(sem alterações)")
    )
    setup_django(env_path)
    migrate()
    say("Banco de dados: migrações aplicadas.")
    client = _client_step(args, env_path, say)
    _admin_step(args, say)
    replay_unassigned(client.instance_id, say)
    for line in summary_lines(client, args.admin_user):
        say(line)
    if args.quiet:
        print(f"Pronto: cliente {client.instance_id}; token em {env_path} (WEBHOOK_CLIENT_TOKEN).")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import dotenv  # noqa: F401 - checked here for a clear message
        from django.core.exceptions import ImproperlyConfigured
        from django.db import DatabaseError
    except ImportError as exc:
        print(
            f"Erro: falta o pacote Python {exc.name!r}. Rode `make install` "
            "(ou pip install -r requirements_webhook.txt) e tente de novo.",
            file=sys.stderr,
        )
        return 1
    try:
        run(args)
    except SetupError as exc:
        print(f"Erro: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        print(
            f"Erro: não foi possível usar o banco de dados ({exc}). "
            "Confira DATABASE_URL no .env e se o banco está no ar.",
            file=sys.stderr,
        )
        return 2
    except ImproperlyConfigured as exc:
        print(f"Erro de configuração: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nCancelado.", file=sys.stderr)
        return 130
    return 0
