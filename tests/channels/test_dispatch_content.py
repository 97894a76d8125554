"""What a dispatch sends: exactly the content the consent covers and the plan panel checked.

- The post is built right before the call from the live story and its plan, by the functions the
  plan panel validates with (``channels.plan.build_post`` / ``image_media``), so the image is the
  rendition the panel checked and the plan's alt text is honoured for the hero image.
- A patient story's post goes out only while the live content (its planned posts included) has
  the hash a valid consent covers; a consent without photos gets a post without an image, or none
  where the network needs one.
- The loopback networks count as the real ones do, so a length the panel accepts is one the
  network accepts.
"""

import datetime
import io

import pytest
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image

from channels import plan as planning
from channels.adapters.base import Media, PermanentError, Post
from channels.dispatch import run_dispatch
from channels.models import Dispatch, PostPlan
from tests.channels.dispatch_support import publish_with_consent
from tests.consent.gate_fixtures import build_consent

from .dispatch_support import add_plan, publish

pytestmark = pytest.mark.django_db
State = Dispatch.State


def jpeg(size, color=(30, 140, 90)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


# -- consent -------------------------------------------------------------------------------------


def test_a_plan_text_changed_after_signing_is_not_posted(make_patient_story, make_account, fake_networks):
    story = make_patient_story(title="Mijn nieuwe knie")
    account = make_account("mastodon")
    plan = add_plan(story, account, text="Anna wandelt weer.")
    publish_with_consent(story, ["website", account.channel_key])
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.QUEUED
    # The plan is changed behind the consent's back (no new revision, no new signature).
    PostPlan.objects.filter(pk=plan.pk).update(text="Anna (62, knieprothese) wandelt weer.")
    assert run_dispatch(dispatch.pk) == State.BLOCKED
    dispatch.refresh_from_db()
    assert "changed after signing" in dispatch.last_error
    assert fake_networks.mastodon.requests == []


def test_an_attempt_hashes_the_live_story_once(make_patient_story, make_account, fake_networks, monkeypatch):
    """Hashing reads every image file of the story: one attempt does it once, not once per question."""
    from consent import content

    story = make_patient_story(title="Mijn nieuwe heup")
    account = make_account("mastodon")
    plan = add_plan(story, account, text="Anna fietst weer.")
    publish_with_consent(story, ["website", account.channel_key])
    dispatch = Dispatch.objects.get(page=story)
    PostPlan.objects.filter(pk=plan.pk).update(text="Anna (71) fietst weer.")
    hashed = []
    real = content.content_hash
    monkeypatch.setattr(content, "content_hash", lambda page: hashed.append(page.pk) or real(page))
    assert run_dispatch(dispatch.pk) == State.BLOCKED
    assert hashed == [story.pk]


def test_a_plan_image_replaced_after_signing_is_not_posted(make_patient_story, make_account, image, fake_networks):
    story = make_patient_story()
    account = make_account("mastodon")
    add_plan(story, account, image=image, image_alt="De tuin van het revalidatiecentrum")
    publish_with_consent(story, ["website", account.channel_key], allow_photos=True)
    dispatch = Dispatch.objects.get(page=story)
    # Someone uploads another file for the same image in the image library.
    image.file = ImageFile(io.BytesIO(jpeg((1200, 800), (250, 10, 10))), name="vervangen.jpg")
    image.save()
    # The replaced file takes the uncovered story offline at once (consent.coverage), so the
    # dispatch is cancelled before it is due; either way nothing reaches the network.
    assert not type(story).objects.get(pk=story.pk).live
    assert run_dispatch(dispatch.pk) in (State.BLOCKED, "not-due:cancelled")
    dispatch.refresh_from_db()
    assert dispatch.state in (State.BLOCKED, State.CANCELLED)
    assert fake_networks.mastodon.requests == []


def test_a_consent_for_another_version_of_the_story_blocks_the_post(
    make_patient_story, testnet, testnet_account, django_capture_on_commit_callbacks
):
    story = make_patient_story(title="Mijn herstel")
    account = testnet_account()
    add_plan(story, account)
    first = story.save_revision()
    build_consent(story, revision=first, channels=["website", account.channel_key])
    # The story changes; the new version is signed for the website only.
    story.title = "Mijn herstel, een jaar later"
    second = story.save_revision()
    build_consent(story, revision=second, channels=["website"])
    with django_capture_on_commit_callbacks(execute=True):
        second.publish()
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.BLOCKED
    assert "covers another version" in dispatch.last_error
    assert testnet.requests == []


def test_no_photos_means_no_image_on_the_post(
    make_patient_story, make_account, image, fake_networks, django_capture_on_commit_callbacks
):
    story = make_patient_story()
    account = make_account("mastodon")
    add_plan(story, account, image=image, image_alt="Anna in de tuin")
    with django_capture_on_commit_callbacks(execute=True):
        publish_with_consent(story, ["website", account.channel_key], allow_photos=False)
    assert Dispatch.objects.get(page=story).state == State.SENT
    fake = fake_networks.mastodon
    assert fake.requests_to("POST", "/api/v2/media") == []
    (status,) = fake.posts.values()
    assert status["media_attachments"] == []


def test_photos_allowed_means_the_image_goes_along(
    make_patient_story, make_account, image, fake_networks, django_capture_on_commit_callbacks
):
    story = make_patient_story()
    account = make_account("mastodon")
    add_plan(story, account, image=image, image_alt="Anna in de tuin")
    with django_capture_on_commit_callbacks(execute=True):
        publish_with_consent(story, ["website", account.channel_key], allow_photos=True)
    (status,) = fake_networks.mastodon.posts.values()
    assert [media["description"] for media in status["media_attachments"]] == ["Anna in de tuin"]


def test_no_photos_keeps_the_story_off_a_network_that_needs_one(
    make_patient_story, make_account, image, fake_networks, django_capture_on_commit_callbacks
):
    story = make_patient_story()
    account = make_account("instagram", name="Instagram (@zorgutrecht)")
    add_plan(story, account, image=image, image_alt="Anna in de tuin")
    with django_capture_on_commit_callbacks(execute=True):
        publish_with_consent(story, ["website", account.channel_key], allow_photos=False)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.BLOCKED
    assert dispatch.last_error == (
        "The consent does not allow photos, and Instagram (@zorgutrecht) cannot post without one: "
        "this post is not sent."
    )
    assert fake_networks.instagram.requests == []
    # Right before the call the same check applies, should the row be queued again.
    Dispatch.objects.filter(pk=dispatch.pk).update(state=State.QUEUED)
    assert run_dispatch(dispatch.pk) == State.BLOCKED
    assert fake_networks.instagram.requests == []


# -- what the panel checks is what is sent ------------------------------------------------------


def test_the_image_sent_is_the_rendition_the_plan_panel_checks(
    make_org_story, make_account, image, fake_networks, django_capture_on_commit_callbacks
):
    story = make_org_story(publish=False, hero_image=image, hero_image_alt="Het nieuwe gebouw")
    account = make_account("mastodon")
    # No image of its own: the hero image goes, described with the plan's alt text.
    add_plan(story, account, image_alt="Het nieuwe gebouw bij zonsopgang, gezien vanaf de parkeerplaats")
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    (upload,) = fake_networks.mastodon.requests_to("POST", "/api/v2/media")
    assert upload.form["description"] == "Het nieuwe gebouw bij zonsopgang, gezien vanaf de parkeerplaats"
    checked = planning.image_media(image, "x")
    assert upload.files["file"][2] == checked.data
    with Image.open(io.BytesIO(upload.files["file"][2])) as sent:
        assert sent.size == (checked.width, checked.height) == (1200, 630)


def test_the_text_sent_is_the_text_the_plan_panel_previews(
    make_org_story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    story = make_org_story(publish=False, summary="Onze nieuwe polikliniek is open.")
    account = make_account("bluesky")
    add_plan(story, account)
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    previewed = planning.build_post(PostPlan.objects.get(page=story), story.specific, with_media=False)
    (post,) = fake_networks.bluesky.posts.values()
    assert post["value"]["text"] == f"{previewed.text}\n\n{previewed.link}"
    assert previewed.text == "Onze nieuwe polikliniek is open."  # no text of its own: the summary


@pytest.mark.parametrize(
    "character, counted, accepted",
    [
        ("👨‍👩‍👧", 500, True),  # a family emoji is one character (five code points)
        ("x", 501, False),
    ],
)
def test_mastodon_counts_like_the_panel(make_account, fake_networks, character, counted, accepted):
    adapter = make_account("mastodon").adapter()
    link = "https://zorg.example/verhalen/" + "lang-" * 40  # counts as 23, whatever its length
    post = Post(text=character * (counted - 25), link=link, idempotency_key="k")  # + 2 newlines + 23
    assert adapter.count(adapter.compose(post)) == counted
    assert (adapter.validate(post) == []) is accepted
    if accepted:
        adapter.publish(post)
        assert len(fake_networks.mastodon.posts) == 1
    else:
        with pytest.raises(PermanentError) as caught:
            adapter.publish(post)  # sent without validating: the instance refuses it too
        assert "character limit of 500" in caught.value.message
        assert fake_networks.mastodon.posts == {}


@pytest.mark.parametrize("graphemes, accepted", [(300, True), (301, False)])
def test_bluesky_counts_graphemes_like_the_panel(make_account, fake_networks, graphemes, accepted):
    adapter = make_account("bluesky").adapter()
    post = Post(text="🇳🇱" * graphemes, link="")
    assert (adapter.validate(post) == []) is accepted
    if accepted:
        adapter.publish(post)
    else:
        with pytest.raises(PermanentError) as caught:
            adapter.publish(post)
        assert "300 graphemes" in caught.value.message


def test_bluesky_refuses_an_image_over_a_million_bytes_as_the_panel_does(make_account, fake_networks):
    adapter = make_account("bluesky").adapter()
    big = Media(data=b"\xff\xd8" + b"\x00" * 1_000_001, content_type="image/jpeg", filename="a.jpg", alt="Anna")
    post = Post(text="Groot", link="", media=[big])
    assert adapter.validate(post) == ["The image is larger than Bluesky accepts (1.0 MB)."]
    with pytest.raises(PermanentError) as caught:
        adapter.publish(post)
    assert "file too large" in caught.value.message
    assert fake_networks.bluesky.posts == {}


@pytest.mark.parametrize("size, accepted", [((1080, 1350), True), ((1910, 1000), True), ((1080, 1920), False)])
def test_instagram_aspect_ratio_is_checked_as_instagram_checks_it(make_account, fake_networks, size, accepted):
    adapter = make_account("instagram").adapter()
    url = f"https://zorg.example/media/{size[0]}x{size[1]}.jpg"
    fake_networks.instagram.serve(url, jpeg(size))
    width, height = size
    media = Media(
        data=jpeg(size), content_type="image/jpeg", filename="a.jpg", alt="Anna", url=url, width=width, height=height
    )
    post = Post(text="Verhouding", link="", media=[media])
    assert (adapter.validate(post) == []) is accepted
    if accepted:
        adapter.publish(post)
    else:
        with pytest.raises(PermanentError) as caught:
            adapter.publish(post)
        assert "aspect ratio" in caught.value.message
    assert len(fake_networks.instagram.posts) == (1 if accepted else 0)


# -- addresses and links ------------------------------------------------------------------------


def test_only_http_addresses_from_a_network_are_kept(
    make_org_story, make_account, fake_networks, django_capture_on_commit_callbacks
):
    fake_networks.webhook.answer_url = "javascript:alert(document.cookie)"
    story = make_org_story(publish=False)
    add_plan(story, make_account("webhook"))
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    assert dispatch.state == State.SENT and dispatch.remote_id
    assert dispatch.remote_url == ""
    assert "javascript" not in "".join(dispatch.events.values_list("message", flat=True))


def test_the_next_attempt_is_shown_in_the_organisations_time_zone(
    make_org_story, testnet, testnet_account, settings, django_capture_on_commit_callbacks
):
    settings.TIME_ZONE = "Europe/Amsterdam"
    testnet.post_script = [(503, {"Retry-After": "3600"})]
    story = make_org_story(publish=False)
    add_plan(story, testnet_account())
    with django_capture_on_commit_callbacks(execute=True):
        publish(story)
    dispatch = Dispatch.objects.get(page=story)
    local = timezone.localtime(dispatch.next_attempt_at)
    assert local.utcoffset() != datetime.timedelta(0)
    message = dispatch.events.get(outcome="retry").message
    assert f"Next attempt at {local:%Y-%m-%d %H:%M} {local:%Z}." in message
    assert "UTC" not in message
