"""Shared fixtures: clients, and one ``post`` that sends bytes through either server."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from webhook.clients import client_directory
from webhook.models import Client

# The browser tests' fixtures (real servers + Chromium): see browser_support's docstring.
from webhook.tests.browser_support import browser, laptop, phone, stack  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_client_directory():
    client_directory.invalidate()
    yield
    client_directory.invalidate()


@pytest.fixture(autouse=True)
def _metrics_kept_in_memory():
    """A test that runs a server's main() in this process makes it choose a metrics folder
    (webhook.metrics.prepare_run_dir: the environment, prometheus_client's storage): each test
    starts and ends with this process's metrics in memory."""
    import os

    from webhook import metrics

    before = os.environ.get(metrics.ENV_NAME)
    yield
    if before is None:
        os.environ.pop(metrics.ENV_NAME, None)
    else:
        os.environ[metrics.ENV_NAME] = before
    if metrics._run_dir is not None:
        metrics._run_dir = None
        metrics._use_files()  # storage chosen again from the restored environment


@pytest.fixture(autouse=True)
def _fresh_body_quota():
    """Each test starts with a full disk quota for unauthenticated bodies (webhook.quota)."""
    from webhook.quota import body_quota

    body_quota.reset()
    yield
    body_quota.reset()


@pytest.fixture(autouse=True)
def _empty_inbox():
    """The SQLite inbox is a file beside the test database that no test transaction rolls
    back: each test starts and ends without one."""
    _remove_inbox()
    yield
    _remove_inbox()


def _remove_inbox() -> None:
    from webhook import inbox

    inbox.close()
    for path in inbox.paths():
        for suffix in ("", "-wal", "-shm", ".writelock"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language (pt-BR): a request with the English cookie
    activates English in the test's thread, and Django never switches it back, so without
    this a later test's command output or system check would come out in English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _isolated_spool(tmp_path, settings):
    settings.WEBHOOK_SPOOL_DIR = str(tmp_path / "spool")
    settings.WEBHOOK_APPLY_MODE = "inline"


@pytest.fixture
def make_client(db) -> Callable[..., Client]:
    def make(instance_id: str = "test_instance", **fields: Any) -> Client:
        fields.setdefault("name", f"Cliente {instance_id}")
        client, _ = Client.objects.get_or_create(instance_id=instance_id, defaults=fields)
        client_directory.invalidate()
        return client

    return make


@pytest.fixture
def sample_client(make_client) -> Client:
    return make_client("test_instance", name="Loja Teste")


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    raw: bytes

    def json(self) -> Any:
        return self.body


@pytest.fixture(scope="session")
def flask_app(django_db_setup, django_db_blocker):
    from servidor_webhook_local import create_app

    app = create_app({"TESTING": True})
    return app


def _django_post(path: str, body: bytes, headers: dict[str, str], query: str = "") -> Reply:
    from django.test import Client as HttpClient

    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v
        for k, v in headers.items()
        if k.lower() != "content-type"
    }
    extra.update(
        {"REMOTE_ADDR": headers.get("_remote_addr", "127.0.0.1")}
        if "_remote_addr" in headers
        else {}
    )
    extra.pop("HTTP__REMOTE_ADDR", None)
    response = HttpClient().generic(
        "POST",
        path + (f"?{query}" if query else ""),
        data=body,
        content_type=headers.get("content-type", "application/json"),
        **extra,
    )
    return Reply(
        response.status_code, _decode(response.content), dict(response.headers), response.content
    )


def _decode(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return content.decode("utf-8", "replace")


@pytest.fixture(params=["django", "flask"])
def server(request) -> str:
    return request.param


@pytest.fixture
def post(server, request, db) -> Callable[..., Reply]:
    """post(body, headers=None, path="/webhook/", query="") through the server under test."""

    def send(
        body: bytes | dict | str,
        headers: dict[str, str] | None = None,
        path: str = "/webhook/",
        query: str = "",
    ) -> Reply:
        if isinstance(body, dict):
            body = json.dumps(body, ensure_ascii=False).encode()
        elif isinstance(body, str):
            body = body.encode()
        headers = {"content-type": "application/json", **(headers or {})}
        if server == "django":
            return _django_post(path, body, headers, query)
        app = request.getfixturevalue("flask_app")
        environ = {"REMOTE_ADDR": headers.pop("_remote_addr")} if "_remote_addr" in headers else {}
        flask_path = path.rstrip("/") or "/"
        response = app.test_client().post(
            flask_path, data=body, headers=headers, query_string=query, environ_base=environ
        )
        return Reply(
            response.status_code, _decode(response.data), dict(response.headers), response.data
        )

    return send


@pytest.fixture
def auth_headers(sample_client) -> dict[str, str]:
    return {"x-webhook-token": sample_client.webhook_token}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One clear line when the browser tests could not run here (no Chromium / playwright)."""
    from webhook.tests.browser_support import missing_browser

    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "browser tests skipped" in str(report.longrepr)
    ]
    if skipped:
        terminalreporter.write_line(
            f"{len(skipped)} browser tests skipped: {missing_browser()}", yellow=True
        )
