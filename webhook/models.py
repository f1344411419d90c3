"""Data model: clients, the raw evidence of every delivery, and the normalised conversation.

Every conversational row belongs to a :class:`Client`; uniqueness is per client, never global.
"""

from __future__ import annotations

import secrets

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
    created_at = models.DateTimeField(_("criado em"), auto_now_add=True)

    class Meta:
        verbose_name = _("cliente")
        verbose_name_plural = _("clientes")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.instance_id})"


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
