"""What ``setup_webhook.py`` prints at the end: the addresses, what to paste into the gateway
and a ready-to-paste curl of the README's sample."""

from __future__ import annotations

import json
import shlex
from typing import Any

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
    return [
        "",
        "Endereços (suba os servidores com: make run)",
        f"  Flask  webhook     {flask}/webhook",
        f"  Flask  status      {flask}/status",
        f"  Django webhook     {django}/webhook/",
        f"  Django admin       {django}/admin/   (usuário: {admin_user})",
        f"  Django status      {django}/webhook/status/",
        f"  Django mensagens   {django}/webhook/messages/"
        "   (Authorization: Bearer <WEBHOOK_API_TOKEN do .env>)",
        "",
        f'Admin: entre em {django}/admin/ com o usuário "{admin_user}" e a senha definida.',
        "",
        "O que colar no gateway (W-API, Z-API, Evolution, WAHA...):",
        f"  URL:        {flask}/webhook   (ou a URL pública do ngrok + /webhook)",
        f"  Cabeçalho:  X-Webhook-Token: {token}",
        "  Gateway que não envia cabeçalhos? Use o token no caminho da URL:",
        f"              {flask}/webhook/k/{token}/",
        "",
        "Teste com o exemplo do README (com os servidores rodando):",
        sample_curl(f"{flask}/webhook", token, client.instance_id),
        "",
        "Ou teste todos os tipos de mensagem: python test_webhook.py",
    ]
