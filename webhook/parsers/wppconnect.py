"""WPPConnect-Server (wppconnect-team/wppconnect-server, wa-js): docs/formats.md §11.

``callWebHook`` posts ``Object.assign({event, session}, data)``: the wa-js object is merged at
the top level next to ``event`` and ``session`` (the client). There is no signature: the
client's token goes in the URL (``/webhook/k/<token>/`` or ``?token=``) or in a header.
Message ids are whatsapp-web.js' serialized ``<fromMe>_<chat>_<waId>[_<participant>]`` and
are stored exactly as sent.

Decisions where the vendor's docs are silent (each one pinned by a test):
  * ``onmessage`` and ``onselfmessage`` are parsed alike (our own messages come through the
    second one); the chat is ``chatId``, else ``to`` for our own messages and ``from`` else.
  * Media: ``body`` is a base64 thumbnail (or, with ``webhook.autoDownload``, the whole file),
    never text: the text is ``caption``. The media URL is ``fileUrl`` (the server's S3 copy),
    else the encrypted CDN ``deprecatedMms3Url``/``clientUrl`` with the key to decrypt it.
  * A quote is ``quotedMsgId`` when serialized, else rebuilt from ``quotedStanzaID`` and
    ``quotedParticipant`` (UNVERIFIED: wa-js' serializer, not the server's docs).
  * ``onack`` carries the raw model: ``id`` is an object whose ``_serialized`` is the message
    id; its ``t`` is the *message* time, so the status has no time of its own (the processor
    uses the time of receipt). recipient_id = the chat for our own messages, "" for theirs.
  * ``onreactionmessage``: target ``msgId``, emoji ``reactionText`` ("" = removed), author
    ``sender``; ``onrevokedmessage``: the revoked message is ``refId`` (``id`` is the revoke).
  * ``onpresencechanged``: one PresenceEvent per ``participants[]`` item in groups, else one
    for ``id``; ``state`` is already a Baileys word (available, composing, ...).
  * ``qrcode`` ``{qrcode (base64 PNG without the data: prefix), urlcode}`` -> QrCodeEvent;
    ``status-find`` -> ConnectionEvent with the wa-js status word as reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypedDict

from webhook.events import (
    DEFAULT_CONTEXT,
    ConnectionEvent,
    ConnectionState,
    DeleteEvent,
    DeliveryStatus,
    Event,
    Media,
    MessageEvent,
    MessageType,
    ParseContext,
    ParseResult,
    PresenceEvent,
    QrCodeEvent,
    ReactionEvent,
    StatusEvent,
)
from webhook.exceptions import PayloadError
from webhook.parsers._common import expected
from webhook.parsers._time import epoch_to_utc
from webhook.parsers._values import as_bool, as_int, is_group_jid, obj, seq, text
from webhook.parsers._webjs import (
    WEBJS_MEDIA,
    WEBJS_VOICE,
    is_serialized_id,
    parse_vcard,
    serialized,
    webjs_ack,
    webjs_kind,
    webjs_location,
)

FAMILY = "wppconnect"


class WppMessage(TypedDict, total=False):
    event: str  # onmessage | onselfmessage | onack | ...
    session: str  # the client
    id: str | dict[str, Any]  # "false_<chat>_<waId>" (an object {_serialized, ...} in onack)
    body: str  # text; a base64 thumbnail for media; the vCard for vcard
    type: str  # chat | image | video | ptt | audio | document | sticker | location | vcard ...
    t: int  # seconds
    notifyName: str
    from_: str  # key "from"
    to: str
    author: str  # group author
    ack: int  # -1..4
    fromMe: bool
    sender: dict[str, Any]  # {id, pushname, name, formattedName, isMe, ...}
    chatId: str
    isGroupMsg: bool
    mimetype: str
    caption: str
    filename: str
    size: int
    filehash: str
    quotedMsgId: str
    quotedStanzaID: str
    quotedParticipant: str


# wa-js status-find words -> state; others are UNKNOWN with the word as reason.
CONNECTION_STATES: dict[str, ConnectionState] = {
    "isLogged": ConnectionState.OPEN,
    "inChat": ConnectionState.OPEN,
    "qrReadSuccess": ConnectionState.OPEN,
    "notLogged": ConnectionState.QR_REQUIRED,
    "qrReadFail": ConnectionState.QR_REQUIRED,
    "qrReadError": ConnectionState.QR_REQUIRED,
    "browserClose": ConnectionState.CLOSED,
    "autocloseCalled": ConnectionState.CLOSED,
    "desconnectedMobile": ConnectionState.CLOSED,  # sic: wa-js spells it so
    "disconnectedMobile": ConnectionState.CLOSED,
    "serverClose": ConnectionState.CLOSED,
    "deleteToken": ConnectionState.CLOSED,
    "phoneNotConnected": ConnectionState.CLOSED,
}

# wa-js presence words that differ from PresenceEvent's (Baileys') words.
PRESENCES = {"online": "available", "offline": "unavailable", "typing": "composing"}


def matches(payload: dict[str, Any]) -> bool:
    """``event`` (a string) and ``session`` but no ``payload`` (that is WAHA's envelope)."""
    return (
        isinstance(payload.get("event"), str) and "session" in payload and "payload" not in payload
    )


def client_key(payload: dict[str, Any]) -> str:
    return text(payload.get("session")).strip()


def _chat(p: dict[str, Any]) -> str:
    chat = serialized(p.get("chatId"))
    if chat:
        return chat
    return serialized(p.get("to")) if as_bool(p.get("fromMe")) else serialized(p.get("from"))


def _sender(p: dict[str, Any], chat_id: str) -> str:
    if as_bool(p.get("fromMe")):  # wa-js: ``from`` is the author, ours here
        return serialized(obj(p.get("sender")).get("id")) or serialized(p.get("from"))
    if is_group_jid(chat_id):
        return serialized(p.get("author")) or serialized(obj(p.get("sender")).get("id"))
    return chat_id


def _media(p: dict[str, Any], kind: str) -> Media:
    return Media(
        url=text(p.get("fileUrl")) or text(p.get("deprecatedMms3Url")) or text(p.get("clientUrl")),
        mimetype=text(p.get("mimetype")),
        sha256=text(p.get("filehash")),
        size=as_int(p.get("size")),
        file_name=text(p.get("filename")),
        duration=as_int(p.get("duration")),
        voice=kind in WEBJS_VOICE,
        width=as_int(p.get("width")),
        height=as_int(p.get("height")),
        animated=as_bool(p.get("isGif")) or as_bool(p.get("isAnimated")),
        media_key=text(p.get("mediaKey")),
        direct_path=text(p.get("directPath")),
        file_enc_sha256=text(p.get("encFilehash")),
    )


def _content(p: dict[str, Any]) -> dict[str, Any]:
    kind = text(p.get("type")).strip()
    msg_type = webjs_kind(kind) if kind else MessageType.TEXT
    parts: dict[str, Any] = {"type": msg_type, "subtype": kind, "text": text(p.get("body"))}
    if msg_type in WEBJS_MEDIA:
        parts["media"] = _media(p, kind)
        parts["text"] = text(p.get("caption"))  # body is a base64 thumbnail (or the file)
    elif msg_type is MessageType.LOCATION:
        parts["location"] = webjs_location(p)
        parts["text"] = parts["location"].name  # body is a thumbnail
    elif msg_type is MessageType.CONTACT:
        cards = [text(c.get("vcard")) for c in map(obj, seq(p.get("vcardList")))]
        contacts = tuple(parse_vcard(c) for c in (cards or [text(p.get("body"))]) if c)
        parts["contacts"] = contacts
        parts["text"] = contacts[0].display_name if contacts else ""
    elif msg_type is MessageType.UNKNOWN:
        parts["text"] = text(p.get("caption")) or text(p.get("body"))
    return parts


def _quoted(p: dict[str, Any], chat_id: str, own_id: str) -> str:
    quoted = serialized(p.get("quotedMsgId"))
    if quoted:
        return quoted
    stanza, participant = text(p.get("quotedStanzaID")), serialized(p.get("quotedParticipant"))
    if not stanza or is_serialized_id(stanza) or not participant:
        return stanza
    mine = "true" if own_id and participant == own_id else "false"
    return f"{mine}_{chat_id}_{stanza}" + (f"_{participant}" if is_group_jid(chat_id) else "")


def _message(p: dict[str, Any], client: str) -> list[Event]:
    message_id = serialized(p.get("id")).strip()
    if not message_id:
        raise PayloadError("missing or invalid 'id'", field="id")
    chat_id = _chat(p)
    if not chat_id:
        raise PayloadError("missing or invalid 'chatId'", field="chatId")
    from_me = as_bool(p.get("fromMe"))
    is_group = is_group_jid(chat_id) or as_bool(p.get("isGroupMsg"))
    sender = obj(p.get("sender"))
    name = text(p.get("notifyName")) or text(sender.get("pushname"))
    own_id = serialized(p.get("from")) if from_me else serialized(p.get("to"))
    event = MessageEvent(
        client_key=client,
        timestamp=expected(epoch_to_utc(p.get("t")) or epoch_to_utc(p.get("timestamp")), "t"),
        raw=p,
        message_id=message_id,
        chat_id=chat_id,
        chat_name="" if is_group or from_me else name,
        is_group=is_group,
        sender_id=_sender(p, chat_id),
        sender_name=name,
        from_me=from_me,
        quoted_id=_quoted(p, chat_id, own_id),
        forwarded=as_bool(p.get("isForwarded")),
        status=webjs_ack(p.get("ack")),
        extra={"event": text(p.get("event"))},
        **_content(p),
    )
    return [event]


def _ack(p: dict[str, Any], client: str) -> list[Event]:
    """The raw model: ``id`` {fromMe, remote, id, _serialized}; ``t`` is the message's time."""
    key = obj(p.get("id"))
    message_id = serialized(p.get("id")).strip()
    if not message_id:
        raise PayloadError("missing or invalid 'id._serialized'", field="id._serialized")
    status = expected(webjs_ack(p.get("ack")) or DeliveryStatus.UNKNOWN, "ack")
    from_me = as_bool(key.get("fromMe")) if key else as_bool(p.get("fromMe"))
    chat_id = serialized(key.get("remote")) or _chat({**p, "fromMe": from_me})
    event = StatusEvent(
        client_key=client,
        timestamp=None,  # ``t`` is when the message was sent, not when it was read
        raw=p,
        message_id=message_id,
        status=status,
        chat_id=chat_id,
        recipient_id=chat_id if from_me else "",
        error="ERROR" if status is DeliveryStatus.FAILED else "",
    )
    return [event]


def _reaction(p: dict[str, Any], client: str) -> list[Event]:
    """{id (the reaction's key), msgId (the message's key), reactionText, sender, timestamp}."""
    target = serialized(p.get("msgId")).strip()
    if not target:
        raise PayloadError("missing or invalid 'msgId'", field="msgId")
    key, target_key = obj(p.get("id")), obj(p.get("msgId"))
    chat_id = serialized(target_key.get("remote")) or serialized(key.get("remote"))
    event = ReactionEvent(
        client_key=client,
        timestamp=epoch_to_utc(p.get("timestamp")),
        raw=p,
        target_id=target,
        emoji=text(p.get("reactionText")),  # "" = the reaction was removed
        chat_id=chat_id,
        sender_id=serialized(p.get("sender")),
        from_me=as_bool(key.get("fromMe")),
    )
    return [event]


def _revoked(p: dict[str, Any], client: str) -> list[Event]:
    """{author?, from, to, id (the revoke's key), refId (the revoked message's key)}."""
    target = serialized(p.get("refId")).strip()
    if not target:
        raise PayloadError("missing or invalid 'refId'", field="refId")
    chat_id = serialized(obj(p.get("refId")).get("remote")) or serialized(p.get("from"))
    return [DeleteEvent(client_key=client, raw=p, target_id=target, chat_id=chat_id)]


def _presence(p: dict[str, Any], client: str) -> list[Event]:
    """{id (the chat), state, t, isGroup, participants?: [{id, state}]}."""
    when = epoch_to_utc(p.get("t"))
    items = [obj(i) for i in seq(p.get("participants"))] or [p]
    events: list[Event] = []
    for item in items:
        chat_id = serialized(item.get("id"))
        word = text(item.get("state")).strip().lower()
        if not word and "isOnline" in item:
            word = "available" if as_bool(item.get("isOnline")) else "unavailable"
        if chat_id and word:
            presence = PRESENCES.get(word, word)
            events.append(
                PresenceEvent(
                    client_key=client, timestamp=when, raw=item, chat_id=chat_id, presence=presence
                )
            )
    return events


def _qrcode(p: dict[str, Any], client: str) -> list[Event]:
    """{qrcode: base64 PNG (the data: prefix stripped by the server), urlcode: "2@..."}."""
    image = text(p.get("qrcode")).strip()
    if image and not image.startswith("data:"):
        image = f"data:image/png;base64,{image}"
    return [QrCodeEvent(client_key=client, raw=p, code=text(p.get("urlcode")), image=image)]


def _status_find(p: dict[str, Any], client: str) -> list[Event]:
    """{status: isLogged | notLogged | qrReadSuccess | browserClose | ...}."""
    status = text(p.get("status")).strip()
    state = CONNECTION_STATES.get(status, ConnectionState.UNKNOWN)
    return [ConnectionEvent(client_key=client, raw=p, state=state, reason=status)]


# WPPConnect event -> handler; every other event is ignored with a reason.
_HANDLERS: dict[str, Callable[[dict[str, Any], str], list[Event]]] = {
    "onmessage": _message,
    "onselfmessage": _message,  # our own messages (webhook.onSelfMessage)
    "onack": _ack,
    "onreactionmessage": _reaction,
    "onrevokedmessage": _revoked,
    "onpresencechanged": _presence,
    "qrcode": _qrcode,
    "status-find": _status_find,
}


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    client = client_key(payload)
    event_name = text(payload.get("event")).strip() or path_event
    handler = _HANDLERS.get(event_name)
    events = handler(payload, client) if handler else []
    if handler is None:
        reason = f"WPPConnect event '{event_name}' is not handled"
    else:
        reason = "" if events else f"no usable item in the '{event_name}' payload"
    return ParseResult(
        family=FAMILY,
        event_type=event_name,
        client_key=client,
        events=tuple(events),
        ignored_reason=reason,
    )
