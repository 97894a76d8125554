"""The one consent decision (``consent.policy.coverage``), and proof that every caller asks it.

Issue 12: the rule "may this page go out on channel X, in this version, with these media?" was
written five times. Now the gate, dispatch, the plan panel, the newsletter and the sweep for
missed removals all ask ``coverage``; the last test breaks the rule in one place and sees all
five follow.
"""

import datetime

import pytest
from django.utils import timezone

from consent import policy
from consent.content import content_hash
from consent.gate import check_consent
from consent.policy import coverage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Weer thuis")


def code(story, channel, digest=None, **kwargs):
    return coverage(story, channel, digest, **kwargs).code


def test_an_organisation_story_needs_no_consent(make_org_story):
    page = make_org_story(title="Nieuwe vleugel")
    answer = coverage(page, "website")
    assert answer.ok and answer.code == policy.NOT_GATED and answer.allows_photos


def test_a_story_without_consent_is_missing_one(story):
    assert code(story, "website") == policy.MISSING


def test_a_consent_covers_the_channels_chosen_for_the_version_signed(story):
    consent = build_consent(story, channels=("website", "newsletter"))
    answer = coverage(story, "website")
    assert answer.ok and answer.consent == consent
    assert code(story, "newsletter") == policy.COVERED
    assert code(story, "account:7") == policy.NOT_CHOSEN


def test_the_social_group_covers_every_account_until_it_is_withdrawn(story):
    consent = build_consent(story, channels=("social",))
    assert code(story, "account:7") == policy.COVERED
    consent.withdrawn_channels = ["social"]
    consent.save()
    assert code(story, "account:7") == policy.WITHDRAWN
    assert code(story, "website") == policy.NOT_CHOSEN


def test_another_version_is_changed_not_covered(story):
    build_consent(story, channels=("website",))
    story.title = "Weer thuis, na een jaar"
    answer = coverage(story, "website")
    assert answer.code == policy.CHANGED and not answer.ok
    assert answer.other_version[0].content_hash != content_hash(story)


def test_a_withdrawn_consent_and_an_expired_one(story):
    consent = build_consent(story, channels=("website",))
    consent.withdrawn_at = timezone.now()
    consent.save()
    assert code(story, "website") == policy.WITHDRAWN
    consent.withdrawn_at = None
    consent.valid_until = timezone.now() - datetime.timedelta(days=1)
    consent.save()
    assert code(story, "website") == policy.EXPIRED


def test_the_end_date_counts_at_the_moment_asked(story):
    ends = timezone.now() + datetime.timedelta(days=3)
    build_consent(story, channels=("website",), valid_until=ends)
    assert code(story, "website") == policy.COVERED
    assert code(story, "website", at=ends + datetime.timedelta(seconds=1)) == policy.EXPIRED


def test_photos_need_every_covering_signer(story, image):
    story.hero_image = image
    story.hero_image_alt = "Een fiets"
    story.save_revision()
    build_consent(story, channels=("website", "social"), allow_photos=True)
    build_consent(story, channels=("social",), allow_photos=False)
    assert coverage(story, "account:1").allows_photos is False
    # On the website, the first signer's consent allows the photo it signed.
    assert code(story, "website", media=True) == policy.COVERED


def test_the_website_refuses_a_photo_the_signer_refused(story, image):
    story.hero_image = image
    story.hero_image_alt = "Een fiets"
    story.save_revision()
    build_consent(story, channels=("website",), allow_photos=False)
    assert code(story, "website") == policy.COVERED  # the channel is covered ...
    assert code(story, "website", media=True) == policy.NO_PHOTOS  # ... the photo is not


def test_every_caller_follows_the_one_rule(story, monkeypatch):
    """Break the rule in ``consent.policy`` alone: the gate, dispatch, plan, newsletter and sweep all follow."""
    from channels.dispatch import consent_problem
    from channels.models import ChannelAccount
    from channels.plan import channel_availability
    from channels.retraction import sweep_missed_removals
    from newsletter.rendering import consent_problem as newsletter_problem

    account = ChannelAccount.objects.create(
        name="Mastodon (@zorg@zorg.social)",
        kind="mastodon",
        status="ok",
        config={"instance_url": "http://127.0.0.1:9"},
    )
    build_consent(story, channels=("website", "newsletter", "social"))
    story.get_latest_revision().publish()
    story.refresh_from_db()
    digest = content_hash(story)
    dispatch = _sent_dispatch(story, account, digest)

    def answers():
        return {
            "gate": check_consent(story)[1] is None,
            "dispatch": consent_problem(story, account.channel_key, digest) == "",
            "plan": channel_availability(story, [account], digest)[0].available,
            "newsletter": newsletter_problem(story) is None,
            "sweep": sweep_missed_removals() == 0,
        }

    assert answers() == dict.fromkeys(("gate", "dispatch", "plan", "newsletter", "sweep"), True)
    monkeypatch.setattr(policy, "is_active", lambda consent, at=None: False)  # every consent ended
    assert answers() == dict.fromkeys(("gate", "dispatch", "plan", "newsletter", "sweep"), False)
    dispatch.refresh_from_db()
    assert dispatch.retraction != "none"


def _sent_dispatch(story, account, digest):
    from channels.models import Dispatch

    return Dispatch.objects.create(
        page=story,
        patient_story_id=story.pk,
        account=account,
        content_hash=digest,
        state=Dispatch.State.SENT,
        remote_id="1",
        remote_url="http://127.0.0.1:9/posts/1",
        text="Weer thuis",
    )
