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

    name = models.CharField(_("nome"), max_length=200)
    instance_id = models.CharField(
        _("ID da instância"),
        max_length=255,
        unique=True,
        help_text=_(
            "Como o gateway identifica o número: instanceId (W-API, Z-API, UltraMsg, exemplo), "
            "instance (Evolution), session (WAHA, WPPConnect), instanceName (Wuzapi) ou "
            "phone_number_id (Cloud API)."
        ),
    )
    active = models.BooleanField(_("ativo"), default=True)
    webhook_token = models.CharField(
        _("token do webhook"),
        max_length=128,
        default=new_token,
        help_text=_(
            "Segredo que o gateway envia (cabeçalho X-Webhook-Token, apikey, Client-Token, "
            "X-Api-Key, ?token=, /webhook/k/<token>/ ou o campo token do Wuzapi). Também é a "
            "chave HMAC do WAHA."
        ),
    )
    require_token = models.BooleanField(
        _("exigir token"),
        null=True,
        blank=True,
        help_text=_("Vazio: segue WEBHOOK_REQUIRE_TOKEN. Sim/Não: decide só para este cliente."),
    )
    meta_app_secret = models.CharField(
        _("app secret da Meta"),
        max_length=128,
        blank=True,
        help_text=_(
            "Só Cloud API: o App Secret do app da Meta deste número, que assina as entregas "
            "(X-Hub-Signature-256). Vazio: usa WEBHOOK_META_APP_SECRET. Números do mesmo app "
            "compartilham o mesmo valor."
        ),
    )
    signing_secret = models.CharField(
        _("chave HMAC do gateway"),
        max_length=255,
        blank=True,
        help_text=_(
            "Só Wuzapi: a chave HMAC configurada no Wuzapi para este usuário, que assina as "
            "entregas (x-hmac-signature, HMAC-SHA256). Preenchida, toda entrega do Wuzapi para "
            "este cliente precisa da assinatura válida. Vazio: a assinatura não é exigida."
        ),
    )
    meta_access_token = models.TextField(
        _("token de acesso da Meta"),
        blank=True,
        help_text=_(
            "Só Cloud API: token (de sistema) com permissão whatsapp_business_messaging, usado "
            "para baixar as mídias pela Graph API. Nunca é exibido de volta."
        ),
    )
    gateway_url = models.URLField(
        _("URL do servidor do gateway"),
        blank=True,
        max_length=500,
        help_text=_(
            "WAHA ou Evolution: endereço do servidor deste cliente (ex.: "
            "https://waha.minhaloja.com.br), de onde as mídias são baixadas."
        ),
    )
    gateway_api_key = models.CharField(
        _("chave de API do gateway"),
        max_length=255,
        blank=True,
        help_text=_("X-Api-Key do WAHA ou apikey do Evolution. Nunca é exibida de volta."),
    )
    notes = models.TextField(_("observações"), blank=True)
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
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)

    class Meta:
        verbose_name = _("cliente")
        verbose_name_plural = _("clientes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.instance_id})"
