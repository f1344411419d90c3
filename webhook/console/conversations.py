"""Conversations (issue 12, item 3) — placeholder until built."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from webhook.console.auth import console_view


@console_view
def chat_list(request: HttpRequest) -> HttpResponse:
    return render(request, "console/placeholder.html", {"section": "chats"})


@console_view
def chat_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "console/placeholder.html", {"section": "chats"})
