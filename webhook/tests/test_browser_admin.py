"""The admin in a real browser: its pages keep to the window at 1366 and 375 px (change lists
show fewer, truncated columns on phones) and the CSP raises no violation there."""

from __future__ import annotations

import pytest

from webhook.sample import sample_payload

pytestmark = pytest.mark.browser

PAGES = [
    "",
    "webhook/client/",
    "webhook/chat/",
    "webhook/message/",
    "webhook/webhookevent/",
    "webhook/mediafile/",
    "webhook/contactstats/",
    "webhook/messagestats/",
    "webhook/realtimestats/",
    "webhook/unrecogniseditem/",
]


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_admin_pages_fit_the_window_without_csp_errors(device, request, stack):
    stack.post(sample_payload(message_id=f"admin-{device}", text="<b>Olá</b> " + "palavra" * 30))
    stack.receiver.wait_for("SELECT count(*) FROM webhook_message", 1)
    stack.django(  # a media file row with a long error, as a failed download leaves it
        "from webhook.models import MediaFile, Message\n"
        "m = Message.objects.first()\n"
        "MediaFile.objects.get_or_create(message=m, defaults=dict(client_id=m.client_id,"
        " source='url', media_type='image', state='failed', family='evolution',"
        " last_error='HTTP 403 de mmg.whatsapp.net: ' + 'x' * 120))\n"
    )
    page = request.getfixturevalue(device)
    page.login()
    for path in PAGES:
        page.goto(f"/admin/{path}")
        name = path.strip("/").replace("/", "-") or "index"
        page.screenshot(f"admin-{name}-{device}")
        assert page.overflow() <= 0, (path, page.overflow())
        # Nor does a change list scroll sideways inside its box: columns leave or are cut.
        hidden = page.page.evaluate(
            "(() => { const box = document.querySelector('#changelist .results');"
            " return box ? box.scrollWidth - box.clientWidth : 0; })()"
        )
        assert hidden <= 0, (path, hidden)
    page.goto("/admin/webhook/message/")
    assert page.page.locator("#result_list tbody tr").count() >= 1
