"""The raw evidence of every delivery, and what the parsers did not recognise in them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client


class WebhookEvent(models.Model):
    """One HTTP delivery, stored raw before anything else happens to it."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("received")
        PROCESSED = "processed", _("processed")
        DUPLICATE = "duplicate", _("duplicate")
        IGNORED = "ignored", _("ignored")
        UNASSIGNED = "unassigned", _("no client")
        FAILED = "failed", _("failed")
        REJECTED = "rejected", _("rejected")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), null=True, blank=True, on_delete=models.SET_NULL
    )
    client_key = models.CharField(
        _("reported instance"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("Instance identifier read from the body, even with no registered client."),
    )
    delivery_id = models.CharField(
        _("delivery ID"),
        max_length=64,
        unique=True,
        help_text=_("Generated on arrival; makes moving the spool into the database idempotent."),
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    path = models.CharField(_("path"), max_length=500, blank=True)
    source_ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    headers = models.JSONField(_("headers"), default=dict, help_text=_("Credentials masked."))
    body = models.TextField(_("raw body"), blank=True)
    family = models.CharField(_("family"), max_length=40, blank=True, db_index=True)
    event_type = models.CharField(_("event type"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)
    parser_version = models.CharField(_("parser version"), max_length=20, blank=True)
    processing_ms = models.FloatField(_("processing (ms)"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    credential_proofs = models.JSONField(
        _("credential proofs"),
        default=list,
        blank=True,
        help_text=_(
            "Keyed hashes (HMAC with the SECRET_KEY) of the credentials the delivery "
            "presented, never the credentials: a delivery still without a client is applied "
            "only to the client whose token or app secret has the same hash."
        ),
    )
    approved_by = models.CharField(
        _("released by"),
        max_length=150,
        blank=True,
        help_text=_(
            "Operator who decided to apply this delivery without the client's credential (admin)."
        ),
    )
    approved_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
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
        MESSAGE_TYPE = "message_type", _("message type")
        EVENT_KIND = "event_kind", _("event type")
        MISSING_FIELD = "missing_field", _("missing expected field")

    family = models.CharField(_("family"), max_length=40)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_(
            "What the gateway called it, or the path of the expected field in the payload."
        ),
    )
    count = models.PositiveBigIntegerField(
        _("deliveries"), default=0, help_text=_("Deliveries it appeared in (once per delivery).")
    )
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"), db_index=True)
    sample_event = models.ForeignKey(
        WebhookEvent,
        verbose_name=_("sample event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The latest delivery it appeared in."),
    )

    class Meta:
        verbose_name = _("unrecognised item")
        verbose_name_plural = _("unrecognised items")
        ordering = ["-last_seen", "family", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "kind", "name"], name="webhook_unrecognised_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.kind} {self.name}"
