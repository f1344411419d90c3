"""``/healthz``, ``/readyz`` and ``/metrics`` on the Django server (``webhook.health``,
``webhook.metrics_export``; the Flask receiver has the same three routes)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from webhook import health, metrics_export

SERVER = "django"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse(health.liveness(SERVER))


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    status, body = health.readiness(SERVER)
    return JsonResponse(body, status=status)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    refused = metrics_export.refusal(
        request.META.get("REMOTE_ADDR", ""),
        request.headers.get("X-Forwarded-For", ""),
        request.headers.get("Authorization", ""),
    )
    if refused is not None:
        status, detail = refused
        error = "authentication_required" if status == 401 else "forbidden"
        return JsonResponse({"ok": False, "error": error, "detail": detail}, status=status)
    # The Celery workers have no HTTP port: their counters are shown here.
    content, content_type = metrics_export.exposition(with_workers=True)
    return HttpResponse(content, content_type=content_type)
