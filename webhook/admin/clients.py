"""Admin for clients: their credentials are write-only fields, kept unless replaced or cleared."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from webhook import access
from webhook.models import Client, new_token

KEEP_OR_CLEAR = gettext_lazy("Leave blank to keep; tick “delete” to remove.")


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

    meta_app_secret = _secret_field("meta_app_secret", gettext_lazy("Meta app secret"))
    clear_meta_app_secret = _clear_field(gettext_lazy("delete the Meta app secret"))
    meta_access_token = _secret_field("meta_access_token", gettext_lazy("Meta access token"))
    clear_meta_access_token = _clear_field(gettext_lazy("delete the Meta access token"))
    gateway_url = forms.URLField(
        label=gettext_lazy("gateway server URL"),
        required=False,
        assume_scheme="https",
        max_length=500,
        help_text=Client._meta.get_field("gateway_url").help_text,
    )
    gateway_api_key = _secret_field("gateway_api_key", gettext_lazy("gateway API key"))
    clear_gateway_api_key = _clear_field(gettext_lazy("delete the gateway API key"))
    signing_secret = _secret_field("signing_secret", gettext_lazy("gateway HMAC key"))
    clear_signing_secret = _clear_field(gettext_lazy("delete the gateway HMAC key"))

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
        "members",
        "created_at",
    )
    filter_horizontal = ("members",)
    actions = ("regenerate_token",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Client]:
        return access.restrict(super().get_queryset(request), request.user, "pk")

    def get_readonly_fields(self, request: HttpRequest, obj: Client | None = None) -> tuple:
        # Only a superuser decides who sees which client.
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if access.sees_everything(request.user) else (*fields, "members")

    @admin.display(description=gettext_lazy("webhook token"))
    def masked_token(self, obj: Client) -> str:
        return obj.webhook_token[:4] + "…" if obj.webhook_token else "—"

    @admin.action(description=gettext_lazy("Generate a new token"), permissions=("change",))
    def regenerate_token(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        count = 0
        for client in queryset:
            client.webhook_token = new_token()
            client.save(update_fields=["webhook_token"])  # post_save refreshes the client cache
            count += 1
        text = _("New token generated for %(n)s client(s). Configure it in each one's gateway.")
        self.message_user(request, text % {"n": count}, messages.SUCCESS)
