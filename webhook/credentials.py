"""Keyed hashes of credentials ("proofs"): what a delivery carried, kept without the secret.

A delivery for an instance that has no client yet is stored ``unassigned``. It may be applied
later only to the client whose credential it carried; to know that without ever storing a
credential, the event keeps an HMAC (keyed with ``SECRET_KEY``) of each token it presented and
of each Meta app secret its signature verified with. A client's own proofs are computed the
same way (``webhook.clients.ClientInfo.proofs``); the two sets meet only if the delivery really
carried that client's credential.
"""

from __future__ import annotations

from django.utils.crypto import salted_hmac

_SALT = "webhook.credentials.proof"


def _proof(kind: str, secret: str) -> str:
    return salted_hmac(_SALT, f"{kind}:{secret}", algorithm="sha256").hexdigest()[:40]


def token_proof(token: str) -> str:
    return _proof("token", token) if token else ""


def meta_proof(app_secret: str) -> str:
    return _proof("meta", app_secret) if app_secret else ""
