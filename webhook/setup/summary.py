"""What ``setup_webhook.py`` prints at the end: the addresses, what to paste into the gateway
and a ready-to-paste curl of the README's sample."""

from __future__ import annotations

import json
import shlex
from typing import Any

from webhook.script_i18n import gettext as _

DJANGO_PORT = 8000


def sample_curl(url: str, token: str, instance_id: str) -> str:
    """The README's sample as a ready-to-paste curl, with the client's token header."""
    from webhook.sample import sample_payload

    payload = sample_payload(instance_id=instance_id, message_id="test_message_123")
    payload["messageTimestamp"] = "1640995200"
    body = json.dumps(payload, ensure_ascii=False)
    return (
        f"curl -X POST {shlex.quote(url)} \\\n"
        "    -H 'Content-Type: application/json' \\\n"
        f"    -H {shlex.quote('X-Webhook-Token: ' + token)} \\\n"
        f"    -d {shlex.quote(body)}"
    )


def summary_lines(client: Any, admin_user: str) -> list[str]:
    from webhook.conf import webhook_settings

    flask = f"http://localhost:{webhook_settings.PORT}"
    django = f"http://localhost:{DJANGO_PORT}"
    token = client.webhook_token
    user = {"user": admin_user}
    messages = _("messages")
    console = _("console")
    header = _("Header")
    return [
        "",
        _("Addresses (start the servers with: make run)"),
        f"  Flask  webhook     {flask}/webhook",
        f"  Flask  status      {flask}/status",
        f"  Django webhook     {django}/webhook/",
        f"  Django {console:<11} {django}/painel/   " + _("(user: %(user)s)") % user,
        f"  Django admin       {django}/admin/   " + _("(user: %(user)s)") % user,
        f"  Django status      {django}/webhook/status/",
        f"  Django {messages:<11} {django}/webhook/messages/   "
        + _("(Authorization: Bearer <WEBHOOK_API_TOKEN from .env>)"),
        "",
        _('Console and admin: log in at %(url)s with the user "%(user)s" and the password you set.')
        % {"url": f"{django}/painel/", **user},
        "",
        _("What to paste into the gateway (W-API, Z-API, Evolution, WAHA...):"),
        f"  URL:        {flask}/webhook   " + _("(or ngrok's public URL + /webhook)"),
        f"  {header + ':':<11} X-Webhook-Token: {token}",
        "  " + _("A gateway that sends no headers? Put the token in the URL's path:"),
        f"              {flask}/webhook/k/{token}/",
        "",
        _("Test with the README's sample (with the servers running):"),
        sample_curl(f"{flask}/webhook", token, client.instance_id),
        "",
        _("Or test every message type: python test_webhook.py"),
    ]
