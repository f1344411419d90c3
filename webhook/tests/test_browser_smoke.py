"""The console opens in a real browser: login, pt-BR, CSP without violations, no overflow."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_login_lands_on_the_dashboard_in_portuguese(device, request):
    page = request.getfixturevalue(device)
    page.login()
    assert page.page.locator("html").get_attribute("lang") == "pt-br"
    assert page.page.get_by_role("link", name="Conversas").count() == 1
    page.screenshot(f"smoke-dashboard-{device}")
    assert page.overflow() <= 0
