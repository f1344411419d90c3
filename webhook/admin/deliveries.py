"""Admin for the raw deliveries (read-only evidence): reprocess and release them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from webhook.admin.common import ReadOnlyAdmin, preformatted, pretty_json, shorten
from webhook.models import Message, WebhookEvent
from webhook.services.replay import events_release, events_reprocess, summary_rows


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
            gettext_lazy("delivery"),
            {
                "fields": (
                    "delivery_id",
                    "path",
                    "source_ip",
                    "pretty_headers",
                )
            },
        ),
        (gettext_lazy("raw body"), {"fields": ("pretty_body",)}),
        (
            gettext_lazy("processing"),
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

    @admin.display(description=gettext_lazy("error"))
    def short_error(self, obj: WebhookEvent) -> str:
        return shorten(obj.error)

    @admin.display(description=gettext_lazy("raw body"))
    def pretty_body(self, obj: WebhookEvent) -> str:
        return preformatted(pretty_json(obj.body))

    @admin.display(description=gettext_lazy("headers"))
    def pretty_headers(self, obj: WebhookEvent) -> str:
        return preformatted(pretty_json(obj.headers))

    @admin.display(description=gettext_lazy("messages"))
    def message_links(self, obj: WebhookEvent) -> str:
        count = Message.objects.filter(webhook_event=obj).count()
        url = reverse("admin:webhook_message_changelist") + f"?webhook_event__id__exact={obj.pk}"
        label = ngettext("%(n)s message created", "%(n)s messages created", count) % {"n": count}
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.action(description=gettext_lazy("Reprocess selected events"), permissions=("reprocess",))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        summary = events_reprocess(queryset=queryset)
        details = "; ".join(f"{label}: {count}" for label, count in summary_rows(summary))
        self.message_user(
            request,
            _("%(n)s event(s) reprocessed. Result: %(details)s.")
            % {"n": sum(summary.values()), "details": details or "—"},
            messages.SUCCESS,
        )

    @admin.action(
        description=gettext_lazy(
            "Release deliveries without a client and apply them (operator's decision)"
        ),
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
                "title": _("Release deliveries without the client's credential"),
                "events": unassigned.select_related("client")[:200],
                "count": unassigned.count(),
                "skipped": queryset.count() - unassigned.count(),
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "opts": self.model._meta,
            }
            return TemplateResponse(request, "admin/webhook/webhookevent/release.html", context)
        summary = events_release(queryset=unassigned, operator=request.user.get_username())
        details = "; ".join(f"{label}: {count}" for label, count in summary_rows(summary))
        released = sum(summary.values())
        text = ngettext(
            "%(n)s delivery released by your decision. Result: %(details)s.",
            "%(n)s deliveries released by your decision. Result: %(details)s.",
            released,
        )
        self.message_user(
            request,
            text % {"n": released, "details": details or "—"},
            messages.WARNING,
        )
        return None
