"""The dashboard at /painel/ and its polled fragment, through Django's test client."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db.models import Sum
from django.utils import timezone

from webhook.models import Chat, Client, ContactStats, MessageStats, RealTimeStats
from webhook.services.stats import period_of
from webhook.tests.helpers import fixture_bytes

pytestmark = pytest.mark.django_db

PAGE, LIVE = "/painel/", "/painel/fragmento/"
QR = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


def kpi(html: str, name: str) -> str:
    found = re.search(rf'data-kpi="{name}">([^<]*)<', html)
    assert found, f"no KPI {name}"
    return found.group(1)


def value(html: str, key: str) -> list[str]:
    return re.findall(rf'data-value="{key}">([^<]*)<', html)


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("atendente", password="x", is_staff=True)


def seed(clients: int, chats: int, now: datetime) -> list[Client]:
    """Statistics rows as the pipeline leaves them: hours, chats, waiting, QR, states."""
    made = []
    for n in range(clients):
        client = Client.objects.create(name=f"Cliente {n}", instance_id=f"inst-{n}")
        RealTimeStats.objects.create(
            client=client,
            connection_state=["open", "qr_required", "close"][n % 3],
            last_event_at=now - timedelta(minutes=n),
            last_qr_image=QR,
            last_qr_at=now,
        )
        for hour in range(30):
            MessageStats.objects.create(
                client=client,
                period_start=period_of(now) - timedelta(hours=hour),
                received=hour + 1,
                sent=hour,
                text=hour + 1,
                image=hour,
                delivered=hour,
                read=hour // 2,
                failed=1,
                total=2 * hour + 1,
            )
        made.append(client)
    for n in range(chats):
        client = made[n % clients]
        chat = Chat.objects.create(client=client, chat_id=f"55119{n:08d}@s.whatsapp.net")
        ContactStats.objects.create(
            client=client,
            chat=chat,
            total=3,
            received=2,
            sent=1,
            first_message_at=now - timedelta(hours=n % 30),
            first_response_seconds=None if n % 4 == 0 else 60.0 * n,
            waiting_since=now - timedelta(minutes=n) if n % 3 == 0 else None,
        )
    return made


# --- the numbers are the statistics rows' -----------------------------------------------


def test_numbers_equal_the_stats_rows_after_real_payloads(post, admin_client, make_client):
    client = make_client("loja-centro", name="Loja Centro")
    headers = {"x-webhook-token": client.webhook_token}
    for name in ("text", "send_message", "update_read", "connection_open", "image"):
        reply = post(fixture_bytes("evolution", name), headers)
        assert reply.status == 200, (name, reply.body)
    moment = datetime(2025, 11, 29, 8, 0, tzinfo=UTC)  # the fixtures' morning
    with mock.patch("django.utils.timezone.now", lambda: moment):
        html = admin_client.get(PAGE).content.decode()
    totals = MessageStats.objects.filter(client=client).aggregate(
        r=Sum("received"), s=Sum("sent"), d=Sum("delivered"), rd=Sum("read")
    )
    assert totals["r"] >= 2 and totals["s"] >= 1 and totals["rd"] == 1
    assert kpi(html, "received") == str(totals["r"])
    assert kpi(html, "sent") == str(totals["s"])
    assert value(html, "read") == [str(totals["rd"])]
    assert value(html, "delivered") == [str(totals["d"])]
    first = ContactStats.objects.get(client=client).first_response_seconds
    assert first == 120.0
    assert kpi(html, "median") == "2 min"
    assert value(html, "b0") == ["1"]  # 0–5 min
    assert "Conectado" in html and "5511912345678" in html


def test_seven_days_group_by_local_day(admin_client):
    now = timezone.now()
    seed(1, 4, now)
    html = admin_client.get(PAGE + "?period=7d").content.decode()
    rows = MessageStats.objects.filter(period_start__gte=now - timedelta(days=8))
    local_today = timezone.localtime(now).date()
    start = timezone.make_aware(
        datetime.combine(local_today - timedelta(days=6), datetime.min.time())
    )
    expected = rows.filter(period_start__gte=start).aggregate(r=Sum("received"))["r"]
    assert kpi(html, "received") == str(expected)
    assert "Mensagens por dia" in html


# --- what the page shows ---------------------------------------------------------------


def test_card_shows_state_phone_qr_and_masked_paste(admin_client):
    now = timezone.now()
    client = Client.objects.create(name="Loja", instance_id="loja")
    RealTimeStats.objects.create(
        client=client,
        connection_state="qr_required",
        connected_phone="5511912345678",
        last_event_at=now,
        last_qr_image=QR,
        last_qr_at=now - timedelta(seconds=30),
    )
    html = admin_client.get(PAGE).content.decode()
    assert "Aguardando QR code" in html and "5511912345678" in html
    assert f'src="{QR}"' in html
    token = client.webhook_token
    assert f'data-copy="http://testserver/webhook/k/{token}/"' in html
    assert f'data-copy="X-Webhook-Token: {token}"' in html
    assert f"X-Webhook-Token: {token[:4]}••••••" in html
    assert html.count(token) == 2  # only inside the copy buttons' attributes


@pytest.mark.parametrize(
    ("state", "age", "shown"),
    [("qr_required", 100, True), ("qr_required", 150, False), ("open", 10, False)],
)
def test_qr_only_while_current(admin_client, state, age, shown):
    client = Client.objects.create(name="Loja", instance_id="loja")
    RealTimeStats.objects.create(
        client=client,
        connection_state=state,
        last_qr_image=QR,
        last_qr_at=timezone.now() - timedelta(seconds=age),
    )
    assert (QR in admin_client.get(PAGE).content.decode()) is shown


@pytest.mark.parametrize(
    ("state", "label"),
    [
        ("open", "Conectado"),
        ("connecting", "Conectando"),
        ("close", "Desconectado"),
        ("qr_required", "Aguardando QR code"),
        ("unknown", "Sem informação"),
        ("weird", "Sem informação"),
    ],
)
def test_connection_states_have_text(admin_client, state, label):
    client = Client.objects.create(name="Loja", instance_id="loja")
    RealTimeStats.objects.create(client=client, connection_state=state)
    html = admin_client.get(PAGE).content.decode()
    assert re.search(
        rf'class="badge \w+" data-state="\w+"><span class="dot" aria-hidden="true"></span>{label}<',
        html,
    )


def test_waiting_chats_longest_first_with_links(admin_client):
    now = timezone.now()
    client = Client.objects.create(name="Loja", instance_id="loja")
    for minutes, name in ((5, "Recente"), (300, "Antiga"), (60, "Meio")):
        chat = Chat.objects.create(client=client, chat_id=f"{minutes}@s.whatsapp.net", name=name)
        ContactStats.objects.create(
            client=client, chat=chat, received=1, waiting_since=now - timedelta(minutes=minutes)
        )
    answered = Chat.objects.create(client=client, chat_id="9@s.whatsapp.net", name="Respondida")
    ContactStats.objects.create(client=client, chat=answered, first_response_seconds=10)
    html = admin_client.get(PAGE).content.decode()
    names = re.findall(r'<span class="w-name truncate">(\w+)', html)
    assert names == ["Antiga", "Meio", "Recente"]
    assert f'href="/painel/conversas/{Chat.objects.get(name="Antiga").pk}/"' in html
    assert "5\xa0horas atrás" in html  # Django's pt-BR naturaltime
    assert kpi(html, "waiting") == "3"


def test_empty_install_explains_what_to_do(admin_client):
    html = admin_client.get(PAGE).content.decode()
    assert "Nenhum cliente ainda" in html
    assert 'href="/webhook/test/"' in html and "make run" in html


def test_staff_without_clients_is_told_to_ask(client, staff):
    client.force_login(staff)
    html = client.get(PAGE).content.decode()
    assert "não é membro de nenhum cliente" in html


def test_fragment_is_only_the_live_part(admin_client):
    seed(1, 3, timezone.now())
    response = admin_client.get(LIVE + "?period=7d")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'data-kpi="received"' in html and "client-card" in html
    page = admin_client.get(PAGE + "?period=7d").content.decode()
    assert (
        'hx-get="/painel/fragmento/?period=7d"' in page
        and 'hx-trigger="every 10s, refresh"' in page
    )


def test_names_are_escaped(admin_client):
    client = Client.objects.create(name="<script>alert(1)</script>", instance_id="x<b>y")
    chat = Chat.objects.create(
        client=client, chat_id="1@s.whatsapp.net", name="<img src=x onerror=alert(2)>"
    )
    ContactStats.objects.create(client=client, chat=chat, waiting_since=timezone.now())
    for url in (PAGE, LIVE):
        html = admin_client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- access and bad input ----------------------------------------------------------------


def test_staff_sees_only_their_clients(client, staff):
    mine = Client.objects.create(name="Minha Loja", instance_id="mine")
    other = Client.objects.create(name="Loja Alheia", instance_id="other")
    mine.members.add(staff)
    client.force_login(staff)
    html = client.get(PAGE).content.decode()
    assert "Minha Loja" in html and "Loja Alheia" not in html
    assert other.webhook_token not in html
    assert client.get(PAGE + f"?client={mine.pk}").status_code == 200
    assert client.get(PAGE + f"?client={other.pk}").status_code == 404
    assert client.get(LIVE + f"?client={other.pk}").status_code == 404
    assert client.get(PAGE + "?client=999999").status_code == 404


def test_superuser_sees_every_client(admin_client):
    Client.objects.create(name="Loja A", instance_id="a")
    Client.objects.create(name="Loja B", instance_id="b")
    html = admin_client.get(PAGE).content.decode()
    assert html.count('class="card client-card"') == 2


def test_client_filter_shows_one_card(admin_client):
    a = Client.objects.create(name="Loja A", instance_id="a")
    Client.objects.create(name="Loja B", instance_id="b")
    html = admin_client.get(PAGE + f"?client={a.pk}").content.decode()
    assert html.count('class="card client-card"') == 1 and f'data-client="{a.pk}"' in html


@pytest.mark.parametrize(
    ("query", "reason"),
    [("period=1y", "período"), ("client=abc", "cliente"), ("client=-1", "cliente")],
)
def test_malformed_filters_are_400_with_the_reason(admin_client, query, reason):
    response = admin_client.get(f"{PAGE}?{query}")
    assert response.status_code == 400
    assert reason in response.content.decode().lower()
    as_json = admin_client.get(f"{LIVE}?{query}&format=json")
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_filter"


def test_anonymous_goes_to_login(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(LIVE).status_code == 302


# --- fixed query counts ------------------------------------------------------------------

# session, user, clients, realtime, traffic (2), answers (2), waiting, media per client
QUERIES = 10


@pytest.mark.parametrize("url", [PAGE, LIVE, PAGE + "?period=7d"])
def test_query_count_does_not_grow_with_data(admin_client, django_assert_num_queries, url):
    now = timezone.now()
    seed(1, 10, now)
    admin_client.get(url)  # warm the session
    with django_assert_num_queries(QUERIES) as small:
        assert admin_client.get(url).status_code == 200
    ContactStats.objects.all().delete()
    Chat.objects.all().delete()
    Client.objects.all().delete()
    seed(5, 200, now)
    with django_assert_num_queries(QUERIES):
        html = admin_client.get(url).content.decode()
    assert html.count('class="card client-card"') == 5
    assert len(small.captured_queries) == QUERIES


def test_query_count_for_a_restricted_user(client, staff, django_assert_num_queries):
    clients = seed(5, 200, timezone.now())
    for one in clients[:2]:
        one.members.add(staff)
    client.force_login(staff)
    with django_assert_num_queries(QUERIES):
        html = client.get(PAGE).content.decode()
    assert html.count('class="card client-card"') == 2


# --- the chart module --------------------------------------------------------------------


def test_axis_tops_are_round_and_hold_the_maximum():
    from webhook.console.charts import nice_ceiling

    for top in (0, 1, 3, 5, 7, 13, 41, 99, 245, 1001, 12345):
        ceiling = nice_ceiling(top)
        assert ceiling >= top and ceiling % 4 == 0 and ceiling <= max(2 * top, 4)


def test_column_chart_draws_a_titled_bar_per_value():
    from webhook.console.charts import Series, column_chart

    chart = column_chart(
        ["10h", "11h", "12h"],
        ["hora 10", "hora 11", "hora 12"],
        [Series("Recebidas", "bar-in", [1, 8, 0]), Series("Enviadas", "bar-out", [2, 0, 3])],
        label_every=2,
    )
    assert len(chart.bars) == 6 and chart.maximum == 8
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.height == chart.height and tallest.title == "hora 11 · Recebidas: 8"
    assert chart.x_labels == ["10h", "", "12h"]
    assert [line.text for line in chart.grid] == ["8", "6", "4", "2", "0"]


def test_english_when_chosen(admin_client, settings):
    client = Client.objects.create(name="Loja", instance_id="loja")
    RealTimeStats.objects.create(client=client, connection_state="open")
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = admin_client.get(PAGE).content.decode()
    assert "Connected" in html and "Chats waiting for our reply" in html
    assert "Conectado" not in html


def test_cards_count_each_clients_media_files_and_link_the_failed_ones(admin_client):
    from webhook.models import MediaFile, Message

    shop = Client.objects.create(name="Loja Foto", instance_id="foto")
    chat = Chat.objects.create(client=shop, chat_id="5511900000001@s.whatsapp.net")
    states = ["stored", "stored", "pending", "failed", "expired"]
    for n, state in enumerate(states):
        message = Message.objects.create(
            client=shop, chat=chat, external_id=f"m{n}", timestamp=timezone.now(), type="image"
        )
        MediaFile.objects.create(
            client=shop, message=message, source="url", media_type="image", state=state
        )
    html = admin_client.get(PAGE).content.decode()
    assert "2 guardadas · 1 na fila" in html
    assert f"?client__id__exact={shop.pk}&amp;state__in=failed,expired" in html
    assert "2 com falha" in html
