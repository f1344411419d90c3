"""Polling the read API until every accepted delivery is stored, and the pass/fail table."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webhook.live_check.payloads import mismatches
from webhook.script_i18n import gettext as _

POLL_INTERVAL = 0.25


@dataclass
class Delivery:
    type_name: str
    external_id: str
    expected: dict[str, Any]
    http_status: int
    error: str = ""  # why the receiver did not accept it

    @property
    def accepted(self) -> bool:
        return not self.error and 200 <= self.http_status < 300


@dataclass
class CheckResult:
    type_name: str
    external_id: str
    http_status: int
    stored: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.stored and not self.problems


def check_stored(
    deliveries: list[Delivery],
    fetch: Callable[[str], dict[str, Any] | None],
    *,
    timeout: float,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[CheckResult]:
    """Poll ``fetch(external_id)`` until every accepted delivery is stored or ``timeout``."""
    pending = [d.external_id for d in deliveries if d.accepted]
    found: dict[str, dict[str, Any]] = {}
    deadline = clock() + timeout
    while True:
        for external_id in list(pending):
            item = fetch(external_id)
            if item is not None:
                found[external_id] = item
                pending.remove(external_id)
        if not pending or clock() >= deadline:
            break
        sleep(POLL_INTERVAL)
    results = []
    for d in deliveries:
        item = found.get(d.external_id)
        if not d.accepted:
            problems = [
                d.error
                or _("refused by the receiver (HTTP %(status)s)") % {"status": d.http_status}
            ]
        elif item is None:
            problems = [
                _("did not show up in the read API within %(seconds)ss")
                % {"seconds": f"{timeout:g}"}
            ]
        else:
            problems = mismatches(d.expected, item)
        results.append(
            CheckResult(d.type_name, d.external_id, d.http_status, item is not None, problems)
        )
    return results


def render_table(results: list[CheckResult]) -> str:
    headers = (_("Type"), _("Message ID"), "HTTP", _("Stored"), _("Result"), _("Detail"))
    rows = [
        (
            r.type_name,
            r.external_id,
            str(r.http_status or "-"),
            _("yes") if r.stored else _("no"),
            "OK" if r.ok else _("FAILED"),
            "; ".join(r.problems),
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    passed = sum(r.ok for r in results)
    separator = "  ".join("-" * w for w in widths) + "  -------"
    summary = _("Result: %(passed)s of %(total)s messages OK, %(failed)s failed.") % {
        "passed": passed,
        "total": len(results),
        "failed": len(results) - passed,
    }
    return "\n".join([line(headers), separator, *(line(row) for row in rows), "", summary])


def exit_code(results: list[CheckResult]) -> int:
    return 0 if results and all(r.ok for r in results) else 1
