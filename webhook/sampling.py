"""Sending the README's sample through the real pipeline: who may, and the sending itself.

One implementation for Django's ``/webhook/test/`` (``webhook.views.WebhookTestView``) and the
Flask receiver's ``/test``: framework-free (plain strings in, decisions out), so the Flask side
imports no Django view. A sample writes a message into a client's conversations, so it is a
state-changing request: a browser page on another site (or a DNS-rebinding name pointing at
127.0.0.1) must not be able to trigger it.
"""

from __future__ import annotations

import hmac
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from webhook import ingest, selectors
from webhook.models import Client, Message

SAMPLE_WAIT_SECONDS = 5.0
LOCAL_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    error: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, "detail": self.detail}


def bearer_matches(authorization: str, api_token: str) -> bool:
    """``Authorization: Bearer <WEBHOOK_API_TOKEN>``, compared in constant time."""
    presented = authorization[7:].strip() if authorization[:7].lower() == "bearer " else ""
    return bool(
        api_token and presented and hmac.compare_digest(presented.encode(), api_token.encode())
    )


def cross_site_refusal(
    *, host: str, scheme: str, origin: str = "", referer: str = "", fetch_site: str = ""
) -> Refusal | None:
    """Refuse a request whose Host is not one of ours (``ALLOWED_HOSTS``, as Django checks it)
    or that a page of another origin sent (``Origin``, else ``Referer``/``Sec-Fetch-Site``)."""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return Refusal(400, "invalid_host", f"host '{host[:100]}' is not in DJANGO_ALLOWED_HOSTS")
    ours = f"{scheme}://{host}".lower()
    sender = origin or ("{0.scheme}://{0.netloc}".format(urlsplit(referer)) if referer else "")
    if sender and sender.lower() != ours:
        return Refusal(403, "cross_origin", f"requests from {sender[:100]} are not accepted")
    if not sender and fetch_site not in ("", "same-origin", "none"):
        return Refusal(403, "cross_origin", f"cross-site request (Sec-Fetch-Site: {fetch_site})")
    return None


def receiver_refusal(*, ip: str, authorization: str, api_token: str) -> Refusal | None:
    """The Flask receiver's /test: from this machine, or with the read API's token."""
    if ip in LOCAL_ADDRESSES or bearer_matches(authorization, api_token):
        return None
    return Refusal(
        401,
        "authentication_required",
        "/test answers localhost, or Authorization: Bearer <WEBHOOK_API_TOKEN>",
    )


def sample_client(instance_id: str = "") -> Client | None:
    """The client named, else the first active one."""
    active = Client.objects.filter(active=True)
    chosen = active.filter(instance_id=instance_id).first() if instance_id else None
    return chosen or active.order_by("pk").first()


NO_CLIENT = Refusal(400, "no_client", "crie um cliente primeiro: python setup_webhook.py")


def _wait_for_message(client: Client, external_id: str, *, pending: bool) -> Message | None:
    """The stored message; in background mode the applier may need a moment (up to 5 s)."""
    deadline = time.monotonic() + (SAMPLE_WAIT_SECONDS if pending else 0)
    while True:
        message = (
            Message.objects.filter(client=client, external_id=external_id)
            .select_related("client", "chat", "sender")
            .first()
        )
        if message is not None or time.monotonic() >= deadline:
            return message
        time.sleep(0.05)


def run_sample(
    client: Client, payload: dict[str, Any], *, path: str, remote_addr: str
) -> dict[str, Any]:
    """Post a sample as a gateway would (with the client's token) and read back the message."""
    body = json.dumps(payload, ensure_ascii=False).encode()
    response = ingest.receive(
        ingest.InboundRequest(
            body=body,
            headers={"content-type": "application/json", "x-webhook-token": client.webhook_token},
            remote_addr=remote_addr,
            path=path,
        )
    )
    message = _wait_for_message(client, payload["key"]["id"], pending=response.status == 202)
    return {
        "ok": response.status < 300 and message is not None,
        "response_status": response.status,
        "response": response.body,
        "payload": payload,
        "stored": selectors.message_as_dict(message) if message else None,
    }
