"""Every console page passes axe-core's WCAG 2 A/AA rules (contrast, labels, names, landmarks,
keyboard reachability of controls) at 1366 and 375 px, in a real browser on real servers.

axe-core (Deque Systems, MPL-2.0) comes from the axe-playwright-python package; it runs in the
page through Playwright's evaluate, which the page's CSP does not restrict.
"""

from __future__ import annotations

import pytest

from webhook.sample import sample_payload

pytestmark = pytest.mark.browser

RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page.page, options=RULES).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in results["violations"]
    ]


@pytest.fixture(scope="module")
def pages(stack) -> list[str]:
    for n in range(3):
        stack.post(sample_payload(message_id=f"a11y-{n}", text=f"Mensagem {n}"))
    stack.receiver.wait_for("SELECT count(*) FROM webhook_message", 3)
    chat = stack.receiver.scalar("SELECT min(id) FROM webhook_chat")
    event = stack.receiver.scalar("SELECT min(id) FROM webhook_webhookevent")
    return [
        "/painel/",
        "/painel/?period=7d",
        "/painel/conversas/",
        f"/painel/conversas/{chat}/",
        "/painel/eventos/",
        f"/painel/eventos/{event}/",
        "/webhook/status/",
        "/webhook/test/",
    ]


REFUSALS = ["/painel/eventos/?status=nope", "/painel/conversas/999999/"]  # 400 and 404 pages


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_console_pages_pass_axe(device, request, pages):
    page = request.getfixturevalue(device)
    page.login()
    found = {}
    for path in pages:
        page.goto(path)
        if problems := _violations(page):
            found[path] = problems
    assert not page.errors, page.errors
    for path in REFUSALS:
        page.goto(path)
        if problems := _violations(page):
            found[path] = problems
    # The browser reports the refusals' own status codes; nothing else may show up.
    page.errors[:] = [
        e for e in page.errors if "status of 400" not in e and "status of 404" not in e
    ]
    assert not found, found


def test_the_checker_does_find_problems(laptop):
    """axe itself works here: a page with an unlabelled image and field fails it."""
    laptop.page.set_content(
        '<html lang="pt-br"><body><main><img src="data:,"><input></main></body></html>'
    )
    found = " ".join(_violations(laptop))
    assert "image-alt" in found and "label" in found


def test_the_receivers_status_page_passes_axe(laptop, stack):
    laptop.page.goto(f"http://127.0.0.1:{stack.receiver.port}/status")
    assert not _violations(laptop)


def test_the_keyboard_reaches_the_content_and_the_menu(laptop):
    """Tab first lands on "skip to content", which moves the focus to the page's content; the
    menu's links follow in order."""
    laptop.login()
    laptop.goto("/painel/conversas/")
    laptop.page.keyboard.press("Tab")
    active = laptop.page.evaluate("document.activeElement.textContent.trim()")
    assert active == "Pular para o conteúdo"
    laptop.page.keyboard.press("Enter")
    assert laptop.page.evaluate("document.activeElement.id") == "main"
    laptop.goto("/painel/conversas/")
    names = []
    for _ in range(5):
        laptop.page.keyboard.press("Tab")
        names.append(laptop.page.evaluate("document.activeElement.textContent.trim()"))
    assert names[2:5] == ["Painel", "Conversas", "Eventos"], names
