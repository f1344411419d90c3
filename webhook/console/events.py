"""Event tail (issue 12, item 4): every delivery, newest first, filtered and updating by
itself; one delivery with its masked headers and body, error, traceback and the messages it
produced; and its replay through the same service as the admin and ``webhook_reprocess``.

The list pages by keyset (``event_query``); the live fragment (``console:events-live``) is
polled every 5 s and answers only rows stored after the newest id the page knew, plus the
rows it showed still "received" that the applier has settled since (out-of-band swaps).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from webhook.console import event_query as q
from webhook.console.auth import console_view
from webhook.console.event_masking import display_body, display_headers, known_secrets, mask_text
from webhook.console.problems import problem
from webhook.models import WebhookEvent
from webhook.services.replay import events_reprocess

REPLAY_PERMISSION = "webhook.change_webhookevent"
NOT_REPLAYED = (WebhookEvent.Status.UNASSIGNED, WebhookEvent.Status.REJECTED)


def _problem(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return problem(request, reason, section="events", status=status)


def _decorate(events: list[WebhookEvent]) -> list[WebhookEvent]:
    """Labels the templates show beside the stored values."""
    for event in events:
        event.status_label = q.STATUS_LABELS.get(event.status, event.status)
        event.family_label = q.FAMILY_LABELS.get(event.family, event.family)
        event.error_line = event.error.strip().splitlines()[0] if event.error.strip() else ""
    return events


def _rows_context(filters: q.EventFilters, rows: list, cursor: q.Cursor | None) -> dict[str, Any]:
    return {
        "events": _decorate(rows),
        "more_query": filters.query(before=cursor.encode()) if cursor else "",
        "filters": filters,
    }


@console_view
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    try:
        filters = q.parse_filters(request.GET, request.user)
        raw_before = request.GET.get("before", "")
        before = q.Cursor.decode(raw_before) if raw_before else None
    except q.BadFilter as exc:
        return _problem(request, str(exc), 400)
    events = q.filtered(request.user, filters)
    rows, cursor = q.page(events, before)
    context = _rows_context(filters, rows, cursor)
    if request.headers.get("HX-Request") and before is not None:  # "load more": rows only
        response = render(request, "console/event_rows.html", context)
    else:
        context.update(
            section="events",
            live=before is None,
            since=q.newest_id(events),
            statuses=[(value, q.STATUS_LABELS[value]) for value in WebhookEvent.Status.values],
            families=[(value, q.FAMILY_LABELS.get(value, value)) for value in q.FAMILIES],
            live_query=filters.query(),
        )
        response = render(request, "console/events.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@console_view
@require_GET
def event_live(request: HttpRequest) -> HttpResponse:
    """The rows stored since ``since`` (prepended by htmx) and the settled ``pending`` rows
    (swapped in place); the new ``since`` travels in the ``X-Events-Since`` header."""
    try:
        filters = q.parse_filters(request.GET, request.user)
        raw_since = request.GET.get("since", "")
        if not raw_since.isdigit() or len(raw_since) > 18:
            raise q.BadFilter(_("“since” must be an event id."))
        pending = q.parse_ids(request.GET.getlist("pending"), "pending")
    except q.BadFilter as exc:
        return _problem(request, str(exc), 400)
    since = int(raw_since)
    events = q.filtered(request.user, filters)
    upto = max(q.newest_id(events), since)
    fresh, settled = q.live(events, since, upto, pending)
    response = render(
        request,
        "console/event_live.html",
        {"new_rows": _decorate(fresh), "settled_rows": _decorate(settled)},
    )
    response["X-Events-Since"] = str(upto)
    return response


def _replay_state(event: WebhookEvent, user: Any) -> dict[str, Any]:
    """Whether the page offers "Reprocessar", and if not, why (None: nothing to say)."""
    if event.status == WebhookEvent.Status.UNASSIGNED:
        return {
            "can_replay": False,
            "release_url": reverse("admin:webhook_webhookevent_changelist")
            + f"?id__exact={event.pk}",
        }
    if event.status == WebhookEvent.Status.REJECTED:
        return {"can_replay": False, "rejected": True}
    allowed = user.has_perm(REPLAY_PERMISSION)
    return {"can_replay": allowed, "no_permission": not allowed}


@console_view
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(q.visible_events(request.user).select_related("client"), pk=pk)
    secrets = known_secrets(event)
    body, body_is_json, body_length = display_body(event, secrets)
    produced, produced_count = q.produced_messages(event)
    _decorate([event])
    context = {
        "section": "events",
        "event": event,
        "path": mask_text(event.path, secrets),
        "headers": display_headers(event.headers, secrets),
        "body": body,
        "body_is_json": body_is_json,
        "body_cut": body_length > len(body),
        "body_length": body_length,
        "error": mask_text(event.error, secrets),
        "traceback": mask_text(event.traceback, secrets),
        "produced": produced,
        "produced_more": produced_count - len(produced),
        "produced_count": produced_count,
        **_replay_state(event, request.user),
    }
    return render(request, "console/event_detail.html", context)


@console_view
@require_POST
def event_replay(request: HttpRequest, pk: int) -> HttpResponse:
    """Replay one event (idempotent: the processor's upserts), then back to its page."""
    event = get_object_or_404(q.visible_events(request.user).select_related("client"), pk=pk)
    if not request.user.has_perm(REPLAY_PERMISSION):
        return _problem(request, _("You are not allowed to reprocess events."), 403)
    if event.status == WebhookEvent.Status.UNASSIGNED:
        reason = _(
            "This delivery has no client: applying it is an operator's decision, taken with "
            "the release action of the admin."
        )
        return _problem(request, reason, 409)
    if event.status == WebhookEvent.Status.REJECTED:
        reason = _("Rejected deliveries are never reprocessed: their body was never authenticated.")
        return _problem(request, reason, 409)
    events_reprocess(queryset=WebhookEvent.objects.filter(pk=event.pk))
    event.refresh_from_db(fields=["status", "error"])
    result = q.STATUS_LABELS.get(event.status, event.status)
    if event.status == WebhookEvent.Status.FAILED:
        messages.error(
            request,
            _("Event reprocessed: %(result)s (%(error)s).")
            % {"result": result, "error": mask_text(event.error, known_secrets(event))[:200]},
        )
    else:
        messages.success(request, _("Event reprocessed: %(result)s.") % {"result": result})
    return redirect("console:event", pk=event.pk)
