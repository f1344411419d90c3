"""The stored media of messages: where each file is and how far fetching it got."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client
from webhook.models.conversation import Message


class MediaFile(models.Model):
    """The file of one media message: fetched in the background, never blocking the message."""

    class State(models.TextChoices):
        PENDING = "pending", _("pendente")
        FETCHING = "fetching", _("baixando")
        STORED = "stored", _("guardada")
        FAILED = "failed", _("falhou")
        EXPIRED = "expired", _("expirada")
        SKIPPED = "skipped", _("ignorada")

    class Source(models.TextChoices):
        INLINE_BASE64 = "inline_base64", _("base64 no evento")
        WHATSAPP_CDN = "whatsapp_cdn", _("CDN do WhatsApp (criptografada)")
        DIRECT_URL = "direct_url", _("URL direta")
        WAHA = "waha", _("servidor WAHA")
        META_GRAPH = "meta_graph", _("Graph API da Meta")
        EVOLUTION_API = "evolution_api", _("servidor Evolution")
        NONE = "none", _("nenhuma")

    client = models.ForeignKey(Client, verbose_name=_("cliente"), on_delete=models.CASCADE)
    message = models.OneToOneField(
        Message, verbose_name=_("mensagem"), on_delete=models.CASCADE, related_name="media_file"
    )
    family = models.CharField(_("família"), max_length=40, blank=True)
    media_type = models.CharField(
        _("tipo"), max_length=20, choices=Message.Type.choices, blank=True
    )
    source = models.CharField(_("origem"), max_length=20, choices=Source.choices)
    state = models.CharField(
        _("situação"), max_length=20, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("tentativas"), default=0)
    next_attempt_at = models.DateTimeField(_("próxima tentativa"), null=True, blank=True)
    last_error = models.TextField(_("último erro"), blank=True)
    # What the payload said (fetch parameters included; the raw event stays the source of truth)
    url = models.TextField(_("URL informada"), blank=True)
    remote_id = models.CharField(_("ID da mídia"), max_length=255, blank=True)
    media_key = models.CharField(
        _("chave da mídia"), max_length=255, blank=True, help_text=_("mediaKey, em base64.")
    )
    direct_path = models.TextField(_("directPath"), blank=True)
    file_enc_sha256 = models.CharField(_("SHA-256 do arquivo cifrado"), max_length=255, blank=True)
    declared_mimetype = models.CharField(_("tipo MIME informado"), max_length=255, blank=True)
    declared_size = models.BigIntegerField(_("tamanho informado"), null=True, blank=True)
    declared_sha256 = models.CharField(_("SHA-256 informado"), max_length=255, blank=True)
    # What we found
    sniffed_mimetype = models.CharField(_("tipo MIME detectado"), max_length=255, blank=True)
    size = models.BigIntegerField(_("tamanho (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file_name = models.CharField(_("nome do arquivo"), max_length=255, blank=True)
    storage_name = models.CharField(_("nome no armazenamento"), max_length=500, blank=True)
    thumbnail_name = models.CharField(_("miniatura"), max_length=500, blank=True)
    fetched_at = models.DateTimeField(_("baixada em"), null=True, blank=True)
    created_at = models.DateTimeField(_("criada em"), auto_now_add=True)

    class Meta:
        verbose_name = _("arquivo de mídia")
        verbose_name_plural = _("arquivos de mídia")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_media_due_idx"),
            models.Index(fields=["sha256"], name="webhook_media_sha_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.media_type or '?'} #{self.message_id} ({self.state})"

    @property
    def mimetype(self) -> str:
        return self.sniffed_mimetype or self.declared_mimetype or "application/octet-stream"
