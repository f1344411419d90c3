"""System checks: an insecure or broken configuration is loud, whatever DEBUG says."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError
from django.utils.translation import gettext as _

from webhook.conf import webhook_settings


@register(Tags.security, deploy=False)
def check_webhook_security(app_configs=None, **kwargs):
    return [*_token_warnings(), *_secret_warnings()]


def _token_warnings() -> list[Warning]:
    messages = []
    if not webhook_settings.REQUIRE_TOKEN:
        messages.append(
            Warning(
                _(
                    "WEBHOOK_REQUIRE_TOKEN is off: anyone who knows the URL can post deliveries "
                    "for clients that do not require a token."
                ),
                hint=_(
                    "Set WEBHOOK_REQUIRE_TOKEN=1 and configure each gateway with its client's "
                    "token."
                ),
                id="webhook.W001",
            )
        )
    if not webhook_settings.API_TOKEN:
        messages.append(
            Warning(
                _("WEBHOOK_API_TOKEN is empty: the read API only answers logged-in staff users."),
                hint=_("Run setup_webhook.py or set WEBHOOK_API_TOKEN to a long random value."),
                id="webhook.W002",
            )
        )
    elif len(webhook_settings.API_TOKEN) < 24:
        messages.append(
            Warning(_("WEBHOOK_API_TOKEN is shorter than 24 characters."), id="webhook.W003")
        )
    if webhook_settings.FALLBACK_CLIENT:
        messages.append(
            Warning(
                _(
                    "WEBHOOK_FALLBACK_CLIENT is on: deliveries for unknown instances go to the "
                    "first active client."
                ),
                hint=_("Turn it off in production (WEBHOOK_FALLBACK_CLIENT=0)."),
                id="webhook.W004",
            )
        )
    return messages


def _secret_warnings() -> list[Warning]:
    messages = []
    if not webhook_settings.META_APP_SECRET:
        messages.append(
            Warning(
                _(
                    "WEBHOOK_META_APP_SECRET is empty: Meta Cloud API signatures "
                    "(X-Hub-Signature-256) are verified only for clients with their own app secret."
                ),
                hint=_(
                    "Set it to your Meta app secret if you receive from the Cloud API (or set "
                    "each Cloud API client's own in the admin)."
                ),
                id="webhook.W005",
            )
        )
    if not getattr(settings, "SECRET_KEY_FROM_ENV", True):
        messages.append(
            Warning(
                _(
                    "DJANGO_SECRET_KEY is not set: a random key is used, logins end at every "
                    "restart, and deliveries stored before their client existed can never be "
                    "matched to its credential (each process keys the proofs differently)."
                ),
                hint=_("Run setup_webhook.py, which writes one into .env."),
                id="webhook.W006",
            )
        )
    return messages


def insecure_settings_summary() -> list[str]:
    """One line per insecure setting, for the servers' start-up banner."""
    return [f"{m.id}: {m.msg}" for m in check_webhook_security()]


@register(Tags.database)
def check_clients_have_tokens(app_configs=None, databases=None, **kwargs):
    if not databases:
        return []
    from webhook.models import Client

    try:
        weak = list(
            Client.objects.filter(active=True, webhook_token__regex=r"^.{0,15}$").values_list(  # noqa: S106
                "instance_id", flat=True
            )
        )
    except DatabaseError:
        return []
    return [
        Warning(
            _("client '%(key)s' has a webhook token shorter than 16 characters.") % {"key": key},
            id="webhook.W010",
        )
        for key in weak
    ]


@register(Tags.security)
def check_media_settings(app_configs=None, **kwargs):
    """Media downloads follow URLs from payloads: loud when they may reach inside networks."""
    import importlib.util
    import ipaddress

    problems = []
    for network in webhook_settings.MEDIA_ALLOWED_NETWORKS:
        try:
            parsed = ipaddress.ip_network(network, strict=False)
        except ValueError:
            problems.append(
                Warning(
                    _("WEBHOOK_MEDIA_ALLOWED_NETWORKS: %(network)r is not a network.")
                    % {"network": network},
                    id="webhook.W040",
                )
            )
            continue
        if parsed.num_addresses > 256:
            problems.append(
                Warning(
                    _(
                        "WEBHOOK_MEDIA_ALLOWED_NETWORKS allows %(network)s: a payload's media URL "
                        "may reach any service in that network."
                    )
                    % {"network": network},
                    hint=_("Allow only the gateway's own address (a /32)."),
                    id="webhook.W041",
                )
            )
    backend = settings.STORAGES.get("webhook_media", {}).get("BACKEND", "")
    if backend.startswith("storages.") and importlib.util.find_spec("storages") is None:
        problems.append(
            Warning(
                _("WEBHOOK_MEDIA_S3_BUCKET is set but django-storages is not installed."),
                hint="pip install -r requirements_webhook.txt",
                id="webhook.W042",
            )
        )
    return problems


@register()
def check_processing_mode(app_configs=None, **kwargs):
    """The queue mode refuses a database it cannot run on (``webhook.queue.checks``)."""
    from webhook.queue.checks import queue_mode_problem

    problem = queue_mode_problem()
    return [Error(problem, id="webhook.E010")] if problem else []
