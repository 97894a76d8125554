"""Incoming messages are personal data: kept no longer than the retention period, erased with the
person, exported for an access request, and never written to the log."""

import datetime
import json
import logging

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from conversations import privacy
from conversations.ingest.store import Incoming, store
from conversations.models import Conversation, Message, Note
from tests.factories import ChannelAccountFactory

pytestmark = pytest.mark.django_db

SECRET_TEXT = "My daughter has anorexia and is on ward 3"


def incoming(external_id, when, **kwargs):
    kwargs.setdefault("text", "Thanks for the story")
    return Incoming(external_id=external_id, created_at=when, **kwargs)


@pytest.fixture
def account():
    return ChannelAccountFactory(kind="mastodon", name="Mastodon")


@pytest.fixture
def officer(django_user_model):
    user = django_user_model.objects.create_user("officer", "officer@example.org", "pw")
    user.groups.add(Group.objects.get(name="Consent officers"))
    return user


def test_conversations_past_the_retention_period_are_deleted_with_their_notes(account, settings):
    settings.VERTEL = {**settings.VERTEL, "CONVERSATIONS_RETENTION_DAYS": 30}
    now = timezone.now()
    store(account, [incoming("old", now - datetime.timedelta(days=31))])
    store(account, [incoming("recent", now - datetime.timedelta(days=29))])
    old = Conversation.objects.get(root_external_id="old")
    Note.objects.create(conversation=old, text="called back")
    assert privacy.expire(now=now) == 1
    assert list(Message.objects.values_list("external_id", flat=True)) == ["recent"]
    assert not Note.objects.exists()


def test_a_thread_with_a_recent_message_is_kept_whole(account, settings):
    settings.VERTEL = {**settings.VERTEL, "CONVERSATIONS_RETENTION_DAYS": 30}
    now = timezone.now()
    store(account, [incoming("a", now - datetime.timedelta(days=90))])
    store(account, [incoming("b", now - datetime.timedelta(days=1), root_external_id="a")])
    assert privacy.expire(now=now) == 0
    assert Message.objects.count() == 2


def test_erasure_takes_one_persons_messages_and_leaves_the_others(account):
    now = timezone.now()
    store(account, [incoming("1", now, author_external_id="111", author_handle="ann@zorg.social", text=SECRET_TEXT)])
    store(account, [incoming("2", now, root_external_id="1", author_external_id="222", author_handle="bob@x.y")])
    store(account, [incoming("3", now, author_external_id="111", author_handle="ann@zorg.social")])
    other_network = ChannelAccountFactory(kind="bluesky", name="Bluesky")
    store(other_network, [incoming("at://x", now, author_handle="ann@zorg.social")])

    assert privacy.erase_author("mastodon", "@ann@zorg.social") == 2
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["2", "at://x"]
    # Conversation 3 held only her message: gone. Conversation 1 keeps Bob's reply.
    assert not Conversation.objects.filter(root_external_id="3").exists()
    assert Conversation.objects.filter(root_external_id="1").exists()


def test_the_export_holds_everything_stored_of_the_person(account):
    now = timezone.now()
    store(
        account,
        [
            incoming(
                "1",
                now,
                author_external_id="111",
                author_handle="ann@zorg.social",
                author_name="Ann",
                text=SECRET_TEXT,
                permalink="https://zorg.social/@ann/1",
            )
        ],
    )
    data = privacy.export_author("mastodon", "111")
    assert [row["text"] for row in data["messages"]] == [SECRET_TEXT]
    row = data["messages"][0]
    assert row["handle"] == "ann@zorg.social" and row["address"] == "https://zorg.social/@ann/1"
    assert data["retention_days"] == privacy.retention_days()


def test_the_officers_screen_finds_exports_and_erases_by_post(client, officer, account, caplog, in_english):
    now = timezone.now()
    store(account, [incoming("1", now, author_handle="ann@zorg.social", text=SECRET_TEXT)])
    client.force_login(officer)
    url = reverse("conversations_person")
    assert client.get(url).status_code == 200

    found = client.post(url, {"network": "mastodon", "author": "@ann@zorg.social", "action": "find"})
    assert b"1 message found" in found.content

    export = client.post(url, {"network": "mastodon", "author": "ann@zorg.social", "action": "export"})
    assert export["Content-Disposition"].startswith("attachment;")
    assert json.loads(export.content)["messages"][0]["text"] == SECRET_TEXT

    unconfirmed = client.post(url, {"network": "mastodon", "author": "ann@zorg.social", "action": "erase"})
    assert b"Tick the box to confirm the erasure." in unconfirmed.content
    assert Message.objects.count() == 1  # nothing lost on the refusal

    with caplog.at_level(logging.DEBUG):
        erased = client.post(
            url, {"network": "mastodon", "author": "ann@zorg.social", "action": "erase", "confirm": "on"}, follow=True
        )
    assert b"1 message of this person was erased from the inbox." in erased.content
    assert not Message.objects.exists()
    assert "ann@zorg.social" not in caplog.text and SECRET_TEXT not in caplog.text


def test_only_consent_officers_open_the_screen(client, django_user_model, account, in_english):
    staff = django_user_model.objects.create_user("staff", "s@example.org", "pw")
    staff.groups.add(Group.objects.get(name="Conversations"))
    client.force_login(staff)
    url = reverse("conversations_person")
    store(account, [incoming("1", timezone.now(), author_handle="x")])
    refused = client.get(url)
    assert refused.status_code == 302 and refused["Location"] == reverse("wagtailadmin_home")
    response = client.post(url, {"network": "mastodon", "author": "x", "action": "erase", "confirm": "on"})
    assert response.status_code == 302
    assert Message.objects.count() == 1


def test_the_person_is_never_in_the_address(client, officer):
    client.force_login(officer)
    response = client.get(reverse("conversations_person"))
    assert b'method="post"' in response.content


def test_the_schedule_runs_retention_polling_and_the_reply_sweep(account, settings):
    from core.schedule import periodic_jobs

    jobs = dict(periodic_jobs())
    assert {"conversations-retention", "conversations-poll", "conversations-replies"} <= set(jobs)
    settings.VERTEL = {**settings.VERTEL, "CONVERSATIONS_RETENTION_DAYS": 30}
    store(account, [incoming("old", timezone.now() - datetime.timedelta(days=40))])
    assert jobs["conversations-retention"]() == 1
    assert not Message.objects.exists()
