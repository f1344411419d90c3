"""The README's sample shape: Baileys ``key``/``message`` plus W-API ``msgContent``.

No public document describes it (docs/formats.md §8): it is the project's own sample format, as
the README's curl example sends it::

    {"instanceId": "test_instance",
     "key": {"remoteJid": "5511999999999@s.whatsapp.net", "fromMe": false, "id": "..."},
     "message": {"conversationMessage": {"conversation": "Mensagem de teste"}},
     "messageTimestamp": "1640995200", "pushName": "Usuário Teste",
     "msgContent": {"conversation": "Mensagem de teste"}}
"""

from __future__ import annotations

from typing import Any, TypedDict

from webhook.events import (
    DEFAULT_CONTEXT,
    EditEvent,
    Event,
    MessageEvent,
    ParseContext,
    ParseResult,
    ReactionEvent,
)
from webhook.parsers._common import edit_events, expected
from webhook.parsers._proto import ProtoContent, parse_proto, proto_edit
from webhook.parsers._time import epoch_to_utc
from webhook.parsers._values import as_bool, is_group_jid, obj, require_str, text

FAMILY = "baileys_sample"


class SampleKey(TypedDict, total=False):
    remoteJid: str
    fromMe: bool
    id: str
    participant: str


def matches(payload: dict[str, Any]) -> bool:
    return (
        isinstance(payload.get("key"), dict)
        and ("message" in payload or "msgContent" in payload)
        and "event" not in payload
        and "type" not in payload
    )


def client_key(payload: dict[str, Any]) -> str:
    for field in ("instanceId", "cliente_id"):
        value = text(payload.get(field)).strip()
        if value:
            return value
    return ""


def parse(
    payload: dict[str, Any], *, path_event: str = "", context: ParseContext = DEFAULT_CONTEXT
) -> ParseResult:
    key: SampleKey = obj(payload.get("key"))  # type: ignore[assignment]
    message_id = require_str(key, "id", where="key.id")
    chat_id = require_str(key, "remoteJid", where="key.remoteJid")
    from_me = as_bool(key.get("fromMe"))
    is_group = is_group_jid(chat_id)
    participant = text(key.get("participant"))
    content = _content(payload)
    client = client_key(payload)
    timestamp = expected(epoch_to_utc(payload.get("messageTimestamp")), "messageTimestamp")
    meta: dict[str, Any] = {"client_key": client, "timestamp": timestamp, "raw": payload}
    sender = "" if from_me else (participant if is_group else chat_id)
    if content.reaction_target:
        event = ReactionEvent(
            **meta,
            target_id=content.reaction_target,
            emoji=content.reaction_emoji,
            chat_id=chat_id,
            sender_id=sender,
            from_me=from_me,
        )
        return ParseResult(family=FAMILY, event_type="reaction", client_key=client, events=(event,))
    edited = proto_edit(content)
    if edited is not None:  # a MESSAGE_EDIT protocolMessage: the original's id and new text
        edit = EditEvent(
            **meta,
            target_id=edited[0],
            new_text=edited[1],
            chat_id=chat_id,
        )
        events = _edit_events(payload, edit, sender, from_me)
        return ParseResult(
            family=FAMILY, event_type="edit", client_key=client, events=tuple(events)
        )
    event = MessageEvent(
        **meta,
        message_id=message_id,
        chat_id=chat_id,
        # pushName is the author's name: it names a 1:1 chat only when the contact wrote.
        chat_name="" if (is_group or from_me) else text(payload.get("pushName")),
        is_group=is_group,
        sender_id=sender,
        sender_name="" if from_me else text(payload.get("pushName")),
        from_me=from_me,
        type=content.type,
        text=content.text,
        media=content.media,
        location=content.location,
        contacts=content.contacts,
        quoted_id=content.quoted_id,
        forwarded=content.forwarded,
        subtype=content.kind,
    )
    return ParseResult(family=FAMILY, event_type="message", client_key=client, events=(event,))


def _content(payload: dict[str, Any]) -> ProtoContent:
    """``message`` when it is an object, else ``msgContent``; ``msgContent`` also when
    ``message`` holds nothing the proto reader knows."""
    message = payload.get("message") if obj(payload.get("message")) else payload.get("msgContent")
    content = parse_proto(message, context_info=payload.get("contextInfo"))
    if not content.kind and obj(payload.get("msgContent")):
        content = parse_proto(payload.get("msgContent"))
    return content


def _edit_events(
    payload: dict[str, Any], edit: EditEvent, sender: str, from_me: bool
) -> list[Event]:
    """The edited message (created if the original never arrived) and its EditEvent."""
    is_group = is_group_jid(edit.chat_id)
    name = "" if from_me else text(payload.get("pushName"))
    return edit_events(
        edit,
        chat_name="" if is_group else name,
        is_group=is_group,
        sender_id=sender,
        sender_name=name,
        from_me=from_me,
    )
