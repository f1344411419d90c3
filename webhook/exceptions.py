"""The project's own error types. Only these may escape the parsers and the processor."""

from __future__ import annotations


class WebhookError(Exception):
    """Base class: carries the HTTP status and a short machine-readable code."""

    status_code = 400
    code = "invalid_request"

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str]:
        body = {"error": self.code, "detail": self.message}
        if self.field:
            body["field"] = self.field
        return body


class PayloadError(WebhookError):
    """The body is not acceptable JSON or a known field has the wrong shape."""

    code = "invalid_payload"


class PayloadTooLarge(WebhookError):
    status_code = 413
    code = "payload_too_large"


class JsonTooComplex(PayloadError):
    """More JSON values than WEBHOOK_MAX_JSON_NODES: refused before decoding."""

    status_code = 413
    code = "json_too_complex"


class AuthenticationFailed(WebhookError):
    status_code = 401
    code = "authentication_failed"


class Forbidden(WebhookError):
    status_code = 403
    code = "forbidden"


class StorageUnavailable(WebhookError):
    """The database cannot take the event right now; the sender should retry."""

    status_code = 503
    code = "storage_unavailable"
