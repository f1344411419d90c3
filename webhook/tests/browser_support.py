"""Browser tests: real servers (the Flask receiver and the Django server, as `make run` starts
them, on one fresh database) driven by Playwright in Debian's Chromium.

Playwright's own browser download is not reachable here: the tests use ``/usr/bin/chromium``
(``apt-get install chromium``). Without it, or without the playwright package, every browser
test is skipped and the run ends with one line saying why; with ``WEBHOOK_REQUIRE_BROWSER=1``
(set by ``.ci/run``) its absence is a failure instead.

The test process never touches the servers' database through Django's ORM (Playwright's sync
API runs an event loop in the test's thread, where Django refuses ORM calls): it seeds through
``LiveStack.django(code)``, a Python snippet run in a subprocess with Django set up, and reads
with ``LiveStack.receiver.scalar(sql)``.

Screenshots go to ``screenshots/`` at the project root (ignored by git) on every run.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webhook.tests.live import ROOT, DjangoServer, LiveReceiver, postgres_database, postgres_url

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "screenshots"
PASSWORD = "senha-de-teste-123"  # noqa: S105 - a throwaway user of a throwaway database
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


def missing_browser() -> str:
    """Why browser tests cannot run here ('' when they can)."""
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make install)"
    return ""


def require_browser() -> None:
    reason = missing_browser()
    if not reason:
        return
    if os.environ.get("WEBHOOK_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here (WEBHOOK_REQUIRE_BROWSER=1): {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


class LiveStack:
    """The receiver (``LiveReceiver``) and ``manage.py webhook_serve`` on the same database,
    with a superuser ``admin`` and a staff user ``atendente`` limited to the client ``Outro``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._drop = None
        database_url = None
        if postgres_url():
            database_url, self._drop = postgres_database(f"multichat_browser_{os.getpid()}")
        self.receiver = LiveReceiver(
            workdir, database_url=database_url, env={"WEBHOOK_WORKERS": "1"}
        )
        self.env = self.receiver.env
        self.server: DjangoServer | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.receiver.prepare()
        self.django(
            "from django.contrib.auth.models import User\n"
            "from webhook.models import Client\n"
            f"User.objects.create_superuser('admin', 'admin@example.com', {PASSWORD!r})\n"
            f"u = User.objects.create_user('atendente', password={PASSWORD!r}, is_staff=True)\n"
            "other, _ = Client.objects.get_or_create(instance_id='other_instance', "
            "defaults={'name': 'Outro'})\n"
            "other.members.add(u)\n"
        )
        self.receiver.start()
        self.server = DjangoServer(self.receiver)
        self.port = self.server.port

    def django(self, code: str) -> str:
        """Run ``code`` with Django set up against the stack's database; returns its stdout."""
        prelude = (
            "import os, django\n"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'django_project.settings')\n"
            "django.setup()\n"
        )
        return self.receiver._run([sys.executable, "-c", prelude + code])

    def post(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self.receiver.post(payload)

    def log(self) -> str:
        django_log = self.workdir / "django.log"
        text = django_log.read_text(errors="replace") if django_log.exists() else ""
        return text + self.receiver.log()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.receiver.kill()
        if self._drop is not None:
            self._drop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[LiveStack]:
    require_browser()
    live = LiveStack(tmp_path_factory.mktemp("browser"))
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


class Page:
    """A Playwright page that records console errors and failed requests, with the checks
    every console test makes."""

    def __init__(self, browser: Any, stack: LiveStack, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, locale="pt-BR")
        self.page = self.context.new_page()
        self.stack = stack
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def goto(self, path: str) -> Any:
        return self.page.goto(self.stack.url + path)

    def login(self, username: str = "admin") -> None:
        self.goto("/admin/login/?next=/painel/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("input[type=submit]")
        self.page.wait_for_url("**/painel/**")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def overflow(self) -> int:
        """Pixels the page is wider than the window (0: no horizontal scroll)."""
        return self.page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def laptop(browser, stack) -> Iterator[Page]:
    page = Page(browser, stack, LAPTOP)
    yield page
    page.close()
    assert not page.errors, page.errors


@pytest.fixture
def phone(browser, stack) -> Iterator[Page]:
    page = Page(browser, stack, PHONE)
    yield page
    page.close()
    assert not page.errors, page.errors


def as_json(text: str) -> Any:
    return json.loads(text.strip().splitlines()[-1])
