"""The event tail (/painel/eventos/): list, filters, keyset paging, live fragment, one event
(masked and escaped), replay (CSRF, permission, idempotent) and who sees what."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from webhook.models import WebhookEvent
from webhook.sample import sample_payload

pytestmark = pytest.mark.django_db
LIST = reverse("console:events")
LIVE = reverse("console:events-live")


def event_url(event: WebhookEvent) -> str:
    return reverse("console:event", args=[event.pk])


def replay_url(event: WebhookEvent) -> str:
    return reverse("console:event-replay", args=[event.pk])


def stored(client=None, *, status="processed", received_at=None, save=True, **fields):
    """A delivery as ingest stores it (status as given; the body is the README's sample)."""
    key = client.instance_id if client else fields.pop("client_key", "ghost_instance")
    payload = sample_payload(instance_id=key, message_id=fields.pop("message_id", None))
    values = {
        "delivery_id": uuid.uuid4().hex,
        "received_at": received_at or timezone.now(),
        "path": "/webhook/",
        "headers": {"content-type": "application/json", "x-webhook-token": "***"},
        "body": json.dumps(payload, ensure_ascii=False),
        "family": "baileys_sample",
        "event_type": "message",
        "client": client,
        "client_key": key,
        "status": status,
        **fields,
    }
    event = WebhookEvent(**values)
    if save:
        event.save()
    return event


def many(client, count: int, received_at=None, **fields) -> list[WebhookEvent]:
    """``count`` events, a second apart (or all at ``received_at``)."""
    now = timezone.now()
    events = [
        stored(client, received_at=received_at or now - timedelta(seconds=i), save=False, **fields)
        for i in range(count)
    ]
    return WebhookEvent.objects.bulk_create(events)


@pytest.fixture
def shop(make_client):
    return make_client("shop_instance", name="Loja Azul")


@pytest.fixture
def other(make_client):
    return make_client("other_instance", name="Outra Loja")


@pytest.fixture
def staff(db, shop) -> User:
    user = User.objects.create_user("atendente", password="x", is_staff=True)
    shop.members.add(user)
    return user


@pytest.fixture
def staff_client(staff) -> HttpClient:
    http = HttpClient()
    http.force_login(staff)
    return http


def ids_in(content: bytes) -> list[int]:
    return [int(pk) for pk in re.findall(rb'id="event-(\d+)"', content)]


# --- the list ------------------------------------------------------------------------------


def test_list_newest_first_with_local_time_client_badge_and_error(admin_client, shop):
    moment = timezone.now() - timedelta(minutes=3, seconds=10)
    old = stored(shop, received_at=moment - timedelta(days=2), processing_ms=12.34)
    failed = stored(shop, status="failed", received_at=moment, error="KeyError: 'msgContent'\nmore")

    response = admin_client.get(LIST)

    assert response.status_code == 200
    assert ids_in(response.content) == [failed.pk, old.pk]
    html = response.content.decode()
    for event in (old, failed):  # America/Sao_Paulo, pt-BR formats
        local = timezone.localtime(event.received_at)
        assert local.strftime("%H:%M:%S") in html and local.strftime("%d/%m/%Y") in html
    assert "Loja Azul" in html
    assert '<span class="badge failed">Falhou</span>' in html
    assert '<span class="badge processed">Processado</span>' in html
    assert (
        "KeyError: &#x27;msgContent&#x27;" in html and "more" not in html.split("KeyError")[1][:60]
    )
    assert "12,3" in html  # ms, pt-BR decimal comma
    assert re.search(r"3\sminutos\satrás", html)  # humanize's pt-BR (no-break space)
    assert 'hx-trigger="every 5s"' in html


def test_filters_narrow_the_list(admin_client, shop, other):
    a = stored(
        shop,
        status="failed",
        error="RuntimeError: disco cheio",
        family="evolution",
        event_type="messages.upsert",
    )
    b = stored(other, status="processed", family="waha", event_type="message")
    c = stored(shop, status="ignored", family="waha", event_type="presence.update")

    def shown(**params) -> list[int]:
        response = admin_client.get(LIST, params)
        assert response.status_code == 200, response.content
        return ids_in(response.content)

    assert shown(client=shop.pk) == [c.pk, a.pk]
    assert shown(status="processed") == [b.pk]
    assert shown(family="waha") == [c.pk, b.pk]
    assert shown(event_type="messages.upsert") == [a.pk]
    assert shown(q="DISCO") == [a.pk]
    assert shown(client=shop.pk, family="waha") == [c.pk]
    assert b"Nenhum evento corresponde" in admin_client.get(LIST, {"q": "nada disso"}).content


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"status": "bogus"}, "A situação “bogus” não existe."),
        ({"client": "abc"}, "O cliente “abc” não existe ou não é seu."),
        ({"family": "telegram"}, "A família “telegram” não existe."),
        ({"before": "yesterday"}, "O cursor de página “yesterday” está malformado."),
        ({"q": "x" * 201}, "mais de 200 caracteres"),
    ],
)
def test_malformed_filters_answer_400_with_the_reason(admin_client, shop, params, reason):
    response = admin_client.get(LIST, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert reason in response.content.decode()


def test_a_client_the_user_may_not_see_is_a_bad_filter(staff_client, other):
    response = staff_client.get(LIST, {"client": other.pk})
    assert response.status_code == 400
    assert "não existe ou não é seu" in response.content.decode()


def test_filter_offers_only_visible_clients(staff_client, shop, other):
    html = staff_client.get(LIST).content.decode()
    assert f'<option value="{shop.pk}"' in html and "Loja Azul" in html
    assert "Outra Loja" not in html


def test_keyset_pages_with_equal_timestamps_cover_every_event_once(admin_client, shop):
    moment = timezone.now()
    events = many(shop, 120, received_at=moment)
    expected = sorted((e.pk for e in events), reverse=True)

    seen, params = [], {}
    for _page in range(5):
        response = admin_client.get(LIST, params)
        assert response.status_code == 200
        seen += ids_in(response.content)
        found = re.search(rb'href="\?(before=[^"]+)"', response.content)
        if not found:
            break
        params = dict(pair.split("=") for pair in found.group(1).decode().split("&amp;"))
    assert seen == expected


def test_load_more_through_htmx_answers_only_rows(admin_client, shop):
    many(shop, 60)
    first = admin_client.get(LIST)
    cursor = re.search(rb"before=([0-9.]+)", first.content).group(1).decode()
    response = admin_client.get(LIST, {"before": cursor}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content and b"<tr" in response.content
    assert len(ids_in(response.content)) == 10
    assert b"Carregar mais" not in response.content
    assert "HX-Request" in response["Vary"]


def test_live_fragment_brings_only_newer_events_and_settles_pending_rows(admin_client, shop):
    shown = stored(shop)
    pending = stored(shop, status="received")
    page = admin_client.get(LIST).content.decode()
    since = re.search(r'id="live-since" name="since" value="(\d+)"', page).group(1)
    assert int(since) == pending.pk
    assert f'name="pending" value="{pending.pk}"' in page

    nothing = admin_client.get(LIVE, {"since": since, "pending": [pending.pk]})
    assert nothing.status_code == 200 and ids_in(nothing.content) == []
    assert nothing["X-Events-Since"] == since

    newer = stored(shop, status="failed", error="boom")
    WebhookEvent.objects.filter(pk=pending.pk).update(status="processed")
    response = admin_client.get(LIVE, {"since": since, "pending": [pending.pk]})
    html = response.content.decode()
    assert ids_in(response.content) == [newer.pk, pending.pk]
    assert f'<tr id="event-{newer.pk}" class="event-row fresh">' in html
    assert f'<tr id="event-{pending.pk}" class="event-row" hx-swap-oob="true">' in html
    assert shown.pk not in ids_in(response.content)
    assert response["X-Events-Since"] == str(newer.pk)
    filtered = admin_client.get(LIVE, {"since": since, "status": "processed"})
    assert ids_in(filtered.content) == []


@pytest.mark.parametrize("params", [{}, {"since": "x"}, {"since": "1", "pending": "a"}])
def test_live_fragment_rejects_malformed_parameters(admin_client, params):
    assert admin_client.get(LIVE, params).status_code == 400


@pytest.mark.parametrize("count", [10, 300])
def test_list_and_live_query_counts_do_not_grow(
    admin_client, shop, other, count, django_assert_num_queries
):
    many(shop, count // 2)
    many(other, count - count // 2, status="failed", error="x")
    # session, user, visible clients (filter), the page, newest id
    with django_assert_num_queries(5):
        assert admin_client.get(LIST).status_code == 200
    with django_assert_num_queries(5):  # session, user, clients, newest id, new rows
        assert admin_client.get(LIVE, {"since": "0"}).status_code == 200


@pytest.mark.parametrize("count", [10, 300])
def test_staff_list_query_count_is_fixed_too(
    staff_client, shop, other, count, django_assert_num_queries
):
    many(shop, count)
    many(other, count)
    with django_assert_num_queries(6):  # + the ids of the user's clients
        response = staff_client.get(LIST)
    assert len(ids_in(response.content)) == min(count, 50)


# --- who sees what -------------------------------------------------------------------------


def test_staff_sees_only_their_clients_events(staff_client, shop, other):
    mine = stored(shop)
    theirs = stored(other)
    orphan = stored(None, status="unassigned", client_key="nobody")
    assert ids_in(staff_client.get(LIST).content) == [mine.pk]
    assert staff_client.get(event_url(mine)).status_code == 200
    for event in (theirs, orphan):
        response = staff_client.get(event_url(event))
        assert response.status_code == 404
        assert "não existe" in response.content.decode()
    assert staff_client.get(reverse("console:event", args=[999999])).status_code == 404


def test_superuser_sees_unassigned_and_rejected_events(admin_client):
    orphan = stored(None, status="unassigned", client_key="nobody")
    rejected = stored(None, status="rejected", client_key="intruder")
    assert ids_in(admin_client.get(LIST).content) == [rejected.pk, orphan.pk]
    assert b"sem cliente" in admin_client.get(LIST).content
    assert admin_client.get(event_url(orphan)).status_code == 200


def test_anonymous_goes_to_the_login_page():
    response = HttpClient().get(LIST)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_english_is_one_click_away(admin_client, shop):
    stored(shop, status="failed", error="boom")
    admin_client.cookies["django_language"] = "en"
    html = admin_client.get(LIST).content.decode()
    assert "<h1>Events</h1>" in html and '<span class="badge failed">Failed</span>' in html
    assert "Live · refreshes every 5 s" in html


def test_bad_filter_answers_json_when_asked(admin_client):
    response = admin_client.get(LIST, {"status": "nope", "format": "json"})
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error": "invalid_filter",
        "detail": "A situação “nope” não existe.",
    }


def test_the_live_cursor_reveals_nothing_of_other_clients(staff_client, shop, other):
    mine = stored(shop)
    later = stored(other)  # another client's traffic, after ours
    page = staff_client.get(reverse("console:events")).content.decode()
    assert f'id="live-since" name="since" value="{mine.pk}"' in page
    live = staff_client.get(reverse("console:events-live"), {"since": mine.pk})
    assert live["X-Events-Since"] == str(mine.pk) and later.pk > mine.pk
