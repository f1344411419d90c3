"""The console's door: logged-in, active staff users only (Django's admin login page)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.vary import vary_on_cookie


def console_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A console page: staff login required (others go to the login page and come back);
    answers vary by user, so no shared cache serves one user's page to another."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response.headers.setdefault("Cache-Control", "private, no-store")
        return response

    return staff_member_required(vary_on_cookie(wrapper))
