"""Conversations (issue 12, item 3): the chat list per client and a chat's transcript.

The transcript opens at the newest ``PAGE_SIZE`` messages; older ones come by keyset on
(timestamp, id) through a "mensagens anteriores" link (htmx swaps the page in; without
JavaScript the link opens the older page). New messages arrive by htmx polling every 5 s of
``console:chat-live``, a short request answering only the messages stored since the newest
row shown (204 when there is none). Every page makes a fixed number of queries.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from webhook.console import conversation_items as items
from webhook.console import conversation_queries as queries
from webhook.console.auth import console_view
from webhook.console.conversation_queries import BadParameter, ChatFilters, Cursor
from webhook.console.problems import problem
from webhook.models import Chat, Message

_DAY = re.compile(r"^\d{8}$")


def chat_url(chat_or_pk: Chat | int) -> str:
    """The console page of a chat (for "ver conversa" links in the admin)."""
    pk = chat_or_pk.pk if isinstance(chat_or_pk, Chat) else int(chat_or_pk)
    return reverse("console:chat", args=[pk])


def message_url(message: Message) -> str:
    """The transcript page that ends at ``message``, scrolled to it (links from events)."""
    return f"{chat_url(message.chat_id)}?m={message.pk}#m{message.pk}"


def bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    """400 with the reason: JSON for ``?format=json``, else the console's page."""
    return problem(request, reason, section="chats")


@dataclass(frozen=True, slots=True)
class ChatRow:
    chat: Chat
    title: str
    number: str
    waiting: Any
    url: str
    preview: str
    tick: items.Tick | None


def _rows(chats, query: str) -> list[ChatRow]:
    suffix = f"?{query}" if query else ""
    chats = list(chats)
    last = queries.last_messages(chats)
    rows = []
    for chat in chats:
        message = last.get(chat.pk)
        rows.append(
            ChatRow(
                chat=chat,
                title=items.chat_title(chat),
                number=items.chat_number(chat),
                waiting=items.waiting_since(chat),
                url=chat_url(chat) + suffix,
                preview=items.preview(message) if message else "",
                tick=items.tick(message) if message else None,
            )
        )
    return rows


def _sidebar(request: HttpRequest, filters: ChatFilters) -> dict[str, Any]:
    clients = queries.client_choices(request.user)
    chats = queries.chat_list(request.user, filters, clients)
    return {
        "filters": filters,
        "clients": clients,
        "filter_query": urlencode(filters.query()),
        "chats_qs": chats,
    }


@require_GET
@console_view
def chat_list(request: HttpRequest) -> HttpResponse:
    """The chat list; with ``HX-Request`` only the list itself (its 10 s poll), 204 when its
    signature ``sig`` has not changed."""
    try:
        filters = ChatFilters.parse(request.GET)
        number = queries.positive_int(request.GET.get("page", "1"), "page")
        raw_current = request.GET.get("current", "")
        current = queries.positive_int(raw_current, "current") if raw_current else None
        context = _sidebar(request, filters)
    except BadParameter as exc:
        return bad_request(request, str(exc))
    paginator = Paginator(context.pop("chats_qs"), queries.CHAT_PAGE_SIZE)
    try:
        page = paginator.page(number)
    except EmptyPage:
        if number != 1:
            reason = _("Page %(n)s does not exist (there are %(total)s).")
            return bad_request(request, reason % {"n": number, "total": paginator.num_pages})
        page = paginator.page(1)
    rows = _rows(page.object_list, context["filter_query"])
    context.update(section="chats", page=page, rows=rows, page_query=urlencode(filters.query()))
    context.update(_list_live(filters, rows, number, current))
    if request.headers.get("HX-Request"):
        if request.GET.get("sig") == context["list_sig"]:
            return HttpResponse(status=204)
        response = render(request, "console/chat_rows.html", context)
    else:
        response = render(request, "console/chat_list.html", context)
    response.headers["Vary"] = "Cookie, HX-Request"
    return response


def _list_live(filters: ChatFilters, rows: list[ChatRow], page: int, current: int | None):
    """The list's poll URL, carrying the signature of what it shows."""
    shown = [
        (r.chat.pk, str(r.chat.last_message_at), r.chat.message_count, bool(r.waiting), r.preview)
        + ((r.tick.css,) if r.tick else ())
        for r in rows
    ]
    sig = f"{zlib.crc32(repr(shown).encode()):08x}"
    extra = {"page": str(page)} if page > 1 else {}
    if current:
        extra["current"] = str(current)
    query = urlencode({**filters.query(), **extra, "sig": sig})
    return {
        "list_sig": sig,
        "list_live_url": reverse("console:chats") + f"?{query}",
        "current_pk": current,
    }


def _cursor(request: HttpRequest, name: str) -> Cursor | None:
    raw = request.GET.get(name)
    return None if raw is None else Cursor.decode(raw)


def _day(request: HttpRequest, name: str) -> str:
    raw = request.GET.get(name, "")
    if raw and not _DAY.match(raw):
        raise BadParameter(_("%(name)s must be a date as YYYYMMDD.") % {"name": name})
    return raw


@require_GET
@console_view
def chat_detail(request: HttpRequest, pk: int) -> HttpResponse:
    chat = queries.chat_for(request.user, pk)
    try:
        filters = ChatFilters.parse(request.GET)
        before, after = _cursor(request, "before"), _cursor(request, "after")
        top = _day(request, "top")
        if request.GET.get("m") and before is None and after is None:
            before = queries.cursor_at(chat, queries.positive_int(request.GET["m"], "m"))
        if request.headers.get("HX-Request") and before is not None:
            return _older_fragment(request, chat, before, top, filters)
        context = _sidebar(request, filters)
    except BadParameter as exc:
        return bad_request(request, str(exc))
    if after is not None:
        page = queries.transcript_newer(chat, after)
    else:
        page = queries.transcript_page(chat, before)
    newest = page.newer is None
    bubbles = items.bubbles(page, chat)
    rows = _rows(context.pop("chats_qs")[: queries.CHAT_PAGE_SIZE], context["filter_query"])
    context.update(_list_live(filters, rows, 1, chat.pk))
    context.update(
        section="chats",
        chat=chat,
        title=items.chat_title(chat),
        number=items.chat_number(chat),
        waiting=items.waiting_since(chat),
        rows=rows,
        bubbles=bubbles,
        older_url=_older_url(chat, page, bubbles, filters),
        newer_url=_page_url(chat, filters, after=page.newer.encode()) if page.newer else "",
        newest_url=_page_url(chat, filters) if not newest or after else "",
        live_url=_live_url(chat, queries.last_pk(chat), bubbles) if newest else "",
        admin_url=_admin_url(request, chat),
    )
    response = render(request, "console/chat_detail.html", context)
    response.headers["Vary"] = "Cookie, HX-Request"
    return response


def _page_url(chat: Chat, filters: ChatFilters, **extra: str) -> str:
    query = urlencode({**filters.query(), **extra})
    return chat_url(chat) + (f"?{query}" if query else "")


def _older_url(chat: Chat, page, bubbles, filters: ChatFilters) -> str:
    if page.older is None:
        return ""
    top = bubbles[0].day_key if bubbles else ""
    return _page_url(chat, filters, before=page.older.encode(), top=top)


def _live_url(chat: Chat, after_pk: int, bubbles, day: str = "") -> str:
    day = bubbles[-1].day_key if bubbles else day
    query = urlencode({"after": after_pk, "day": day} if day else {"after": after_pk})
    return reverse("console:chat-live", args=[chat.pk]) + f"?{query}"


def _admin_url(request: HttpRequest, chat: Chat) -> str:
    if not request.user.has_perm("webhook.view_chat"):
        return ""
    return reverse("admin:webhook_chat_change", args=[chat.pk])


def _older_fragment(request, chat, before, top, filters) -> HttpResponse:
    """The older page swapped in place of the "mensagens anteriores" link (htmx)."""
    page = queries.transcript_page(chat, before)
    bubbles = items.bubbles(page, chat)
    context = {
        "chat": chat,
        "bubbles": bubbles,
        "older_url": _older_url(chat, page, bubbles, filters),
        # The day shown at the top so far now starts in this page: its separator moves up.
        "drop_day": top if bubbles and bubbles[-1].day_key == top else "",
    }
    response = render(request, "console/chat_older.html", context)
    response.headers["Vary"] = "Cookie, HX-Request"
    return response


_SHOWN = re.compile(r"^(\d{1,19})\.([0-9a-f]{8})$")
LIVE_TRACKED = 60


def _shown(request: HttpRequest) -> dict[int, str]:
    """The bubbles a live page shows (``s=<pk>.<signature>``, the newest ones last)."""
    shown = {}
    for raw in request.GET.getlist("s")[-LIVE_TRACKED:]:
        match = _SHOWN.match(raw)
        if not match:
            raise BadParameter(_("Malformed shown message: %(value)s") % {"value": raw[:40]})
        shown[int(match.group(1))] = match.group(2)
    return shown


@require_GET
@console_view
def chat_live(request: HttpRequest, pk: int) -> HttpResponse:
    """Messages stored since row ``after`` and shown bubbles whose state changed (ticks,
    reactions, edits, deletion, media), for htmx polling: 204 when nothing moved."""
    chat = queries.chat_for(request.user, pk)
    try:
        raw = request.GET.get("after", "0")
        after = 0 if raw == "0" else queries.positive_int(raw, "after")
        day = _day(request, "day")
        shown = _shown(request)
    except BadParameter as exc:
        return bad_request(request, str(exc))
    new = queries.transcript_since(chat, after)
    new = [m for m in new if m.pk not in shown]
    rows = queries.transcript_rows(chat, list(shown))
    changed = [m for m in rows if items.signature(m) != shown[m.pk]]
    if not new and not changed:
        return HttpResponse(status=204)
    page = queries.annotate(chat, queries.TranscriptPage(new + changed))
    bubbles = items.bubbles(page, chat, previous_day=day)
    fresh, updated = bubbles[: len(new)], bubbles[len(new) :]
    for bubble in updated:
        bubble.day_label = ""  # swapped in place: its day separator is already shown
    top = max([after, *(m.pk for m in new)])
    context = {
        "chat": chat,
        "bubbles": fresh,
        "updated": updated,
        "live_url": _live_url(chat, top, fresh, day),
        "number": items.chat_number(chat),
        "waiting": items.waiting_since(chat),
    }
    return render(request, "console/chat_live.html", context)
