"""Writes for who and where: the chats and senders (contacts) that messages belong to.

The lowest of the conversation's write modules: messages, updates and the instance's contact
events all find or create their Chat and Sender here, and this module imports none of them.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from webhook.models import Chat, Client, Sender


def clip(value: str, size: int = 255) -> str:
    """``value`` cut to a column's size (255 unless told)."""
    return value[:size]


def chat_upsert(
    *, client: Client, chat_id: str, name: str = "", alt_id: str = "", is_group: bool = False
) -> Chat:
    """The Chat for ``chat_id`` (created when new); fills name and alternate id when learnt."""
    chat_id = clip(chat_id)
    chat = Chat.objects.filter(client=client, chat_id=chat_id).first()
    if chat is None:
        try:
            with transaction.atomic():
                return Chat.objects.create(
                    client=client,
                    chat_id=chat_id,
                    name=clip(name),
                    alt_id=clip(alt_id),
                    is_group=is_group,
                )
        except IntegrityError:  # created by a concurrent delivery
            chat = Chat.objects.get(client=client, chat_id=chat_id)
    changes = {}
    if name and chat.name != name[:255]:
        changes["name"] = clip(name)
    if alt_id and not chat.alt_id:
        changes["alt_id"] = clip(alt_id)
    if changes:
        Chat.objects.filter(pk=chat.pk).update(**changes)
        for field, value in changes.items():
            setattr(chat, field, value)
    return chat


def is_lid(jid: str) -> bool:
    return jid.endswith("@lid")


def sender_upsert(
    *,
    client: Client,
    sender_id: str,
    name: str = "",
    alt_id: str = "",
    is_me: bool = False,
) -> Sender:
    """One Sender per contact, found under its id or its alternate (LID <-> phone)."""
    sender_id, alt_id = clip(sender_id), clip(alt_id)
    if is_lid(sender_id) and alt_id and not is_lid(alt_id):
        sender_id, alt_id = alt_id, sender_id  # the phone is the primary id, the LID its alternate
    ids = [i for i in (sender_id, alt_id) if i]
    sender = (
        Sender.objects.filter(client=client)
        .filter(Q(sender_id__in=ids) | Q(alt_id__in=ids))
        .order_by("pk")
        .first()
    )
    if sender is None:
        try:
            with transaction.atomic():
                return Sender.objects.create(
                    client=client,
                    sender_id=sender_id,
                    alt_id=alt_id,
                    name=clip(name),
                    is_me=is_me,
                )
        except IntegrityError:
            sender = Sender.objects.get(client=client, sender_id=sender_id)
    changes: dict[str, Any] = {}
    if name and sender.name != name[:255]:
        changes["name"] = clip(name)
    other = next((i for i in ids if i != sender.sender_id), "")
    if other and is_lid(sender.sender_id) and not is_lid(other):
        # Whatever arrived first, the phone is the primary id and the LID its alternate.
        changes["sender_id"], changes["alt_id"] = other, sender.sender_id
    elif other and not sender.alt_id:
        changes["alt_id"] = other
    if is_me and not sender.is_me:
        changes["is_me"] = True
    if changes:
        Sender.objects.filter(pk=sender.pk).update(**changes)
        for field, value in changes.items():
            setattr(sender, field, value)
    return sender
