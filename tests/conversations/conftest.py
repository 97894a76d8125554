"""Fixtures of the conversation tests: accounts with inboxes, conversations and messages, users in the groups.

- ``make_account(name, kind="mastodon", groups=None)``: an active channel account; its inbox
  (``AccountInbox``) is made by the app's signal with the default groups (*Conversations*,
  *Conversation leads*); ``groups=[...]`` replaces them.
- ``make_conversation(account, **fields)`` and ``make_message(conversation, **fields)``: rows as the
  store leaves them (a message refreshes nothing by itself: pass the conversation's fields).
- users: ``worker`` (*Conversations*), ``lead`` (*Conversation leads*), ``on_duty`` (*On duty for
  crises*, admin access only), ``other_team`` (may view conversations, but its group reads no
  account), ``outsider`` (admin access, no inbox permission); ``superuser`` is the root conftest's.
- ``client_for(user)``: the test client logged in as ``user``.
- ``in_english``: the admin's and the site's language English (``LANGUAGE_CODE``), for assertions on
  the English source strings.
"""

import datetime
import itertools

import pytest
from django.contrib.auth.models import Group, Permission
from django.utils import timezone, translation

from conversations.groups import CONVERSATIONS_GROUP, LEADS_GROUP, ON_DUTY_GROUP
from conversations.models import Conversation, Message
from tests.factories import ChannelAccountFactory

_ids = itertools.count(1)


@pytest.fixture
def in_english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_account(db):
    def _make(name="Mastodon zorg", kind="mastodon", groups=None, **fields):
        account = ChannelAccountFactory(name=name, kind=kind, **fields)
        if groups is not None:
            account.inbox.groups.set(Group.objects.filter(name__in=groups))
        return account

    return _make


@pytest.fixture
def account(make_account):
    return make_account()


@pytest.fixture
def make_conversation(db):
    def _make(account, **fields):
        now = timezone.now()
        fields.setdefault("root_external_id", f"root-{next(_ids)}")
        fields.setdefault("first_message_at", fields.get("last_message_at", now - datetime.timedelta(hours=1)))
        fields.setdefault("last_message_at", fields["first_message_at"])
        labels = fields.setdefault("labels", [])
        fields.setdefault("flagged", bool(labels))
        fields.setdefault("crisis", "crisis" in labels)
        return Conversation.objects.create(account=account, **fields)

    return _make


@pytest.fixture
def make_message(db):
    def _make(conversation, text="Hoe laat is het bezoekuur?", **fields):
        fields.setdefault("external_id", f"msg-{next(_ids)}")
        fields.setdefault("created_at", conversation.last_message_at or timezone.now())
        fields.setdefault("author_handle", "@anna@zorg.example")
        fields.setdefault("author_name", "Anna")
        return Message.objects.create(conversation=conversation, account=conversation.account, text=text, **fields)

    return _make


def _user(django_user_model, username, groups=(), **extra):
    user = django_user_model.objects.create_user(
        username=username, password="pw", email=f"{username}@example.org", **extra
    )
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


@pytest.fixture
def worker(django_user_model):
    return _user(django_user_model, "worker", [CONVERSATIONS_GROUP], first_name="Wim", last_name="Werker")


@pytest.fixture
def lead(django_user_model):
    return _user(django_user_model, "lead", [LEADS_GROUP], first_name="Lotte", last_name="Leider")


@pytest.fixture
def on_duty(django_user_model):
    return _user(django_user_model, "onduty", [ON_DUTY_GROUP], first_name="Dirk", last_name="Dienst")


@pytest.fixture
def other_team(django_user_model):
    """May view conversations, but the group reads no account."""
    group, _ = Group.objects.get_or_create(name="Other team")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *Permission.objects.filter(
            content_type__app_label="conversations",
            codename__in=["view_conversation", "change_conversation", "add_note"],
        ),
    )
    return _user(django_user_model, "otherteam", ["Other team"])


@pytest.fixture
def outsider(django_user_model):
    """Admin access, no inbox permission at all."""
    user = _user(django_user_model, "outsider")
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return user


@pytest.fixture
def client_for(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
