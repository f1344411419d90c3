"""Statistics kept as rows: per hour and chat, per contact, and the real-time panel."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client
from webhook.models.conversation import Chat


class MessageStats(models.Model):
    """Per client and hour (by message time): derived from Message rows, rebuildable."""

    client = models.ForeignKey(Client, verbose_name=_("cliente"), on_delete=models.CASCADE)
    period_start = models.DateTimeField(_("início do período"))
    total = models.PositiveIntegerField(_("total"), default=0)
    received = models.PositiveIntegerField(_("recebidas"), default=0)
    sent = models.PositiveIntegerField(_("enviadas"), default=0)
    text = models.PositiveIntegerField(_("texto"), default=0)
    image = models.PositiveIntegerField(_("imagem"), default=0)
    video = models.PositiveIntegerField(_("vídeo"), default=0)
    audio = models.PositiveIntegerField(_("áudio"), default=0)
    document = models.PositiveIntegerField(_("documento"), default=0)
    sticker = models.PositiveIntegerField(_("figurinha"), default=0)
    location = models.PositiveIntegerField(_("localização"), default=0)
    contact = models.PositiveIntegerField(_("contato"), default=0)
    other = models.PositiveIntegerField(_("outros tipos"), default=0)
    delivered = models.PositiveIntegerField(_("entregues"), default=0)
    read = models.PositiveIntegerField(_("lidas"), default=0)
    failed = models.PositiveIntegerField(_("falharam"), default=0)

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
        verbose_name = _("estatística de mensagens")
        verbose_name_plural = _("estatísticas de mensagens")
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

    client = models.ForeignKey(Client, verbose_name=_("cliente"), on_delete=models.CASCADE)
    chat = models.OneToOneField(
        Chat, verbose_name=_("conversa"), on_delete=models.CASCADE, related_name="stats"
    )
    total = models.PositiveIntegerField(_("total"), default=0)
    received = models.PositiveIntegerField(_("recebidas"), default=0)
    sent = models.PositiveIntegerField(_("enviadas"), default=0)
    first_message_at = models.DateTimeField(_("primeira mensagem"), null=True, blank=True)
    last_message_at = models.DateTimeField(_("última mensagem"), null=True, blank=True)
    responses = models.PositiveIntegerField(_("respostas medidas"), default=0)
    response_seconds_total = models.FloatField(_("soma dos tempos de resposta (s)"), default=0)
    first_response_seconds = models.FloatField(_("primeira resposta (s)"), null=True, blank=True)
    waiting_since = models.DateTimeField(
        _("aguardando resposta desde"),
        null=True,
        blank=True,
        help_text=_("Primeira mensagem recebida ainda sem resposta nossa."),
    )

    class Meta:
        verbose_name = _("estatística de contato")
        verbose_name_plural = _("estatísticas de contatos")
        ordering = ["-last_message_at"]

    def __str__(self) -> str:
        return str(self.chat)

    @property
    def average_response_seconds(self) -> float | None:
        return self.response_seconds_total / self.responses if self.responses else None


class RealTimeStats(models.Model):
    """Per client: connection state and a live snapshot refreshed as events are applied."""

    client = models.OneToOneField(
        Client, verbose_name=_("cliente"), on_delete=models.CASCADE, related_name="realtime"
    )
    connection_state = models.CharField(_("conexão"), max_length=20, default="unknown")
    connection_reason = models.CharField(_("motivo"), max_length=255, blank=True)
    connected_phone = models.CharField(_("telefone conectado"), max_length=64, blank=True)
    connection_changed_at = models.DateTimeField(_("conexão alterada em"), null=True, blank=True)
    last_qr_code = models.TextField(_("último QR code"), blank=True)
    last_qr_image = models.TextField(_("imagem do último QR code"), blank=True)
    last_qr_at = models.DateTimeField(_("QR code recebido em"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("último evento"), null=True, blank=True)
    active_chats = models.PositiveIntegerField(_("conversas ativas (15 min)"), default=0)
    waiting_chats = models.PositiveIntegerField(_("conversas aguardando resposta"), default=0)
    messages_per_minute = models.FloatField(_("mensagens por minuto"), default=0)
    avg_first_response_seconds = models.FloatField(
        _("primeira resposta média (s)"), null=True, blank=True
    )
    avg_processing_ms = models.FloatField(_("processamento médio (ms)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("atualizado em"), auto_now=True)

    class Meta:
        verbose_name = _("estatística em tempo real")
        verbose_name_plural = _("estatísticas em tempo real")

    def __str__(self) -> str:
        return str(self.client)
