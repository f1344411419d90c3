"""HTTP with the standard library only: posting the deliveries and reading them back."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from webhook.live_check.checking import Delivery
from webhook.live_check.payloads import expected_fields
from webhook.script_i18n import gettext as _


class ServerUnreachable(Exception):
    def __init__(self, url: str, reason: object) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class CheckError(Exception):
    """The check itself cannot go on (e.g. the read API refused the token)."""


def _decode(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def http_json(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    timeout: float,
    payload: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked in parse_args
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, _decode(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decode(exc.read())
    except (urllib.error.URLError, OSError) as exc:
        raise ServerUnreachable(url, getattr(exc, "reason", exc)) from exc


def send(
    url: str, type_name: str, payload: dict[str, Any], *, token: str, timeout: float
) -> Delivery:
    headers = {"X-Webhook-Token": token} if token else {}
    status, body = http_json(
        "POST", f"{url.rstrip('/')}/webhook", headers=headers, timeout=timeout, payload=payload
    )
    delivery = Delivery(
        type_name, payload["key"]["id"], expected_fields(type_name, payload), status
    )
    outcome = body.get("status") if isinstance(body, dict) else None
    if status in (401, 403):
        delivery.error = _(
            "token refused (HTTP %(status)s): check WEBHOOK_CLIENT_TOKEN or --token"
        ) % {"status": status}
    elif outcome == "unassigned":
        delivery.error = _("instance without a registered client: run python setup_webhook.py")
    elif outcome == "failed" or not 200 <= status < 300:
        detail = (body.get("detail") or body.get("error")) if isinstance(body, dict) else body
        delivery.error = f"HTTP {status}: {str(detail)[:120]}"
    return delivery


def api_fetcher(
    api: str, api_token: str, instance_id: str, timeout: float
) -> Callable[[str], dict[str, Any] | None]:
    """fetch(external_id) -> the read API's item for that message, or None when not there."""

    def fetch(external_id: str) -> dict[str, Any] | None:
        query = urllib.parse.urlencode({"external_id": external_id, "client": instance_id})
        status, body = http_json(
            "GET",
            f"{api.rstrip('/')}/webhook/messages/?{query}",
            headers={"Authorization": f"Bearer {api_token}"},
            timeout=timeout,
        )
        if status in (401, 403):
            raise CheckError(
                _(
                    "the read API refused the token (HTTP %(status)s): "
                    "check WEBHOOK_API_TOKEN in .env or use --api-token"
                )
                % {"status": status}
            )
        if status != 200 or not isinstance(body, dict):
            raise CheckError(
                _("the read API answered HTTP %(status)s: %(body)s")
                % {"status": status, "body": str(body)[:200]}
            )
        results = body.get("results") or []
        return results[0] if results else None

    return fetch
