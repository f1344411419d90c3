"""``make run-queue``: Procfile.queue parses with honcho's own parser and every line names a
program, a script or a management command that exists; the database is created if missing."""

from __future__ import annotations

import importlib.util
import io
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command, get_commands
from django.db import connection
from honcho.environ import parse_procfile

ROOT = Path(__file__).resolve().parents[2]
PROCFILE = ROOT / "Procfile.queue"
EXPECTED = {"receiver1", "receiver2", "django", "apply", "media", "beat"}
SHELL_DEFAULT = re.compile(r"\$\{(\w+):-([^}]*)\}")


def processes() -> dict[str, list[str]]:
    procfile = parse_procfile(PROCFILE.read_text(encoding="utf-8"))
    return {
        name: shlex.split(SHELL_DEFAULT.sub(lambda m: m[2], command))
        for name, command in procfile.processes.items()
    }


def check_command(argv: list[str]) -> list[str]:
    """Asserts that everything one command line names exists; returns the Celery queues it
    serves (none for our own servers)."""
    program = ROOT / argv[0]
    assert program.exists(), f"{argv[0]} does not exist"
    if argv[0].endswith("python"):
        script = argv[1]
        assert (ROOT / script).is_file(), f"{script} does not exist"
        if script == "manage.py":
            assert argv[2] in get_commands(), f"manage.py {argv[2]} is not a command"
            if argv[2] == "webhook_metrics_exec":
                assert argv[4] == "--"
                return check_command(argv[5:])
        else:
            from webhook.receiver.cli import parse_args

            parse_args(argv[2:])  # the receiver takes these options
        return []
    assert argv[0].endswith("celery") and argv[1:3] == ["-A", "django_project"]
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == "-Q"]


def test_procfile_parses_and_names_existing_commands():
    found = processes()
    assert set(found) == EXPECTED
    queues = []
    for argv in found.values():
        queues += check_command(argv)
    assert sorted(queues) == ["apply", "media"]
    ports = [argv[argv.index("--port") + 1] for argv in found.values() if "--port" in argv]
    assert len(set(ports)) == 3  # two receivers and Django, each on its own port
    assert "worker" in found["apply"] and "beat" in found["beat"]


def test_the_celery_app_and_its_queues_exist():
    if importlib.util.find_spec("django_project.celery") is None:
        pytest.skip("django_project/celery.py (the queue mode's Celery app) is not on this branch")
    routed = {route["queue"] for route in getattr(settings, "CELERY_TASK_ROUTES", {}).values()}
    served = {settings.CELERY_TASK_DEFAULT_QUEUE, *routed}
    assert served == {"apply", "media"}


def test_make_run_queue_creates_the_database_and_migrates_before_starting():
    plan = subprocess.run(
        ["make", "-n", "run-queue"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    create = plan.index("manage.py webhook_createdb")
    migrate = plan.index("setup_webhook.py --no-input")  # migrates, test client, admin
    start = plan.index("honcho --env /dev/null -f Procfile.queue start")
    assert create < migrate < start
    assert "postgres://postgres@127.0.0.1:5432/multichat" in plan
    assert "WEBHOOK_PROCESSING=celery" in plan


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_createdb_creates_a_missing_database_once(db, monkeypatch):
    import psycopg

    name = f"multichat_ops_created_{abs(hash(ROOT)) % 10_000}"
    monkeypatch.setitem(connection.settings_dict, "NAME", name)
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    for key in ("cursor_factory", "server_side_binding", "context"):
        params.pop(key, None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    try:
        out = io.StringIO()
        call_command("webhook_createdb", stdout=out)
        call_command("webhook_createdb", stdout=out)
        assert out.getvalue().splitlines() == [
            f"Banco {name} criado.",
            f"O banco {name} já existe.",
        ]
    finally:
        with psycopg.connect(**params, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_createdb_has_nothing_to_do_on_sqlite(db):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite case")
    out = io.StringIO()
    call_command("webhook_createdb", stdout=out)
    assert out.getvalue().strip() == "SQLite: nada a criar (o migrate cria o arquivo)."
