"""The clients: one gateway instance each, with the credentials its deliveries prove."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Client(models.Model):
    """A tenant: one WhatsApp number / gateway instance."""

    name = models.CharField(_("name"), max_length=200)
    instance_id = models.CharField(
        _("instance ID"),
        max_length=255,
        unique=True,
        help_text=_(
            "How the gateway identifies the number: instanceId (W-API, Z-API, UltraMsg, "
            "sample), instance (Evolution), session (WAHA, WPPConnect), instanceName (Wuzapi) "
            "or phone_number_id (Cloud API)."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    webhook_token = models.CharField(
        _("webhook token"),
        max_length=128,
        default=new_token,
        help_text=_(
            "Secret the gateway sends (X-Webhook-Token, apikey, Client-Token or X-Api-Key "
            "header, ?token=, /webhook/k/<token>/ or Wuzapi's token field). Also WAHA's HMAC "
            "key."
        ),
    )
    require_token = models.BooleanField(
        _("require a token"),
        null=True,
        blank=True,
        help_text=_("Empty: follows WEBHOOK_REQUIRE_TOKEN. Yes/No: decides for this client only."),
    )
    meta_app_secret = models.CharField(
        _("Meta app secret"),
        max_length=128,
        blank=True,
        help_text=_(
            "Cloud API only: the App Secret of this number's Meta app, which signs the "
            "deliveries (X-Hub-Signature-256). Empty: uses WEBHOOK_META_APP_SECRET. Numbers of "
            "the same app share the same value."
        ),
    )
    signing_secret = models.CharField(
        _("gateway HMAC key"),
        max_length=255,
        blank=True,
        help_text=_(
            "Wuzapi only: the HMAC key set in Wuzapi for this user, which signs the deliveries "
            "(x-hmac-signature, HMAC-SHA256). When filled in, every Wuzapi delivery for this "
            "client needs a valid signature. Empty: no signature is required."
        ),
    )
    meta_access_token = models.TextField(
        _("Meta access token"),
        blank=True,
        help_text=_(
            "Cloud API only: a (system user) token with the whatsapp_business_messaging "
            "permission, used to download media through the Graph API. Never shown back."
        ),
    )
    gateway_url = models.URLField(
        _("gateway server URL"),
        blank=True,
        max_length=500,
        help_text=_(
            "WAHA or Evolution: the address of this client's server (e.g. "
            "https://waha.minhaloja.com.br), where media are downloaded from."
        ),
    )
    gateway_api_key = models.CharField(
        _("gateway API key"),
        max_length=255,
        blank=True,
        help_text=_("WAHA's X-Api-Key or Evolution's apikey. Never shown back."),
    )
    notes = models.TextField(_("notes"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="webhook_clients",
        help_text=_(
            "Team users who see this client in the console, conversations, events, media, "
            "admin and API. Superusers see every client."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.instance_id})"
