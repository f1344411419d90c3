"""The stored media of messages: where each file is and how far fetching it got."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client
from webhook.models.conversation import Message


class MediaFile(models.Model):
    """The file of one media message: fetched in the background, never blocking the message."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        FETCHING = "fetching", _("downloading")
        STORED = "stored", _("stored")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")
        SKIPPED = "skipped", _("skipped")

    class Source(models.TextChoices):
        INLINE_BASE64 = "inline_base64", _("base64 in the event")
        WHATSAPP_CDN = "whatsapp_cdn", _("WhatsApp CDN (encrypted)")
        DIRECT_URL = "direct_url", _("direct URL")
        WAHA = "waha", _("WAHA server")
        META_GRAPH = "meta_graph", _("Meta Graph API")
        EVOLUTION_API = "evolution_api", _("Evolution server")
        NONE = "none", _("none")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE)
    message = models.OneToOneField(
        Message, verbose_name=_("message"), on_delete=models.CASCADE, related_name="media_file"
    )
    family = models.CharField(_("family"), max_length=40, blank=True)
    media_type = models.CharField(
        _("type"), max_length=20, choices=Message.Type.choices, blank=True
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    state = models.CharField(
        _("status"), max_length=20, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # What the payload said (fetch parameters included; the raw event stays the source of truth)
    url = models.TextField(_("reported URL"), blank=True)
    remote_id = models.CharField(_("media ID"), max_length=255, blank=True)
    media_key = models.CharField(
        _("media key"), max_length=255, blank=True, help_text=_("mediaKey, in base64.")
    )
    direct_path = models.TextField(_("directPath"), blank=True)
    file_enc_sha256 = models.CharField(
        _("SHA-256 of the encrypted file"), max_length=255, blank=True
    )
    declared_mimetype = models.CharField(_("reported MIME type"), max_length=255, blank=True)
    declared_size = models.BigIntegerField(_("reported size"), null=True, blank=True)
    declared_sha256 = models.CharField(_("reported SHA-256"), max_length=255, blank=True)
    # What we found
    sniffed_mimetype = models.CharField(_("detected MIME type"), max_length=255, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    storage_name = models.CharField(_("storage name"), max_length=500, blank=True)
    thumbnail_name = models.CharField(_("thumbnail"), max_length=500, blank=True)
    fetched_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        verbose_name = _("media file")
        verbose_name_plural = _("media files")
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
