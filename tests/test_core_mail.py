"""core.mail: one helper, a template per message, rendered in the reader's language."""

import pytest
from django.core import mail

from core import channel_keys
from core.mail import render, send


@pytest.fixture
def templates(tmp_path, settings):
    folder = tmp_path / "t" / "demo" / "mail"
    folder.mkdir(parents=True)
    (folder / "hello_subject.txt").write_text("{% load i18n %}{% translate 'Yes' %}\n  {{ name }}\n")
    (folder / "hello.txt").write_text("{% load i18n %}{% translate 'No' %}: {{ name }}\n")
    settings.TEMPLATES = [dict(settings.TEMPLATES[0], DIRS=[str(tmp_path / "t")])]
    return "demo/mail/hello"


@pytest.mark.django_db  # the sender and {{ organisation }} are the organisation's name, a site setting
def test_subject_is_one_line_and_body_in_the_readers_language(templates):
    message = render(templates, {"name": "Anna"}, ["a@example.org"], language="nl")
    assert message.subject == "Ja Anna"
    assert message.body == "Nee: Anna\n"
    assert message.extra_headers["Content-Language"] == "nl"
    assert message.alternatives == []


@pytest.mark.django_db
def test_send_skips_empty_addresses_and_sends_nothing_without_any(templates):
    assert send(templates, {"name": "B"}, ["", None]) == 0
    assert mail.outbox == []
    assert send(templates, {"name": "B"}, ["", "b@example.org"], language="en") == 1
    assert mail.outbox[0].to == ["b@example.org"]
    assert mail.outbox[0].subject == "Yes B"


def test_channel_keys():
    assert channel_keys.account_key(7) == "account:7"
    assert channel_keys.account_id("account:7") == 7
    assert channel_keys.account_id("account:x") is None
    assert channel_keys.account_id("website") is None
    assert channel_keys.in_keys("account:7", ["social"])
    assert not channel_keys.in_keys("website", ["social"])
    assert channel_keys.in_keys("website", ["website"])
    assert not channel_keys.in_keys("account:7", None)
