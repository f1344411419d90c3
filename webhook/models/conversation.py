"""The normalised conversation: chats, senders, messages and updates waiting for theirs.

Every conversational row belongs to a :class:`Client`; uniqueness is per client, never global.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from webhook.models.clients import Client
from webhook.models.deliveries import WebhookEvent


class Chat(models.Model):
    client = models.ForeignKey(Client, verbose_name=_("cliente"), on_delete=models.CASCADE)
    chat_id = models.CharField(
        _("ID da conversa"), max_length=255, help_text=_("JID ou wa_id como enviado.")
    )
    alt_id = models.CharField(
        _("ID alternativo"),
        max_length=255,
        blank=True,
        help_text=_("Telefone de um @lid, ou o @lid de um telefone."),
    )
    name = models.CharField(_("nome"), max_length=255, blank=True)
    is_group = models.BooleanField(_("grupo"), default=False)
    last_message_at = models.DateTimeField(
        _("última mensagem"), null=True, blank=True, db_index=True
    )
    last_message_from_me = models.BooleanField(_("última mensagem é nossa"), default=False)
    message_count = models.PositiveIntegerField(_("mensagens"), default=0)
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)

    class Meta:
        verbose_name = _("conversa")
        verbose_name_plural = _("conversas")
        ordering = ["-last_message_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "chat_id"], name="webhook_chat_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return self.name or self.chat_id


class Sender(models.Model):
    client = models.ForeignKey(Client, verbose_name=_("cliente"), on_delete=models.CASCADE)
    sender_id = models.CharField(_("ID do remetente"), max_length=255)
    alt_id = models.CharField(_("ID alternativo"), max_length=255, blank=True, db_index=True)
    name = models.CharField(_("nome"), max_length=255, blank=True)
    is_me = models.BooleanField(_("somos nós"), default=False)

    class Meta:
        verbose_name = _("remetente")
        verbose_name_plural = _("remetentes")
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
        TEXT = "text", _("texto")
        IMAGE = "image", _("imagem")
        VIDEO = "video", _("vídeo")
        AUDIO = "audio", _("áudio")
        DOCUMENT = "document", _("documento")
        STICKER = "sticker", _("figurinha")
        LOCATION = "location", _("localização")
        CONTACT = "contact", _("contato")
        INTERACTIVE = "interactive", _("interativa")
        BUTTON = "button", _("botão")
        REACTION = "reaction", _("reação")
        ORDER = "order", _("pedido")
        SYSTEM = "system", _("sistema")
        UNSUPPORTED = "unsupported", _("não suportada")
        UNKNOWN = "unknown", _("desconhecida")

    class Status(models.TextChoices):
        PENDING = "pending", _("pendente")
        SENT = "sent", _("enviada")
        DELIVERED = "delivered", _("entregue")
        READ = "read", _("lida")
        PLAYED = "played", _("reproduzida")
        FAILED = "failed", _("falhou")
        DELETED = "deleted", _("apagada")
        UNKNOWN = "unknown", _("desconhecida")

    client = models.ForeignKey(Client, verbose_name=_("cliente"), on_delete=models.CASCADE)
    external_id = models.CharField(
        _("ID externo"), max_length=255, help_text=_("ID do WhatsApp como enviado.")
    )
    chat = models.ForeignKey(
        Chat, verbose_name=_("conversa"), on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        Sender, verbose_name=_("remetente"), null=True, blank=True, on_delete=models.SET_NULL
    )
    from_me = models.BooleanField(_("enviada por nós"), default=False)
    type = models.CharField(_("tipo"), max_length=20, choices=Type.choices, default=Type.TEXT)
    subtype = models.CharField(_("subtipo"), max_length=60, blank=True)
    text = models.TextField(_("texto"), blank=True)
    timestamp = models.DateTimeField(_("data/hora"), db_index=True)
    timestamp_estimated = models.BooleanField(
        _("data/hora estimada"),
        default=False,
        help_text=_("O payload não trouxe hora válida: usada a hora de recebimento."),
    )
    family = models.CharField(_("família"), max_length=40, blank=True)
    # media
    media_url = models.TextField(_("URL da mídia"), blank=True)
    media_id = models.CharField(_("ID da mídia"), max_length=255, blank=True)
    media_mimetype = models.CharField(_("tipo MIME"), max_length=255, blank=True)
    media_sha256 = models.CharField(_("SHA-256 da mídia"), max_length=255, blank=True)
    media_size = models.BigIntegerField(_("tamanho (bytes)"), null=True, blank=True)
    media_file_name = models.CharField(_("nome do arquivo"), max_length=500, blank=True)
    media_duration = models.IntegerField(_("duração (s)"), null=True, blank=True)
    media_width = models.IntegerField(_("largura"), null=True, blank=True)
    media_height = models.IntegerField(_("altura"), null=True, blank=True)
    is_voice = models.BooleanField(_("mensagem de voz"), default=False)
    # location
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    location_name = models.CharField(_("nome do local"), max_length=500, blank=True)
    location_address = models.TextField(_("endereço"), blank=True)
    # contacts, reply, reactions, edits
    contacts = models.JSONField(_("contatos"), default=list, blank=True)
    quoted_id = models.CharField(
        _("ID da mensagem citada"), max_length=255, blank=True, db_index=True
    )
    forwarded = models.BooleanField(_("encaminhada"), default=False)
    reactions = models.JSONField(
        _("reações"),
        default=dict,
        blank=True,
        help_text=_("Remetente -> emoji; remoção apaga a chave."),
    )
    reaction_times = models.JSONField(
        _("horário das reações"),
        default=dict,
        blank=True,
        help_text=_(
            "Remetente -> hora da última reação ou remoção; uma reação mais antiga não a desfaz."
        ),
    )
    edit_history = models.JSONField(
        _("histórico de edições"),
        default=list,
        blank=True,
        help_text=_("Textos anteriores, do mais antigo."),
    )
    # delivery status, monotonic, with the time of each step
    status = models.CharField(_("situação"), max_length=20, choices=Status.choices, blank=True)
    status_error = models.TextField(_("erro de entrega"), blank=True)
    sent_at = models.DateTimeField(_("enviada em"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("entregue em"), null=True, blank=True)
    read_at = models.DateTimeField(_("lida em"), null=True, blank=True)
    played_at = models.DateTimeField(_("reproduzida em"), null=True, blank=True)
    failed_at = models.DateTimeField(_("falhou em"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("apagada em"), null=True, blank=True)
    is_deleted = models.BooleanField(_("apagada"), default=False)
    created_by_edit = models.BooleanField(
        _("criada por uma edição"),
        default=False,
        help_text=_(
            "A edição chegou antes da mensagem original e a criou com o texto editado; a "
            "original, se chegar, completa a linha e o texto anterior vai para o histórico."
        ),
    )
    webhook_event = models.ForeignKey(
        WebhookEvent,
        verbose_name=_("evento de origem"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    created_at = models.DateTimeField(_("criada em"), auto_now_add=True)

    class Meta:
        verbose_name = _("mensagem")
        verbose_name_plural = _("mensagens")
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
        STATUS = "status", _("situação")
        REACTION = "reaction", _("reação")
        EDIT = "edit", _("edição")
        DELETE = "delete", _("exclusão")

    client = models.ForeignKey(Client, verbose_name=_("cliente"), on_delete=models.CASCADE)
    target_id = models.CharField(_("ID da mensagem"), max_length=255)
    kind = models.CharField(_("tipo"), max_length=20, choices=Kind.choices)
    fingerprint = models.CharField(_("impressão digital"), max_length=64)
    data = models.JSONField(_("dados"), default=dict)
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)

    class Meta:
        verbose_name = _("atualização pendente")
        verbose_name_plural = _("atualizações pendentes")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "target_id", "fingerprint"], name="webhook_pending_unique"
            )
        ]
        indexes = [models.Index(fields=["client", "target_id"], name="webhook_pending_target_idx")]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.target_id}"
