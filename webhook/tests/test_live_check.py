"""test_webhook.py's payloads (webhook/live_check/) through both servers in-process, its checker
on made-up results, and the script end to end against a live Django server."""

from __future__ import annotations

from typing import Any

from webhook.live_check.checking import Delivery, check_stored, exit_code, render_table
from webhook.live_check.cli import UNREACHABLE_HINT, main
from webhook.live_check.payloads import PROTO_KEYS, build_payloads, expected_fields, mismatches


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
