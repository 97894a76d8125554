"""Reading a Bluesky account: notifications, the threads of our posts, chat (when allowed)."""

import datetime

import pytest
from django.utils import timezone

from conversations.ingest import runner
from conversations.models import Conversation, IngestCursor, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account("bluesky")


def read(account, **kwargs):
    return runner.read_account(account, **kwargs)


def test_a_reply_to_our_post_keeps_what_a_reply_needs(nets, account, publish, make_org_story):
    story = make_org_story(title="Nieuwe afdeling")
    dispatch = publish(account, page=story)
    reply = nets.bluesky.add_post("Goed nieuws!", reply_to=dispatch.remote_id)
    deeper = nets.bluesky.add_post("Zeker", author="bert", reply_to=reply, notify=False)
    outcome = read(account)
    assert not outcome.errors
    message = Message.objects.get(external_id=reply)
    assert message.conversation.dispatch == dispatch
    assert message.conversation.story.pk == story.pk
    assert message.parent_external_id == dispatch.remote_id
    assert message.author_external_id == nets.bluesky.profile("anna")["did"]
    assert message.author_handle == "anna.bsky.social"
    assert message.created_at == datetime.datetime(2026, 12, 1, 9, 1, tzinfo=datetime.UTC)
    assert message.external_ref["cid"] == nets.bluesky.others[reply]["cid"]
    assert message.external_ref["root"]["uri"] == dispatch.remote_id
    assert message.permalink.startswith("https://bsky.app/profile/did:plc:anna")
    # The reply to the reply made no notification: found in our post's thread, in the same conversation.
    assert Message.objects.get(external_id=deeper).conversation == message.conversation


def test_notifications_are_paged_until_an_item_already_stored(nets, account):
    nets.bluesky.add_post("Eerste", mention=True)
    read(account)
    assert Message.objects.count() == 1
    for number in range(230):
        nets.bluesky.add_post(f"Vermelding {number}", mention=True)
    read(account)
    assert Message.objects.count() == 231
    calls = nets.bluesky.requests_to("GET", "listNotifications")
    assert len(calls) == 1 + 3  # three pages of 100, the last one holds the stored item
    assert set(calls[1].query["reasons"]) == {"reply", "mention", "quote"}
    assert calls[1].query["limit"] == "100"
    read(account)
    assert Message.objects.count() == 231


def test_a_session_is_reused_between_reads(nets, account):
    nets.bluesky.add_post("Hallo", mention=True)
    read(account)
    read(account)
    assert len(nets.bluesky.requests_to("POST", "createSession")) == 1


def test_chat_is_skipped_with_a_note_unless_allowed(nets, account, make_account):
    nets.bluesky.add_chat("Mag ik iets vragen?")
    read(account)
    note = IngestCursor.objects.get(account=account, stream="chat")
    # Written in the site's language (Dutch), naming the setting as the account form does.
    assert "'Privéberichten lezen'" in note.last_error
    assert not nets.bluesky.requests_to("GET", "chat.bsky")
    assert not Message.objects.exists()


def test_chat_is_read_through_the_chat_proxy_when_allowed(nets, make_account):
    account = make_account("bluesky", read_direct_messages="yes")
    convo = nets.bluesky.add_chat("Mag ik iets vragen over mijn opname?")
    nets.bluesky.add_chat("Natuurlijk, bel ons even", convo=convo, ours=True)
    read(account)
    messages = list(Message.objects.order_by("created_at"))
    assert [m.direction for m in messages] == [Message.Direction.IN, Message.Direction.OUT]
    assert {m.visibility for m in messages} == {Message.Visibility.DIRECT}
    assert messages[0].conversation.kind == Conversation.Kind.DIRECT
    assert messages[0].conversation == messages[1].conversation
    calls = nets.bluesky.requests_to("GET", "chat.bsky")
    assert calls and all(c.header("atproto-proxy") == "did:web:api.bsky.chat#bsky_chat" for c in calls)
    nets.bluesky.add_chat("Dank u", convo=convo)
    read(account)
    assert Message.objects.count() == 3


def test_a_429_pauses_reading_until_ratelimit_reset(nets, account):
    nets.bluesky.add_post("Hallo", mention=True)
    read(account)  # signs in
    nets.bluesky.add_post("Nog een", mention=True)
    nets.bluesky.rate_limit_next(300, match="listNotifications")
    read(account)
    row = IngestCursor.objects.get(account=account, stream="notifications")
    assert row.not_before > timezone.now() + datetime.timedelta(seconds=250)
    assert read(account).paused
    read(account, now=timezone.now() + datetime.timedelta(seconds=400))
    assert Message.objects.count() == 2


def test_a_quote_of_our_post(nets, account, publish):
    dispatch = publish(account)
    quote = nets.bluesky.add_post("Lees dit", quote_of=dispatch.remote_id)
    read(account)
    conversation = Message.objects.get(external_id=quote).conversation
    assert conversation.kind == Conversation.Kind.QUOTE
    assert conversation.dispatch == dispatch
