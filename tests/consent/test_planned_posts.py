"""Consent covers the social posts planned for a patient story, and the photos and video it shows.

A post's text and image go out on social networks: the signer sees them on the signing page, the
signature's content hash covers them, and a change after signing needs a new signature. A signer
who allows no photos (or no video) gets a story without them, or none at all.
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, rich_text, streamfield

from channels.models import ChannelAccount, PostPlan
from consent.content import FIELD_LABELS, content_hash, content_manifest
from consent.gate import ConsentRequired
from consent.models import Consent, ConsentRequest
from consent.services import create_request
from stories.models import PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/(?:nl|en)/consent/sign/[^/\s]+/)")
POST_TEXT = "Anna vertelt hoe haar nieuwe knie haar weer laat wandelen."


@pytest.fixture
def mastodon_account(db):
    # A loopback address that answers nothing: no test ever reaches a real network.
    return ChannelAccount.objects.create(
        name="Mastodon (@zorg@zorg.social)",
        kind="mastodon",
        status="ok",
        config={"instance_url": "http://127.0.0.1:9"},
    )


def reload(page):
    return PatientStoryPage.objects.get(pk=page.pk)


def draft(story):
    return reload(story).get_latest_revision_as_object()


def save_plans(page, plans):
    """Save a revision of ``page`` (a revision's object) with ``plans`` as its planned posts."""
    page.post_plans = plans
    return page.save_revision()


def with_post(story, account, **fields):
    fields.setdefault("text", POST_TEXT)
    return save_plans(draft(story), [PostPlan(account=account, **fields)])


def change_post(story, **fields):
    page = draft(story)
    plans = list(page.post_plans.all())
    for name, value in fields.items():
        setattr(plans[0], name, value)
    return save_plans(page, plans)


def sign_link(client, editor, story, channels):
    client.force_login(editor)
    response = client.post(
        f"/admin/consent/request/{story.pk}/",
        {
            "signer_name": "Anna de Vries",
            "signer_email": "anna@example.org",
            "signer_role": "patient",
            "language": "nl",
            "proposed_channels": channels,
        },
    )
    assert response.status_code == 302
    client.logout()
    return LINK.search(mail.outbox[-1].body).group(1)


def channel_fieldset(html):
    """The channel choices of the signing form, where each channel's planned posts are shown."""
    return html.split("<fieldset>", 1)[1].split("</fieldset>", 1)[0] if "<fieldset>" in html else ""


# The signature covers the posts


def test_the_signature_covers_the_planned_posts(client, editor, story, mastodon_account):
    with_post(story, mastodon_account)
    key = mastodon_account.channel_key
    link = sign_link(client, editor, story, ["website", key])
    response = client.post(
        link,
        {
            "channels": ["website", key],
            "naming": story.naming,
            "typed_name": "Anna de Vries",
            "relation": "myself",
            "declaration": "on",
            "sign": "1",
        },
    )
    assert response.status_code == 200
    consent = Consent.objects.get()
    assert consent.content_manifest["posts"] == [{"channel": key, "text": POST_TEXT, "image": None}]
    current = content_hash(draft(story))
    assert consent.content_hash == current
    assert Consent.objects.valid_for(story, key, content_hash=current) == [consent]


def test_changing_a_post_after_signing_needs_a_new_signature(story, mastodon_account):
    signed = with_post(story, mastodon_account)
    key = mastodon_account.channel_key
    build_consent(story, revision=signed, channels=["website", key])
    changed = change_post(story, text="Een tekst die Anna nooit heeft gezien.")

    current = content_hash(changed.as_object())
    assert Consent.objects.valid_for(story, key, content_hash=current) == []
    with pytest.raises(ConsentRequired) as refused:
        changed.publish()
    assert refused.value.reason == "changed"
    assert refused.value.changed == ("post_text",)
    assert "the text of the social media posts" in str(refused.value.messages[0])
    assert not reload(story).live
    # The signed version still publishes.
    signed.publish()
    assert reload(story).live_revision_id == signed.pk


def test_the_publish_button_names_the_changed_post(client, superuser, story, mastodon_account):
    signed = with_post(story, mastodon_account)
    build_consent(story, revision=signed, channels=["website", mastodon_account.channel_key])
    client.force_login(superuser)
    edit_url = reverse("wagtailadmin_pages:edit", args=[story.pk])
    data = querydict_from_html(client.get(edit_url).content.decode(), form_id="page-edit-form")
    for name in [name for name in data if name.startswith("body-")]:
        del data[name]
    for name, value in nested_form_data(
        {"body": streamfield([("paragraph", rich_text("<p>Ik werd goed geholpen.</p>"))])}
    ).items():
        data[name] = value
    data["post_plans-0-text"] = "Nieuwe tekst voor Mastodon."
    data["action-publish"] = "action-publish"
    response = client.post(edit_url, data)
    assert response.status_code == 302
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("changed after signing" in message and "social media posts" in message for message in messages)
    assert not reload(story).live


def test_changing_a_post_image_needs_a_new_signature(story, mastodon_account, image):
    signed = with_post(story, mastodon_account, image=image, image_alt="Anna op het wandelpad.")
    build_consent(story, revision=signed, channels=["website", mastodon_account.channel_key])
    assert content_manifest(signed.as_object())["posts"][0]["image"]["alt"] == "Anna op het wandelpad."
    changed = change_post(story, image_alt="Anna in de wachtkamer.")
    with pytest.raises(ConsentRequired) as refused:
        changed.publish()
    assert refused.value.changed == ("post_image",)


def test_switching_a_post_off_needs_no_new_signature(story, mastodon_account):
    signed = with_post(story, mastodon_account)
    build_consent(story, revision=signed, channels=["website"])
    # The signer left Mastodon out; the editor switches that post off, and the story still goes live.
    switched_off = change_post(story, enabled=False)
    switched_off.publish()
    assert reload(story).live_revision_id == switched_off.pk


def test_a_story_without_posts_keeps_its_hash(story):
    """Stories signed before posts were covered, and stories without posts, are not re-signed."""
    manifest = content_manifest(draft(story))
    assert "posts" not in manifest


def test_reconsent_says_the_post_text_changed(client, story, editor, mastodon_account):
    signed = with_post(story, mastodon_account)
    previous = build_consent(story, revision=signed, channels=["website", mastodon_account.channel_key])
    changed = change_post(story, text="Een nieuwe tekst.")
    _request, token = create_request(
        story=reload(story),
        revision=changed,
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website", mastodon_account.channel_key],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
        previous_consent=previous,
    )
    html = client.get(reverse("consent:sign", args=[token])).content.decode()
    changes = html.split("What changed since you signed", 1)[1].split("</ul>", 1)[0]
    assert str(FIELD_LABELS["post_text"]) in changes
    assert str(FIELD_LABELS["title"]) not in changes


# The signing page shows the posts


def test_the_signing_page_shows_each_post_next_to_its_channel(client, editor, story, mastodon_account, image):
    with_post(story, mastodon_account, image=image, image_alt="Anna op het wandelpad.")
    link = sign_link(client, editor, story, ["website", mastodon_account.channel_key])
    html = client.get(link).content.decode()
    channels = channel_fieldset(html)
    mastodon = channels.split(mastodon_account.name, 1)[1]
    # As Mastodon will post it: the text, then the tagged link to the story.
    assert POST_TEXT in mastodon and "utm_source=mastodon" in mastodon
    assert 'alt="Anna op het wandelpad."' in mastodon
    # Nothing is shown under the website: it has no post.
    website = channels.split(mastodon_account.name, 1)[0]
    assert POST_TEXT not in website


def test_the_signing_page_shows_the_summary_as_the_default_post(client, editor, story, mastodon_account):
    with_post(story, mastodon_account, text="")
    link = sign_link(client, editor, story, ["website", mastodon_account.channel_key])
    mastodon = channel_fieldset(client.get(link).content.decode()).split(mastodon_account.name, 1)[1]
    assert reload(story).summary in mastodon


# Organisation stories


def test_organisation_stories_need_no_consent_for_their_posts(make_org_story, mastodon_account):
    page = make_org_story(publish=False)
    page.post_plans = [PostPlan(account=mastodon_account, text="Eerste tekst.")]
    page.save_revision().publish()
    page = type(page).objects.get(pk=page.pk)
    plan = page.post_plans.get()
    plan.text = "Andere tekst."
    page.post_plans = [plan]
    revision = page.save_revision()
    revision.publish()
    page = type(page).objects.get(pk=page.pk)
    assert page.live and page.live_revision_id == revision.pk
    assert page.post_plans.get().text == "Andere tekst."


# Photos and video


def test_no_photos_means_no_hero_image(story, image):
    page = draft(story)
    page.hero_image = image
    page.hero_image_alt = "Anna in de wachtkamer."
    revision = page.save_revision()
    build_consent(story, revision=revision, allow_photos=False)
    with pytest.raises(ConsentRequired) as refused:
        revision.publish()
    assert refused.value.reason == "no_photos"
    assert "did not allow photos" in str(refused.value.messages[0])
    assert not reload(story).live
    # A consent that allows photos covers the same content.
    build_consent(story, revision=revision, allow_photos=True)
    revision.publish()
    assert reload(story).live


def test_no_photos_means_no_image_in_the_text(story, image):
    page = draft(story)
    page.body = [("image", {"image": image, "alt": "Een röntgenfoto.", "caption": ""})]
    revision = page.save_revision()
    build_consent(story, revision=revision, allow_photos=False, allow_video=True)
    with pytest.raises(ConsentRequired) as refused:
        revision.publish()
    assert refused.value.reason == "no_photos"


def test_no_video_means_no_video_block(story):
    page = draft(story)
    page.body = [("video", {"url": "https://www.youtube.com/watch?v=abcdefghijk", "title": "Anna loopt"})]
    revision = page.save_revision()
    build_consent(story, revision=revision, allow_photos=True, allow_video=False)
    with pytest.raises(ConsentRequired) as refused:
        revision.publish()
    assert refused.value.reason == "no_video"
    assert "did not allow video" in str(refused.value.messages[0])


def test_a_story_without_media_needs_no_photo_permission(story):
    build_consent(story, allow_photos=False, allow_video=False)
    story.get_latest_revision().publish()
    assert reload(story).live


def test_the_editor_is_told_the_signer_refused_photos(client, superuser, story, image):
    page = draft(story)
    page.hero_image = image
    page.hero_image_alt = "Anna in de wachtkamer."
    revision = page.save_revision()
    build_consent(story, revision=revision, allow_photos=False)
    client.force_login(superuser)
    html = client.get(reverse("wagtailadmin_pages:edit", args=[story.pk])).content.decode()
    assert "did not allow photos" in html
    assert not story.permissions_for_user(superuser).can_publish()


def test_the_signing_page_says_the_story_shows_images(client, editor, story, image):
    page = draft(story)
    page.hero_image = image
    page.hero_image_alt = "Anna in de wachtkamer."
    page.save_revision()
    html = client.get(sign_link(client, editor, story, ["website"])).content.decode()
    # The signing page speaks the language of the request (Dutch here), whatever the admin's.
    assert "Dit verhaal toont afbeeldingen." in html
