"""What one withdrawal reaches: every signer's consent for the story, and every language version."""

import re

import pytest
from django.core import mail

from consent.models import Consent, hash_token, new_token
from stories.models import PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


def reload(page):
    return PatientStoryPage.objects.get(pk=page.pk)


@pytest.fixture
def two_parents(make_patient_story):
    """A live story of a child, signed by both parents; the first parent's raw withdrawal token."""
    story = make_patient_story(title="Onze dochter op de kinderafdeling")
    token = new_token()
    first = build_consent(story, channels=("website", "newsletter"), withdrawal_token_hash=hash_token(token))
    second = build_consent(story, channels=("website", "newsletter"), withdrawal_token_hash=hash_token(new_token()))
    second.request.signer_name = "Bram de Vries"
    second.request.signer_email = "bram@example.org"
    second.request.save()
    story.save_revision().publish()
    assert reload(story).live
    return story, first, second, token


def test_one_parent_withdrawing_takes_the_story_down_although_the_other_signed(
    client, two_parents, django_capture_on_commit_callbacks
):
    story, first, second, token = two_parents
    url = f"/nl/consent/withdraw/{token}/"
    page = client.get(url).content.decode()
    assert "Onze dochter op de kinderafdeling" in page  # the page names the story
    assert "meer dan één persoon" in page or "more than one person" in page

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {})
    assert done.status_code == 200
    assert not reload(story).live
    assert client.get(story.url).status_code == 404
    second.refresh_from_db()
    assert second.withdrawn_at is not None
    assert not second.is_active
    assert not Consent.objects.valid_for(story, "website")
    # The other parent is told, in their own mail.
    assert any("bram@example.org" in message.to for message in mail.outbox)


def test_withdrawing_one_channel_withdraws_that_channel_for_every_signer(
    client, two_parents, django_capture_on_commit_callbacks
):
    story, first, second, token = two_parents
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/nl/consent/withdraw/{token}/", {"channels": ["newsletter"]})
    second.refresh_from_db()
    assert "newsletter" in second.withdrawn_channels
    assert not Consent.objects.valid_for(story, "newsletter")
    assert reload(story).live  # the website stays: nobody withdrew it


@pytest.fixture
def story_in_two_languages(make_patient_story, home_en, story_index, locales):
    """One patient's story live in Dutch and English, each with its own consent by the same signer."""
    home_en.save_revision().publish()
    story_index.copy_for_translation(locales["en"]).save_revision().publish()
    dutch = make_patient_story(title="Mijn herstel")
    token = new_token()
    build_consent(dutch, withdrawal_token_hash=hash_token(token))
    dutch.save_revision().publish()
    english = dutch.copy_for_translation(locales["en"]).specific
    english.title = "My recovery"
    english.save_revision()
    build_consent(english, withdrawal_token_hash=hash_token(new_token()))
    english.save_revision().publish()
    assert reload(dutch).live and reload(english).live
    return dutch, english, token


def test_the_withdrawal_page_offers_every_language_version_in_one_step(
    client, story_in_two_languages, django_capture_on_commit_callbacks
):
    dutch, english, token = story_in_two_languages
    url = f"/nl/consent/withdraw/{token}/"
    page = client.get(url).content.decode()
    assert "My recovery" in page
    checkbox = re.search(r'<input[^>]*name="all_versions"[^>]*>', page)
    assert checkbox and "checked" in checkbox.group(0)  # ticked: one step withdraws every version

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"all_versions": "on"})
    assert "My recovery" in done.content.decode()
    assert not reload(dutch).live
    assert not reload(english).live
    assert client.get(english.url).status_code == 404


def test_the_other_language_stays_when_the_signer_unticks_it(
    client, story_in_two_languages, django_capture_on_commit_callbacks
):
    dutch, english, token = story_in_two_languages
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/nl/consent/withdraw/{token}/", {})
    assert not reload(dutch).live
    assert reload(english).live


def test_staff_are_told_in_their_language_with_the_story_title_and_a_link(
    client, two_parents, django_capture_on_commit_callbacks, settings, django_user_model
):
    from wagtail.users.models import UserProfile

    story, first, second, token = two_parents
    settings.VERTEL = {**settings.VERTEL, "CONSENT_OFFICER_EMAIL": "privacy@example.org"}
    editor = django_user_model.objects.create_user("redacteur", email="redacteur@example.org", password="x")
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "nl"
    profile.save()
    first.request.created_by = editor
    first.request.save()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/consent/withdraw/{token}/", {})

    to_editor = next(message for message in mail.outbox if message.to == ["redacteur@example.org"])
    assert to_editor.subject == "Toestemming ingetrokken: Onze dochter op de kinderafdeling"
    assert f"http://testserver/admin/pages/{story.pk}/edit/" in to_editor.body
    assert "Onze website, Onze e-mailnieuwsbrief." in to_editor.body  # channels in words, not keys
    to_officer = next(message for message in mail.outbox if message.to == ["privacy@example.org"])
    assert "Onze dochter op de kinderafdeling" in to_officer.subject
    assert str(first.reference) in to_officer.body
