"""The raw evidence of every delivery, and what the parsers did not recognise in them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client


class WebhookEvent(models.Model):
    """One HTTP delivery, stored raw before anything else happens to it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("recebido")
        PROCESSED = "processed", _("processado")
        DUPLICATE = "duplicate", _("duplicado")
        IGNORED = "ignored", _("ignorado")
        UNASSIGNED = "unassigned", _("sem cliente")
        FAILED = "failed", _("falhou")
        REJECTED = "rejected", _("rejeitado")

    client = models.ForeignKey(
        Client, verbose_name=_("cliente"), null=True, blank=True, on_delete=models.SET_NULL
    )
    client_key = models.CharField(
        _("instância informada"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("Identificador de instância lido do corpo, mesmo sem cliente cadastrado."),
    )
    delivery_id = models.CharField(
        _("ID da entrega"),
        max_length=64,
        unique=True,
        help_text=_("Gerado na chegada; torna idempotente o envio do spool para o banco."),
    )
    received_at = models.DateTimeField(_("recebido em"), db_index=True)
    path = models.CharField(_("caminho"), max_length=500, blank=True)
    source_ip = models.GenericIPAddressField(_("IP de origem"), null=True, blank=True)
    headers = models.JSONField(
        _("cabeçalhos"), default=dict, help_text=_("Credenciais mascaradas.")
    )
    body = models.TextField(_("corpo bruto"), blank=True)
    family = models.CharField(_("família"), max_length=40, blank=True, db_index=True)
    event_type = models.CharField(_("tipo de evento"), max_length=100, blank=True)
    status = models.CharField(
        _("situação"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("erro"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    parser_version = models.CharField(_("versão do parser"), max_length=20, blank=True)
    processing_ms = models.FloatField(_("processamento (ms)"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("tentativas"), default=0)
    processed_at = models.DateTimeField(_("processado em"), null=True, blank=True)
    credential_proofs = models.JSONField(
        _("provas de credencial"),
        default=list,
        blank=True,
        help_text=_(
            "Hashes com chave (HMAC do SECRET_KEY) das credenciais que a entrega apresentou, "
            "nunca as credenciais: uma entrega ainda sem cliente só é aplicada ao cliente "
            "cujo token ou app secret tem o mesmo hash."
        ),
    )
    approved_by = models.CharField(
        _("liberado por"),
        max_length=150,
        blank=True,
        help_text=_("Operador que decidiu aplicar esta entrega sem credencial do cliente (admin)."),
    )
    approved_at = models.DateTimeField(_("liberado em"), null=True, blank=True)

    class Meta:
        verbose_name = _("evento de webhook")
        verbose_name_plural = _("eventos de webhook")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "id"], name="webhook_event_status_idx"),
            models.Index(fields=["client", "-received_at"], name="webhook_event_client_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.family or '?'} {self.event_type} ({self.status})"


class UnrecognisedItem(models.Model):
    """How often the parsers met something they did not recognise, per family (drift).

    One row per (family, kind, name), over every receiver and applier process: message types
    and event kinds a family's parser does not know, and fields it expected but did not find.
    Counted by the applier the first time it applies a delivery (``webhook.drift``); a replay
    does not count again."""

    class Kind(models.TextChoices):
        MESSAGE_TYPE = "message_type", _("tipo de mensagem")
        EVENT_KIND = "event_kind", _("tipo de evento")
        MISSING_FIELD = "missing_field", _("campo esperado ausente")

    family = models.CharField(_("família"), max_length=40)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    name = models.CharField(
        _("nome"),
        max_length=100,
        help_text=_("Como o gateway o chamou, ou o caminho do campo esperado no payload."),
    )
    count = models.PositiveBigIntegerField(
        _("entregas"), default=0, help_text=_("Entregas em que apareceu (uma vez por entrega).")
    )
    first_seen = models.DateTimeField(_("visto pela primeira vez"))
    last_seen = models.DateTimeField(_("visto por último"), db_index=True)
    sample_event = models.ForeignKey(
        WebhookEvent,
        verbose_name=_("evento de exemplo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A entrega mais recente em que apareceu."),
    )

    class Meta:
        verbose_name = _("não reconhecido")
        verbose_name_plural = _("não reconhecidos")
        ordering = ["-last_seen", "family", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "kind", "name"], name="webhook_unrecognised_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.kind} {self.name}"
