"""Admin for the drift counters: what the parsers did not recognise ("Não reconhecidos")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from webhook.models import UnrecognisedItem


@admin.register(UnrecognisedItem)
class UnrecognisedItemAdmin(admin.ModelAdmin):
    """Read-only: counted by the applier, never edited (a superuser may delete a row to start
    its count again after an upgrade)."""

    list_display = ("family", "kind", "name", "count", "first_seen", "last_seen", "sample_link")
    list_filter = ("kind", "family")
    search_fields = ("name",)
    date_hierarchy = "last_seen"
    list_select_related = ("sample_event",)
    fields = ("family", "kind", "name", "count", "first_seen", "last_seen", "sample_link")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    @admin.display(description=gettext_lazy("sample event"), ordering="sample_event")
    def sample_link(self, obj: UnrecognisedItem) -> str:
        if obj.sample_event_id is None:
            return "—"
        url = reverse("admin:webhook_webhookevent_change", args=[obj.sample_event_id])
        return format_html('<a href="{}">#{}</a>', url, obj.sample_event_id)
