"""Statistics kept as rows: per hour and chat, per contact, and the real-time panel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client
from webhook.models.conversation import Chat


class MessageStats(models.Model):
    """Per client and hour (by message time): derived from Message rows, rebuildable."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE)
    period_start = models.DateTimeField(_("period start"))
    total = models.PositiveIntegerField(_("total"), default=0)
    received = models.PositiveIntegerField(_("received messages"), default=0)
    sent = models.PositiveIntegerField(_("sent messages"), default=0)
    text = models.PositiveIntegerField(_("text"), default=0)
    image = models.PositiveIntegerField(_("image"), default=0)
    video = models.PositiveIntegerField(_("video"), default=0)
    audio = models.PositiveIntegerField(_("audio"), default=0)
    document = models.PositiveIntegerField(_("document"), default=0)
    sticker = models.PositiveIntegerField(_("sticker"), default=0)
    location = models.PositiveIntegerField(_("location"), default=0)
    contact = models.PositiveIntegerField(_("contact"), default=0)
    other = models.PositiveIntegerField(_("other types"), default=0)
    delivered = models.PositiveIntegerField(_("delivered messages"), default=0)
    read = models.PositiveIntegerField(_("read messages"), default=0)
    failed = models.PositiveIntegerField(_("failed messages"), default=0)

    COUNTED_TYPES = (
        "text",
        "image",
        "video",
        "audio",
        "document",
        "sticker",
        "location",
        "contact",
    )

    class Meta:
        verbose_name = _("message statistic")
        verbose_name_plural = _("message statistics")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "period_start"], name="webhook_msgstats_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.period_start:%Y-%m-%d %H}h"


class ContactStats(models.Model):
    """Per client and chat: message counts, first/last message, average time to our reply."""

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE)
    chat = models.OneToOneField(
        Chat, verbose_name=_("chat"), on_delete=models.CASCADE, related_name="stats"
    )
    total = models.PositiveIntegerField(_("total"), default=0)
    received = models.PositiveIntegerField(_("received messages"), default=0)
    sent = models.PositiveIntegerField(_("sent messages"), default=0)
    first_message_at = models.DateTimeField(_("first message"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    responses = models.PositiveIntegerField(_("responses measured"), default=0)
    response_seconds_total = models.FloatField(_("sum of response times (s)"), default=0)
    first_response_seconds = models.FloatField(_("first response (s)"), null=True, blank=True)
    waiting_since = models.DateTimeField(
        _("waiting for a reply since"),
        null=True,
        blank=True,
        help_text=_("First received message still without a reply from us."),
    )

    class Meta:
        verbose_name = _("contact statistic")
        verbose_name_plural = _("contact statistics")
        ordering = ["-last_message_at"]

    def __str__(self) -> str:
        return str(self.chat)

    @property
    def average_response_seconds(self) -> float | None:
        return self.response_seconds_total / self.responses if self.responses else None


class RealTimeStats(models.Model):
    """Per client: connection state and a live snapshot refreshed as events are applied."""

    client = models.OneToOneField(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="realtime"
    )
    connection_state = models.CharField(_("connection"), max_length=20, default="unknown")
    connection_reason = models.CharField(_("reason"), max_length=255, blank=True)
    connected_phone = models.CharField(_("connected phone"), max_length=64, blank=True)
    connection_changed_at = models.DateTimeField(_("connection changed at"), null=True, blank=True)
    last_qr_code = models.TextField(_("latest QR code"), blank=True)
    last_qr_image = models.TextField(_("latest QR code image"), blank=True)
    last_qr_at = models.DateTimeField(_("QR code received at"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("last event"), null=True, blank=True)
    active_chats = models.PositiveIntegerField(_("active chats (15 min)"), default=0)
    waiting_chats = models.PositiveIntegerField(_("chats waiting for a reply"), default=0)
    messages_per_minute = models.FloatField(_("messages per minute"), default=0)
    avg_first_response_seconds = models.FloatField(
        _("average first response (s)"), null=True, blank=True
    )
    avg_processing_ms = models.FloatField(_("average processing (ms)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("real-time statistic")
        verbose_name_plural = _("real-time statistics")

    def __str__(self) -> str:
        return str(self.client)
