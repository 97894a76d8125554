"""Fixtures of the reply and moderation tests in this folder (every test here runs in English).

- ``nets``: the loopback Mastodon, Bluesky, Facebook, Instagram and LinkedIn of
  ``tests/channels/fakes`` (started once per session, reset for every test).
- ``net_account(kind)``: a saved ``ChannelAccount`` pointing at that fake, readable by the
  *Conversations* and *Conversation leads* groups (its inbox is made when it is saved).
- ``thread(account, external_id, ...)``: a conversation with one incoming message, as the readers
  store it; returns the message.
- users: ``writer`` (Conversations), ``lead`` and ``second_lead`` (Conversation leads),
  ``outsider`` (Conversations, but the account's inbox does not list that group), ``reader``
  (view only).
- ``guard_says(blocks=(), warnings=())``: the guard's outgoing check answers this.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone, translation

from channels.adapters.bluesky import forget_session
from conversations import guard
from conversations.models import Conversation, Message, SavedReply
from tests.channels.fakes import bluesky, facebook, instagram, linkedin, mastodon
from tests.channels.fakes.accounts import account_settings
from tests.factories import ChannelAccountFactory

FAKES = {
    "mastodon": mastodon.FakeMastodon,
    "bluesky": bluesky.FakeBluesky,
    "facebook": facebook.FakeFacebook,
    "instagram": instagram.FakeInstagram,
    "linkedin": linkedin.FakeLinkedIn,
}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.WAGTAILADMIN_PERMITTED_LANGUAGES = [("en", "English")]
    with translation.override("en"):
        yield


@pytest.fixture(scope="session")
def _reply_servers():
    servers = {kind: cls().start() for kind, cls in FAKES.items()}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def nets(_reply_servers):
    for server in _reply_servers.values():
        server.reset()
    forget_session()
    yield SimpleNamespace(**_reply_servers)
    for server in _reply_servers.values():
        server.reset()


@pytest.fixture
def net_account(db, nets):
    def _make(kind, **config):
        settings, credentials = account_settings(kind, getattr(nets, kind))
        return ChannelAccountFactory(
            name=f"Ons {kind}", kind=kind, config={**settings, **config}, credentials=credentials
        )

    return _make


@pytest.fixture
def thread(db):
    def _make(account, external_id, *, text="Dank voor het verhaal!", labels=(), flagged=None, kind="reply", **fields):
        root = fields.pop("root_external_id", external_id)
        conversation = Conversation.objects.create(
            account=account,
            root_external_id=root,
            kind=kind,
            labels=list(labels),
            flagged=bool(labels) if flagged is None else flagged,
            crisis="crisis" in labels,
            first_message_at=timezone.now(),
            last_message_at=timezone.now(),
        )
        return Message.objects.create(
            conversation=conversation,
            account=account,
            external_id=external_id,
            text=text,
            created_at=timezone.now(),
            labels=list(labels),
            **fields,
        )

    return _make


def _user(django_user_model, name, groups=()):
    user = django_user_model.objects.create_user(username=name, password="pw", email=f"{name}@example.org")
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def writer(django_user_model):
    return _user(django_user_model, "writer", ["Conversations"])


@pytest.fixture
def lead(django_user_model):
    return _user(django_user_model, "lead", ["Conversation leads"])


@pytest.fixture
def second_lead(django_user_model):
    return _user(django_user_model, "lead2", ["Conversation leads"])


@pytest.fixture
def outsider(django_user_model):
    """Every permission of the Conversations group, through a group no inbox lists."""
    group = Group.objects.create(name="Elsewhere")
    group.permissions.set(Group.objects.get(name="Conversations").permissions.all())
    return _user(django_user_model, "outsider", ["Elsewhere"])


@pytest.fixture
def reader(django_user_model):
    """May open the admin and read conversations (group "Viewers"; give it an inbox with ``readable_by``),
    but not reply or moderate."""
    viewers = Group.objects.create(name="Viewers")
    viewers.permissions.set(
        Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
        | Permission.objects.filter(content_type__app_label="conversations", codename="view_conversation")
    )
    return _user(django_user_model, "reader", ["Viewers"])


@pytest.fixture
def readable_by(db):
    """Let the members of ``group_name`` read ``account``'s inbox."""

    def _add(account, group_name):
        account.inbox.groups.add(Group.objects.get(name=group_name))

    return _add


@pytest.fixture
def neutral_reply(locales):
    return SavedReply.objects.create(
        title="Neutraal",
        text="Dank voor uw bericht. Wilt u ons bellen op 030 123 4567? Dan helpen we u verder.",
        neutral=True,
        locale=locales["nl"],
    )


@pytest.fixture
def chatty_reply(locales):
    return SavedReply.objects.create(
        title="Bedankt", text="Wat fijn dat u het verhaal las!", neutral=False, locale=locales["nl"]
    )


@pytest.fixture
def guard_says(monkeypatch):
    calls = []

    def _set(blocks=(), warnings=()):
        def check_reply(text, *, conversation):
            calls.append((text, conversation.pk))
            return SimpleNamespace(blocks=list(blocks), warnings=list(warnings))

        monkeypatch.setattr(guard, "check_reply", check_reply)
        return calls

    return _set


@pytest.fixture
def reply_urls():
    """``reverse``, for the reply and moderation admin URLs (namespace ``conversations_replies``)."""
    from django.urls import reverse

    return reverse
