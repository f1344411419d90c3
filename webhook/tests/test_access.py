"""Who sees what (issue 12, item 6): a staff user limited to some clients sees only those in
the admin, the read API and the media view; a superuser and the API bearer token see all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from webhook.models import Chat, Client, MediaFile, Message, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_clients():
    mine = Client.objects.create(name="Loja A", instance_id="inst-a")
    theirs = Client.objects.create(name="Loja B", instance_id="inst-b")
    rows = {}
    for client in (mine, theirs):
        chat = Chat.objects.create(client=client, chat_id=f"55119{client.pk:08d}@s.whatsapp.net")
        event = WebhookEvent.objects.create(
            client=client,
            received_at=timezone.now(),
            body="{}",
            status="processed",
            delivery_id=f"d-{client.pk}",
        )
        message = Message.objects.create(
            client=client,
            chat=chat,
            external_id=f"msg-{client.instance_id}",
            text=f"segredo de {client.name}",
            timestamp=timezone.now(),
            webhook_event=event,
            type=Message.Type.IMAGE,
        )
        media = MediaFile.objects.create(
            client=client, message=message, source="url", media_type="image"
        )
        rows[client.instance_id] = {
            "chat": chat,
            "event": event,
            "message": message,
            "media": media,
        }
    return mine, theirs, rows


@pytest.fixture
def member(two_clients):
    mine, _theirs, _rows = two_clients
    user = User.objects.create_user("atendente", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="webhook"))
    mine.members.add(user)
    return user


def test_a_member_sees_only_their_client_in_every_admin_list(client, member, two_clients):
    client.force_login(member)
    for model in ("client", "chat", "message", "webhookevent", "mediafile"):
        page = client.get(reverse(f"admin:webhook_{model}_changelist"))
        assert page.status_code == 200, model
        text = page.content.decode()
        assert "Loja B" not in text and "inst-b" not in text, model
    listing = client.get(reverse("admin:webhook_message_changelist")).content.decode()
    assert "segredo de Loja A" in listing and "segredo de Loja B" not in listing


def test_another_clients_row_in_the_admin_is_not_found(client, member, two_clients):
    _mine, _theirs, rows = two_clients
    client.force_login(member)
    for model, key in (("chat", "chat"), ("message", "message"), ("webhookevent", "event")):
        other = rows["inst-b"][key]
        page = client.get(reverse(f"admin:webhook_{model}_change", args=[other.pk]))
        # Django's admin answers a row it cannot find with a redirect and "does not exist":
        # the same answer as for an id that was never used.
        assert page.status_code == 302, model
        own = rows["inst-a"][key]
        assert (
            client.get(reverse(f"admin:webhook_{model}_change", args=[own.pk])).status_code == 200
        )


def test_only_a_superuser_edits_who_is_a_member(client, member, two_clients):
    mine, _theirs, _rows = two_clients
    client.force_login(member)
    page = client.get(reverse("admin:webhook_client_change", args=[mine.pk])).content.decode()
    assert 'name="members"' not in page
    boss = User.objects.create_superuser("chefe", password="x")
    client.force_login(boss)
    page = client.get(reverse("admin:webhook_client_change", args=[mine.pk])).content.decode()
    assert 'name="members"' in page


def test_the_read_api_answers_a_member_with_their_clients_only(client, member, two_clients):
    client.force_login(member)
    messages = client.get("/webhook/messages/").json()
    assert [m["text"] for m in messages["results"]] == ["segredo de Loja A"]
    events = client.get("/webhook/events/").json()
    assert events["count"] == 1


def test_the_bearer_token_and_a_superuser_see_every_client(client, settings, two_clients):
    settings.WEBHOOK_API_TOKEN = "t" * 32
    everything = client.get("/webhook/messages/", HTTP_AUTHORIZATION="Bearer " + "t" * 32).json()
    assert everything["count"] == 2
    client.force_login(User.objects.create_superuser("chefe", password="x"))
    assert client.get("/webhook/messages/").json()["count"] == 2


def test_another_clients_media_file_is_a_404(client, member, two_clients):
    _mine, _theirs, rows = two_clients
    client.force_login(member)
    other = rows["inst-b"]["media"]
    assert client.get(reverse("webhook:media-file", args=[other.pk])).status_code == 404


def test_a_staff_user_with_no_client_sees_nothing(client, two_clients):
    loner = User.objects.create_user("novo", password="x", is_staff=True)
    loner.user_permissions.set(Permission.objects.filter(content_type__app_label="webhook"))
    client.force_login(loner)
    assert client.get("/webhook/messages/").json()["count"] == 0
    page = client.get(reverse("admin:webhook_chat_changelist")).content.decode()
    assert "inst-a" not in page and "inst-b" not in page


def test_the_admin_links_a_chat_and_a_message_to_their_conversation(client, member, two_clients):
    _mine, _theirs, rows = two_clients
    client.force_login(member)
    chat, message = rows["inst-a"]["chat"], rows["inst-a"]["message"]
    listing = client.get(reverse("admin:webhook_chat_changelist")).content.decode()
    assert f'href="{reverse("console:chat", args=[chat.pk])}">ver conversa</a>' in listing
    page = client.get(reverse("admin:webhook_message_change", args=[message.pk])).content.decode()
    assert f"{reverse('console:chat', args=[chat.pk])}?m={message.pk}#m{message.pk}" in page
    assert client.get(reverse("console:chat", args=[chat.pk])).status_code == 200
