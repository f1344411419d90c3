"""The dashboard in a real browser: a message posted through the Flask receiver shows up
without a reload (the polled fragment), the layout holds at 1366 and 375 px, no console error."""

from __future__ import annotations

import pytest

from webhook.sample import sample_payload

pytestmark = pytest.mark.browser

# Statistics as a few days of traffic leave them, so the screenshots show a working console.
SEED = """
from datetime import timedelta
from django.utils import timezone
from webhook.models import Chat, Client, ContactStats, MessageStats, RealTimeStats
from webhook.services.stats import period_of
QR = ("data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA3IDci"
      "PjxyZWN0IHdpZHRoPSI3IiBoZWlnaHQ9IjciIGZpbGw9IiNmZmYiLz48cGF0aCBkPSJNMCAwaDN2M0gwek00IDBoM3YzSDR6TTAgNGgz"
      "djNIMHpNNCA0aDF2MUg0ek01IDVoMnYySDV6IiBmaWxsPSIjMDAwIi8+PC9zdmc+")
now = timezone.now()
live = Client.objects.get(instance_id="test_instance")
live.name = "Loja Centro"
live.save()
other = Client.objects.get(instance_id="other_instance")
RealTimeStats.objects.update_or_create(client=live, defaults=dict(
    connection_state="open", connected_phone="5511912345678", last_event_at=now))
RealTimeStats.objects.update_or_create(client=other, defaults=dict(
    connection_state="qr_required", last_event_at=now - timedelta(minutes=1),
    last_qr_image=QR, last_qr_at=now))
for hour in range(1, 7 * 24):
    if 20 <= hour <= 28:  # nothing near the 24 h window's edge: an hour turning over mid-test
        continue          # must not change the total the test counts on
    start = period_of(now) - timedelta(hours=hour)
    local = timezone.localtime(start).hour
    busy = 9 <= local <= 19
    received = (12 + hour % 7) if busy else hour % 3
    sent = (9 + hour % 5) if busy else hour % 2
    MessageStats.objects.create(client=live, period_start=start, received=received, sent=sent,
        total=received + sent, text=received + sent - 3 if busy else received + sent,
        image=2 if busy else 0, audio=1 if busy else 0, document=0, sticker=0,
        delivered=sent, read=max(sent - 2, 0), failed=1 if hour % 11 == 0 else 0)
names = ["Maria Souza", "João Pereira", "Ana Lima", "Carlos Eduardo Nascimento", "Grupo Vendas Sul"]
for n, name in enumerate(names * 3):
    chat = Chat.objects.create(client=live if n % 4 else other, chat_id=f"55119{n:08d}@s.whatsapp.net",
        name=name if n < 5 else "", is_group=name.startswith("Grupo"))
    ContactStats.objects.create(client=chat.client, chat=chat, total=4, received=3, sent=1,
        first_message_at=now - timedelta(hours=n * 2 + 1),
        first_response_seconds=[40, 200, 700, 1500, 5000, 30000, 90000][n % 7],
        waiting_since=now - timedelta(minutes=17 * n + 3) if n % 2 == 0 else None)
"""


@pytest.fixture(scope="module")
def seeded(stack):
    stack.django(SEED)
    return stack


def _received(page) -> int:
    return int(page.page.locator('[data-kpi="received"]').inner_text())


def test_a_posted_message_appears_without_a_reload(laptop, seeded):
    laptop.login()
    laptop.goto("/painel/?period=24h")
    before = _received(laptop)
    laptop.page.evaluate("window.__sameDocument = true")
    laptop.page.get_by_text("Ver como tabela").click()  # stays open across the refreshes
    status, body = seeded.post(sample_payload(text="Chegou sem recarregar"))
    assert status in (200, 202), body  # 202: acknowledged, applied by the receiver's worker
    from playwright.sync_api import expect

    # the fragment is polled every 10 s; the KPI changes in place (string predicates would be
    # an eval, which the CSP refuses)
    expect(laptop.page.locator('[data-kpi="received"]')).to_have_text(
        str(before + 1), timeout=30_000
    )
    assert laptop.page.evaluate("window.__sameDocument") is True  # no reload happened
    assert laptop.page.locator("#traffic-table").get_attribute("open") is not None
    # the keyboard focus survives the refresh (the control is found again by its id)
    assert laptop.page.evaluate("document.activeElement.id") == "traffic-table-toggle"
    assert laptop.page.locator(".client-card").count() == 2


@pytest.mark.parametrize(
    ("device", "name"), [("laptop", "dashboard-laptop"), ("phone", "dashboard-phone")]
)
def test_layout_fits_and_looks_right(device, name, request, seeded):
    page = request.getfixturevalue(device)
    page.login()
    page.goto("/painel/")
    page.page.wait_for_selector(".client-card img")  # the current QR code is drawn
    assert page.page.get_by_text("Aguardando QR code").count() >= 1
    assert page.page.get_by_text("Conectado", exact=True).count() == 1
    assert page.page.locator("svg.chart rect").count() > 24
    assert page.page.locator(".waiting-list li").count() >= 3
    page.screenshot(name)
    assert page.overflow() <= 0
    page.goto("/painel/?period=7d")
    assert page.page.get_by_role("heading", name="Mensagens por dia").count() == 1
    page.screenshot(f"{name}-7d")
    assert page.overflow() <= 0


def test_a_restricted_user_sees_only_their_client(laptop, seeded):
    laptop.login("atendente")
    laptop.goto("/painel/")
    assert laptop.page.locator(".client-card").count() == 1
    assert laptop.page.locator(".client-card h3").inner_text() == "Outro"
    live_pk = seeded.receiver.scalar(
        "SELECT id FROM webhook_client WHERE instance_id = 'test_instance'"
    )
    # through the context's request API (same session): a 404 page load logs a console error
    response = laptop.context.request.get(f"{seeded.url}/painel/?client={live_pk}")
    assert response.status == 404
    assert (
        laptop.context.request.get(f"{seeded.url}/painel/fragmento/?client={live_pk}").status == 404
    )


def test_a_user_without_clients_is_told_what_to_do(phone, seeded):
    seeded.django(
        "from django.contrib.auth.models import User\n"
        "from webhook.tests.browser_support import PASSWORD\n"
        "User.objects.create_user('novato', password=PASSWORD, is_staff=True)\n"
    )
    phone.login("novato")
    assert phone.page.get_by_text("Nenhum cliente para você ainda").count() == 1
    assert phone.page.locator(".client-card").count() == 0
    phone.screenshot("dashboard-phone-no-clients")
    assert phone.overflow() <= 0
