"""``manage.py webhook_createdb``: create the PostgreSQL database of ``DATABASE_URL`` if it is
missing (``make run-queue`` runs it before migrating). Idempotent; SQLite needs nothing (the
file is made by ``migrate``)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhook.management.base import TranslatedCommand

MAINTENANCE_DATABASE = "postgres"


class Command(TranslatedCommand):
    requires_system_checks: list[str] = []  # runs before the database exists
    help = gettext_lazy(
        "Create the PostgreSQL database named in DATABASE_URL when it does not exist yet "
        "(nothing to do on SQLite)."
    )

    def handle(self, *args, **options) -> None:
        if connection.vendor == "sqlite":
            self.stdout.write(_("SQLite: nothing to create (migrate makes the file)."))
            return
        if connection.vendor != "postgresql":
            raise CommandError(_("Only PostgreSQL databases are created here."))
        name = connection.settings_dict["NAME"]
        if self._create(name):
            self.stdout.write(self.style.SUCCESS(_("Database %(name)s created.") % {"name": name}))
        else:
            self.stdout.write(_("Database %(name)s already exists.") % {"name": name})

    @staticmethod
    def _create(name: str) -> bool:
        """True when it was created now. Connects to the server's maintenance database with
        the same host, port, user and password."""
        import psycopg
        from psycopg import sql

        params = connection.get_connection_params()
        params["dbname"] = MAINTENANCE_DATABASE
        params.pop("cursor_factory", None)
        params.pop("server_side_binding", None)
        params.pop("context", None)
        try:
            with psycopg.connect(**params, autocommit=True) as admin:
                found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if found.fetchone():
                    return False
                try:
                    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                except psycopg.errors.DuplicateDatabase:  # made meanwhile by another start
                    return False
        except psycopg.OperationalError as exc:
            raise CommandError(
                _("PostgreSQL does not answer (%(error)s): is it running?")
                % {"error": type(exc).__name__}
            ) from exc
        return True
