"""Polling Facebook and Instagram comments under our recent posts (the webhooks' fallback)."""

import datetime

import pytest
from django.utils import timezone

from conversations.ingest import runner
from conversations.models import Conversation, IngestCursor, Message

pytestmark = pytest.mark.django_db


def test_facebook_comments_and_replies_are_read_with_a_forward_cursor(nets, make_account, publish):
    account = make_account("facebook")
    dispatch = publish(account)
    top = nets.facebook.add_comment(dispatch.remote_id, "Wat fijn om te lezen")
    reply = nets.facebook.add_comment(dispatch.remote_id, "Helemaal mee eens", parent=top, author=("6002", "Bert"))
    runner.read_account(account)
    first = Message.objects.get(external_id=top)
    assert first.conversation.dispatch == dispatch
    assert first.conversation.kind == Conversation.Kind.REPLY
    assert first.author_name == "Anna de Vries"
    assert first.author_external_id == "6001"
    assert first.created_at == datetime.datetime(2026, 12, 1, 9, 1, tzinfo=datetime.UTC)
    second = Message.objects.get(external_id=reply)
    assert second.conversation == first.conversation
    assert second.parent_external_id == top
    call = nets.facebook.requests_to("GET", f"/{dispatch.remote_id}/comments")[0]
    assert call.query["filter"] == "stream"
    cursor = IngestCursor.objects.get(account=account, stream=f"comments:{dispatch.remote_id}").cursor
    assert cursor
    later = nets.facebook.add_comment(dispatch.remote_id, "Nog een vraag")
    runner.read_account(account)
    assert nets.facebook.requests_to("GET", f"/{dispatch.remote_id}/comments")[-1].query["after"] == cursor
    assert Message.objects.filter(external_id=later).exists()
    assert Message.objects.count() == 3


def test_facebook_usage_above_80_percent_pauses_the_page(nets, make_account, publish):
    account = make_account("facebook")
    first = publish(account)
    second = publish(account)
    nets.facebook.add_comment(first.remote_id, "Een")
    nets.facebook.add_comment(second.remote_id, "Twee")
    nets.facebook.usage = 91
    runner.read_account(account)
    assert Message.objects.count() == 1  # the page read is stored, then reading stops
    paused = IngestCursor.objects.get(account=account, stream="account")
    assert paused.not_before >= timezone.now() + datetime.timedelta(minutes=9)
    assert runner.read_account(account).paused


def test_a_graph_rate_limit_error_pauses_and_loses_nothing(nets, make_account, publish):
    account = make_account("facebook")
    dispatch = publish(account)
    nets.facebook.add_comment(dispatch.remote_id, "Een")
    nets.facebook.fail_next(400, match="/comments")  # Graph's "(#4) Application request limit reached"
    runner.read_account(account)
    assert not Message.objects.exists()
    assert IngestCursor.objects.get(account=account, stream=f"comments:{dispatch.remote_id}").not_before
    runner.read_account(account, now=timezone.now() + datetime.timedelta(minutes=5))
    assert Message.objects.count() == 1


def test_instagram_comments_with_replies_beyond_the_expanded_field(nets, make_account, publish):
    account = make_account("instagram")
    dispatch = publish(account)
    top = nets.instagram.add_comment(dispatch.remote_id, "Prachtige foto")
    nets.instagram.nested_limit = 1
    replies = [
        nets.instagram.add_comment(dispatch.remote_id, f"Reactie {n}", parent=top, author=("7002", "bert"))
        for n in range(3)
    ]
    runner.read_account(account)
    assert nets.instagram.requests_to("GET", f"/{top}/replies")
    conversation = Message.objects.get(external_id=top).conversation
    assert conversation.dispatch == dispatch
    assert set(conversation.messages.values_list("external_id", flat=True)) == {top, *replies}
    assert Message.objects.get(external_id=replies[0]).author_handle == "bert"
    runner.read_account(account)
    assert Message.objects.count() == 4


def test_a_hidden_comment_is_marked_hidden(nets, make_account, publish):
    account = make_account("instagram")
    dispatch = publish(account)
    comment = nets.instagram.add_comment(dispatch.remote_id, "Verborgen", hidden=True)
    runner.read_account(account)
    assert Message.objects.get(external_id=comment).hidden
