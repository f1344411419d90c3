"""The console's one way to refuse: the reason in words, as a page or as JSON.

Every console page answers a malformed filter (400), a forbidden action (403) or an action
that is not done there (409) with this: JSON ``{"ok": false, "error": <code>, "detail":
<reason>}`` for ``?format=json`` (the read API's shape), else a console page with the reason
and a way back to the section it came from.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CODES = {400: "invalid_filter", 403: "forbidden", 409: "conflict"}
TITLES = {
    400: gettext_lazy("Invalid filter"),
    403: gettext_lazy("Not allowed"),
    409: gettext_lazy("Not reprocessed here"),
}
BACK = {
    "dashboard": ("console:dashboard", gettext_lazy("Back to the dashboard")),
    "chats": ("console:chats", gettext_lazy("Back to the conversations")),
    "events": ("console:events", gettext_lazy("Back to the events")),
}


def problem(request: HttpRequest, reason: str, *, section: str, status: int = 400) -> HttpResponse:
    if request.GET.get("format") == "json":
        return JsonResponse(
            {"ok": False, "error": CODES.get(status, "error"), "detail": reason},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    back_url, back_label = BACK[section]
    context = {
        "section": section,
        "title": TITLES.get(status) or _("Request refused"),
        "reason": reason,
        "back_url": reverse(back_url),
        "back_label": back_label,
    }
    return render(request, "console/problem.html", context, status=status)
