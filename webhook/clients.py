"""An in-memory directory of clients, so identifying a delivery costs no query.

Clients are few and change rarely: the whole table is loaded at once and reloaded after a
short TTL, or at once when a Client is saved or deleted in this process. When the database is
unreachable the last loaded copy keeps serving, so deliveries can still be authenticated and
spooled during an outage.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

from django.db import DatabaseError
from django.db.models.signals import post_delete, post_save

from webhook.credentials import meta_proof, token_proof
from webhook.models import Client

TTL_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ClientInfo:
    id: int
    instance_id: str
    name: str
    token: str
    require_token: bool | None
    active: bool
    meta_app_secret: str = field(default="", repr=False)  # "" = WEBHOOK_META_APP_SECRET
    token_proof: str = field(default="", repr=False)

    def effective_meta_secret(self, global_secret: str) -> str:
        return self.meta_app_secret or global_secret

    def proofs(self, global_meta_secret: str) -> frozenset[str]:
        """The keyed hashes a delivery must carry to be applied to this client later
        (see webhook.credentials): its token's, and its Meta app secret's when it has one."""
        secret = self.effective_meta_secret(global_meta_secret)
        return frozenset({self.token_proof, meta_proof(secret)} if secret else {self.token_proof})


def _token_digest(token: str) -> bytes:
    """Tokens are looked up by digest: a dict probe then leaks nothing useful about them."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class ClientDirectory:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, ClientInfo] = {}
        self._by_token: dict[bytes, ClientInfo] = {}
        self._meta_secrets: frozenset[str] = frozenset()
        self._first_active: ClientInfo | None = None
        self._loaded_at = 0.0
        self._loaded = False
        self._refresher: threading.Thread | None = None

    def _load(self) -> None:
        rows = Client.objects.order_by("pk").values_list(
            "pk",
            "instance_id",
            "name",
            "webhook_token",
            "require_token",
            "active",
            "meta_app_secret",
        )
        infos = [ClientInfo(*row, token_proof=token_proof(row[3])) for row in rows]
        self._by_key = {info.instance_id: info for info in infos}
        self._by_token = {_token_digest(i.token): i for i in infos if i.token}
        self._meta_secrets = frozenset(i.meta_app_secret for i in infos if i.meta_app_secret)
        self._first_active = next((i for i in infos if i.active), None)
        self._loaded_at = time.monotonic()
        self._loaded = True

    def _fresh(self) -> None:
        if time.monotonic() - self._loaded_at < TTL_SECONDS:
            return
        if self._refresher is not None and threading.current_thread() is not self._refresher:
            if not self._loaded:  # the refresher keeps trying; until then: 503
                raise DatabaseError("the client directory is not loaded yet")
            return  # the refresher thread reloads it (refresh_in_background)
        with self._lock:
            if time.monotonic() - self._loaded_at < TTL_SECONDS:
                return
            try:
                self._load()
            except DatabaseError:
                if not self._loaded_at:
                    raise  # never loaded: the caller decides (503)
                # keep serving the last copy during an outage

    def get(self, key: str) -> ClientInfo | None:
        """The active client for an instance key, or None."""
        if not key:
            return None
        self._fresh()
        info = self._by_key.get(key)
        return info if info is not None and info.active else None

    def lookup(self, key: str) -> ClientInfo | None:
        """The client of an instance key, active or not (None when there is none)."""
        if not key:
            return None
        self._fresh()
        return self._by_key.get(key)

    def by_token(self, token: str) -> ClientInfo | None:
        """The client (active or not) whose webhook token this is."""
        if not token:
            return None
        self._fresh()
        return self._by_token.get(_token_digest(token))

    def meta_secrets(self) -> frozenset[str]:
        """The clients' own Meta app secrets (the global one is WEBHOOK_META_APP_SECRET)."""
        self._fresh()
        return self._meta_secrets

    def fallback(self) -> ClientInfo | None:
        """The first active client, used only when WEBHOOK_FALLBACK_CLIENT is on."""
        from webhook.conf import webhook_settings

        if not webhook_settings.FALLBACK_CLIENT:
            return None
        self._fresh()
        return self._first_active

    def preload(self) -> None:
        """Load now (raises DatabaseError when the database is unavailable)."""
        with self._lock:
            self._load()

    def refresh_in_background(self, every: float = 1.0) -> None:
        """From now on, in this process, only a thread of its own reads the database: every
        ``every`` seconds it reloads what is older than the TTL (or was invalidated), and
        lookups in every other thread answer from memory. For an event loop, which must never
        wait on the database (``webhook.front.ReceiverFront``)."""
        if self._refresher is not None and self._refresher.is_alive():
            return

        def run() -> None:
            from django.db import close_old_connections

            while True:
                close_old_connections()  # a connection an outage broke is replaced
                try:
                    self._fresh()
                except DatabaseError:
                    pass  # never loaded yet: lookups answer 503 until the database is back
                time.sleep(every)

        self._refresher = threading.Thread(target=run, name="client-directory", daemon=True)
        self._refresher.start()

    def invalidate(self, **_kwargs) -> None:
        self._loaded_at = 0.0


client_directory = ClientDirectory()
post_save.connect(
    client_directory.invalidate, sender=Client, dispatch_uid="webhook_client_directory_save"
)
post_delete.connect(
    client_directory.invalidate, sender=Client, dispatch_uid="webhook_client_directory_del"
)
