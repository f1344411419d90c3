"""Admin for the derived statistics (read-only): per hour, per contact, real time."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from webhook.admin.common import ReadOnlyAdmin
from webhook.models import ContactStats, MessageStats, RealTimeStats


@admin.register(MessageStats)
class MessageStatsAdmin(ReadOnlyAdmin):
    list_display = (
        "period_start",
        "client",
        "total",
        "received",
        "sent",
        "text",
        "image",
        "audio",
        "other",
        "delivered",
        "read",
        "failed",
    )
    list_filter = ("client",)
    date_hierarchy = "period_start"
    list_select_related = ("client",)


@admin.register(ContactStats)
class ContactStatsAdmin(ReadOnlyAdmin):
    list_display = (
        "chat",
        "client",
        "total",
        "received",
        "sent",
        "first_message_at",
        "last_message_at",
        "responses",
        "average_response",
        "waiting_since",
    )
    list_filter = ("client",)
    search_fields = ("chat__chat_id", "chat__name")
    date_hierarchy = "last_message_at"
    list_select_related = ("chat", "client")

    @admin.display(description=gettext_lazy("average response time (s)"))
    def average_response(self, obj: ContactStats) -> str:
        seconds = obj.average_response_seconds
        return "—" if seconds is None else f"{seconds:.0f}"


@admin.register(RealTimeStats)
class RealTimeStatsAdmin(ReadOnlyAdmin):
    list_display = (
        "client",
        "connection_state",
        "connected_phone",
        "last_event_at",
        "active_chats",
        "waiting_chats",
        "messages_per_minute",
        "avg_processing_ms",
        "updated_at",
    )
    list_filter = ("connection_state",)
    search_fields = ("client__name", "client__instance_id", "connected_phone")
    list_select_related = ("client",)
    readonly_fields = ("qr_image",)
    exclude = ("last_qr_image",)

    @admin.display(description=gettext_lazy("latest QR code image"))
    def qr_image(self, obj: RealTimeStats) -> str:
        if not obj.last_qr_image.startswith("data:image/"):
            return "—"
        return format_html('<img src="{}" alt="QR code" width="256">', obj.last_qr_image)
