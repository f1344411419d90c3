"""The environment as the standalone scripts see it: ``setup_webhook.py`` and ``test_webhook.py``.

Everything else reads its settings through ``webhook.conf`` (``django_project/settings.py`` is
the only module that reads the environment). These two scripts cannot: ``setup_webhook.py``
writes the ``.env`` that settings.py loads, before Django is set up, and ``test_webhook.py`` is
an HTTP client that runs without Django. They read the environment here and nowhere else, the
way settings.py does: the ``.env`` file is ``WEBHOOK_ENV_FILE`` or the project's ``.env``, read
with python-dotenv, and a variable already set in the environment wins over the file.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent  # the project's root


def env_file_path() -> Path:
    """The ``.env`` that settings.py loads: ``WEBHOOK_ENV_FILE``, else the project's."""
    return Path(os.environ.get("WEBHOOK_ENV_FILE") or BASE_DIR / ".env")


def read_env_file(path: Path) -> dict[str, str]:
    """The active assignments of an env file (python-dotenv's reading, as settings.py does);
    empty when the file or python-dotenv is missing."""
    try:
        from dotenv import dotenv_values
    except ImportError:
        return {}
    return {k: v or "" for k, v in dotenv_values(path).items()} if path.is_file() else {}


def script_setting(name: str, env_file: dict[str, str]) -> str:
    """``name`` from the environment, else from ``env_file`` (see read_env_file), else ""."""
    return os.environ.get(name) or env_file.get(name, "")
