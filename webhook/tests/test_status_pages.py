"""The status page of both servers (issue 12, item 1): HTML for browsers and JSON for
machines, translated, aggregates only for visitors, client detail by ``webhook.access``, and
the request counters of each server summed over its processes (``webhook.server_stats``)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from webhook import server_stats
from webhook.models import RealTimeStats, ServerCounter
from webhook.sample import sample_payload

PASSWORD = "senha-de-teste-123"  # noqa: S105 - a throwaway user of the test database
TUNNEL = "https://abc123.ngrok-free.app"


@pytest.fixture(autouse=True)
def _fresh_counters():
    server_stats.reset_for_tests()
    yield
    server_stats.reset_for_tests()


@pytest.fixture
def flask_client(db):
    # Its own app (not conftest's session-wide one, which needs the database before any test
    # has opened it when this module runs alone).
    from webhook.receiver.app import create_app

    return create_app({"TESTING": True}).test_client()


def _get(server: str, flask_client, query: str = "", **headers: str):
    """(status, content type, text) of the status page of ``server``."""
    if server == "flask":
        response = flask_client.get(f"/status{query}", headers=headers)
        return response.status_code, response.content_type, response.data.decode()
    extra = {f"HTTP_{k.upper()}": v for k, v in headers.items()}
    response = HttpClient().get(f"/webhook/status/{query}", **extra)
    return response.status_code, response["Content-Type"], response.content.decode()


def _clients(make_client):
    bakery = make_client("padaria_sao_joao", name="Padaria São João")
    other = make_client("other_instance", name="Outro <script>alert(1)</script>")
    RealTimeStats.objects.create(client=bakery, connection_state="qr_required")
    RealTimeStats.objects.create(client=other, connection_state="close")
    return bakery, other


def _login(django_user_model, flask_client, username: str, **flags):
    """A Django session (as at :8000) whose cookie the browser also sends to the receiver."""
    user = django_user_model.objects.create_user(
        username, password=PASSWORD, is_staff=True, **flags
    )
    http = HttpClient()
    http.force_login(user)
    cookie = http.cookies["sessionid"].value
    flask_client.set_cookie("sessionid", cookie)
    return user, http


@pytest.mark.django_db
@pytest.mark.parametrize("server", ["flask", "django"])
def test_html_for_browsers_json_for_machines(server, flask_client):
    code, kind, text = _get(server, flask_client)
    assert code == 200 and kind.startswith("application/json") and json.loads(text)["ok"]
    browser = "text/html,application/xhtml+xml,*/*;q=0.8"
    code, kind, text = _get(server, flask_client, Accept=browser)
    assert code == 200 and kind.startswith("text/html") and "<html" in text
    code, kind, text = _get(server, flask_client, "?format=json", Accept=browser)
    assert kind.startswith("application/json") and json.loads(text)["ok"]
    code, kind, _ = _get(server, flask_client, Accept="application/json")
    assert kind.startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("server", ["flask", "django"])
def test_json_is_utf8_without_escapes(server, flask_client, make_client, settings):
    _clients(make_client)
    settings.WEBHOOK_API_TOKEN = "t" * 40
    _, _, text = _get(server, flask_client, Authorization="Bearer " + "t" * 40)
    assert "Padaria São João" in text
    assert "\\u" not in text
    summary = json.loads(text)
    assert {c["client"] for c in summary["clients"]} == {"padaria_sao_joao", "other_instance"}
    # The existing keys still answer; the counters of each server are totals.
    for key in ("events_total", "events_by_status", "messages_total", "waiting_to_apply"):
        assert key in summary
    assert summary["receiver"]["requests_total"] == 0 and summary["django"]["by_status"] == {}


@pytest.mark.django_db
@pytest.mark.parametrize("server", ["flask", "django"])
def test_anonymous_page_is_aggregates_only_and_in_portuguese(server, flask_client, make_client):
    _clients(make_client)
    _, _, page = _get(server, flask_client, Accept="text/html")
    for private in ("Padaria", "padaria_sao_joao", "other_instance", "Outro"):
        assert private not in page
    for label in ("Status do webhook", "Eventos por situação", "Conexões", "Não reconhecidos"):
        assert label in page
    assert "aguardando QR code" in page and "desconectado" in page  # states, translated
    assert "2 clientes cadastrados" in page
    assert "Events by situation" not in page and "qr_required</span>" not in page
    _, _, text = _get(server, flask_client)
    summary = json.loads(text)
    assert "clients" not in summary
    assert summary["clients_by_connection"] == {"qr_required": 1, "close": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("server", ["flask", "django"])
def test_superuser_sees_every_client_escaped(server, flask_client, make_client, django_user_model):
    _clients(make_client)
    _, http = _login(django_user_model, flask_client, "admin", is_superuser=True)
    if server == "flask":
        page = flask_client.get("/status", headers={"Accept": "text/html"}).data.decode()
    else:
        page = http.get("/webhook/status/", HTTP_ACCEPT="text/html").content.decode()
    assert "Padaria São João" in page and "padaria_sao_joao" in page
    assert "<script>alert(1)</script>" not in page
    assert "Outro &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span class="badge connecting">aguardando QR code</span>' in page


@pytest.mark.django_db
@pytest.mark.parametrize("server", ["flask", "django"])
def test_staff_see_only_their_clients(server, flask_client, make_client, django_user_model):
    bakery, other = _clients(make_client)
    user, http = _login(django_user_model, flask_client, "atendente")
    other.members.add(user)
    if server == "flask":
        summary = flask_client.get("/status").get_json()
        page = flask_client.get("/status", headers={"Accept": "text/html"}).data.decode()
    else:
        summary = http.get("/webhook/status/").json()
        page = http.get("/webhook/status/", HTTP_ACCEPT="text/html").content.decode()
    assert [c["client"] for c in summary["clients"]] == ["other_instance"]
    assert "items" not in summary["unrecognised"]  # names of every client's drift: superusers
    assert "padaria_sao_joao" not in page and "Padaria" not in page
    assert "other_instance" in page


@pytest.mark.django_db
def test_a_session_of_a_non_staff_user_sees_aggregates(
    flask_client, make_client, django_user_model
):
    _clients(make_client)
    user = django_user_model.objects.create_user("cliente", password=PASSWORD)
    http = HttpClient()
    http.force_login(user)
    flask_client.set_cookie("sessionid", http.cookies["sessionid"].value)
    assert "clients" not in flask_client.get("/status").get_json()
    flask_client.set_cookie("sessionid", "forged-session-key")
    assert "clients" not in flask_client.get("/status").get_json()


# --- the counters of the whole server --------------------------------------------------------


def _totals(server: str = server_stats.RECEIVER) -> dict:
    return server_stats.totals(server)[server]


@pytest.mark.django_db
def test_counters_are_summed_over_processes():
    first = server_stats.Flusher(server_stats.RECEIVER, process="host:101")
    second = server_stats.Flusher(server_stats.RECEIVER, process="host:102")
    for _ in range(3):
        first.add("status:202")
    second.add("status:202", 4)
    second.add("status:401")
    assert _totals()["requests_total"] == 0  # memory only until a flush
    assert first.flush() and second.flush()
    totals = _totals()
    assert totals["requests_total"] == 8 and totals["by_status"] == {"202": 7, "401": 1}
    assert totals["processes"] == 2 and totals["online"]
    assert totals["started_at"] and totals["tunnel_url"] is None  # announced without info
    second.add("status:202")
    assert second.flush() and _totals()["by_status"]["202"] == 8
    assert ServerCounter.objects.filter(key="status:202").count() == 1


@pytest.mark.django_db
def test_counting_a_request_never_touches_the_database(django_assert_num_queries):
    with django_assert_num_queries(0):
        for _ in range(100):
            server_stats.record(server_stats.RECEIVER, 202)
    assert server_stats.flusher(server_stats.RECEIVER).unflushed() == {"status:202": 100}


@pytest.mark.django_db
def test_a_database_error_during_a_flush_loses_nothing(monkeypatch):
    flusher = server_stats.Flusher(server_stats.RECEIVER, process="host:201")
    flusher.add("status:200", 2)
    flusher.add("status:202", 5)
    real_add = server_stats._add
    calls = []

    def failing_add(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # the second key: the first is already written in the transaction
            raise OperationalError("database is locked")
        return real_add(*args, **kwargs)

    monkeypatch.setattr(server_stats, "_add", failing_add)
    assert flusher.flush() is False  # no exception: the request path never sees one
    assert not ServerCounter.objects.filter(key__startswith="status:").exists()  # rolled back
    assert flusher.unflushed() == {"status:200": 2, "status:202": 5}
    flusher.add("status:202")
    monkeypatch.setattr(server_stats, "_add", real_add)
    assert flusher.flush() is True
    assert _totals()["by_status"] == {"200": 2, "202": 6}
    assert flusher.unflushed() == {}


@pytest.mark.django_db
def test_the_receivers_tunnel_url_and_start_reach_the_django_page(flask_client):
    receiver = server_stats.Flusher(server_stats.RECEIVER, process="host:301")
    receiver.started_at = (timezone.now() - timedelta(minutes=3)).timestamp()
    receiver.set_info(tunnel_url=TUNNEL)
    receiver.add("status:202", 3)
    assert receiver.flush()
    summary = HttpClient().get("/webhook/status/?format=json").json()
    assert summary["receiver"]["tunnel_url"] == TUNNEL and summary["receiver"]["online"]
    assert summary["receiver"]["requests_total"] == 3 and summary["receiver"]["started_at"]
    page = HttpClient().get("/webhook/status/", HTTP_ACCEPT="text/html").content.decode()
    assert f'data-copy="{TUNNEL}/webhook"' in page
    assert "Pedidos do receptor Flask" in page
    assert "3 minutos atrás" in page.replace("\u00a0", " ")  # naturaltime, Django's pt-BR
    # A receiver gone quiet is shown offline, and its tunnel no longer offered.
    ServerCounter.objects.filter(key__startswith="process:").update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )
    page = HttpClient().get("/webhook/status/", HTTP_ACCEPT="text/html").content.decode()
    assert "data-copy=" not in page and "fora do ar" in page


@pytest.mark.django_db
def test_each_server_counts_its_own_webhook_answers(flask_client, make_client):
    client = make_client("test_instance")
    body = json.dumps(sample_payload(instance_id="test_instance"))
    headers = {"Content-Type": "application/json", "X-Webhook-Token": client.webhook_token}
    for _ in range(3):
        assert flask_client.post("/webhook", data=body, headers=headers).status_code == 200
    HttpClient().post(
        "/webhook/",
        data=body,
        content_type="application/json",
        HTTP_X_WEBHOOK_TOKEN=client.webhook_token,
    )
    summary = flask_client.get("/status").get_json()
    assert summary["receiver"]["requests_total"] == 3 and summary["receiver"]["by_status"] == {
        "200": 3
    }
    assert summary["django"]["requests_total"] == 1
    assert (
        summary["this_process"]["requests_total"] == 3
        and "debugging" in summary["this_process"]["scope"]
    )
    page = flask_client.get("/status", headers={"Accept": "text/html"}).data.decode()
    assert "3 pedidos respondidos, somando todos os processos" in page


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_for_2_or_8_clients(
    make_client, admin_client, django_assert_num_queries
):
    def measure() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/webhook/status/", HTTP_ACCEPT="text/html").status_code == 200
        return len(queries)

    for n in range(2):
        RealTimeStats.objects.create(client=make_client(f"c{n}"), connection_state="open")
    few = measure()
    for n in range(2, 8):
        RealTimeStats.objects.create(client=make_client(f"c{n}"), connection_state="open")
    with django_assert_num_queries(few):
        admin_client.get("/webhook/status/", HTTP_ACCEPT="text/html")


@pytest.mark.django_db
def test_the_status_page_writes_nothing(make_client, admin_client):
    _clients(make_client)
    with CaptureQueriesContext(connection) as queries:
        admin_client.get("/webhook/status/?format=json")
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == [] or all("django_session" in sql for sql in writes), writes


# --- what the receiver's page needs around it ------------------------------------------------


@pytest.mark.django_db
def test_the_receiver_serves_the_console_assets_only(flask_client):
    css = flask_client.get("/static/webhook/console.css")
    assert css.status_code == 200 and css.content_type.startswith("text/css")
    for path in ("/static/admin/css/base.css", "/static/webhook/../../manage.py", "/static/x"):
        assert flask_client.get(path).status_code == 404
    page = flask_client.get("/status", headers={"Accept": "text/html"})
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<style" not in page.data.decode() and " style=" not in page.data.decode()


@pytest.mark.django_db
def test_the_receivers_language_switch_stays_on_the_receiver(flask_client):
    answer = flask_client.post("/i18n/setlang/", data={"language": "en", "next": "//evil.example"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/status"
    page = flask_client.get("/status", headers={"Accept": "text/html"}).data.decode()
    assert "Webhook status" in page and "Status do webhook" not in page
    console = flask_client.get("/painel/", headers={"Host": "localhost:5000"})
    assert console.headers["Location"] == "http://localhost:8000/painel/"
    assert flask_client.get("/painel/", headers={"Host": "abc.ngrok-free.app"}).status_code == 404
