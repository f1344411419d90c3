"""The public HTTPS tunnel (pyngrok). Opened only by the Flask server's ``main()``.

The auth token comes from ``NGROK_AUTHTOKEN`` and nowhere else. Without it, or when ngrok
cannot be installed or reached, the server keeps running locally and :class:`TunnelResult`
says, in one line, why there is no public URL and how to get one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TunnelResult:
    public_url: str = ""
    reason: str = ""  # why there is no tunnel (translated: shown to the user)
    handle: Any = None

    @property
    def is_open(self) -> bool:
        return bool(self.public_url)


def _ngrok() -> ModuleType:
    from pyngrok import ngrok

    return ngrok


def open_tunnel(port: int, authtoken: str, *, ngrok: ModuleType | None = None) -> TunnelResult:
    """Open an HTTPS tunnel to ``port``; never raises."""
    if not authtoken:
        return TunnelResult(
            reason=_(
                "no public tunnel: NGROK_AUTHTOKEN is not set (create a free account at "
                "ngrok.com, copy the authtoken and set NGROK_AUTHTOKEN in .env)"
            )
        )
    try:
        ngrok = ngrok or _ngrok()
        ngrok.set_auth_token(authtoken)
        tunnel = ngrok.connect(str(port), "http")
    except Exception as exc:  # pyngrok raises many kinds (download, process, API, network)
        logger.warning("ngrok tunnel failed: %s", type(exc).__name__)
        return TunnelResult(
            reason=_(
                "no public tunnel: ngrok could not be started (%(error)s); check the internet "
                "connection and NGROK_AUTHTOKEN"
            )
            % {"error": f"{type(exc).__name__}: {str(exc)[:160]}"}
        )
    url = str(getattr(tunnel, "public_url", "") or "")
    if url.startswith("http://"):
        url = "https://" + url[len("http://") :]
    return TunnelResult(public_url=url, handle=tunnel)


def close_tunnel(result: TunnelResult, *, ngrok: ModuleType | None = None) -> None:
    if not result.is_open:
        return
    try:
        ngrok = ngrok or _ngrok()
        ngrok.disconnect(result.handle.public_url)
        ngrok.kill()
    except Exception:  # closing is best effort at shutdown
        logger.warning("ngrok tunnel did not close cleanly", exc_info=True)
