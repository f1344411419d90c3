"""Admin for the conversation: chats, senders, messages and updates waiting for theirs."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from webhook.admin.common import (
    ClientScopedAdmin,
    ReadOnlyAdmin,
    preformatted,
    pretty_json,
    shorten,
)
from webhook.models import Chat, MediaFile, Message, PendingUpdate, Sender


def conversation_link(chat_id: int, message_id: int | None = None) -> str:
    """The console's transcript of a chat (ending at a message), as a link."""
    url = reverse("console:chat", args=[chat_id])
    if message_id is not None:
        url += f"?m={message_id}#m{message_id}"
    return format_html('<a href="{}">{}</a>', url, gettext_lazy("open the conversation"))


@admin.register(Chat)
class ChatAdmin(ClientScopedAdmin):
    list_display = (
        "__str__",
        "open_conversation",
        "chat_id",
        "client",
        "is_group",
        "message_count",
        "last_message_at",
        "last_message_from_me",
    )
    list_filter = ("client", "is_group", "last_message_from_me")
    search_fields = ("chat_id", "alt_id", "name")
    date_hierarchy = "last_message_at"
    list_select_related = ("client",)
    autocomplete_fields = ("client",)
    readonly_fields = ("open_conversation", "created_at")

    @admin.display(description=gettext_lazy("console"))
    def open_conversation(self, obj: Chat) -> str:
        return conversation_link(obj.pk)


@admin.register(Sender)
class SenderAdmin(ClientScopedAdmin):
    list_display = ("__str__", "sender_id", "alt_id", "client", "is_me")
    list_filter = ("client", "is_me")
    search_fields = ("sender_id", "alt_id", "name")
    list_select_related = ("client",)
    autocomplete_fields = ("client",)


@admin.register(Message)
class MessageAdmin(ClientScopedAdmin):
    list_display = (
        "chat",
        "sender",
        "type",
        "short_text",
        "from_me",
        "status",
        "timestamp",
        "client",
    )
    list_filter = ("type", "status", "from_me", "client", "family")
    search_fields = ("external_id", "text", "chat__chat_id", "sender__name")
    date_hierarchy = "timestamp"
    list_select_related = ("chat", "sender", "client")
    show_full_result_count = False
    autocomplete_fields = ("client",)
    raw_id_fields = ("chat", "sender", "webhook_event")
    readonly_fields = ("created_at", "media_file_preview", "open_in_conversation")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "client",
                    "open_in_conversation",
                    "media_file_preview",
                    "external_id",
                    "chat",
                    "sender",
                    "from_me",
                    "type",
                    "subtype",
                    "text",
                    "timestamp",
                    "timestamp_estimated",
                    "family",
                    "webhook_event",
                    "created_at",
                )
            },
        ),
        (
            gettext_lazy("media"),
            {
                "classes": ("collapse",),
                "fields": (
                    "media_url",
                    "media_id",
                    "media_mimetype",
                    "media_sha256",
                    "media_size",
                    "media_file_name",
                    "media_duration",
                    "media_width",
                    "media_height",
                    "is_voice",
                ),
            },
        ),
        (
            gettext_lazy("location"),
            {
                "classes": ("collapse",),
                "fields": (
                    "latitude",
                    "longitude",
                    "location_name",
                    "location_address",
                ),
            },
        ),
        (
            gettext_lazy("context"),
            {
                "classes": ("collapse",),
                "fields": (
                    "contacts",
                    "quoted_id",
                    "forwarded",
                    "reactions",
                    "edit_history",
                ),
            },
        ),
        (
            gettext_lazy("delivery"),
            {
                "fields": (
                    "status",
                    "status_error",
                    "sent_at",
                    "delivered_at",
                    "read_at",
                    "played_at",
                    "failed_at",
                    "deleted_at",
                    "is_deleted",
                )
            },
        ),
    )

    @admin.display(description=gettext_lazy("text"))
    def short_text(self, obj: Message) -> str:
        return shorten(obj.text)

    @admin.display(description=gettext_lazy("conversation"))
    def open_in_conversation(self, obj: Message) -> str:
        return conversation_link(obj.chat_id, obj.pk) if obj.chat_id else "—"

    @admin.display(description=gettext_lazy("media file"))
    def media_file_preview(self, obj: Message) -> str:
        from webhook.admin.media import media_preview

        return media_preview(MediaFile.objects.filter(message=obj).first())


@admin.register(PendingUpdate)
class PendingUpdateAdmin(ReadOnlyAdmin):
    list_display = ("kind", "target_id", "client", "created_at")
    list_filter = ("kind", "client")
    search_fields = ("target_id",)
    date_hierarchy = "created_at"
    list_select_related = ("client",)
    readonly_fields = ("pretty_data",)
    fields = ("client", "kind", "target_id", "fingerprint", "pretty_data", "created_at")

    @admin.display(description=gettext_lazy("data"))
    def pretty_data(self, obj: PendingUpdate) -> str:
        return preformatted(pretty_json(obj.data))
