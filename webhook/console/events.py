"""Event tail (issue 12, item 4) — placeholder until built."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webhook.console.auth import console_view


@console_view
def event_list(request: HttpRequest) -> HttpResponse:
    return render(request, "console/placeholder.html", {"section": "events"})


@console_view
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "console/placeholder.html", {"section": "events"})


@console_view
def event_replay(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "console/placeholder.html", {"section": "events"})
