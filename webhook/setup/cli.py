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

from webhook.script_i18n import gettext as _
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
        description=_("Sets MultiChat Webhook up: .env, database, test client and administrator.")
    )
    parser.add_argument(
        "--no-input",
        action="store_true",
        help=_("ask nothing (generates the admin's password if needed)"),
    )
    parser.add_argument(
        "--client-name",
        default=None,
        help=_('client name (default on creation: "Test client")'),
    )
    parser.add_argument(
        "--instance-id",
        default="test_instance",
        help=_("the gateway's instance ID (default: test_instance)"),
    )
    parser.add_argument("--admin-user", default="admin", help=_("admin user (default: admin)"))
    parser.add_argument("--admin-email", default="", help=_("admin e-mail"))
    parser.add_argument(
        "--admin-password",
        default=None,
        help=_("admin password (validated); if the user exists, changes the password"),
    )
    parser.add_argument(
        "--env-file",
        type=Path,
        default=None,
        help=_(".env file (default: WEBHOOK_ENV_FILE or .env at the project's root)"),
    )
    parser.add_argument("--quiet", action="store_true", help=_("show fewer messages"))
    return parser.parse_args(argv)


def _client_step(args: argparse.Namespace, env_path: Path, say: Callable[[str], None]) -> Any:
    client, created = client_ensure(name=args.client_name, instance_id=args.instance_id)
    outcome = _("created") if created else _("already existed")
    say(
        _("Client: %(name)s (instance %(id)s) %(outcome)s")
        % {"name": client.name, "id": client.instance_id, "outcome": outcome}
    )
    if not client.active:
        print(
            _("WARNING: the client %(id)s is inactive; activate it in the admin.")
            % {"id": client.instance_id}
        )
    ensure_env(env_path, (replace(CLIENT_TOKEN_ENTRY, make_value=lambda: client.webhook_token),))
    if read_env(env_path).get(CLIENT_TOKEN_ENTRY.key) != client.webhook_token:
        print(
            _(
                "WARNING: %(key)s in %(path)s is not this client's token; fix it to use "
                "test_webhook.py."
            )
            % {"key": CLIENT_TOKEN_ENTRY.key, "path": env_path}
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
    say(_('Administrator "%(user)s": %(outcome)s') % {"user": args.admin_user, "outcome": outcome})
    if generated:
        generated_line = _('GENERATED PASSWORD for the admin "%(user)s": %(password)s') % {
            "user": args.admin_user,
            "password": generated,
        }
        keep_it = _("Keep this password now: it will not be shown again.")
        print(f"\n  {generated_line}\n  {keep_it}\n")


def run(args: argparse.Namespace) -> None:
    say: Callable[[str], None] = (lambda _line: None) if args.quiet else print
    env_path = (args.env_file or default_env_path()).expanduser().resolve()
    written = ensure_env(env_path, ENV_ENTRIES)
    if written:
        changes = _("(added: %(keys)s)") % {"keys": ", ".join(written)}
    else:
        changes = _("(no changes)")
    say(_("Configuration: %(path)s %(changes)s") % {"path": env_path, "changes": changes})
    setup_django(env_path)
    migrate()
    say(_("Database: migrations applied."))
    client = _client_step(args, env_path, say)
    _admin_step(args, say)
    replay_unassigned(client.instance_id, say)
    for line in summary_lines(client, args.admin_user):
        say(line)
    if args.quiet:
        print(
            _("Done: client %(id)s; token in %(path)s (WEBHOOK_CLIENT_TOKEN).")
            % {"id": client.instance_id, "path": env_path}
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import dotenv  # noqa: F401 - checked here for a clear message
        from django.core.exceptions import ImproperlyConfigured
        from django.db import DatabaseError
    except ImportError as exc:
        print(
            _(
                "Error: the Python package %(name)r is missing. Run `make install` "
                "(or pip install -r requirements_webhook.txt) and try again."
            )
            % {"name": exc.name},
            file=sys.stderr,
        )
        return 1
    try:
        run(args)
    except SetupError as exc:
        print(_("Error: %(error)s") % {"error": exc}, file=sys.stderr)
        return 1
    except DatabaseError as exc:
        print(
            _(
                "Error: could not use the database (%(error)s). "
                "Check DATABASE_URL in .env and whether the database is up."
            )
            % {"error": exc},
            file=sys.stderr,
        )
        return 2
    except ImproperlyConfigured as exc:
        print(_("Configuration error: %(error)s") % {"error": exc}, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\n" + _("Cancelled."), file=sys.stderr)
        return 130
    return 0
