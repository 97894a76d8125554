"""The channels admin's buttons as Wagtail actions: who may, in which state, and what they do.

The admin views are thin; these tests call the actions as any other caller would (an API, a
management command) and see the same permission checks and refusals the views show.
"""

import pytest
from wagtail.actions import action_registry

from channels.actions import (
    ActionNotPossible,
    MarkSentAction,
    RetryDispatchAction,
    RetryPermissionError,
)
from channels.models import ChannelAccount, Dispatch

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("admin_in_english")]


@pytest.fixture
def story(make_org_story):
    return make_org_story(title="Nieuwe MRI-scanner")


def test_the_buttons_are_in_wagtails_action_registry():
    assert action_registry.get_action_class(Dispatch, "retry") is RetryDispatchAction
    assert action_registry.get_action_class(Dispatch, "mark_sent") is MarkSentAction
    assert action_registry.get_action_class(ChannelAccount, "check_connection") is not None


def test_someone_without_change_dispatch_is_refused_with_a_sentence(story, make_dispatch, nobody, engine):
    failed = make_dispatch(story, state=Dispatch.State.FAILED)
    action = RetryDispatchAction(failed, user=nobody)
    assert not action.is_offered()
    with pytest.raises(RetryPermissionError) as refused:
        action.execute()
    assert refused.value.message == "You do not have permission to do this."
    assert engine["retry"] == []


def test_a_sent_post_cannot_be_retried_and_the_button_is_not_offered(story, make_dispatch, editor, engine):
    sent = make_dispatch(story)
    action = RetryDispatchAction(sent, user=editor)
    assert not action.is_offered()
    with pytest.raises(ActionNotPossible) as refused:
        action.execute()
    assert "nothing to retry" in refused.value.message
    assert engine["retry"] == []


def test_an_editor_retries_a_failed_post(story, make_dispatch, editor, engine):
    failed = make_dispatch(story, state=Dispatch.State.FAILED)
    action = RetryDispatchAction(failed, user=editor)
    assert action.is_offered()
    action.execute()
    assert engine["retry"] == [(failed.pk, editor.pk)]
    failed.refresh_from_db()
    assert failed.state == Dispatch.State.QUEUED


def test_mark_sent_only_for_failed_or_missed_posts(story, make_dispatch, editor):
    blocked = make_dispatch(story, state=Dispatch.State.BLOCKED)
    with pytest.raises(ActionNotPossible):
        MarkSentAction(blocked, user=editor, remote_url="https://loop.example/@zorg/9").check()
    missed = make_dispatch(story, state=Dispatch.State.MISSED)
    MarkSentAction(missed, user=editor, remote_url="https://loop.example/@zorg/9").execute()
    missed.refresh_from_db()
    assert missed.state == Dispatch.State.SENT
    assert missed.remote_url == "https://loop.example/@zorg/9"
