"""Storing what the networks give: once per network id, threaded, classified, the cursor saved last."""

import datetime

import pytest
from django.utils import timezone

from channels.models import Dispatch
from conversations.ingest import store as store_module
from conversations.ingest.store import Incoming, read_cursor, store
from conversations.models import AccountInbox, Conversation, Message
from tests.factories import ChannelAccountFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)


def item(external_id, minutes=0, **kwargs):
    kwargs.setdefault("text", f"Thank you for sharing ({external_id})")
    return Incoming(external_id=external_id, created_at=T0 + datetime.timedelta(minutes=minutes), **kwargs)


@pytest.fixture
def account():
    return ChannelAccountFactory(kind="mastodon", name="Mastodon")


def test_a_new_account_gets_an_inbox_readable_by_the_conversation_groups(account):
    inbox = AccountInbox.objects.get(account=account)
    assert inbox.enabled
    assert sorted(inbox.groups.values_list("name", flat=True)) == ["Conversation leads", "Conversations"]


def test_storing_the_same_items_twice_changes_nothing(account):
    items = [item("1"), item("2", 1, root_external_id="1", parent_external_id="1")]
    first = store(account, items, stream="notifications", cursor="2")
    again = store(account, items, stream="notifications", cursor="2")
    assert first.count == 2 and again.count == 0 and again.skipped == 2
    assert Message.objects.filter(account=account).count() == 2
    assert Conversation.objects.filter(account=account).count() == 1


def test_the_same_network_id_on_two_accounts_is_two_messages(account):
    other = ChannelAccountFactory(kind="mastodon", name="Other instance")
    store(account, [item("7")])
    store(other, [item("7")])
    assert Message.objects.filter(external_id="7").count() == 2


def test_a_reply_under_our_post_is_threaded_to_the_post_and_its_story(account, make_patient_story):
    story = make_patient_story()
    dispatch = Dispatch.objects.create(
        page=story, page_title=story.title, account=account, content_hash="h", remote_id="1001", state="sent"
    )
    store(
        account,
        [
            item("5001", our_post_id="1001", parent_external_id="1001", author_handle="@ann@zorg.social"),
            item("5002", 3, our_post_id="1001", root_external_id="5001", parent_external_id="5001"),
        ],
    )
    conversation = Conversation.objects.get(account=account, root_external_id="5001")
    assert conversation.dispatch == dispatch
    assert conversation.story_id == story.pk
    assert [m.external_id for m in conversation.messages.all()] == ["5001", "5002"]
    assert conversation.messages.get(external_id="5002").parent_external_id == "5001"
    assert conversation.first_message_at == T0
    assert conversation.last_message_at == T0 + datetime.timedelta(minutes=3)


def test_the_cursor_is_saved_with_the_items_and_not_without_them(account, monkeypatch):
    store(account, [item("1")], stream="notifications", cursor="1")
    assert read_cursor(account, "notifications") == "1"

    real = store_module._Batch.refresh

    def crash_after_the_insert(batch):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(store_module._Batch, "refresh", crash_after_the_insert)
    with pytest.raises(RuntimeError):
        store(account, [item("2"), item("3")], stream="notifications", cursor="3")
    # Nothing of the failed read is kept, and the next read starts where the last good one ended.
    assert read_cursor(account, "notifications") == "1"
    assert not Message.objects.filter(external_id__in=["2", "3"]).exists()

    monkeypatch.setattr(store_module._Batch, "refresh", real)
    store(account, [item("2"), item("3")], stream="notifications", cursor="3")
    assert read_cursor(account, "notifications") == "3"
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["1", "2", "3"]


def test_a_deletion_on_the_network_removes_the_text(account):
    store(account, [item("9", text="My father is in ward 4 with pneumonia")])
    result = store(account, [item("9", deleted=True)])
    message = Message.objects.get(external_id="9")
    assert result.updated == 1
    assert message.deleted and message.text == "" and message.labels == []


def test_an_item_deleted_before_we_saw_it_is_not_stored(account):
    store(account, [item("10", deleted=True)])
    assert not Message.objects.filter(external_id="10").exists()


def test_an_edit_is_classified_again(account):
    store(account, [item("11", text="Nice photo")])
    assert Message.objects.get(external_id="11").labels == []
    store(account, [item("11", text="I want to kill myself, nobody helps me")])
    message = Message.objects.get(external_id="11")
    assert "crisis" in message.labels
    conversation = message.conversation
    conversation.refresh_from_db()
    assert conversation.crisis and conversation.flagged


def test_a_new_message_after_our_answer_opens_the_conversation_again(account):
    store(account, [item("20")])
    conversation = Conversation.objects.get(root_external_id="20")
    Message.objects.create(
        conversation=conversation,
        account=account,
        direction=Message.Direction.OUT,
        external_id="21",
        created_at=T0 + datetime.timedelta(minutes=5),
    )
    conversation.status = Conversation.Status.ANSWERED
    conversation.save()
    store(account, [item("22", 10, root_external_id="20", parent_external_id="21")])
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.NEW


def test_crisis_alerts_run_on_commit(account, django_capture_on_commit_callbacks, monkeypatch):
    from conversations import alerts

    seen = []
    monkeypatch.setattr(alerts, "alert_new_crises", lambda ids: seen.append(sorted(ids)))
    with django_capture_on_commit_callbacks(execute=True):
        store(account, [item("40"), item("41")])
    with django_capture_on_commit_callbacks(execute=True):
        store(account, [item("40"), item("41")])
    ids = sorted(Message.objects.filter(external_id__in=["40", "41"]).values_list("pk", flat=True))
    assert seen == [ids]


def test_a_page_costs_the_same_queries_for_5_items_as_for_40(account):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(first, count):
        # Replies in threads of their own, each answering one of our posts, in one page.
        items = [item(str(first + n), n, our_post_id="1001") for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            result = store(account, items, stream="notifications", cursor=str(first + count))
        assert result.count == count
        return len(captured)

    # The cursor exists already, as after any first read: both pages update it the same way. (40 is
    # Mastodon's page; SQLite takes at most 999 parameters a statement, so it inserts about 47
    # messages per statement: a page of 80 costs one statement more there, not one per item.)
    store(account, [], stream="notifications", cursor="0")
    few, many = queries(1000, 5), queries(2000, 40)
    assert many == few, (few, many)
    assert Message.objects.filter(account=account).count() == 45
    assert timezone.is_aware(Message.objects.first().created_at)
