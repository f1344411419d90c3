"""Admin for media files, and the media preview on a message's page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from webhook.admin.common import ClientScopedAdmin
from webhook.media.services import media_retry
from webhook.models import MediaFile


def human_size(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def media_preview(media: MediaFile | None) -> str:
    """Image thumbnail, audio/video player or download link with size, through our view."""
    if media is None:
        return "—"
    if media.state != MediaFile.State.STORED:
        reason = media.last_error or media.get_state_display()
        return format_html(
            "<strong>{}</strong> {}", media.get_state_display(), f"— {reason}" if reason else ""
        )
    url = reverse("webhook:media-file", args=[media.pk])
    size = human_size(media.size)
    if media.media_type in ("image", "sticker"):
        thumb = reverse("webhook:media-thumb", args=[media.pk]) if media.thumbnail_name else url
        return format_html(
            '<a href="{}" target="_blank" rel="noopener"><img src="{}" alt="{}" '
            'class="media-preview"></a><br>{}',
            url,
            thumb,
            media.file_name or media.get_media_type_display(),
            size,
        )
    if media.media_type == "audio":
        return format_html(
            '<audio controls preload="metadata" src="{}" class="media-preview"></audio><br>{}',
            url,
            size,
        )
    if media.media_type == "video":
        return format_html(
            '<video controls preload="metadata" src="{}" class="media-preview"></video><br>{}',
            url,
            size,
        )
    return format_html(
        '<a href="{}">⬇ {}</a> ({}, {})',
        url,
        media.file_name or _("download document"),
        media.mimetype,
        size,
    )


@admin.register(MediaFile)
class MediaFileAdmin(ClientScopedAdmin):
    list_display = (
        "id",
        "short_message",
        "media_type",
        "state",
        "short_error",
        "attempts",
        "readable_size",
        "family",
        "client",
    )
    list_display_links = ("id", "short_message")
    list_filter = ("state", "family", "media_type", "source", "client")
    search_fields = ("message__external_id", "file_name", "sha256", "last_error")
    date_hierarchy = "created_at"
    list_select_related = ("message", "client")
    show_full_result_count = False
    actions = ("fetch_again",)
    readonly_fields = ("preview",)
    exclude = ("media_key",)  # a decryption key: never shown

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return ["preview", *[f.name for f in MediaFile._meta.fields if f.name != "media_key"]]

    @admin.display(description=gettext_lazy("file"))
    def preview(self, obj: MediaFile) -> str:
        return media_preview(obj)

    @admin.display(description=gettext_lazy("message"))
    def short_message(self, obj: MediaFile) -> str:
        external_id = obj.message.external_id
        return external_id if len(external_id) <= 24 else external_id[:23] + "…"

    @admin.display(description=gettext_lazy("size"), ordering="size")
    def readable_size(self, obj: MediaFile) -> str:
        return human_size(obj.size if obj.size is not None else obj.declared_size)

    @admin.display(description=gettext_lazy("last error"))
    def short_error(self, obj: MediaFile) -> str:
        return obj.last_error if len(obj.last_error) <= 60 else obj.last_error[:59] + "…"

    @admin.action(description=gettext_lazy("Download again"), permissions=("view",))
    def fetch_again(self, request: HttpRequest, queryset: QuerySet[MediaFile]) -> None:
        count = media_retry(queryset=queryset)
        text = ngettext(
            "%(n)s media file went back to the download queue.",
            "%(n)s media files went back to the download queue.",
            count,
        )
        self.message_user(request, text % {"n": count}, messages.SUCCESS)
