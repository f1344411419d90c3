"""What the admin pages share: read-only admins, short texts and escaped, pretty-printed raw
bodies (always HTML-escaped: they are whatever a sender chose to put there)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _

from webhook import access
from webhook.models import Client

RAW_DISPLAY_LIMIT = 200_000  # characters of a raw body shown on the page
SHORT_TEXT = 80


def shorten(text: str, size: int = SHORT_TEXT) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def pretty_json(value: Any) -> str:
    """Indented JSON of a JSON value or of a JSON text; any other text as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def preformatted(text: str) -> str:
    if len(text) > RAW_DISPLAY_LIMIT:
        note = _("… (truncated: %(n)s characters in all)") % {"n": len(text)}
        text = text[:RAW_DISPLAY_LIMIT] + "\n" + note
    return format_html('<pre class="raw">{}</pre>', text)  # styled in admin/webhook.css


class ClientScopedAdmin(admin.ModelAdmin):
    """Rows of the clients the user may see (``webhook.access``), everywhere the admin reads
    them: change lists, change views (another client's row is "not found"), autocomplete,
    the client choices of forms and the client filter (only clients of the user's rows)."""

    client_field = "client"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return access.restrict(super().get_queryset(request), request.user, self.client_field)

    def formfield_for_foreignkey(self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any):
        if db_field.related_model is Client:
            kwargs["queryset"] = access.visible_clients(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> tuple:
        return tuple(
            (name, admin.RelatedOnlyFieldListFilter) if name == self.client_field else name
            for name in super().get_list_filter(request)
        )


class ReadOnlyAdmin(ClientScopedAdmin):
    """Evidence and derived data: viewable, never added or edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
