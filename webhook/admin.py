"""Admin: clients and conversations editable; raw events and derived statistics read-only.

Every column label comes from the models' (Portuguese) verbose names; the few computed columns
carry their own. Raw bodies and headers are pretty-printed and always HTML-escaped: they are
whatever a sender chose to put there.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhook.models import (
    Chat,
    Client,
    ContactStats,
    MediaFile,
    Message,
    MessageStats,
    PendingUpdate,
    RealTimeStats,
    Sender,
    WebhookEvent,
    new_token,
)
from webhook.services.replay import events_release, events_reprocess, summary_rows

RAW_DISPLAY_LIMIT = 200_000  # characters of a raw body shown on the page
SHORT_TEXT = 80
PRE_STYLE = "white-space: pre-wrap; max-height: 40em; overflow: auto"


def _short(text: str, size: int = SHORT_TEXT) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def pretty_json(value: Any) -> str:
    """Indented JSON of a JSON value or of a JSON text; any other text as it is."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False)


def _pre(text: str) -> str:
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


KEEP_OR_CLEAR = gettext_lazy("Deixe em branco para manter; marque “apagar” para remover.")


def _secret_field(name: str, label: str) -> forms.CharField:
    """A client secret in the admin: typed in, never rendered back (see ClientForm._kept)."""
    help_text = Client._meta.get_field(name).help_text
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=format_lazy("{} {}", help_text, KEEP_OR_CLEAR),
    )


def _clear_field(label: str) -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False)


class ClientForm(forms.ModelForm):
    """Secrets (Meta app secret and access token, gateway API key and HMAC key) are never
    shown back: left blank, the stored one stays; "apagar" removes it."""

    SECRETS = ("meta_app_secret", "meta_access_token", "gateway_api_key", "signing_secret")

    meta_app_secret = _secret_field("meta_app_secret", gettext_lazy("app secret da Meta"))
    clear_meta_app_secret = _clear_field(gettext_lazy("apagar o app secret da Meta"))
    meta_access_token = _secret_field(
        "meta_access_token", gettext_lazy("token de acesso da Meta")
    )
    clear_meta_access_token = _clear_field(gettext_lazy("apagar o token de acesso da Meta"))
    gateway_url = forms.URLField(
        label=gettext_lazy("URL do servidor do gateway"),
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text=Client._meta.get_field("gateway_url").help_text,
    )
    gateway_api_key = _secret_field("gateway_api_key", gettext_lazy("chave de API do gateway"))
    clear_gateway_api_key = _clear_field(gettext_lazy("apagar a chave de API do gateway"))
    signing_secret = _secret_field("signing_secret", gettext_lazy("chave HMAC do gateway"))
    clear_signing_secret = _clear_field(gettext_lazy("apagar a chave HMAC do gateway"))

    class Meta:
        model = Client
        fields = (
            "name",
            "instance_id",
            "active",
            "webhook_token",
            "require_token",
            "gateway_url",
            "notes",
        )

    def clean_meta_app_secret(self) -> str:
        return self._kept("meta_app_secret")

    def clean_meta_access_token(self) -> str:
        return self._kept("meta_access_token")

    def clean_gateway_api_key(self) -> str:
        return self._kept("gateway_api_key")

    def clean_signing_secret(self) -> str:
        return self._kept("signing_secret")

    def _kept(self, name: str) -> str:
        """A secret left blank keeps the stored one (it is never rendered back)."""
        if self.cleaned_data.get(name):
            return self.cleaned_data[name].strip()
        return getattr(self.instance, name) if self.instance.pk else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in self.SECRETS:
            if data.get(f"clear_{name}"):
                data[name] = ""
        return data


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ("name", "instance_id", "active", "masked_token", "require_token", "created_at")
    list_filter = ("active", "require_token")
    search_fields = ("name", "instance_id")
    date_hierarchy = "created_at"
    readonly_fields = ("created_at",)
    fields = (
        "name",
        "instance_id",
        "active",
        "webhook_token",
        "require_token",
        "meta_app_secret",
        "clear_meta_app_secret",
        "meta_access_token",
        "clear_meta_access_token",
        "gateway_url",
        "gateway_api_key",
        "clear_gateway_api_key",
        "signing_secret",
        "clear_signing_secret",
        "notes",
        "created_at",
    )
    actions = ("regenerate_token",)

    @admin.display(description=gettext_lazy("token do webhook"))
    def masked_token(self, obj: Client) -> str:
        return obj.webhook_token[:4] + "…" if obj.webhook_token else "—"

    @admin.action(description=gettext_lazy("Gerar novo token"), permissions=("change",))
    def regenerate_token(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        count = 0
        for client in queryset:
            client.webhook_token = new_token()
            client.save(update_fields=["webhook_token"])  # post_save refreshes the client cache
            count += 1
        text = _("Novo token gerado para %(n)s cliente(s). Configure-o no gateway de cada um.")
        self.message_user(request, text % {"n": count}, messages.SUCCESS)


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "received_at",
        "client",
        "family",
        "event_type",
        "status",
        "attempts",
        "processing_ms",
        "short_error",
    )
    list_filter = ("status", "family", "client")
    search_fields = ("=id", "delivery_id", "client_key", "event_type", "error")
    date_hierarchy = "received_at"
    list_select_related = ("client",)
    show_full_result_count = False
    actions = ("reprocess", "release")
    readonly_fields = ("pretty_body", "pretty_headers", "message_links")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "received_at",
                    "client",
                    "client_key",
                    "family",
                    "event_type",
                    "status",
                    "error",
                    "message_links",
                    "approved_by",
                    "approved_at",
                )
            },
        ),
        (
            gettext_lazy("entrega"),
            {
                "fields": (
                    "delivery_id",
                    "path",
                    "source_ip",
                    "pretty_headers",
                )
            },
        ),
        (gettext_lazy("corpo bruto"), {"fields": ("pretty_body",)}),
        (
            gettext_lazy("processamento"),
            {
                "fields": (
                    "parser_version",
                    "attempts",
                    "processing_ms",
                    "processed_at",
                    "traceback",
                )
            },
        ),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser  # the evidence of what was received

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhook.change_webhookevent")

    @admin.display(description=gettext_lazy("erro"))
    def short_error(self, obj: WebhookEvent) -> str:
        return _short(obj.error)

    @admin.display(description=gettext_lazy("corpo bruto"))
    def pretty_body(self, obj: WebhookEvent) -> str:
        return _pre(pretty_json(obj.body))

    @admin.display(description=gettext_lazy("cabeçalhos"))
    def pretty_headers(self, obj: WebhookEvent) -> str:
        return _pre(pretty_json(obj.headers))

    @admin.display(description=gettext_lazy("mensagens"))
    def message_links(self, obj: WebhookEvent) -> str:
        count = Message.objects.filter(webhook_event=obj).count()
        url = reverse("admin:webhook_message_changelist") + f"?webhook_event__id__exact={obj.pk}"
        label = _("%(n)s mensagem(ns) criada(s)") % {"n": count}
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.action(
        description=gettext_lazy("Reprocessar eventos selecionados"), permissions=("reprocess",)
    )
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        summary = events_reprocess(queryset=queryset)
        details = "; ".join(f"{label}: {count}" for label, count in summary_rows(summary))
        self.message_user(
            request,
            _("%(n)s evento(s) reprocessado(s). Resultado: %(details)s.")
            % {"n": sum(summary.values()), "details": details or "—"},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy("Liberar entregas sem cliente e aplicar (decisão do operador)"),
        permissions=("reprocess",),
    )
    def release(
        self, request: HttpRequest, queryset: QuerySet[WebhookEvent]
    ) -> TemplateResponse | None:
        """Unassigned deliveries carried no credential of the client they name: anyone could
        have sent them. Applying them is an operator's decision, taken on a page that says so."""
        unassigned = queryset.filter(status=WebhookEvent.Status.UNASSIGNED)
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Liberar entregas sem credencial do cliente"),
                "events": unassigned.select_related("client")[:200],
                "count": unassigned.count(),
                "skipped": queryset.count() - unassigned.count(),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/webhook/webhookevent/release.html", context)
        summary = events_release(queryset=unassigned, operator=request.user.get_username())
        details = "; ".join(f"{label}: {count}" for label, count in summary_rows(summary))
        self.message_user(
            request,
            _("%(n)s entrega(s) liberada(s) por decisão sua. Resultado: %(details)s.")
            % {"n": sum(summary.values()), "details": details or "—"},
            messages.WARNING,
        )
        return None


@admin.register(Chat)
class ChatAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
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
    readonly_fields = ("created_at",)


@admin.register(Sender)
class SenderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "sender_id", "alt_id", "client", "is_me")
    list_filter = ("client", "is_me")
    search_fields = ("sender_id", "alt_id", "name")
    list_select_related = ("client",)
    autocomplete_fields = ("client",)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
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
    readonly_fields = ("created_at", "media_file_preview")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "client",
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
            gettext_lazy("mídia"),
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
            gettext_lazy("localização"),
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
            gettext_lazy("contexto"),
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
            gettext_lazy("entrega"),
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

    @admin.display(description=gettext_lazy("texto"))
    def short_text(self, obj: Message) -> str:
        return _short(obj.text)

    @admin.display(description=gettext_lazy("arquivo de mídia"))
    def media_file_preview(self, obj: Message) -> str:
        from webhook.admin_media import media_preview

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

    @admin.display(description=gettext_lazy("dados"))
    def pretty_data(self, obj: PendingUpdate) -> str:
        return _pre(pretty_json(obj.data))


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

    @admin.display(description=gettext_lazy("tempo médio de resposta (s)"))
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

    @admin.display(description=gettext_lazy("imagem do último QR code"))
    def qr_image(self, obj: RealTimeStats) -> str:
        if not obj.last_qr_image.startswith("data:image/"):
            return "—"
        return format_html('<img src="{}" alt="QR code" width="256">', obj.last_qr_image)


# Registered by importing: MediaFileAdmin, UnrecognisedItemAdmin.
from webhook import admin_drift, admin_media  # noqa: E402,F401
