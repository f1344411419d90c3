"""Conversations in a real browser: a message posted to the receiver appears in the open
transcript without a reload; a transcript holding every type renders without console errors
or horizontal overflow at 1366 and 375 px; a restricted user gets the 404 page."""

from __future__ import annotations

import time

import pytest

from webhook.sample import sample_payload

pytestmark = pytest.mark.browser

SEED = (
    "from webhook.models import Client\n"
    "from webhook.tests.conversation_seed import seed_every_type\n"
    "c, _ = Client.objects.get_or_create(instance_id='tipos', defaults={'name': 'Loja Tipos'})\n"
    "print(seed_every_type(c).pk)\n"
)
LONG = (
    "from webhook.models import Client\n"
    "from webhook.tests.conversation_seed import seed_long\n"
    "c, _ = Client.objects.get_or_create(instance_id='tipos', defaults={'name': 'Loja Tipos'})\n"
    "print(seed_long(c, 120).pk)\n"
)


@pytest.fixture(scope="module")
def every_type_chat(stack) -> int:
    return int(stack.django(SEED).strip().splitlines()[-1])


def _chat_of(stack, message_id: str) -> int:
    sql = f"SELECT chat_id FROM webhook_message WHERE external_id = '{message_id}'"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            found = stack.receiver.scalar(sql)
        except TypeError:  # no row yet
            found = None
        if found:
            return int(found)
        time.sleep(0.2)
    raise AssertionError(f"message {message_id} was not applied: {stack.log()[-2000:]}")


def _pane_overflow(page) -> list[str]:
    """Scrolling panes and bubbles wider than their box (text cut or a sideways scroll)."""
    return page.page.evaluate(
        "[...document.querySelectorAll('.conv-scroll, .conv-list, .msg-body')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1)"
        ".map(e => e.className + ' ' + (e.closest('article') || e).id + ' '"
        " + (e.scrollWidth - e.clientWidth))"
    )


def _loaded(image, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if image.evaluate("i => i.complete && i.naturalWidth > 0"):
            return True
        time.sleep(0.1)
    return False


def test_new_message_appears_in_the_open_transcript(stack, laptop) -> None:
    status, _ = stack.post(sample_payload(text="Primeira mensagem", message_id="live_first_1"))
    assert status in (200, 202)
    chat = _chat_of(stack, "live_first_1")
    laptop.login()
    laptop.goto(f"/painel/conversas/{chat}/")
    assert laptop.page.locator("article.msg", has_text="Primeira mensagem").count() == 1
    laptop.page.evaluate("window.notReloaded = true")
    status, _ = stack.post(sample_payload(text="Chegou sem recarregar", message_id="live_next_2"))
    assert status in (200, 202)
    laptop.page.locator("article.msg", has_text="Chegou sem recarregar").wait_for(timeout=20_000)
    assert laptop.page.evaluate("window.notReloaded === true")
    assert laptop.page.locator("article.msg").count() == 2
    laptop.page.locator("#chat-sub", has_text="2 mensagens").wait_for(timeout=5_000)
    # the chat list beside it follows too (its own 10 s poll)
    laptop.page.locator(".conv-list .conv-preview", has_text="Chegou sem recarregar").wait_for(
        timeout=25_000
    )
    # a reaction to a message already shown is swapped into its bubble in place
    stack.django(
        "from webhook.models import Message\n"
        "Message.objects.filter(external_id='live_first_1')"
        ".update(reactions={'5511977776666@s.whatsapp.net': 'ok'})\n"
    )
    laptop.page.locator("article.msg .msg-reactions").wait_for(timeout=20_000)
    assert laptop.page.locator("article.msg").count() == 2
    laptop.screenshot("conversation-live")


@pytest.mark.parametrize(("device", "name"), [("laptop", "laptop"), ("phone", "phone")])
def test_every_type_renders_cleanly(stack, every_type_chat, device, name, request) -> None:
    page = request.getfixturevalue(device)
    page.login()
    page.goto(f"/painel/conversas/{every_type_chat}/")
    page.page.wait_for_load_state("networkidle")
    assert page.page.locator("article.msg").count() >= 26
    assert page.page.locator(".sysmsg").count() == 1
    for image in page.page.locator("article img").all():
        image.scroll_into_view_if_needed()  # lazy images load once seen
        assert _loaded(image), image.get_attribute("src")
    assert page.page.locator("audio[controls]").count() == 1
    assert page.page.get_by_text("mensagem não encontrada").count() == 1
    page.page.evaluate("document.querySelector('.conv-scroll').scrollTop = 0")  # the newest
    page.screenshot(f"conversation-{name}")
    page.page.evaluate("document.querySelector('.conv-scroll').scrollTop = -1e6")
    page.screenshot(f"conversation-{name}-top")
    page.page.locator("article.t-image").first.scroll_into_view_if_needed()
    page.screenshot(f"conversation-{name}-media")
    page.page.locator("article.t-document").first.scroll_into_view_if_needed()
    page.screenshot(f"conversation-{name}-files")
    page.page.locator("article.t-location").first.scroll_into_view_if_needed()
    page.screenshot(f"conversation-{name}-cards")
    assert page.overflow() <= 0
    assert _pane_overflow(page) == []


def test_earlier_messages_load_in_place(stack, laptop) -> None:
    chat = int(stack.django(LONG).strip().splitlines()[-1])
    laptop.login()
    laptop.goto(f"/painel/conversas/{chat}/")
    log = laptop.page.locator("article.msg")
    assert log.count() == 50
    laptop.page.evaluate("window.notReloaded = true")
    for expected in (100, 120):
        laptop.page.get_by_role("link", name="Mensagens anteriores").click()
        log.nth(expected - 1).wait_for()
    assert laptop.page.get_by_role("link", name="Mensagens anteriores").count() == 0
    assert laptop.page.evaluate("window.notReloaded === true")
    texts = log.all_inner_texts()
    numbers = [int(t.split("mensagem ")[1].split()[0]) for t in texts]
    assert numbers == list(range(120))
    days = laptop.page.evaluate("[...document.querySelectorAll('.msg-day')].map(d => d.id)")
    assert len(days) == len(set(days)) >= 3, days  # one separator per day, none repeated
    laptop.screenshot("conversation-long")


def test_chat_list_on_a_phone(stack, every_type_chat, phone) -> None:
    phone.login()
    phone.goto("/painel/conversas/")
    assert phone.page.get_by_text("Equipe Loja").count() == 1
    assert phone.page.get_by_placeholder("Buscar por nome ou número").count() == 1
    phone.screenshot("chat-list-phone")
    assert phone.overflow() <= 0
    assert _pane_overflow(phone) == []
    phone.page.get_by_text("Equipe Loja").click()
    phone.page.wait_for_url(f"**/painel/conversas/{every_type_chat}/")
    assert phone.page.locator(".conv-back").is_visible()


def test_restricted_user_sees_404_for_another_clients_chat(stack, every_type_chat, laptop) -> None:
    laptop.login("atendente")
    response = laptop.goto(f"/painel/conversas/{every_type_chat}/")
    assert response.status == 404
    assert laptop.page.get_by_text("Página não encontrada").count() >= 1
    laptop.errors.clear()  # the browser reports the 404 itself as a console error


def test_chat_list_search_and_filters_on_a_laptop(stack, every_type_chat, laptop) -> None:
    laptop.login()
    laptop.goto("/painel/conversas/")
    laptop.page.get_by_placeholder("Buscar por nome ou número").fill("Equipe")
    laptop.page.keyboard.press("Enter")
    laptop.page.wait_for_url("**q=Equipe**")
    assert laptop.page.locator(".conv-list li a").count() == 1
    laptop.page.get_by_label("Tipo").select_option("contacts")  # submits by itself
    laptop.page.wait_for_url("**kind=contacts**")
    assert laptop.page.get_by_text("Nenhuma conversa corresponde a esses filtros.").count() == 1
    laptop.goto("/painel/conversas/")
    laptop.screenshot("chat-list-laptop")
    assert laptop.overflow() <= 0
    assert _pane_overflow(laptop) == []
    response = laptop.goto("/painel/conversas/?kind=robots")
    assert response.status == 400
    assert laptop.page.locator(".error-box").count() == 1
    laptop.errors.clear()  # the browser reports the 400 itself as a console error


def test_a_waiting_chats_name_keeps_its_room_on_a_phone(stack, phone) -> None:
    """The "waiting since" badge of a chat waiting for our reply goes under the name, which
    stays readable at 375 px."""
    status, _ = stack.post(sample_payload(text="Oi, tem horário?", message_id="waiting_phone_1"))
    assert status in (200, 202)
    chat = _chat_of(stack, "waiting_phone_1")
    phone.login()
    phone.goto(f"/painel/conversas/{chat}/")
    assert phone.page.locator("#chat-waiting .badge").is_visible()
    title = phone.page.locator("#chat-title").bounding_box()
    assert title is not None and title["width"] > 80, title
    assert phone.overflow() <= 0
