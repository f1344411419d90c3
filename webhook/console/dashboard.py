"""Dashboard (issue 12, item 2) — placeholder until built."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webhook.console.auth import console_view


@console_view
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "console/placeholder.html", {"section": "dashboard"})
