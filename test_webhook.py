#!/usr/bin/env python
"""Testa um receptor em execução com um exemplo de cada tipo de mensagem.

    python test_webhook.py [--url http://localhost:5000] [--api http://localhost:8000]
                           [--token T] [--api-token T] [--instance-id test_instance] [--timeout 10]

Sends the README sample plus one message of each type (text, image, video, audio, document,
sticker, location, contact) to ``<url>/webhook`` with ``X-Webhook-Token``, then asks the read
API ``<api>/webhook/messages/?external_id=...`` whether each was stored with the right type
and content, and prints a pass/fail table. Exit code 0 only when every message passed.

Tokens default to WEBHOOK_CLIENT_TOKEN and WEBHOOK_API_TOKEN from the environment or the
project's ``.env`` (written by ``setup_webhook.py``). Only the standard library speaks HTTP;
no Django is needed in this mode.

The ``test_*`` functions at the bottom are collected by pytest and run the same payloads
through both servers in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent
if str(BASE_DIR) not in sys.path:
    sys.path.insert(0, str(BASE_DIR))

CHAT_JID = "5511988887777@s.whatsapp.net"
SENDER_NAME = "Teste Automático"
MEDIA_URL = "https://mmg.whatsapp.net/v/t62.7118-24/teste/{name}.enc?ccb=11-4"
POLL_INTERVAL = 0.25
UNREACHABLE_HINT = "servidor não está rodando? use make run"
FLOAT_TOLERANCE = 1e-6

# type name -> the Baileys proto key carrying that type's content
PROTO_KEYS = {
    "text": "extendedTextMessage",
    "image": "imageMessage",
    "video": "videoMessage",
    "audio": "audioMessage",
    "document": "documentMessage",
    "sticker": "stickerMessage",
    "location": "locationMessage",
    "contact": "contactMessage",
}
CONTENTS: dict[str, dict[str, Any]] = {
    "text": {"text": "Olá! Mensagem de texto de teste ✅"},
    "image": {
        "url": MEDIA_URL.format(name="imagem"),
        "mimetype": "image/jpeg",
        "caption": "Foto de teste 📷",
        "fileLength": "48213",
        "width": 1280,
        "height": 960,
    },
    "video": {
        "url": MEDIA_URL.format(name="video"),
        "mimetype": "video/mp4",
        "caption": "Vídeo de teste",
        "seconds": 12,
        "fileLength": "734003",
    },
    "audio": {
        "url": MEDIA_URL.format(name="audio"),
        "mimetype": "audio/ogg; codecs=opus",
        "seconds": 7,
        "ptt": True,
        "fileLength": "12045",
    },
    "document": {
        "url": MEDIA_URL.format(name="documento"),
        "mimetype": "application/pdf",
        "fileName": "relatorio-teste.pdf",
        "title": "relatorio-teste.pdf",
        "caption": "Relatório de teste",
        "fileLength": "102400",
        "pageCount": 2,
    },
    "sticker": {
        "url": MEDIA_URL.format(name="figurinha"),
        "mimetype": "image/webp",
        "isAnimated": False,
        "width": 512,
        "height": 512,
    },
    "location": {
        "degreesLatitude": -23.561414,
        "degreesLongitude": -46.655881,
        "name": "Avenida Paulista",
        "address": "Av. Paulista, 1578 - Bela Vista, São Paulo - SP",
    },
    "contact": {
        "displayName": "Maria da Silva",
        "vcard": "BEGIN:VCARD\nVERSION:3.0\nN:Silva;Maria;;;\nFN:Maria da Silva\n"
        "TEL;type=CELL;waid=5511977776666:+55 11 97777-6666\nEND:VCARD",
    },
}


class ServerUnreachable(Exception):
    def __init__(self, url: str, reason: object) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class CheckError(Exception):
    """The check itself cannot go on (e.g. the read API refused the token)."""


# --- payloads -----------------------------------------------------------------------------


def _message_id(type_name: str) -> str:
    return f"teste_{type_name}_{uuid.uuid4().hex[:12]}"


def build_payloads(instance_id: str) -> list[tuple[str, dict[str, Any]]]:
    """(expected type, payload): the README sample, then one message of each type."""
    from webhook.sample import sample_payload

    payloads = [
        ("text", sample_payload(instance_id=instance_id, message_id=_message_id("exemplo")))
    ]
    for type_name, proto_key in PROTO_KEYS.items():
        message = {proto_key: dict(CONTENTS[type_name])}
        payloads.append(
            (
                type_name,
                {
                    "instanceId": instance_id,
                    "key": {"remoteJid": CHAT_JID, "fromMe": False, "id": _message_id(type_name)},
                    "message": message,
                    "messageTimestamp": str(int(time.time())),
                    "pushName": SENDER_NAME,
                    "msgContent": message,
                },
            )
        )
    return payloads


def expected_fields(type_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    """What the read API must show for ``payload`` (keys as in /webhook/messages/ items)."""
    message = payload["message"]
    expected: dict[str, Any] = {"type": type_name}
    if "conversationMessage" in message:  # the README sample
        expected["text"] = message["conversationMessage"]["conversation"]
        return expected
    body = message[PROTO_KEYS[type_name]]
    if type_name == "text":
        expected["text"] = body["text"]
    elif type_name == "location":
        expected.update(
            text=body["name"], latitude=body["degreesLatitude"], longitude=body["degreesLongitude"]
        )
    elif type_name == "contact":
        expected["text"] = body["displayName"]
    else:
        expected.update(
            text=body.get("caption", ""), media_mimetype=body["mimetype"], media_url=body["url"]
        )
        if type_name == "audio":
            expected["is_voice"] = bool(body.get("ptt"))
    return expected


def mismatches(expected: dict[str, Any], item: dict[str, Any]) -> list[str]:
    """Human-readable differences between what was sent and what was stored."""
    problems = []
    for name, want in expected.items():
        got = item.get(name)
        if isinstance(want, float) and isinstance(got, int | float):
            same = abs(want - got) <= FLOAT_TOLERANCE
        else:
            same = want == got
        if not same:
            problems.append(f"{name}: esperado {want!r}, gravado {got!r}")
    return problems


# --- checking -----------------------------------------------------------------------------


@dataclass
class Delivery:
    type_name: str
    external_id: str
    expected: dict[str, Any]
    http_status: int
    error: str = ""  # why the receiver did not accept it

    @property
    def accepted(self) -> bool:
        return not self.error and 200 <= self.http_status < 300


@dataclass
class CheckResult:
    type_name: str
    external_id: str
    http_status: int
    stored: bool
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.stored and not self.problems


def check_stored(
    deliveries: list[Delivery],
    fetch: Callable[[str], dict[str, Any] | None],
    *,
    timeout: float,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[CheckResult]:
    """Poll ``fetch(external_id)`` until every accepted delivery is stored or ``timeout``."""
    pending = [d.external_id for d in deliveries if d.accepted]
    found: dict[str, dict[str, Any]] = {}
    deadline = clock() + timeout
    while True:
        for external_id in list(pending):
            item = fetch(external_id)
            if item is not None:
                found[external_id] = item
                pending.remove(external_id)
        if not pending or clock() >= deadline:
            break
        sleep(POLL_INTERVAL)
    results = []
    for d in deliveries:
        item = found.get(d.external_id)
        if not d.accepted:
            problems = [d.error or f"recusada pelo receptor (HTTP {d.http_status})"]
        elif item is None:
            problems = [f"não apareceu na API de leitura em {timeout:g}s"]
        else:
            problems = mismatches(d.expected, item)
        results.append(
            CheckResult(d.type_name, d.external_id, d.http_status, item is not None, problems)
        )
    return results


def render_table(results: list[CheckResult]) -> str:
    headers = ("Tipo", "ID da mensagem", "HTTP", "Gravada", "Resultado", "Detalhe")
    rows = [
        (
            r.type_name,
            r.external_id,
            str(r.http_status or "-"),
            "sim" if r.stored else "não",
            "OK" if r.ok else "FALHOU",
            "; ".join(r.problems),
        )
        for r in results
    ]
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        return "  ".join([*cells, row[-1]]).rstrip()

    passed = sum(r.ok for r in results)
    separator = "  ".join("-" * w for w in widths) + "  -------"
    summary = (
        f"Resultado: {passed} de {len(results)} mensagens OK, {len(results) - passed} com falha."
    )
    return "\n".join([line(headers), separator, *(line(row) for row in rows), "", summary])


def exit_code(results: list[CheckResult]) -> int:
    return 0 if results and all(r.ok for r in results) else 1


# --- HTTP (standard library only) ----------------------------------------------------------


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
        delivery.error = f"token recusado (HTTP {status}): confira WEBHOOK_CLIENT_TOKEN ou --token"
    elif outcome == "unassigned":
        delivery.error = "instância sem cliente cadastrado: rode python setup_webhook.py"
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
                f"a API de leitura recusou o token (HTTP {status}): "
                "confira WEBHOOK_API_TOKEN no .env ou use --api-token"
            )
        if status != 200 or not isinstance(body, dict):
            raise CheckError(f"a API de leitura respondeu HTTP {status}: {str(body)[:200]}")
        results = body.get("results") or []
        return results[0] if results else None

    return fetch


# --- command line ---------------------------------------------------------------------------


def env_file_values() -> dict[str, str]:
    """The project's .env (or WEBHOOK_ENV_FILE), when it and python-dotenv are there."""
    path = Path(os.environ.get("WEBHOOK_ENV_FILE") or BASE_DIR / ".env")
    try:
        from dotenv import dotenv_values
    except ImportError:
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v} if path.is_file() else {}


def _http_url(value: str) -> str:
    if urllib.parse.urlsplit(value).scheme not in ("http", "https"):
        raise argparse.ArgumentTypeError(f"URL http(s) esperada, recebido {value!r}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Envia um exemplo de cada tipo de mensagem ao receptor e confere o que "
        "foi gravado."
    )
    parser.add_argument(
        "--url",
        type=_http_url,
        default="http://localhost:5000",
        help="receptor que recebe os webhooks (padrão: Flask em http://localhost:5000)",
    )
    parser.add_argument(
        "--api",
        type=_http_url,
        default="http://localhost:8000",
        help="Django com a API de leitura (padrão: http://localhost:8000)",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="token do cliente (padrão: WEBHOOK_CLIENT_TOKEN do ambiente ou do .env)",
    )
    parser.add_argument(
        "--api-token",
        default=None,
        help="token da API de leitura (padrão: WEBHOOK_API_TOKEN do ambiente ou do .env)",
    )
    parser.add_argument(
        "--instance-id",
        default="test_instance",
        help="instância do cliente (padrão: test_instance)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="segundos de espera por requisição e pela gravação (padrão: 10)",
    )
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> int:
    env = env_file_values()
    token = (
        args.token or os.environ.get("WEBHOOK_CLIENT_TOKEN") or env.get("WEBHOOK_CLIENT_TOKEN", "")
    )
    api_token = (
        args.api_token or os.environ.get("WEBHOOK_API_TOKEN") or env.get("WEBHOOK_API_TOKEN", "")
    )
    if not api_token:
        print(
            "Erro: sem token da API de leitura para conferir as mensagens: defina "
            "WEBHOOK_API_TOKEN (python setup_webhook.py grava um no .env) ou use --api-token.",
            file=sys.stderr,
        )
        return 2
    if not token:
        print("Aviso: sem token do cliente (WEBHOOK_CLIENT_TOKEN); enviando sem X-Webhook-Token.")
    print(f"Enviando {len(PROTO_KEYS) + 1} mensagens para {args.url.rstrip('/')}/webhook ...")
    try:
        deliveries = [
            send(args.url, type_name, payload, token=token, timeout=args.timeout)
            for type_name, payload in build_payloads(args.instance_id)
        ]
        fetch = api_fetcher(args.api, api_token, args.instance_id, args.timeout)
        results = check_stored(deliveries, fetch, timeout=args.timeout)
    except ServerUnreachable as exc:
        print(
            f"Erro: não foi possível conectar a {exc.url} ({exc.reason}) — {UNREACHABLE_HINT}",
            file=sys.stderr,
        )
        return 2
    except CheckError as exc:
        print(f"Erro: {exc}", file=sys.stderr)
        return 2
    print(render_table(results))
    return exit_code(results)


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


# --- in-process tests (collected by pytest; fixtures from webhook/tests/conftest.py) ---------


def _stored_item(instance_id: str, external_id: str) -> dict[str, Any]:
    from webhook import selectors

    message = selectors.message_list(
        filters={"client": instance_id, "external_id": external_id}
    ).get()
    return selectors.message_as_dict(message)


def test_every_message_type_is_stored_with_its_content(post, make_client):
    client = make_client("test_instance")
    payloads = build_payloads("test_instance")
    assert [t for t, _ in payloads] == ["text", *PROTO_KEYS]
    for type_name, payload in payloads:
        reply = post(payload, {"x-webhook-token": client.webhook_token})
        assert reply.status == 200, (type_name, reply.body)
        assert reply.body["status"] == "processed", (type_name, reply.body)
        item = _stored_item("test_instance", payload["key"]["id"])
        assert mismatches(expected_fields(type_name, payload), item) == [], type_name
    by_type = {t: _stored_item("test_instance", p["key"]["id"]) for t, p in payloads[1:]}
    assert by_type["image"]["text"] == "Foto de teste 📷"
    assert by_type["image"]["media_mimetype"] == "image/jpeg"
    assert by_type["audio"]["is_voice"] is True
    assert by_type["audio"]["text"] == ""
    assert by_type["document"]["media_mimetype"] == "application/pdf"
    assert (by_type["location"]["latitude"], by_type["location"]["longitude"]) == (
        -23.561414,
        -46.655881,
    )
    assert by_type["location"]["text"] == "Avenida Paulista"
    assert by_type["contact"]["text"] == "Maria da Silva"
    assert by_type["contact"]["contacts"][0]["display_name"] == "Maria da Silva"
    assert "FN:Maria da Silva" in by_type["contact"]["contacts"][0]["vcard"]
    assert by_type["sticker"]["type"] == "sticker"


def test_payloads_get_fresh_ids_on_every_call():
    first = {p["key"]["id"] for _, p in build_payloads("x")}
    second = {p["key"]["id"] for _, p in build_payloads("x")}
    assert len(first) == len(PROTO_KEYS) + 1
    assert not first & second


def _fake_deliveries() -> list[Delivery]:
    deliveries = []
    for type_name, payload in build_payloads("test_instance"):
        deliveries.append(
            Delivery(type_name, payload["key"]["id"], expected_fields(type_name, payload), 200)
        )
    return deliveries


class _FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_checker_passes_when_everything_is_stored():
    deliveries = _fake_deliveries()
    stored = {d.external_id: dict(d.expected) for d in deliveries}
    clock = _FakeClock()
    results = check_stored(deliveries, stored.get, timeout=5, sleep=clock.sleep, clock=clock)
    assert all(r.ok for r in results)
    assert exit_code(results) == 0
    table = render_table(results)
    assert table.splitlines()[0].split() == [
        "Tipo",
        "ID",
        "da",
        "mensagem",
        "HTTP",
        "Gravada",
        "Resultado",
        "Detalhe",
    ]
    assert "FALHOU" not in table
    assert f"{len(deliveries)} de {len(deliveries)} mensagens OK, 0 com falha" in table


def test_checker_reports_wrong_type_missing_and_refused_messages():
    deliveries = _fake_deliveries()
    text, image, video, audio = deliveries[1:5]
    audio.http_status, audio.error = 401, "token recusado (HTTP 401)"
    stored = {d.external_id: dict(d.expected) for d in deliveries if d is not video}
    stored[image.external_id]["type"] = "unknown"
    calls: list[str] = []

    def fetch(external_id: str) -> dict[str, Any] | None:
        calls.append(external_id)
        return stored.get(external_id)

    clock = _FakeClock()
    summary = check_stored(deliveries, fetch, timeout=3, sleep=clock.sleep, clock=clock)
    assert [r.external_id for r in summary] == [d.external_id for d in deliveries]
    result = {r.external_id: r for r in summary}
    assert result[text.external_id].ok
    assert not result[image.external_id].ok
    assert result[image.external_id].problems == ["type: esperado 'image', gravado 'unknown'"]
    assert not result[video.external_id].ok and not result[video.external_id].stored
    assert "não apareceu" in result[video.external_id].problems[0]
    assert not result[audio.external_id].ok
    assert audio.external_id not in calls  # a refused delivery is never polled for
    assert calls.count(video.external_id) > 1  # polled again until the deadline
    assert clock.now >= 3
    assert exit_code(summary) == 1
    table = render_table(summary)
    assert table.count("FALHOU") == 3
    assert "token recusado" in table
    assert f"{len(deliveries) - 3} de {len(deliveries)} mensagens OK, 3 com falha" in table


def test_checker_with_no_results_fails():
    assert exit_code([]) == 1


def test_unreachable_server_gets_a_clear_message(capsys):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    code = main(["--url", url, "--api", url, "--token", "t", "--api-token", "a", "--timeout", "2"])
    assert code == 2
    err = capsys.readouterr().err
    assert UNREACHABLE_HINT in err
    assert f"{url}/webhook" in err


def test_missing_api_token_is_explained(capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("WEBHOOK_API_TOKEN", raising=False)
    monkeypatch.setenv("WEBHOOK_ENV_FILE", str(tmp_path / "none.env"))
    assert main(["--url", "http://127.0.0.1:9", "--token", "t"]) == 2
    assert "WEBHOOK_API_TOKEN" in capsys.readouterr().err


def test_remote_mode_against_a_live_server(live_server, make_client, settings, capsys):
    """The script end to end over real HTTP: Django's /webhook receives, its read API checks."""
    settings.WEBHOOK_API_TOKEN = "a" * 40
    client = make_client("test_instance")
    argv = [
        "--url",
        live_server.url,
        "--api",
        live_server.url,
        "--token",
        client.webhook_token,
        "--api-token",
        "a" * 40,
        "--timeout",
        "10",
    ]
    assert main(argv) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert f"{len(PROTO_KEYS) + 1} de {len(PROTO_KEYS) + 1} mensagens OK, 0 com falha" in out
    from webhook.models import Message

    assert Message.objects.filter(client=client).count() == len(PROTO_KEYS) + 1


def test_remote_mode_reports_a_wrong_client_token(live_server, make_client, settings, capsys):
    settings.WEBHOOK_API_TOKEN = "a" * 40
    settings.WEBHOOK_REQUIRE_TOKEN = True
    make_client("test_instance")
    argv = [
        "--url",
        live_server.url,
        "--api",
        live_server.url,
        "--token",
        "errado",
        "--api-token",
        "a" * 40,
        "--timeout",
        "1",
    ]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert out.count("FALHOU") == len(PROTO_KEYS) + 1
    assert "token recusado (HTTP 401)" in out


if __name__ == "__main__":
    sys.exit(main())
