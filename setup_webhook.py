#!/usr/bin/env python
"""Configuração inicial do MultiChat Webhook: rode uma vez (ou quantas quiser: é idempotente).

    python setup_webhook.py [--no-input] [--client-name NOME] [--instance-id ID]
                            [--admin-user admin] [--admin-email E] [--admin-password S]
                            [--env-file CAMINHO] [--quiet]

Writes a ``.env`` with fresh secrets (adding only the keys that are missing, never changing a
value that is there), applies the migrations, creates the test client and the admin user,
replays the deliveries stored for that instance before the client existed, and prints what to
paste into the gateway.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import secrets
import shlex
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
DJANGO_PORT = 8000
# Values copied from .env.example that must never be used as real secrets.
PLACEHOLDER_PREFIX = "troque-"
PASSWORD_ATTEMPTS = 3


class SetupError(Exception):
    """A problem the user can fix; the message (in Portuguese) says how."""


@dataclass(frozen=True)
class EnvEntry:
    key: str
    comment: str
    make_value: Callable[[], str] | None = None  # None: written commented out
    secret: bool = False  # an empty or placeholder value is replaced by a fresh one


ENV_ENTRIES: tuple[EnvEntry, ...] = (
    EnvEntry(
        "DJANGO_SECRET_KEY",
        "Chave secreta do Django (sessões, CSRF). Não compartilhe.",
        lambda: secrets.token_urlsafe(50),
        secret=True,
    ),
    EnvEntry(
        "WEBHOOK_API_TOKEN",
        "Token da API de leitura (/webhook/messages/, /webhook/events/): "
        "Authorization: Bearer <token>.",
        lambda: secrets.token_urlsafe(32),
        secret=True,
    ),
    EnvEntry(
        "DJANGO_DEBUG",
        "0 = seguro (padrão); 1 = páginas de erro detalhadas, só para desenvolver.",
        lambda: "0",
    ),
    EnvEntry(
        "DJANGO_SECURE_COOKIES",
        "0 enquanto o admin é acessado por http://localhost; use 1 atrás de HTTPS "
        "(ngrok, proxy reverso).",
        lambda: "0",
    ),
    EnvEntry(
        "WEBHOOK_REQUIRE_TOKEN",
        "1 = todo webhook precisa do token do cliente "
        "(X-Webhook-Token, apikey, /webhook/k/<token>/).",
        lambda: "1",
    ),
    EnvEntry(
        "NGROK_AUTHTOKEN", "Token do ngrok para o túnel público (https://dashboard.ngrok.com)."
    ),
    EnvEntry(
        "WEBHOOK_META_APP_SECRET",
        "App secret da Meta (WhatsApp Cloud API): confere o cabeçalho X-Hub-Signature-256.",
    ),
    EnvEntry(
        "WEBHOOK_META_VERIFY_TOKEN",
        "Token de verificação que você cadastra na Meta (handshake GET hub.verify_token).",
    ),
    EnvEntry(
        "DATABASE_URL",
        "Banco de dados; sem esta linha usa SQLite (db.sqlite3). "
        "Ex.: postgres://localhost:5432/multichat",
    ),
)
CLIENT_TOKEN_ENTRY = EnvEntry(
    "WEBHOOK_CLIENT_TOKEN",
    "Token do cliente de teste (cabeçalho X-Webhook-Token), usado por test_webhook.py.",
    secret=True,
)
ENV_HEADER = (
    "# MultiChat Webhook — configuração local, gerada por setup_webhook.py.\n"
    "# NÃO faça commit deste arquivo: ele contém segredos. Todas as variáveis: .env.example.\n"
)


# --- .env -------------------------------------------------------------------------------------


def _assignment(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*(?:export\s+)?{re.escape(key)}\s*=", re.MULTILINE)


def _whole_line(key: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*(?:export[ \t]+)?{re.escape(key)}[ \t]*=.*$", re.MULTILINE)


def _commented(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*#\s*(?:export\s+)?{re.escape(key)}\s*=", re.MULTILINE)


def read_env(path: Path) -> dict[str, str]:
    """The active assignments of an env file (python-dotenv's reading, as settings.py does)."""
    from dotenv import dotenv_values

    return {k: v or "" for k, v in dotenv_values(path).items()} if path.exists() else {}


def _is_unset_secret(value: str) -> bool:
    return not value.strip() or value.strip().lower().startswith(PLACEHOLDER_PREFIX)


def merge_env(
    text: str, entries: tuple[EnvEntry, ...], values: dict[str, str]
) -> tuple[str, list[str]]:
    """``text`` with the missing ``entries`` appended; returns (new text, keys written).

    Existing values are kept, except a secret left empty or as the .env.example placeholder,
    which is replaced in place by a fresh one.
    """
    written: list[str] = []
    block: list[str] = []
    for entry in entries:
        active = _assignment(entry.key).search(text) is not None
        unset = _is_unset_secret(values.get(entry.key, ""))
        if active and entry.secret and entry.make_value and unset:
            line = f"{entry.key}={entry.make_value()}"
            text = _whole_line(entry.key).sub(lambda _m, line=line: line, text, count=1)
            written.append(entry.key)
        elif active or (entry.make_value is None and _commented(entry.key).search(text)):
            continue
        else:
            value = entry.make_value() if entry.make_value else None
            block += [f"# {entry.comment}", f"{entry.key}={value}" if value else f"# {entry.key}="]
            written.append(entry.key)
    if block:
        if text and not text.endswith("\n"):
            text += "\n"
        stamp = f"# Adicionado por setup_webhook.py em {datetime.now():%Y-%m-%d %H:%M}\n"
        text += ("\n" + stamp if text else ENV_HEADER + "\n") + "\n".join(block) + "\n"
    return text, written


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file only its owner can read (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".env.", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_env(path: Path, entries: tuple[EnvEntry, ...]) -> list[str]:
    """Add the missing ``entries`` to the env file (created when absent); keys written."""
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        new_text, written = merge_env(text, entries, read_env(path))
        if new_text != text or not path.exists():
            _write_private(path, new_text)
        if os.name == "posix":
            os.chmod(path, 0o600)
    except OSError as exc:
        raise SetupError(f"não foi possível gravar {path}: {exc.strerror or exc}") from exc
    return written


# --- Django -----------------------------------------------------------------------------------


def setup_django(env_path: Path) -> None:
    """Point settings.py at ``env_path``, load it (without overriding) and set Django up."""
    from django.apps import apps
    from dotenv import load_dotenv

    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    os.environ["WEBHOOK_ENV_FILE"] = str(env_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
    load_dotenv(env_path, override=False)
    if not apps.ready:
        import django

        django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def client_ensure(*, name: str | None, instance_id: str) -> tuple[Any, bool]:
    """The client of ``instance_id`` (created when absent; its token never changes)."""
    from webhook.models import Client

    instance_id = instance_id.strip()
    if not instance_id:
        raise SetupError("--instance-id não pode ficar vazio.")
    client, created = Client.objects.get_or_create(
        instance_id=instance_id, defaults={"name": name or "Cliente de teste"}
    )
    if not created and name and client.name != name:
        client.name = name
        client.save(update_fields=["name"])
    return client, created


def _validate_password(password: str, user: Any) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise SetupError("senha recusada: " + " ".join(str(m) for m in exc.messages)) from None


def _generated_password(user: Any) -> str:
    for _ in range(10):
        password = secrets.token_urlsafe(12)
        try:
            _validate_password(password, user)
        except SetupError:
            continue
        return password
    raise SetupError("não foi possível gerar uma senha aceita pelos validadores do Django.")


def _prompt_password(user: Any, say: Callable[[str], None]) -> str | None:
    """Ask twice on the terminal; empty means "generate one"."""
    say(f'Defina a senha do administrador "{user.get_username()}" (vazio = gerar uma aleatória).')
    for _ in range(PASSWORD_ATTEMPTS):
        first = getpass.getpass("Senha: ")
        if not first:
            return None
        if getpass.getpass("Repita a senha: ") != first:
            say("As senhas não conferem; tente de novo.")
            continue
        try:
            _validate_password(first, user)
        except SetupError as exc:
            say(str(exc).capitalize())
            continue
        return first
    raise SetupError(f"senha não definida após {PASSWORD_ATTEMPTS} tentativas.")


def admin_ensure(
    *,
    username: str,
    email: str,
    password: str | None,
    interactive: bool,
    say: Callable[[str], None],
) -> tuple[str, str | None]:
    """Create the superuser when absent; returns (what happened, generated password or None)."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is not None:
        if password is None:
            return "já existia (senha mantida)", None
        _validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
        return "já existia (senha atualizada)", None
    user = user_model(**{user_model.USERNAME_FIELD: username, "email": email})
    generated = None
    if password is not None:
        _validate_password(password, user)
    elif interactive:
        password = _prompt_password(user, say)
    if password is None:
        password = generated = _generated_password(user)
    user_model._default_manager.create_superuser(
        **{user_model.USERNAME_FIELD: username}, email=email, password=password
    )
    return "criado", generated


def replay_unassigned(instance_id: str, say: Callable[[str], None]) -> None:
    """Apply the deliveries stored for ``instance_id`` before its client existed."""
    from webhook.models import WebhookEvent

    queryset = WebhookEvent.objects.filter(
        status=WebhookEvent.Status.UNASSIGNED, client_key=instance_id
    )
    pending = queryset.count()
    if not pending:
        return
    try:
        from webhook.services.replay import events_reprocess
    except ImportError:
        say(
            f"Nota: {pending} evento(s) sem cliente aguardam reprocessamento, mas esta versão "
            "não tem webhook.services.replay; reprocesse-os pelo admin depois."
        )
        return
    summary = events_reprocess(queryset=queryset)
    labels = dict(WebhookEvent.Status.choices)
    parts = ", ".join(f"{labels.get(k, k)}: {n}" for k, n in sorted(summary.items()))
    say(f"Eventos recebidos antes do cliente existir reprocessados: {parts}.")
    if summary.get(WebhookEvent.Status.UNASSIGNED):
        say(
            f"{summary[WebhookEvent.Status.UNASSIGNED]} deles não traziam o token deste cliente "
            "e continuam sem cliente (qualquer um poderia tê-los enviado). Para aplicá-los "
            "mesmo assim: admin → Eventos de webhook → ação “Liberar entregas sem cliente”."
        )


# --- Output -----------------------------------------------------------------------------------


def sample_curl(url: str, token: str, instance_id: str) -> str:
    """The README's sample as a ready-to-paste curl, with the client's token header."""
    from webhook.sample import sample_payload

    payload = sample_payload(instance_id=instance_id, message_id="test_message_123")
    payload["messageTimestamp"] = "1640995200"
    body = json.dumps(payload, ensure_ascii=False)
    return (
        f"curl -X POST {shlex.quote(url)} \\\n"
        "    -H 'Content-Type: application/json' \\\n"
        f"    -H {shlex.quote('X-Webhook-Token: ' + token)} \\\n"
        f"    -d {shlex.quote(body)}"
    )


def _summary_lines(client: Any, admin_user: str) -> list[str]:
    from django.conf import settings

    flask = f"http://localhost:{getattr(settings, 'WEBHOOK_PORT', 5000)}"
    django = f"http://localhost:{DJANGO_PORT}"
    token = client.webhook_token
    return [
        "",
        "Endereços (suba os servidores com: make run)",
        f"  Flask  webhook     {flask}/webhook",
        f"  Flask  status      {flask}/status",
        f"  Django webhook     {django}/webhook/",
        f"  Django admin       {django}/admin/   (usuário: {admin_user})",
        f"  Django status      {django}/webhook/status/",
        f"  Django mensagens   {django}/webhook/messages/"
        "   (Authorization: Bearer <WEBHOOK_API_TOKEN do .env>)",
        "",
        f'Admin: entre em {django}/admin/ com o usuário "{admin_user}" e a senha definida.',
        "",
        "O que colar no gateway (W-API, Z-API, Evolution, WAHA...):",
        f"  URL:        {flask}/webhook   (ou a URL pública do ngrok + /webhook)",
        f"  Cabeçalho:  X-Webhook-Token: {token}",
        "  Gateway que não envia cabeçalhos? Use o token no caminho da URL:",
        f"              {flask}/webhook/k/{token}/",
        "",
        "Teste com o exemplo do README (com os servidores rodando):",
        sample_curl(f"{flask}/webhook", token, client.instance_id),
        "",
        "Ou teste todos os tipos de mensagem: python test_webhook.py",
    ]


# --- Main -------------------------------------------------------------------------------------


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


def default_env_path() -> Path:
    return Path(os.environ.get("WEBHOOK_ENV_FILE") or BASE_DIR / ".env")


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
    for line in _summary_lines(client, args.admin_user):
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


if __name__ == "__main__":
    sys.exit(main())
