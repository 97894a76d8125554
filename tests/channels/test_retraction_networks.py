"""Retraction on every real network: a patient story posted through the dispatch engine to all
six loopback networks, then the consent withdrawn; and a revoked token during dispatch."""

import pytest
from django.core import mail

from channels.models import ChannelAccount, Dispatch
from consent.models import ConsentEvent
from consent.services import withdraw
from tests.consent.gate_fixtures import build_consent

from .dispatch_support import add_plan, publish

pytestmark = pytest.mark.django_db
State = Dispatch.State
Retraction = Dispatch.Retraction
KINDS = ["mastodon", "bluesky", "linkedin", "facebook", "instagram", "webhook"]


@pytest.fixture
def every_account(make_account):
    return {kind: make_account(kind, name=f"Zorg op {kind}") for kind in KINDS}


def fakes_of(fake_networks):
    return {kind: getattr(fake_networks, kind) for kind in KINDS}


@pytest.fixture
def posted_everywhere(
    make_patient_story, owner, image, every_account, fake_networks, django_capture_on_commit_callbacks
):
    story = make_patient_story(title="Mijn herstel")
    story.owner = owner
    story.save()
    for account in every_account.values():
        add_plan(story, account, image=image, image_alt="Anna in de tuin")
    with django_capture_on_commit_callbacks(execute=True):
        revision = story.save_revision()
        consent = build_consent(story, revision=revision, channels=["website", "social"], allow_photos=True)
        revision.publish()
    story.refresh_from_db()
    return story, consent


def test_a_patient_story_reaches_every_network(posted_everywhere, fake_networks):
    story, _consent = posted_everywhere
    dispatches = Dispatch.objects.filter(page=story).select_related("account")
    assert {d.account.kind: d.state for d in dispatches} == dict.fromkeys(KINDS, State.SENT)
    for kind, fake in fakes_of(fake_networks).items():
        assert len(fake.posts) == 1, kind
    # The image went along with its alt text where the network takes alt text.
    assert fake_networks.mastodon.requests_to("POST", "/api/v2/media")[0].form["description"] == "Anna in de tuin"
    assert fake_networks.instagram.requests_to("POST", "/media")[0].form["alt_text"] == "Anna in de tuin"
    bluesky_record = next(iter(fake_networks.bluesky.posts.values()))["value"]
    assert bluesky_record["embed"]["images"][0]["alt"] == "Anna in de tuin"
    # Every link carries the network as its UTM source.
    webhook_post = next(iter(fake_networks.webhook.posts.values()))
    assert "utm_source=" in webhook_post["link"]


def test_withdrawal_takes_the_story_off_every_network(
    posted_everywhere, fake_networks, django_capture_on_commit_callbacks
):
    story, consent = posted_everywhere
    instagram_post = next(iter(fake_networks.instagram.posts.values()))
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    for kind, fake in fakes_of(fake_networks).items():
        if kind != "instagram":
            assert fake.posts == {}, kind
    assert fake_networks.webhook.events[-1][0] == "story.retracted"
    dispatches = {d.account.kind: d for d in Dispatch.objects.filter(page=story).select_related("account")}
    for kind in KINDS:
        expected = Retraction.MANUAL if kind == "instagram" else Retraction.RETRACTED
        assert dispatches[kind].retraction == expected, kind
    # Instagram refused the deletion: a person removes it, at its permalink, and is told.
    instagram = dispatches["instagram"]
    assert instagram.manual_removal_url == instagram_post["permalink"] == instagram.remote_url
    assert any(instagram_post["permalink"] in message.body for message in mail.outbox)
    # The consent's evidence log says what happened on each network.
    retracted = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTED, story_id=story.pk)
    assert sorted(event.data["network"] for event in retracted) == sorted(k for k in KINDS if k != "instagram")
    (manual,) = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTION_MANUAL, story_id=story.pk)
    assert manual.data["network"] == "instagram"
    assert manual.data["manual_removal_url"] == instagram_post["permalink"]


def test_a_revoked_token_fails_the_dispatch_and_marks_the_account(
    make_org_story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    account = make_account("linkedin")
    fake_networks.linkedin.revoke()
    page = make_org_story(publish=False)
    add_plan(page, account)
    with django_capture_on_commit_callbacks(execute=True):
        publish(page)
    dispatch = Dispatch.objects.get(page=page)
    assert dispatch.state == State.FAILED and dispatch.next_attempt_at is None
    assert "revoked" in dispatch.last_error and fake_networks.linkedin.token not in dispatch.last_error
    account.refresh_from_db()
    assert account.status == ChannelAccount.Status.ERROR
    assert fake_networks.linkedin.posts == {}
    # Tried once: a refused token is not retried.
    assert len(fake_networks.linkedin.requests_to("POST", "/rest/posts")) == 1


# -- a deletion counts as done only where it really happened --------------------------------------


def test_each_post_records_where_it_was_made(posted_everywhere, fake_networks):
    story, _consent = posted_everywhere
    identities = {d.account.kind: d.network_identity for d in Dispatch.objects.filter(page=story)}
    assert identities["mastodon"] == {"instance_url": fake_networks.mastodon.url, "account_id": "109"}
    assert identities["bluesky"]["did"] == fake_networks.bluesky.did
    assert identities["facebook"] == {"page_id": fake_networks.facebook.page_id}
    assert identities["instagram"] == {"ig_user_id": fake_networks.instagram.ig_user_id}
    assert identities["linkedin"] == {"organization_id": fake_networks.linkedin.organization_id}
    assert identities["webhook"] == {"url": f"{fake_networks.webhook.url}/hook"}


def test_a_post_is_deleted_where_it_was_made_after_the_account_moved(
    posted_everywhere, every_account, fake_networks, django_capture_on_commit_callbacks
):
    story, consent = posted_everywhere
    mastodon = every_account["mastodon"]
    mastodon.config = {**mastodon.config, "instance_url": "http://127.0.0.1:9"}
    mastodon.save()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    assert fake_networks.mastodon.posts == {}
    assert Dispatch.objects.get(account=mastodon).retraction == Retraction.RETRACTED


def test_a_mastodon_404_for_another_accounts_post_needs_manual_removal(
    posted_everywhere, every_account, fake_networks, django_capture_on_commit_callbacks
):
    """The token now belongs to another account: Mastodon answers 404, but the post is still there."""
    story, consent = posted_everywhere
    mastodon = every_account["mastodon"]
    mastodon.set_credentials({"access_token": fake_networks.mastodon.other_token})
    mastodon.save()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    dispatch = Dispatch.objects.get(account=mastodon)
    assert dispatch.retraction == Retraction.MANUAL
    assert dispatch.remote_id in fake_networks.mastodon.posts
    assert dispatch.manual_removal_url == dispatch.remote_url
    assert any(dispatch.remote_url in message.body for message in mail.outbox)
    manual = ConsentEvent.objects.filter(kind=ConsentEvent.Kind.RETRACTION_MANUAL, story_id=story.pk)
    assert {event.data["network"] for event in manual} == {"mastodon", "instagram"}


def test_a_facebook_deletion_graph_refuses_needs_manual_removal(
    posted_everywhere, every_account, fake_networks, django_capture_on_commit_callbacks
):
    story, consent = posted_everywhere
    fake_networks.facebook.refuse_delete = True
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent)
    dispatch = Dispatch.objects.get(account=every_account["facebook"])
    assert dispatch.retraction == Retraction.MANUAL
    assert dispatch.remote_id in fake_networks.facebook.posts
