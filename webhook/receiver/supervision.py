"""The applier process beside the receiver (``WEBHOOK_APPLY_MODE=background``)."""

from __future__ import annotations

import subprocess
import sys
import threading

from django.utils.translation import gettext as _

from webhook.receiver import BASE_DIR


class ApplierSupervisor:
    """In background mode the applier runs beside the server in a process of its own; if it
    dies, it is started again (events wait safely in the table meanwhile, and on SQLite the
    receivers commit their acks themselves until its socket is back)."""

    CHECK_SECONDS = 1.0

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> ApplierSupervisor:
        from webhook.conf import webhook_settings

        if webhook_settings.PROCESSING == "celery":
            return self  # the queue mode: Celery workers apply and fetch media (webhook.queue)
        if webhook_settings.APPLY_MODE != "background":
            if not webhook_settings.MEDIA_FETCH:
                return self
            # Inline apply: no applier process, but media files are still fetched beside us.
            self.command = "webhook_fetch_media", "--loop"
        self.process = self._spawn()
        self._thread = threading.Thread(target=self._watch, name="applier-watch", daemon=True)
        self._thread.start()
        return self

    command: tuple[str, ...] = ("webhook_apply",)  # which also runs the media fetch loop

    def _spawn(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(BASE_DIR / "manage.py"), *self.command], cwd=BASE_DIR
        )

    def _watch(self) -> None:
        while not self._stopping.wait(self.CHECK_SECONDS):
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.is_set():
                from webhook import metrics

                metrics.mark_dead(process.pid)
                print(
                    _("The applier ended (code %(code)s); starting another one.")
                    % {"code": process.returncode},
                    file=sys.stderr,
                    flush=True,
                )
                self.process = self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
