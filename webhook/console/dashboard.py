"""Dashboard (issue 12, item 2): a card per client, traffic charts, the status funnel, first
response times and the chats waiting for our reply, from the statistics tables.

The live part (``dashboard_live``) is a separate small URL that htmx polls every 10 s: each
poll is a short request in a fixed number of queries, so no request holds a WSGI thread the
way a server-sent-events stream would, and twenty open dashboards cost twenty short requests
every ten seconds.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhook.console import charts
from webhook.console.auth import console_view
from webhook.console.dashboard_cards import client_cards
from webhook.console.dashboard_data import (
    FilterError,
    Filters,
    media_counts,
    read_filters,
    responses,
    traffic,
    waiting_chats,
    window,
)
from webhook.console.problems import problem
from webhook.models import MessageStats

TYPE_LABELS = {
    "text": gettext_lazy("Text"),
    "image": gettext_lazy("Image"),
    "video": gettext_lazy("Video"),
    "audio": gettext_lazy("Audio"),
    "document": gettext_lazy("Document"),
    "sticker": gettext_lazy("Sticker"),
    "location": gettext_lazy("Location"),
    "contact": gettext_lazy("Contact"),
    "other": gettext_lazy("Other"),
}


def duration_label(seconds: float | None) -> str:
    """A response time for people: "45 s", "12 min", "3 h 05 min", "2 d 4 h"."""
    if seconds is None:
        return "—"
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return _("%(n)d s") % {"n": seconds}
    minutes = seconds // 60
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


def _type_rows(totals: dict[str, int]) -> list[charts.Row]:
    items = [
        (column, str(TYPE_LABELS[column]), totals[column])
        for column in (*MessageStats.COUNTED_TYPES, "other")
        if totals[column]
    ]
    items.sort(key=lambda item: -item[2])
    return charts.bar_rows(items)


def _funnel_rows(totals: dict[str, int]) -> list[charts.Row]:
    return charts.bar_rows(
        [
            ("sent", _("Sent"), totals["sent"]),
            ("delivered", _("Delivered"), totals["delivered"]),
            ("read", _("Read"), totals["read"]),
            ("failed", _("Failed"), totals["failed"]),
        ],
        base=totals["sent"],
    )


def live_context(request: HttpRequest, filters: Filters, now: datetime) -> dict:
    """Everything the polled fragment shows: a fixed number of queries (dashboard_data)."""
    win = window(filters.period, now)
    context = {"filters": filters, "window": win, "now": now, "has_clients": bool(filters.clients)}
    if not filters.clients:
        return context
    ids = filters.ids
    flow = traffic(ids, win)
    answers = responses(ids, win)
    labels = [slot.label for slot in win.slots]
    titles = [slot.title for slot in win.slots]
    context.update(
        traffic=flow,
        traffic_chart=charts.column_chart(
            labels,
            titles,
            [
                charts.Series(_("Received"), "bar-in", flow.received),
                charts.Series(_("Sent"), "bar-out", flow.sent),
            ],
            label_every=1 if win.daily else 3,
        ),
        traffic_table=list(zip(titles, flow.received, flow.sent, strict=True)),
        types=_type_rows(flow.totals),
        funnel=_funnel_rows(flow.totals),
        answers=answers,
        answer_rows=charts.bar_rows(answers.buckets, base=answers.answered or None),
        median=duration_label(answers.median),
        p90=duration_label(answers.p90),
        waiting=waiting_chats(ids, now),
        cards=client_cards(request, filters.shown, flow, answers, now, media_counts(ids)),
        several=len(filters.shown) > 1,
    )
    return context


def _bad_filter(request: HttpRequest, reason: str) -> HttpResponse:
    return problem(request, reason, section="dashboard")


def _render(request: HttpRequest, template: str) -> HttpResponse:
    try:
        filters = read_filters(request.GET, request.user)
    except FilterError as exc:
        return _bad_filter(request, str(exc))
    context = live_context(request, filters, timezone.now())
    context["section"] = "dashboard"
    return render(request, template, context)


@console_view
def dashboard(request: HttpRequest) -> HttpResponse:
    return _render(request, "console/dashboard.html")


@console_view
def dashboard_live(request: HttpRequest) -> HttpResponse:
    """The part of the dashboard that refreshes itself (htmx polls it; not a full page)."""
    return _render(request, "console/dashboard_live.html")
