"""Issue 11, hole 17: the evidence log names the strongest reason a post was removed.

A withdrawal unpublishes the story (the unpublish signal) and then tells the channels (the
withdrawal signal); both queue the removal. Whatever order they arrive in, the evidence must say
"withdrawn" (or "expired", "erased"), never the weaker "unpublished".
"""

import pytest

from channels.models import Dispatch
from channels.retraction import retract_story
from consent.models import ConsentEvent
from consent.services import withdraw

from .dispatch_support import add_plan, publish_with_consent

pytestmark = pytest.mark.django_db
Retraction = Dispatch.Retraction


@pytest.fixture
def posted(patient_story, testnet, testnet_account, django_capture_on_commit_callbacks):
    add_plan(patient_story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        consent = publish_with_consent(patient_story, ["website", "social"])
    assert len(testnet.posts) == 1
    return patient_story, consent


def retracted_reasons(story):
    return [e.data["reason"] for e in ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=story.pk)]


@pytest.mark.parametrize("reason", ["withdrawn", "expired"])
def test_a_withdrawal_records_its_own_reason_not_unpublished(
    posted, testnet, django_capture_on_commit_callbacks, reason
):
    story, consent = posted
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason=reason)
    assert testnet.posts == {}
    assert retracted_reasons(story) == [reason]
    assert Dispatch.objects.get(page=story).retraction_reason == reason


@pytest.mark.parametrize(
    "triggers, expected",
    [
        pytest.param(["unpublished", "withdrawn"], "withdrawn", id="unpublish-signal-first"),
        pytest.param(["withdrawn", "unpublished"], "withdrawn", id="withdrawal-signal-first"),
        pytest.param(["unpublished", "erased"], "erased", id="unpublish-then-erasure"),
        pytest.param(["erased", "deleted"], "erased", id="erasure-then-delete"),
        pytest.param(["unpublished", "deleted"], "deleted", id="unpublish-then-delete"),
        pytest.param(["deleted", "unpublished"], "deleted", id="delete-then-unpublish"),
        pytest.param(["editor", "unpublished"], "unpublished", id="editor-then-unpublish"),
        pytest.param(["unpublished", "editor"], "unpublished", id="unpublish-then-editor"),
    ],
)
def test_the_strongest_reason_wins_whatever_order_the_triggers_arrive_in(
    posted, testnet, django_capture_on_commit_callbacks, triggers, expected
):
    story, _consent = posted
    # Both triggers queue the removal before it runs (they race after the same commit).
    with django_capture_on_commit_callbacks(execute=True):
        for reason in triggers:
            retract_story(story.pk, reason=reason)
    assert testnet.posts == {}
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.retraction == Retraction.RETRACTED
    assert dispatch.retraction_reason == expected
    assert retracted_reasons(story) == [expected]
