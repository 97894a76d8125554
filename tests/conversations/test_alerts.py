"""Crisis alerts: to the people on duty at once, without message text or author, once per message."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from conversations import alerts
from conversations.ingest.store import Incoming, store
from conversations.models import ActivityEntry, InboxSettings, Message

pytestmark = pytest.mark.django_db(transaction=True)  # the alert runs after the commit

CRISIS_TEXT = "Ik wil niet meer leven, ik zie het niet meer zitten"


def crisis_item(external_id="c1"):
    return Incoming(
        external_id=external_id,
        created_at=datetime.datetime(2026, 3, 2, 22, 15, tzinfo=datetime.UTC),
        text=CRISIS_TEXT,
        author_handle="@sanne@zorg.example",
        author_name="Sanne Jansen",
        language="nl",
    )


def test_a_crisis_mails_the_people_on_duty_without_text_or_author(account, on_duty, worker, settings):
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(on_duty)
    profile.preferred_language = "en"
    profile.save()
    store(account, [crisis_item()])
    assert [message.to for message in mail.outbox] == [[on_duty.email]]
    message = mail.outbox[0]
    body = message.body + message.subject
    assert CRISIS_TEXT not in body and "niet meer leven" not in body
    assert "Sanne" not in body and "@sanne" not in body
    conversation = Message.objects.get().conversation
    assert f"{settings.WAGTAILADMIN_BASE_URL}{reverse('conversations:thread', args=[conversation.pk])}" in body
    assert account.name in body and "Mastodon" in body
    assert "11:15 p.m." in body  # 22:15 UTC is 23:15 in Amsterdam
    assert InboxSettings.load().crisis_lines("en").splitlines()[0] in body  # in the reader's language
    assert message.extra_headers["Content-Language"] == "en"


def test_the_alert_is_in_each_readers_language(account, on_duty, django_user_model):
    from django.contrib.auth.models import Group
    from wagtail.users.models import UserProfile

    english = django_user_model.objects.create_user("dutyen", email="dutyen@example.org", password="pw")
    english.groups.add(Group.objects.get(name="On duty for crises"))
    profile = UserProfile.get_for_user(english)
    profile.preferred_language = "en"
    profile.save()
    store(account, [crisis_item()])
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "Zelfmoordpreventie" in by_address[on_duty.email].body or "113" in by_address[on_duty.email].body
    assert "Bel" in by_address[on_duty.email].body  # the Dutch crisis lines
    assert "Call 113" in by_address[english.email].body


def test_a_second_store_of_the_same_item_sends_nothing(account, on_duty):
    store(account, [crisis_item()])
    assert len(mail.outbox) == 1
    store(account, [crisis_item()])
    alerts.alert_new_crises(list(Message.objects.values_list("pk", flat=True)))  # a retried task too
    assert len(mail.outbox) == 1
    entry = ActivityEntry.objects.get(action="crisis_alerted")
    assert entry.data == {"message": Message.objects.get().pk}


def test_nobody_on_duty_means_the_superusers(account, superuser, worker):
    store(account, [crisis_item()])
    assert [message.to for message in mail.outbox] == [[superuser.email]]


def test_no_crisis_no_mail(account, on_duty):
    store(account, [Incoming(external_id="x", created_at=datetime.datetime.now(datetime.UTC), text="Hoi!")])
    assert mail.outbox == []


def test_a_failed_send_is_tried_again(account, on_duty, monkeypatch):
    calls = {"n": 0}
    real = alerts.mail.send

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("SMTP down")
        return real(*args, **kwargs)

    monkeypatch.setattr(alerts.mail, "send", flaky)
    store(account, [crisis_item()])
    assert mail.outbox == [] and not ActivityEntry.objects.filter(action="crisis_alerted").exists()
    alerts.alert_new_crises(list(Message.objects.values_list("pk", flat=True)))
    assert len(mail.outbox) == 1
