"""The normalised conversation: chats, senders, messages and updates waiting for theirs.

Every conversational row belongs to a :class:`Client`; uniqueness is per client, never global.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client
from webhook.models.deliveries import WebhookEvent


class Chat(models.Model):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE)
    chat_id = models.CharField(_("chat ID"), max_length=255, help_text=_("JID or wa_id as sent."))
    alt_id = models.CharField(
        _("alternative ID"),
        max_length=255,
        blank=True,
        help_text=_("The phone of an @lid, or the @lid of a phone."),
    )
    name = models.CharField(_("name"), max_length=255, blank=True)
    is_group = models.BooleanField(_("group"), default=False)
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True, db_index=True)
    last_message_from_me = models.BooleanField(_("last message is ours"), default=False)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "chat_id"], name="webhook_chat_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.chat_id


class Sender(models.Model):
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE)
    sender_id = models.CharField(_("sender ID"), max_length=255)
    alt_id = models.CharField(_("alternative ID"), max_length=255, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=255, blank=True)
    is_me = models.BooleanField(_("is us"), default=False)

    class Meta:
        verbose_name = _("sender")
        verbose_name_plural = _("senders")
        ordering = ["name", "sender_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "sender_id"], name="webhook_sender_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.sender_id


class Message(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", _("text")
        IMAGE = "image", _("image")
        VIDEO = "video", _("video")
        AUDIO = "audio", _("audio")
        DOCUMENT = "document", _("document")
        STICKER = "sticker", _("sticker")
        LOCATION = "location", _("location")
        CONTACT = "contact", _("contact")
        INTERACTIVE = "interactive", _("interactive")
        BUTTON = "button", _("button")
        REACTION = "reaction", _("reaction")
        ORDER = "order", _("order")
        SYSTEM = "system", _("system")
        UNSUPPORTED = "unsupported", _("unsupported")
        UNKNOWN = "unknown", _("unknown")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        DELIVERED = "delivered", _("delivered")
        READ = "read", _("read")
        PLAYED = "played", _("played")
        FAILED = "failed", _("failed")
        DELETED = "deleted", _("deleted")
        UNKNOWN = "unknown", _("unknown")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE)
    external_id = models.CharField(
        _("external ID"), max_length=255, help_text=_("The WhatsApp ID as sent.")
    )
    chat = models.ForeignKey(
        Chat, verbose_name=_("chat"), on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        Sender, verbose_name=_("sender"), null=True, blank=True, on_delete=models.SET_NULL
    )
    from_me = models.BooleanField(_("sent by us"), default=False)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.TEXT)
    subtype = models.CharField(_("subtype"), max_length=60, blank=True)
    text = models.TextField(_("text"), blank=True)
    timestamp = models.DateTimeField(_("date/time"), db_index=True)
    timestamp_estimated = models.BooleanField(
        _("estimated date/time"),
        default=False,
        help_text=_("The payload had no valid time: the time of receipt was used."),
    )
    family = models.CharField(_("family"), max_length=40, blank=True)
    # media
    media_url = models.TextField(_("media URL"), blank=True)
    media_id = models.CharField(_("media ID"), max_length=255, blank=True)
    media_mimetype = models.CharField(_("MIME type"), max_length=255, blank=True)
    media_sha256 = models.CharField(_("media SHA-256"), max_length=255, blank=True)
    media_size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    media_file_name = models.CharField(_("file name"), max_length=500, blank=True)
    media_duration = models.IntegerField(_("duration (s)"), null=True, blank=True)
    media_width = models.IntegerField(_("width"), null=True, blank=True)
    media_height = models.IntegerField(_("height"), null=True, blank=True)
    is_voice = models.BooleanField(_("voice message"), default=False)
    # location
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    location_name = models.CharField(_("place name"), max_length=500, blank=True)
    location_address = models.TextField(_("address"), blank=True)
    # contacts, reply, reactions, edits
    contacts = models.JSONField(_("contacts"), default=list, blank=True)
    quoted_id = models.CharField(_("quoted message ID"), max_length=255, blank=True, db_index=True)
    forwarded = models.BooleanField(_("forwarded"), default=False)
    reactions = models.JSONField(
        _("reactions"),
        default=dict,
        blank=True,
        help_text=_("Sender -> emoji; a removal deletes the key."),
    )
    reaction_times = models.JSONField(
        _("reaction times"),
        default=dict,
        blank=True,
        help_text=_(
            "Sender -> time of the last reaction or removal; an older reaction does not undo it."
        ),
    )
    edit_history = models.JSONField(
        _("edit history"),
        default=list,
        blank=True,
        help_text=_("Earlier texts, oldest first."),
    )
    # delivery status, monotonic, with the time of each step
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, blank=True)
    status_error = models.TextField(_("delivery error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    played_at = models.DateTimeField(_("played at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    is_deleted = models.BooleanField(_("deleted"), default=False)
    created_by_edit = models.BooleanField(
        _("created by an edit"),
        default=False,
        help_text=_(
            "The edit arrived before the original message and created it with the edited text; "
            "the original, if it arrives, completes the row and the earlier text goes to the "
            "history."
        ),
    )
    webhook_event = models.ForeignKey(
        WebhookEvent,
        verbose_name=_("source event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("created on"), auto_now_add=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-timestamp", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"], name="webhook_message_unique_per_client"
            )
        ]
        indexes = [
            models.Index(fields=["chat", "timestamp"], name="webhook_msg_chat_ts_idx"),
            models.Index(fields=["client", "timestamp"], name="webhook_msg_client_ts_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.external_id} ({self.type})"


class PendingUpdate(models.Model):
    """A status, reaction, edit or delete that arrived before its message: applied on arrival."""

    class Kind(models.TextChoices):
        STATUS = "status", _("status")
        REACTION = "reaction", _("reaction")
        EDIT = "edit", _("edit")
        DELETE = "delete", _("deletion")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE)
    target_id = models.CharField(_("message ID"), max_length=255)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pending update")
        verbose_name_plural = _("pending updates")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "target_id", "fingerprint"], name="webhook_pending_unique"
            )
        ]
        indexes = [models.Index(fields=["client", "target_id"], name="webhook_pending_target_idx")]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.target_id}"
