"""The status pages of both servers in a real browser: pt-BR, no overflow at 1366 and 375 px,
no console error (CSP included), aggregates for visitors, names for the logged-in team, and the
tunnel URL with its copy button."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from webhook.sample import sample_payload

pytestmark = pytest.mark.browser
TUNNEL = "https://exemplo-tunel.ngrok-free.app"
POSTS = 3


def _summary(receiver: str) -> dict:
    with urllib.request.urlopen(f"{receiver}/status?format=json", timeout=5) as answer:  # noqa: S310
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def seeded(stack):
    receiver = f"http://127.0.0.1:{stack.receiver.port}"
    deadline = time.monotonic() + 15
    while not _summary(receiver)["receiver"]["online"] and time.monotonic() < deadline:
        time.sleep(0.3)  # its worker announced itself (and its empty tunnel URL) first
    for n in range(POSTS):
        status, answer = stack.post(sample_payload(message_id=f"browser-status-{n}"))
        assert status in (200, 202), answer
    stack.django(
        "from webhook import server_stats\n"
        "from webhook.models import Client, RealTimeStats\n"
        "live = Client.objects.get(instance_id='test_instance')\n"
        "RealTimeStats.objects.update_or_create(client=live, defaults={'connection_state': 'open',"
        " 'connected_phone': '5511999990000'})\n"
        "other = Client.objects.get(instance_id='other_instance')\n"
        "RealTimeStats.objects.update_or_create(client=other,"
        " defaults={'connection_state': 'qr_required'})\n"
        # The stack's receiver runs without a tunnel: its address as an ngrok one would be.
        "tunnel = server_stats.Flusher(server_stats.RECEIVER, process='browser-test:1')\n"
        f"tunnel.set_info(tunnel_url={TUNNEL!r})\n"
        "assert tunnel.flush()\n"
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the receiver's worker flushes every 2 s
        summary = _summary(receiver)
        if (
            summary["receiver"]["by_status"].get("202", 0)
            + summary["receiver"]["by_status"].get("200", 0)
            >= POSTS
            and summary["receiver"]["tunnel_url"]
        ):
            break
        time.sleep(0.3)
    return receiver


PAGES = {"django": "/webhook/status/", "receiver": "/status"}


def _open(page, seeded: str, server: str) -> str:
    if server == "receiver":
        answer = page.page.goto(seeded + PAGES[server])
    else:
        answer = page.goto(PAGES[server])
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/html")
    page.page.wait_for_load_state("networkidle")
    return page.page.content()


@pytest.mark.parametrize("server", ["django", "receiver"])
@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_anonymous_status_page(device, server, seeded, request):
    page = request.getfixturevalue(device)
    html = _open(page, seeded, server)
    assert page.page.locator("html").get_attribute("lang") == "pt-br"
    assert page.page.get_by_role("heading", name="Status do webhook").count() == 1
    for text in ("Eventos por situação", "Pedidos do receptor Flask", "aguardando QR code"):
        assert text in html
    assert "Outro" not in html and "test_instance" not in html  # aggregates only
    copy = page.page.locator(f'button[data-copy="{TUNNEL}/webhook"]')
    assert copy.count() == 1 and copy.inner_text() == "Copiar"
    # The stylesheets arrived (served by the receiver too): the header is the console's.
    display = page.page.evaluate("getComputedStyle(document.querySelector('.topbar')).display")
    assert display == "flex"
    page.screenshot(f"status-{server}-anonymous-{device}")
    assert page.overflow() <= 0


@pytest.mark.parametrize("server", ["django", "receiver"])
@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_logged_in_status_page(device, server, seeded, request):
    page = request.getfixturevalue(device)
    page.login("admin")
    html = _open(page, seeded, server)
    assert page.page.get_by_role("heading", name="Clientes").count() == 1
    assert "Outro" in html and "test_instance" in html
    badge = page.page.locator(".badge.open", has_text="conectado")
    assert badge.count() >= 1
    with urllib.request.urlopen(f"{seeded}/status?format=json", timeout=5) as answer:  # noqa: S310
        total = json.loads(answer.read())["receiver"]["requests_total"]
    assert total > POSTS  # the deliveries and LiveReceiver.start's probe, all workers together
    assert f"{total} pedidos respondidos, somando todos os processos" in html
    page.screenshot(f"status-{server}-admin-{device}")
    assert page.overflow() <= 0


def test_a_member_sees_only_their_client_on_both_pages(laptop, seeded):
    laptop.login("atendente")
    for server in ("django", "receiver"):
        html = _open(laptop, seeded, server)
        assert "Outro" in html and "test_instance" not in html and ">Live<" not in html


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_the_test_page_is_a_console_page(device, request):
    page = request.getfixturevalue(device)
    page.login("admin")
    answer = page.goto("/webhook/test/")
    assert answer.status == 200
    assert page.page.get_by_role("heading", name="Teste do webhook").count() == 1
    assert (
        page.page.get_by_label("Cliente").count() == 1
        and page.page.get_by_label("Texto").count() == 1
    )
    page.page.get_by_role("button", name="Enviar teste").click()
    page.page.wait_for_load_state("networkidle")
    page.screenshot(f"status-test-page-{device}")
    assert (
        page.page.get_by_role("heading", name="Mensagem gravada").count() == 1
    )  # HTTP 202: queued
    assert page.overflow() <= 0
