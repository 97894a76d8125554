"""Reading a LinkedIn organisation page: social-action notifications and comments on our posts."""

import datetime
from urllib.parse import unquote

import pytest
from django.utils import timezone

from conversations.ingest import runner
from conversations.models import Conversation, IngestCursor, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(make_account):
    return make_account("linkedin")


def test_comments_mentions_and_deletions_from_notifications(nets, account, publish):
    dispatch = publish(account)
    comment = nets.linkedin.add_comment(dispatch.remote_id, "Mooi initiatief")
    mention = nets.linkedin.add_mention("Goed werk van Zorg Utrecht")
    runner.read_account(account)
    message = Message.objects.get(external_id=comment)
    assert message.conversation.dispatch == dispatch
    assert message.author_external_id == "urn:li:person:anna123"
    assert message.text == "Mooi initiatief"
    assert Message.objects.get(external_id=mention).conversation.kind == Conversation.Kind.MENTION
    call = nets.linkedin.requests_to("GET", "organizationalEntityNotifications")[0]
    assert call.header("LinkedIn-Version") and call.header("X-Restli-Protocol-Version") == "2.0.0"
    assert call.query["actions"] == "List(COMMENT,SHARE_MENTION,COMMENT_DELETE)"
    assert unquote(call.query["organizationalEntity"]) == "urn:li:organization:5515715"
    nets.linkedin.delete_comment(comment)
    runner.read_account(account)
    message.refresh_from_db()
    assert message.deleted and message.text == ""


def test_the_time_range_never_starts_before_60_days_and_overlaps_the_cursor(nets, account):
    runner.read_account(account)
    first = nets.linkedin.requests_to("GET", "organizationalEntityNotifications")[0]
    start = int(first.query["timeRange"].split("start:")[1].split(",")[0])
    assert start >= (timezone.now() - datetime.timedelta(days=60)).timestamp() * 1000
    cursor = int(IngestCursor.objects.get(account=account, stream="notifications").cursor)
    runner.read_account(account, now=timezone.now() + datetime.timedelta(minutes=10))
    second = nets.linkedin.requests_to("GET", "organizationalEntityNotifications")[-1]
    start = int(second.query["timeRange"].split("start:")[1].split(",")[0])
    assert cursor - 5 * 60 * 1000 <= start < cursor


def test_nested_comments_are_read_from_our_posts(nets, account, publish):
    dispatch = publish(account)
    top = nets.linkedin.add_comment(dispatch.remote_id, "Vraag", notify=False)
    nested = nets.linkedin.add_comment(
        dispatch.remote_id, "Antwoord", parent=top, actor="urn:li:person:bert", notify=False
    )
    runner.read_account(account)
    assert Message.objects.get(external_id=nested).conversation == Message.objects.get(external_id=top).conversation
    assert Message.objects.get(external_id=nested).parent_external_id == top


def test_a_429_pauses_the_page(nets, account):
    nets.linkedin.fail_next(
        429, match="organizationalEntityNotifications", body={"status": 429, "message": "Throttled"}
    )
    runner.read_account(account)
    row = IngestCursor.objects.get(account=account, stream="notifications")
    assert row.not_before > timezone.now()
    assert "429" in row.last_error
