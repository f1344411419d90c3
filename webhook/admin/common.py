"""What the admin pages share: read-only admins, short texts and escaped, pretty-printed raw
bodies (always HTML-escaped: they are whatever a sender chose to put there)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _

RAW_DISPLAY_LIMIT = 200_000  # characters of a raw body shown on the page
SHORT_TEXT = 80
PRE_STYLE = "white-space: pre-wrap; max-height: 40em; overflow: auto"


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
        note = _("… (truncado: %(n)s caracteres ao todo)") % {"n": len(text)}
        text = text[:RAW_DISPLAY_LIMIT] + "\n" + note
    return format_html('<pre style="{}">{}</pre>', PRE_STYLE, text)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence and derived data: viewable, never added or edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
