"""The ``.env`` that ``setup_webhook.py`` writes: fresh secrets, only the keys that are missing.

A value that is there is never changed, except a secret left empty or as the ``.env.example``
placeholder. The file is replaced atomically and readable only by its owner.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from webhook import script_env
from webhook.setup import SetupError

# Values copied from .env.example that must never be used as real secrets.
PLACEHOLDER_PREFIX = "troque-"


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


def _assignment(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*(?:export\s+)?{re.escape(key)}\s*=", re.MULTILINE)


def _whole_line(key: str) -> re.Pattern[str]:
    return re.compile(rf"^[ \t]*(?:export[ \t]+)?{re.escape(key)}[ \t]*=.*$", re.MULTILINE)


def _commented(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*#\s*(?:export\s+)?{re.escape(key)}\s*=", re.MULTILINE)


def read_env(path: Path) -> dict[str, str]:
    """The active assignments of an env file (python-dotenv's reading, as settings.py does)."""
    return script_env.read_env_file(path)


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


def default_env_path() -> Path:
    return script_env.env_file_path()
