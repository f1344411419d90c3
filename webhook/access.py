"""Who sees which client: the one rule every page, the admin, the media view and the read API
apply (issue 12, item 6).

A superuser sees every client. Any other user sees only the clients they are a member of
(``Client.members``); a user with no membership sees none. The bearer token of the read API
(``WEBHOOK_API_TOKEN``) is the operator's own credential and sees every client.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from webhook.models import Client

ModelT = TypeVar("ModelT", bound=Model)


def sees_everything(user: Any) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def visible_clients(user: Any) -> QuerySet[Client]:
    """The clients ``user`` may see (none for an anonymous or inactive user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Client.objects.none()
    if user.is_superuser:
        return Client.objects.all()
    return Client.objects.filter(members=user)


def visible_client_ids(user: Any) -> set[int] | None:
    """``None`` means every client; otherwise the ids ``user`` may see."""
    if sees_everything(user):
        return None
    return set(visible_clients(user).values_list("pk", flat=True))


def restrict(queryset: QuerySet[ModelT], user: Any, field: str = "client") -> QuerySet[ModelT]:
    """``queryset`` limited to rows of the clients ``user`` may see, through ``field`` (the
    path to the row's client id, e.g. ``"client"`` or ``"message__client"``)."""
    ids = visible_client_ids(user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def can_see_client(user: Any, client_id: int | None) -> bool:
    ids = visible_client_ids(user)
    return ids is None or (client_id is not None and client_id in ids)
