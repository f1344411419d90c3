"""Django views: thin adapters around ``webhook.ingest`` and ``webhook.selectors``."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from webhook import access, ingest, sampling, selectors, server_stats, status_page
from webhook.conf import webhook_settings
from webhook.front import read_bounded
from webhook.models import Client
from webhook.sample import sample_payload

logger = logging.getLogger(__name__)
MAX_PAGE_SIZE = 200


def inbound_from_django(request: HttpRequest, path_token: str = "") -> ingest.InboundRequest:
    declared = request.META.get("CONTENT_LENGTH", "")
    body, length = read_bounded(
        request, int(declared) if declared.isdigit() else None, webhook_settings.MAX_BODY_BYTES
    )
    return ingest.InboundRequest(
        body=body,
        declared_length=length,
        headers={k.lower(): v for k, v in request.headers.items()},
        query={k: request.GET.get(k, "") for k in request.GET},
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        path=request.path,
        path_token=path_token,
        method=request.method or "POST",
    )


def to_django(response: ingest.IngestResponse) -> HttpResponse:
    if isinstance(response.body, str):
        result = HttpResponse(
            response.body, status=response.status, content_type="text/plain; charset=utf-8"
        )
    else:
        result = JsonResponse(
            response.body, status=response.status, json_dumps_params={"ensure_ascii": False}
        )
    for name, value in response.headers.items():
        result[name] = value
    return result


@method_decorator(csrf_exempt, name="dispatch")
class WebhookView(View):
    """POST deliveries from any supported family; GET answers Meta's handshake."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest, token: str = "", event: str = "") -> HttpResponse:
        return to_django(ingest.handshake(inbound_from_django(request, token)))

    def post(self, request: HttpRequest, token: str = "", event: str = "") -> HttpResponse:
        response = to_django(ingest.receive(inbound_from_django(request, token)))
        server_stats.record(server_stats.DJANGO, response.status_code)  # memory only
        return response


def api_authorized(request: HttpRequest) -> bool:
    """A logged-in staff user, or ``Authorization: Bearer <WEBHOOK_API_TOKEN>``."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    return sampling.bearer_matches(
        request.headers.get("Authorization", ""), webhook_settings.API_TOKEN
    )


def api_scope(request: HttpRequest, queryset):
    """The rows the caller may read: every client for the operator's bearer token, only the
    user's clients for a logged-in user (``webhook.access``)."""
    bearer = sampling.bearer_matches(
        request.headers.get("Authorization", ""), webhook_settings.API_TOKEN
    )
    return queryset if bearer else access.restrict(queryset, request.user)


def _unauthorized() -> JsonResponse:
    return JsonResponse(
        {
            "ok": False,
            "error": "authentication_required",
            "detail": "log in as staff or send Authorization: Bearer <WEBHOOK_API_TOKEN>",
        },
        status=401,
    )


class _ApiListView(View):
    http_method_names = ["get"]

    def list(self, request: HttpRequest, queryset, as_dict) -> JsonResponse:
        if not api_authorized(request):
            return _unauthorized()
        queryset = api_scope(request, queryset)
        try:
            page_size = min(max(int(request.GET.get("page_size", 50)), 1), MAX_PAGE_SIZE)
            page_number = max(int(request.GET.get("page", 1)), 1)
        except ValueError:
            return JsonResponse(
                {
                    "ok": False,
                    "error": "invalid_filter",
                    "detail": "page and page_size are integers",
                },
                status=400,
            )
        paginator = Paginator(queryset, page_size)
        try:
            page = paginator.page(page_number)
        except EmptyPage:
            page = None
        return JsonResponse(
            {
                "ok": True,
                "count": paginator.count,
                "page": page_number,
                "pages": paginator.num_pages,
                "results": [as_dict(item) for item in page.object_list] if page else [],
            },
            json_dumps_params={"ensure_ascii": False},
        )


class MessagesView(_ApiListView):
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            queryset = selectors.message_list(filters=request.GET.dict())
        except selectors.FilterError as exc:
            return JsonResponse(
                {"ok": False, "error": "invalid_filter", "detail": str(exc)}, status=400
            )
        return self.list(request, queryset, selectors.message_as_dict)


class WebhookEventsView(_ApiListView):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.list(
            request, selectors.event_list(filters=request.GET.dict()), selectors.event_as_dict
        )


def wants_html(request: HttpRequest) -> bool:
    return status_page.wants_html(request.headers.get("Accept", ""), request.GET.get("format"))


def status_detail(request: HttpRequest) -> tuple[bool, set[int] | None]:
    """Whether the status lists clients, and which (``None``: all): the read API's token and
    superusers see every client, other staff only their own (``webhook.access``)."""
    if not api_authorized(request):
        return False, None
    if sampling.bearer_matches(
        request.headers.get("Authorization", ""), webhook_settings.API_TOKEN
    ):
        return True, None
    return True, access.visible_client_ids(request.user)


class WebhookStatusView(View):
    """Aggregate health: a page for people, JSON for machines. Never secrets or conversations."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        detail, client_ids = status_detail(request)
        summary = selectors.status_summary(detail=detail, client_ids=client_ids)
        summary["server"] = "django"
        tunnel_url = summary["receiver"]["tunnel_url"] if summary["receiver"]["online"] else None
        if wants_html(request):
            context = status_page.page_context(summary, server="django", tunnel_url=tunnel_url)
            response = render(request, "webhook/status.html", context)
        else:
            response = JsonResponse(summary, json_dumps_params={"ensure_ascii": False})
        patch_vary_headers(response, ("Accept", "Cookie", "Authorization"))
        if detail:
            response["Cache-Control"] = "private, no-store"
        return response


@method_decorator(csrf_exempt, name="dispatch")  # CSRF is checked below, for sessions only
class WebhookTestView(View):
    """Send a sample through the real pipeline and show what was stored.

    For a logged-in staff user (the form, with Django's CSRF check: the session cookie is
    what a cross-site page would ride on) or ``Authorization: Bearer <WEBHOOK_API_TOKEN>``
    (no cookie involved, so no CSRF token needed, as the README documents)."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not api_authorized(request):
            return (
                _unauthorized()
                if not wants_html(request)
                else render(request, "webhook/test.html", {"login_required": True}, status=401)
            )
        return render(request, "webhook/test.html", {"clients": Client.objects.filter(active=True)})

    def post(self, request: HttpRequest) -> HttpResponse:
        bearer = sampling.bearer_matches(
            request.headers.get("Authorization", ""), webhook_settings.API_TOKEN
        )
        if not bearer:
            if not api_authorized(request):
                return _unauthorized()
            refused = CsrfViewMiddleware(lambda _r: HttpResponse()).process_view(
                request, None, (), {}
            )
            if refused is not None:
                return refused
        options = request.POST if request.POST else _json_options(request)
        client = sampling.sample_client(str(options.get("client", "")))
        if client is None:
            return JsonResponse(sampling.NO_CLIENT.as_dict(), status=sampling.NO_CLIENT.status)
        payload = sample_payload(
            instance_id=client.instance_id, text=str(options.get("text") or "Mensagem de teste")
        )
        result = sampling.run_sample(
            client, payload, path=request.path, remote_addr=request.META.get("REMOTE_ADDR", "")
        )
        if wants_html(request):
            return render(
                request,
                "webhook/test.html",
                {"result": result, "clients": Client.objects.filter(active=True)},
            )
        return JsonResponse(
            result, status=200 if result["ok"] else 500, json_dumps_params={"ensure_ascii": False}
        )


def _json_options(request: HttpRequest) -> dict[str, Any]:
    try:
        options = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return options if isinstance(options, dict) else {}
