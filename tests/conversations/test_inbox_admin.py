"""The inbox's other admin screens: saved replies per locale, saved searches, who reads which account, settings."""

import pytest
from django.urls import reverse

from conversations.models import SavedReply

pytestmark = pytest.mark.django_db

REPLIES = "wagtailsnippets_conversations_savedreply"


def test_saved_replies_per_locale(client_for, lead, locales, in_english):
    SavedReply.objects.create(title="Neem contact op", text="Bel ons.", neutral=True, locale=locales["nl"])
    SavedReply.objects.create(title="Get in touch", text="Call us.", neutral=True, locale=locales["en"])
    client = client_for(lead)
    html = client.get(reverse(f"{REPLIES}:list") + "?locale=en").content.decode()
    assert "Get in touch" in html and "Neem contact op" not in html
    html = client.get(reverse(f"{REPLIES}:list") + "?locale=nl").content.decode()
    assert "Neem contact op" in html and "Get in touch" not in html


def test_leads_add_saved_replies_and_workers_only_read_them(client_for, lead, worker, locales):
    response = client_for(lead).post(
        reverse(f"{REPLIES}:add") + "?locale=nl",
        {"title": "Privé verder", "text": "Stuur ons een privébericht, dan helpen we u verder.", "neutral": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    reply = SavedReply.objects.get()
    assert reply.neutral and reply.locale == locales["nl"]
    client = client_for(worker)
    assert client.get(reverse(f"{REPLIES}:list")).status_code == 200
    assert client.get(reverse(f"{REPLIES}:add")).status_code in (302, 403)
    assert client.get(reverse(f"{REPLIES}:edit", args=[reply.pk])).status_code in (302, 403)


def test_saved_searches_are_for_leads(client_for, lead, worker, account):
    client = client_for(lead)
    response = client.post(
        reverse("conversations_saved_searches:add"),
        {"name": "Onze naam", "account": account.pk, "kind": "text", "query": "Ziekenhuis Zorg", "active": "on"},
    )
    assert response.status_code == 302
    assert client_for(worker).get(reverse("conversations_saved_searches:index")).status_code in (302, 403)


def test_leads_and_channel_admins_choose_who_reads_an_account(client_for, lead, worker, django_user_model, account):
    from django.contrib.auth.models import Group

    inbox = account.inbox
    leads = Group.objects.get(name="Conversation leads")
    response = client_for(lead).post(
        reverse("conversations_account_inboxes:edit", args=[inbox.pk]), {"enabled": "on", "groups": [leads.pk]}
    )
    assert response.status_code == 302
    assert list(inbox.groups.all()) == [leads]
    assert client_for(worker).get(reverse("conversations_account_inboxes:index")).status_code in (302, 403)
    admin = django_user_model.objects.create_user("chan", password="pw")
    admin.groups.add(Group.objects.get(name="Channel administrators"))
    assert client_for(admin).get(reverse("conversations_account_inboxes:edit", args=[inbox.pk])).status_code == 200


def test_the_worker_no_longer_reads_an_account_taken_from_their_group(
    client_for, lead, worker, account, make_conversation
):
    from django.contrib.auth.models import Group

    conversation = make_conversation(account)
    assert client_for(worker).get(reverse("conversations:thread", args=[conversation.pk])).status_code == 200
    account.inbox.groups.set([Group.objects.get(name="Conversation leads")])
    response = client_for(worker).get(reverse("conversations:thread", args=[conversation.pk]), follow=True)
    assert response.status_code == 404


def test_inbox_settings_are_under_settings(client_for, superuser, in_english):
    html = client_for(superuser).get(reverse("wagtailadmin_home")).content.decode()
    url = reverse("wagtailsettings:edit", args=["conversations", "inboxsettings"])
    assert url in html
    response = client_for(superuser).get(url, follow=True)
    assert response.status_code == 200 and "113" in response.content.decode()
