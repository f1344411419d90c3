"""Where the fetch loop is started: beside the applier, and by the server in inline mode;
and that an unexpected error in one fetch becomes that row's reason, not a stuck row."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from webhook.media import loop, sources
from webhook.models import MediaFile
from webhook.receiver import supervision
from webhook.tests import test_media_fetch
from webhook.tests.test_media_fetch import cdn_payload, only_media, post

env = test_media_fetch.env


def _recording_spawn(commands: list):
    def spawn(self):
        commands.append(self.command)
        return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    return spawn


@pytest.mark.parametrize(
    ("mode", "fetch", "expected"),
    [
        ("background", True, [("webhook_apply",)]),  # whose process runs the media loop too
        ("inline", True, [("webhook_fetch_media", "--loop")]),
        ("inline", False, []),
    ],
)
def test_the_server_starts_the_media_loop(monkeypatch, settings, mode, fetch, expected):
    settings.WEBHOOK_APPLY_MODE = mode
    settings.WEBHOOK_MEDIA_FETCH = fetch
    commands: list = []
    supervisor_class = supervision.ApplierSupervisor
    monkeypatch.setattr(supervisor_class, "_spawn", _recording_spawn(commands))
    supervisor = supervisor_class().start()
    supervisor.stop()
    assert commands == expected


@pytest.mark.django_db
def test_an_unexpected_error_is_the_rows_reason_and_is_retried(env, monkeypatch, settings):
    settings.WEBHOOK_MEDIA_MAX_ATTEMPTS = 2
    post(env, "baileys_sample", cdn_payload(env, "baileys_sample", "image", where="url"))

    def broken(media, sink):
        raise KeyError("bug")

    monkeypatch.setattr(sources, "fetch", broken)
    loop.run(threading.Event(), once=True, concurrency=1)
    media = only_media()
    assert media.state == MediaFile.State.FAILED and media.attempts == 2
    assert media.last_error == "erro interno: KeyError"


def test_checks_warn_about_wide_media_networks(settings) -> None:
    from webhook.checks import check_media_settings

    settings.WEBHOOK_MEDIA_ALLOWED_NETWORKS = ["10.0.0.0/8", "nonsense", "10.0.0.5/32"]
    ids = [w.id for w in check_media_settings()]
    assert ids == ["webhook.W041", "webhook.W040"]
