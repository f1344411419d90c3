"""Who a delivery is authenticated for: tenant isolation in one place.

The rule: every part of a delivery is applied only to a client the delivery is authenticated
for.

* A client's webhook token (``X-Webhook-Token``, ``?token=``, ``/webhook/k/<token>/``, the
  ``apikey``/``X-Api-Key``/``Client-Token`` headers, ``Authorization: Bearer``, Evolution's
  ``apikey`` field, Wuzapi's ``token`` form field, an Evolution JWT or a WAHA HMAC keyed with
  it) authenticates that client only. A Wuzapi delivery that names no instance (older Wuzapi
  forms carry only ``jsonData`` and ``token``) belongs to the client whose token it carries.
* A client with a gateway HMAC key (``Client.signing_secret``, Wuzapi's ``x-hmac-signature``)
  is authenticated by that signature only, as a Meta number by its app secret's.
* Meta's ``X-Hub-Signature-256`` authenticates the numbers whose app secret (their own,
  ``Client.meta_app_secret``, or the global ``WEBHOOK_META_APP_SECRET``) verifies it: one app
  signs the batches of all its numbers.

Two steps. :func:`check_before_decoding` runs on the raw bytes before ``json.loads``: a token
put there for us alone (explicit: header, query, path) must be an active client's, and a Meta
signature must verify with a configured secret; a forger without credentials pays for a
dictionary probe and a few HMACs, never for decoding a large body. :func:`authorize` runs
after decoding, with every instance the delivery names: each known client must be
authenticated (or accept unauthenticated deliveries), an inactive client is refused, and the
instances with no client yet get ``proofs`` (``webhook.credentials``) so that the delivery is
applied to such a client later only if it carried that client's credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from webhook.clients import ClientInfo, client_directory
from webhook.conf import webhook_settings
from webhook.credentials import meta_proof, token_proof
from webhook.exceptions import AuthenticationFailed, WebhookError
from webhook.forms import form_fields, is_form
from webhook.parsers import meta_cloud, waha, wuzapi

# Headers a gateway may use for a shared secret; X-Webhook-Token is ours alone (explicit).
GATEWAY_TOKEN_HEADERS = ("apikey", "x-api-key", "client-token")


@dataclass(frozen=True, slots=True)
class Presented:
    """The credentials a request carries outside its body, read once."""

    explicit: tuple[str, ...] = ()  # put there for us alone: a wrong one is always an error
    implicit: tuple[str, ...] = ()  # a gateway's own secrets: may belong to someone else
    hmac: str = ""
    hmac_algorithm: str = "sha512"
    meta_signature: str = ""
    signature: str = ""  # a gateway's own HMAC header (Wuzapi's x-hmac-signature)
    content_type: str = ""  # what the signed bytes are (a form post is signed field by field)

    @property
    def any(self) -> bool:
        return bool(
            self.explicit or self.implicit or self.hmac or self.meta_signature or self.signature
        )


@dataclass(frozen=True, slots=True)
class Early:
    """What :func:`check_before_decoding` established."""

    token_client: ClientInfo | None = None  # the client of the explicit token(s)
    meta_secrets: frozenset[str] = frozenset()  # the app secrets the signature verified with


@dataclass(frozen=True, slots=True)
class Authorization:
    client: ClientInfo | None  # the delivery's client (the first instance it names)
    unknown_keys: tuple[str, ...] = ()  # instances without a client (yet)
    proofs: tuple[str, ...] = ()  # kept with the event when it names more than its client
    how: str = ""  # token, jwt, hmac, meta-signature, or "" (accepted unauthenticated)


def presented(headers: Mapping[str, str], query: Mapping[str, str], path_token: str) -> Presented:
    explicit = (headers.get("x-webhook-token", ""), query.get("token", ""), path_token)
    implicit = [headers.get(name, "") for name in GATEWAY_TOKEN_HEADERS]
    auth = headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        implicit.append(auth[7:].strip())
    return Presented(
        explicit=tuple(dict.fromkeys(t for t in explicit if t)),
        implicit=tuple(t for t in implicit if t),
        hmac=headers.get("x-webhook-hmac", ""),
        hmac_algorithm=headers.get("x-webhook-hmac-algorithm", "sha512"),
        meta_signature=headers.get("x-hub-signature-256", ""),
        signature=headers.get("x-hmac-signature", ""),
        content_type=headers.get("content-type", ""),
    )


def check_before_decoding(credentials: Presented, body: bytes) -> Early:
    """Refuse forged or unknown credentials on the raw bytes (raises AuthenticationFailed)."""
    token_client = None
    for token in credentials.explicit:
        info = client_directory.by_token(token)
        if info is None or not info.active:
            raise AuthenticationFailed(
                "unknown webhook token (X-Webhook-Token, ?token= or /webhook/k/<token>/)"
                if info is None
                else f"client '{info.instance_id}' is inactive"
            )
        if token_client is not None and info.id != token_client.id:
            raise AuthenticationFailed("the tokens presented belong to different clients")
        token_client = info
    verified: frozenset[str] = frozenset()
    if credentials.meta_signature:
        secrets = {webhook_settings.META_APP_SECRET, *client_directory.meta_secrets()} - {""}
        verified = frozenset(
            s for s in secrets if meta_cloud.verify_signature(body, credentials.meta_signature, s)
        )
        if secrets and not verified:
            raise AuthenticationFailed(
                "invalid X-Hub-Signature-256 (no configured Meta app secret verifies it)"
            )
    return Early(token_client=token_client, meta_secrets=verified)


def token_required(client: ClientInfo | None) -> bool:
    if client is not None and client.require_token is not None:
        return client.require_token
    return webhook_settings.REQUIRE_TOKEN


def authorize(
    *,
    family: str,
    keys: list[str],
    payload: dict[str, Any],
    body: bytes,
    credentials: Presented,
    early: Early,
) -> Authorization:
    """Check the delivery against every instance it names (raises AuthenticationFailed)."""
    named: list[ClientInfo] = []
    unknown: list[str] = []
    for key in keys:
        info = client_directory.lookup(key)
        if info is None:
            unknown.append(key)
        elif not info.active:
            raise AuthenticationFailed(f"client '{key}' is inactive")
        else:
            named.append(info)
    if not keys and early.token_client is not None:
        named = [early.token_client]  # the delivery names no instance: the token says whose
    elif not keys and (body_client := _body_token_client(family, payload)) is not None:
        named = [body_client]  # an old Wuzapi form: only its token says whose it is
    if not named and (fallback := client_directory.fallback()) is not None:
        named, unknown = [fallback], []  # WEBHOOK_FALLBACK_CLIENT: an insecure dev setting
    tokens = _tokens(credentials, payload, family)
    methods = [_authenticate_client(i, family, body, credentials, early, tokens) for i in named]
    if early.token_client is not None and not named:
        raise AuthenticationFailed(
            f"the token presented is client '{early.token_client.instance_id}''s, "
            f"but the delivery is for instance '{', '.join(unknown) or '?'}'"
        )
    proofs: tuple[str, ...] = ()
    if unknown or len(named) > 1:
        proofs = tuple(sorted(_proofs(tokens, early)))
    return Authorization(
        client=named[0] if named else None,
        unknown_keys=tuple(unknown),
        proofs=proofs,
        how=methods[0] if methods else "",
    )


def authorized_later(
    info: ClientInfo, *, proofs: list[str] | tuple[str, ...], approved: bool
) -> bool:
    """May a stored delivery be applied to ``info``, a client it was not bound to at receipt?

    Yes when it carried that client's credential (its proofs meet the client's), when an
    operator approved it in the admin, or when the client accepts unauthenticated deliveries
    (``require_token`` off), exactly as a new delivery would be accepted."""
    if approved or not token_required(info):
        return True
    return bool(info.proofs(webhook_settings.META_APP_SECRET) & set(proofs))


# Body fields that carry a gateway's credential: Evolution's instance apikey, Wuzapi's user
# token (a form field, or a JSON key in WEBHOOK_FORMAT=json). Masked when stored.
BODY_TOKEN_FIELDS = {"apikey": None, "token": wuzapi.FAMILY}  # field -> only for that family


def _tokens(credentials: Presented, payload: dict[str, Any], family: str) -> tuple[str, ...]:
    in_body = tuple(
        value
        for field, only in BODY_TOKEN_FIELDS.items()
        if only in (None, family) and isinstance(value := payload.get(field), str) and value
    )
    return credentials.explicit + credentials.implicit + in_body


def _body_token_client(family: str, payload: dict[str, Any]) -> ClientInfo | None:
    """The client whose token a Wuzapi delivery without instance carries (None: no such one)."""
    token = payload.get("token") if family == wuzapi.FAMILY else None
    info = client_directory.by_token(token) if isinstance(token, str) and token else None
    if info is not None and not info.active:
        raise AuthenticationFailed(f"client '{info.instance_id}' is inactive")
    return info


def _gateway_signed(body: bytes, credentials: Presented, secret: str) -> bool:
    """Wuzapi's x-hmac-signature over the raw body, or over the JSON of its form fields."""
    fields = None
    if is_form(credentials.content_type, body):
        try:
            fields = form_fields(body, credentials.content_type)
        except WebhookError:
            fields = None
    return wuzapi.verify_signature(body, credentials.signature, secret, fields)


def _proofs(tokens: tuple[str, ...], early: Early) -> set[str]:
    return {token_proof(t) for t in tokens} | {meta_proof(s) for s in early.meta_secrets}


def _authenticate_client(
    info: ClientInfo,
    family: str,
    body: bytes,
    credentials: Presented,
    early: Early,
    tokens: tuple[str, ...],
) -> str:
    """How the delivery is authenticated for this client ("" = it accepts none); or raise."""
    meta_secret = info.effective_meta_secret(webhook_settings.META_APP_SECRET)
    if family == meta_cloud.FAMILY and meta_secret:
        if meta_secret in early.meta_secrets:
            return "meta-signature"
        raise AuthenticationFailed(
            f"invalid or missing X-Hub-Signature-256 for '{info.instance_id}' "
            "(Client.meta_app_secret or WEBHOOK_META_APP_SECRET)"
        )
    if family == wuzapi.FAMILY and info.signing_secret:  # like Meta's: the signature decides
        if _gateway_signed(body, credentials, info.signing_secret):
            return "hmac"
        raise AuthenticationFailed(
            f"invalid or missing x-hmac-signature for '{info.instance_id}' (Client.signing_secret)"
        )
    if early.token_client is not None:
        if early.token_client.id == info.id:
            return "token"
        raise AuthenticationFailed(
            f"the token presented does not belong to client '{info.instance_id}'"
        )
    if credentials.hmac:
        if waha.verify_hmac(body, credentials.hmac, info.token, credentials.hmac_algorithm):
            return "hmac"
        raise AuthenticationFailed("invalid X-Webhook-Hmac signature")
    for token in tokens:
        if _same(token, info.token):
            return "token"
        if token.count(".") == 2 and verify_evolution_jwt(token, info.token):
            return "jwt"
    if token_required(info):
        raise AuthenticationFailed(
            f"missing or invalid webhook token for '{info.instance_id}' "
            "(send X-Webhook-Token, apikey, ?token= or /webhook/k/<token>/)"
        )
    return ""


def _same(presented_value: str, expected: str) -> bool:
    return (
        bool(presented_value)
        and bool(expected)
        and hmac.compare_digest(
            presented_value.encode("utf-8", "surrogatepass"),
            expected.encode("utf-8", "surrogatepass"),
        )
    )


def verify_evolution_jwt(token: str, key: str, *, now: float | None = None) -> bool:
    """Evolution's ``jwt_key`` header: HS256 JWT {app: evolution, action: webhook}, exp checked."""
    parts = token.split(".")
    if len(parts) != 3 or not key:
        return False
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    expected = base64.urlsafe_b64encode(
        hmac.new(key.encode(), signing_input, hashlib.sha256).digest()
    )
    if not _same(parts[2], expected.rstrip(b"=").decode()):
        return False
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, TypeError):
        return False
    if not isinstance(claims, dict) or not isinstance(header, dict) or header.get("alg") != "HS256":
        return False
    exp = claims.get("exp")
    return isinstance(exp, int | float) and exp > (now or time.time())
