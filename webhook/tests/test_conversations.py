"""The console's conversations: chat list and transcript through Django's test client.

Rows come from the real pipeline (every evolution fixture) and, for the edge cases the
fixtures do not reach, from ``conversation_seed`` (direct ORM rows).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client as HttpClient

from webhook.console.conversation_queries import PAGE_SIZE, Cursor
from webhook.console.conversations import chat_url
from webhook.models import Chat, ContactStats, Message, Sender
from webhook.tests.conversation_seed import EVIL, Seeder, finish, make_chat, seed_every_type

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "webhook_media": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }


@pytest.fixture
def admin() -> HttpClient:
    http = HttpClient()
    http.force_login(User.objects.create_superuser("chefe", "c@example.com", "x"))
    return http


@pytest.fixture
def every_type(make_client) -> Chat:
    return seed_every_type(make_client("loja", name="Loja"))


def html(response) -> str:
    assert response.status_code == 200, response.content[:2000]
    return response.content.decode()


def article(page: str, text: str) -> str:
    """The <article> of the bubble holding ``text``."""
    for chunk in page.split("<article")[1:]:
        body = chunk.split("</article>")[0]
        if text in body:
            return body
    raise AssertionError(f"no bubble with {text!r}")


def test_every_message_type_renders(admin, every_type) -> None:
    page = html(admin.get(chat_url(every_type)))
    for value in Message.Type.values:
        if value != "system":
            assert f"t-{value}" in page, value
    assert 'class="sysmsg"' in page and "Ana adicionou Bob" in page
    assert "Enquete" in page and "Qual horário?" in page
    assert "Reagiu com" in article(page, "🔥")
    assert "Tipo de mensagem desconhecido" in article(page, "newThing")
    assert "Pedido" in article(page, "Pedido #123")
    assert "Encaminhada" in article(page, "Bem-vindos")
    # a run of one author shows the name once
    assert "author" in article(page, "Reagida") and 'class="author"' not in article(page, "Foto da")
    assert re.search(r'class="msg in cont t-image"', page)


def test_delivery_ticks_with_labels(admin, every_type) -> None:
    page = html(admin.get(chat_url(every_type)))
    assert 'tick read"' in article(page, "Confirmado") and ">Lida<" in article(page, "Confirmado")
    assert 'tick delivered"' in article(page, "Saiu para entrega")
    sent = article(page, "Chegou?")
    assert 'tick sent"' in sent and ">✓<" in sent and ">Enviada<" in sent
    failed = article(page, "Sem sinal")
    assert 'title="Falhou: 131026: message undeliverable"' in failed
    assert 'tick played"' in article(page, "Mensagem de voz")
    assert "tick" not in article(page, "Bom dia!")  # theirs: no ticks


def test_quoted_reactions_edited_deleted(admin, every_type) -> None:
    page = html(admin.get(chat_url(every_type)))
    quoted = article(page, "Confirmado")
    assert 'quote-author">Ana<' in quoted and "Alguém pode confirmar" in quoted
    assert "mensagem não encontrada" in article(page, "Resposta a algo antigo")
    reacted = article(page, "Reagida")
    assert re.search(r"👍</span><span class=\"n\">2<", reacted)
    assert "❤️" in reacted and "Você" in reacted and "+55 11 93333-4444" in reacted
    edited = article(page, "Texto novo")
    assert "editada" in edited and "<details" in edited and "Texto velho" in edited
    deleted = article(page, "Isto foi apagado")
    assert "Apagada" in deleted and 'class="msg in deleted' in page


def test_location_contact_and_media(admin, every_type) -> None:
    page = html(admin.get(chat_url(every_type)))
    place = article(page, "Avenida Paulista")
    assert "https://www.openstreetmap.org/?mlat=-23.561414&amp;mlon=-46.655881" in place
    assert "Av. Paulista, 1578" in place and "<iframe" not in page
    card = article(page, "Carlos Souza")
    assert "+55 11 97777-8888" in card and "BEGIN:VCARD" in card
    image = article(page, "Foto da vitrine")
    assert re.search(r'<img src="/webhook/media/\d+/thumb/"', image)
    assert re.search(r'href="/webhook/media/\d+/"', image)
    assert re.search(r'<audio controls preload="metadata" src="/webhook/media/\d+/"', page)
    doc = article(page, "Segue o boleto")
    assert "boleto.pdf" in doc and " download" in doc and "20\xa0bytes" in doc
    video = article(page, "Vídeo do produto")  # no MediaFile at all
    assert "produto.mp4" in video and "1,4\xa0MB" in video and "não baixada" in video
    assert "<video" not in video
    assert "pendente" in article(page, "4,0\xa0KB")
    assert "falhou: HTTP 404 from the CDN" in article(page, "contrato.pdf")


def test_user_content_is_escaped(admin, make_client) -> None:
    client = make_client("evil", name=EVIL)
    chat = make_chat(client, chat_id="5511900000000@s.whatsapp.net", name=EVIL)
    s = Seeder(chat)
    s.add(None, type="text", text=EVIL)
    s.add(None, type="document", text=EVIL, media_file_name=EVIL)
    s.add(None, type="contact", contacts=[{"display_name": EVIL, "vcard": f"FN:{EVIL}"}])
    s.add(None, type="location", latitude=1.0, longitude=2.0, location_name=EVIL)
    group = make_chat(client, chat_id="120363000000000777@g.us", name="Grupo", is_group=True)
    evil_sender = Sender.objects.create(
        client=client, sender_id="5511900000001@s.whatsapp.net", name=EVIL
    )
    first = Seeder(group).add(evil_sender, text="oi", reactions={evil_sender.sender_id: "👍"})
    Seeder(group).add(None, from_me=True, text="resposta", quoted_id=first.external_id)
    finish(chat)
    finish(group)
    assert 'quote-author">&lt;script&gt;' in html(admin.get(chat_url(group)))
    for response in (
        admin.get(chat_url(chat)),
        admin.get(chat_url(group)),
        admin.get("/painel/conversas/"),
    ):
        page = html(response)
        assert "<script>alert" not in page and "<b>bold" not in page
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_restricted_user_gets_404_for_another_clients_chat(make_client) -> None:
    mine = make_client("mine", name="Minha")
    theirs = make_client("theirs", name="Deles")
    my_chat = make_chat(mine, chat_id="5511911110000@s.whatsapp.net", name="Meu contato")
    their_chat = make_chat(theirs, chat_id="5511922220000@s.whatsapp.net", name="Contato deles")
    user = User.objects.create_user("atendente", password="x", is_staff=True)
    mine.members.add(user)
    http = HttpClient()
    http.force_login(user)
    assert http.get(chat_url(my_chat)).status_code == 200
    assert http.get(chat_url(their_chat)).status_code == 404
    assert http.get(chat_url(999999)).status_code == 404
    assert http.get(f"/painel/conversas/{their_chat.pk}/novas/?after=0").status_code == 404
    listing = html(http.get("/painel/conversas/"))
    assert "Meu contato" in listing and "Contato deles" not in listing
    assert http.get(f"/painel/conversas/?client={theirs.pk}").status_code == 400


@pytest.mark.parametrize(
    "query",
    ["before=abc", "before=1_x", "after=-", "top=2026", "kind=robots", "waiting=yes", "client=x"],
)
def test_malformed_parameters_are_400_with_the_reason(admin, every_type, query) -> None:
    response = admin.get(f"{chat_url(every_type)}?{query}")
    assert response.status_code == 400
    assert "error-box" in response.content.decode()
    as_json = admin.get(f"{chat_url(every_type)}?{query}&format=json")
    assert as_json.status_code == 400 and as_json.json()["detail"]


@pytest.mark.parametrize("query", ["page=0", "page=abc", "kind=x", "q=" + "x" * 101])
def test_chat_list_malformed_filters(admin, every_type, query) -> None:
    assert admin.get(f"/painel/conversas/?{query}").status_code == 400
    assert admin.get(f"{chat_url(every_type)}novas/?after=abc").status_code == 400


def test_chat_list_filters_and_order(admin, make_client) -> None:
    client = make_client("loja", name="Loja")
    group = make_chat(client, chat_id="120363000000000009@g.us", name="Grupo Vendas", is_group=True)
    maria = make_chat(client, chat_id="5511987650001@s.whatsapp.net", name="Maria")
    joao = make_chat(client, chat_id="5521912340002@s.whatsapp.net")
    for i, chat in enumerate((group, maria, joao)):
        Seeder(chat).add(None, text="oi", gap=60 * (i + 1))
        finish(chat)
    ContactStats.objects.create(client=client, chat=maria, waiting_since=maria.last_message_at)
    page = html(admin.get("/painel/conversas/"))
    assert page.index("+55 21 91234-0002") < page.index("Maria") < page.index("Grupo Vendas")
    assert page.count("badge warn") == 1
    waiting = html(admin.get("/painel/conversas/?waiting=1"))
    assert "Maria" in waiting and "Grupo Vendas" not in waiting
    groups = html(admin.get("/painel/conversas/?kind=groups"))
    assert "Grupo Vendas" in groups and "Maria" not in groups
    contacts = html(admin.get("/painel/conversas/?kind=contacts"))
    assert "Grupo Vendas" not in contacts and "Maria" in contacts
    assert "Maria" not in html(admin.get("/painel/conversas/?q=1234"))
    assert "+55 21 91234-0002" in html(admin.get("/painel/conversas/?q=1234"))
    assert "Maria" in html(admin.get(f"/painel/conversas/?q=mar&client={client.pk}"))


def test_pipeline_rows_render(admin, settings) -> None:
    """Every evolution fixture through the real receiver, then each of its chats opens."""
    from webhook.tests.fixture_rows import feed, frozen_time, make_clients

    with frozen_time():
        feed(make_clients())
    chats = list(Chat.objects.filter(client__instance_id="loja-centro"))
    assert len(chats) >= 3
    for chat in chats:
        page = html(admin.get(chat_url(chat)))
        for message in chat.messages.all():
            assert f'id="m{message.pk}"' in page, (message.external_id, message.type)
    types = set(
        Message.objects.filter(client__instance_id="loja-centro").values_list("type", flat=True)
    )
    assert {"text", "image", "audio", "location", "contact", "document"} <= types


def _long_chat(make_client, n: int, same_time_every: int = 7) -> Chat:
    client = make_client("longa", name="Longa")
    chat = make_chat(client, chat_id="5511999990000@s.whatsapp.net", name="Longa")
    s = Seeder(chat)
    rows = []
    for i in range(n):
        # groups of messages share one timestamp: paging must split them correctly
        moment = s.moment + timedelta(seconds=(i // same_time_every) * 30)
        rows.append(
            Message(
                client=client,
                chat=chat,
                external_id=f"long-{i}",
                timestamp=moment,
                text=f"msg {i}",
                from_me=i % 3 == 0,
                status="read" if i % 3 == 0 else "",
                quoted_id=f"long-{i - 1}" if i % 5 == 0 and i else "",
                reactions={"me": "👍", "5511988887777@s.whatsapp.net": "❤️"} if i % 4 == 0 else {},
            )
        )
    Message.objects.bulk_create(rows, batch_size=500)
    return finish(chat)


def _ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<article class="msg[^"]*" id="m(\d+)"', page)]


def test_keyset_paging_sees_every_message_once(admin, make_client) -> None:
    chat = _long_chat(make_client, 173)
    first = html(admin.get(chat_url(chat)))
    seen = _ids(first)
    assert len(seen) == PAGE_SIZE and 'class="live"' in first
    url = re.search(r'href="([^"]+before=[^"]+)"', first).group(1).replace("&amp;", "&")
    pages = 1
    while url:
        fragment = admin.get(url, HTTP_HX_REQUEST="true")
        body = html(fragment)
        assert "<html" not in body  # htmx gets only the fragment
        seen = _ids(body) + seen
        found = re.search(r'hx-get="([^"]+)"', body)
        url = found.group(1).replace("&amp;", "&") if found else ""
        pages += 1
    expected = list(chat.messages.order_by("timestamp", "id").values_list("id", flat=True))
    assert seen == expected and pages == 4
    # the plain-link fallback: full pages, older then newer again
    older = html(
        admin.get(
            f"{chat_url(chat)}?before={Cursor.of(chat.messages.get(external_id='long-100')).encode()}"
        )
    )
    assert _ids(older) == expected[50:100], (_ids(older)[:3], _ids(older)[-3:], expected[50:53])
    assert "mensagens mais recentes" in older
    later = re.search(r'href="([^"]+after=[^"]+)"', older).group(1).replace("&amp;", "&")
    assert _ids(html(admin.get(later))) == expected[100:150]


def test_live_fragment_returns_only_new_messages(admin, make_client) -> None:
    chat = _long_chat(make_client, 12)
    page = html(admin.get(chat_url(chat)))
    live = re.search(r'hx-get="(/painel/conversas/\d+/novas/[^"]+)"', page).group(1)
    live = live.replace("&amp;", "&")
    assert admin.get(live).status_code == 204
    new = Seeder(chat, start=chat.last_message_at).add(None, text="chegou agora")
    finish(chat)
    fragment = html(admin.get(live))
    assert _ids(fragment) == [new.pk] and "chegou agora" in fragment
    assert f"after={new.pk}" in fragment and 'hx-trigger="every 5s"' in fragment
    assert 'id="chat-sub" hx-swap-oob="true"' in fragment and "13 mensagens" in fragment
    assert 'msg-day" id=' not in fragment  # same day as the last one shown
    following = re.search(r'hx-get="(/painel/conversas/\d+/novas/[^"]+)"', fragment).group(1)
    Seeder(chat, start=new.timestamp + timedelta(days=1)).add(None, text="no dia seguinte")
    next_day = html(admin.get(following.replace("&amp;", "&")))
    assert 'class="msg-day"' in next_day and "no dia seguinte" in next_day
    assert "chegou agora" not in next_day


def test_live_fragment_resends_bubbles_whose_state_changed(admin, make_client) -> None:
    chat = _long_chat(make_client, 12)
    page = html(admin.get(chat_url(chat)))
    live = re.search(r'hx-get="(/painel/conversas/\d+/novas/[^"]+)"', page).group(1)
    shown = re.findall(r'name="s" value="([^"]+)"', page)
    assert len(shown) == 12
    query = "&".join(f"s={v}" for v in shown)
    url = live.replace("&amp;", "&") + "&" + query
    assert admin.get(url).status_code == 204  # nothing moved
    target = chat.messages.get(external_id="long-3")
    Message.objects.filter(pk=target.pk).update(
        status="played", reactions={"5511988887777@s.whatsapp.net": "🎉"}
    )
    fragment = html(admin.get(url))
    assert _ids(fragment) == [target.pk]
    bubble = article(fragment, "msg 3")
    assert 'hx-swap-oob="true"' in bubble and 'tick played"' in bubble and "🎉" in bubble
    assert 'class="live"' in fragment  # polling goes on
    assert admin.get(url.replace(shown[0], "12.zz")).status_code == 400


@pytest.mark.parametrize("size", [20, 500])
def test_query_counts_are_fixed(admin, make_client, django_assert_num_queries, size) -> None:
    chat = _long_chat(make_client, size)
    admin.get(chat_url(chat))  # warm the session
    # session, user, chat, sidebar clients + chats + their newest messages, page, quoted,
    # reactors, max id
    with django_assert_num_queries(10):
        html(admin.get(chat_url(chat)))
    with django_assert_num_queries(6):  # session, user, chat, new rows, quoted, reactors
        html(admin.get(f"{chat_url(chat)}novas/?after=1"))
    with django_assert_num_queries(6):
        html(admin.get("/painel/conversas/"))
    page = html(admin.get(chat_url(chat)))
    live = re.search(r'hx-get="(/painel/conversas/\d+/novas/[^"]+)"', page).group(1)
    shown = "&".join(f"s={v}" for v in re.findall(r'name="s" value="([^"]+)"', page)[-60:])
    with django_assert_num_queries(5):  # session, user, chat, new rows, shown rows
        assert admin.get(live.replace("&amp;", "&") + "&" + shown).status_code == 204


def test_staff_link_to_the_admin(admin, every_type) -> None:
    page = html(admin.get(chat_url(every_type)))
    assert f'href="/admin/webhook/chat/{every_type.pk}/change/"' in page
    assert chat_url(every_type.pk) == f"/painel/conversas/{every_type.pk}/"


def test_stored_video_gets_a_player_and_the_list_a_preview(admin, make_client) -> None:
    from webhook.tests.conversation_seed import store_media

    client = make_client("video", name="Vídeos")
    chat = make_chat(client, chat_id="5511966660000@s.whatsapp.net", name="Cliente Vídeo")
    s = Seeder(chat)
    video = s.add(None, type="video", text="olha", media_mimetype="video/mp4")
    store_media(video, b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "video/mp4", "clip.mp4")
    s.add(None, from_me=True, type="document", text="", media_file_name="nota.pdf", status="read")
    finish(chat)
    page = html(admin.get(chat_url(chat)))
    assert re.search(
        r'<video class="media-video" controls preload="metadata" src="/webhook/media/\d+/"', page
    )
    listing = html(admin.get("/painel/conversas/"))
    row = listing.split("Cliente Vídeo")[1].split("</li>")[0]
    assert 'tick read"' in row and "Documento" in row


def test_chat_list_polls_and_answers_204_until_something_changes(admin, make_client) -> None:
    client = make_client("loja", name="Loja")
    chat = make_chat(client, chat_id="5511987650001@s.whatsapp.net", name="Maria")
    Seeder(chat).add(None, text="oi")
    finish(chat)
    page = html(admin.get(chat_url(chat)))
    live = re.search(r'<ul class="conv-list" hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert f"current={chat.pk}" in live and 'hx-trigger="every 10s"' in page
    assert admin.get(live, HTTP_HX_REQUEST="true").status_code == 204
    Seeder(chat, start=chat.last_message_at).add(None, text="novidade")
    finish(chat)
    fragment = html(admin.get(live, HTTP_HX_REQUEST="true"))
    assert "<html" not in fragment and "novidade" in fragment
    assert 'aria-current="page"' in fragment
    assert admin.get("/painel/conversas/?current=x", HTTP_HX_REQUEST="true").status_code == 400


def test_english_is_available_by_the_language_cookie(admin, every_type, settings) -> None:
    admin.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = html(admin.get(chat_url(every_type)))
    assert "Search by name or number" in page and "message not found" in page
    assert "Voice message" in page and "Buscar por nome" not in page


def test_numbers_are_shown_as_phones_never_as_lids(admin, make_client) -> None:
    client = make_client("lid", name="Lid")
    by_lid = make_chat(client, chat_id="214748364712345@lid")
    Chat.objects.filter(pk=by_lid.pk).update(alt_id="5511955554444@s.whatsapp.net")
    by_phone = make_chat(client, chat_id="5521933332222@s.whatsapp.net")
    Chat.objects.filter(pk=by_phone.pk).update(alt_id="99887766554433@lid")
    page = html(admin.get("/painel/conversas/"))
    assert "+55 11 95555-4444" in page and "+55 21 93333-2222" in page
    assert "214748364712345" not in page.split('<ul class="conv-list"')[1]


def test_bad_request_reasons_are_in_portuguese(admin, every_type) -> None:
    assert (
        "Cursor malformado: abc" in admin.get(f"{chat_url(every_type)}?before=abc").content.decode()
    )
    page = admin.get("/painel/conversas/?page=99").content.decode()
    assert "A página 99 não existe (são 1)." in page
    live = admin.get(f"{chat_url(every_type)}novas/?after=1&s=1.zz&format=json")
    assert live.status_code == 400 and live.json()["detail"] == "Mensagem exibida malformada: 1.zz"


def test_a_message_link_opens_the_page_that_ends_with_it(admin, make_client) -> None:
    from webhook.console.conversations import message_url

    chat = _long_chat(make_client, 173)
    target = chat.messages.get(external_id="long-60")
    url = message_url(target)
    assert url.endswith(f"?m={target.pk}#m{target.pk}")
    page = html(admin.get(url.split("#")[0]))
    expected = list(chat.messages.order_by("timestamp", "id").values_list("id", flat=True))
    position = expected.index(target.pk)
    assert _ids(page) == expected[position - 49 : position + 1]
    assert "mensagens mais recentes" in page
    other = seed_every_type(make_client("outra", name="Outra")).messages.first()
    wrong = admin.get(f"{chat_url(chat)}?m={other.pk}")
    assert wrong.status_code == 400 and "não é desta conversa" in wrong.content.decode()
