"""The evidence pages speak words, in the officer's language and the organisation's time zone; the log is as stored."""

import re

import pytest
from django.contrib.auth.models import Group
from django.utils import formats, timezone, translation
from wagtail.users.models import UserProfile

from consent.models import ConsentEvent
from tests.test_admin_dutch import visible_text

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(django_user_model):
    user = django_user_model.objects.create_user(
        username="officer", password="pw", email="officer@example.org", first_name="Sanne", last_name="Bakker"
    )
    user.groups.add(Group.objects.get(name="Consent officers"))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "nl"
    profile.save()
    return user


@pytest.fixture
def consent(make_patient_story):
    story = make_patient_story(title="Mijn verhaal", naming="first_name")
    return build_consent(story, channels=("website", "newsletter"), person=story.storyteller, naming="first_name")


def main_text(response):
    """The visible text of the page's main content (the menu is not the evidence)."""
    html = response.content.decode()
    return visible_text(html[html.find("<main") :] if "<main" in html else html)


def dutch_channels():
    """The consent's channels as the signer chose them, by their Dutch labels ("Onze website, …")."""
    from consent.hooks import channel_labels

    with translation.override("nl"):
        labels = channel_labels()
        return f"{labels['website']}, {labels['newsletter']}"


def amsterdam(value):
    local = timezone.localtime(value, timezone.get_default_timezone())
    with translation.override("nl"):
        return formats.date_format(local, "SHORT_DATETIME_FORMAT"), local.tzname()


def test_the_evidence_list_says_who_did_what_and_when_in_words(client, officer, consent, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    client.force_login(officer)
    client.get(f"/admin/consent/evidence/{consent.pk}/")  # an export: logged with the officer as actor
    text = main_text(client.get(f"/admin/consent/evidence/?story={consent.story_id}"))
    assert "de ondertekenaar" in text and "Sanne Bakker" in text
    assert "Ondertekend" in text and "Bewijs geëxporteerd" in text
    assert not re.search(r"\buser:\d+|\bsigner\b|\bnewsletter\b|\bfirst_name\b", text)
    assert dutch_channels() in text
    assert "Tijden staan in de tijdzone van de organisatie, Europe/Amsterdam." in text
    signed = ConsentEvent.objects.get(consent_id=consent.pk, kind=ConsentEvent.Kind.SIGNED)
    when, zone = amsterdam(signed.created_at)
    assert f"{when} {zone}" in text and zone in ("CET", "CEST")
    # The log itself is unchanged: the stored actor is still the code.
    assert signed.actor == "signer"
    assert ConsentEvent.objects.filter(kind=ConsentEvent.Kind.EXPORTED, actor=f"user:{officer.pk}").exists()


def test_the_printable_evidence_names_the_choices_in_words(client, officer, consent):
    client.force_login(officer)
    text = main_text(client.get(f"/admin/consent/evidence/{consent.pk}/"))
    assert "Alleen voornaam" in text and "first_name" not in text
    assert dutch_channels() in text and "de ondertekenaar" in text
    when, zone = amsterdam(consent.signed_at)
    assert f"{when} {zone}" in text
    assert consent.signed_at.isoformat() not in text
    # The JSON export is the record as stored: keys and UTC times.
    data = client.get(f"/admin/consent/evidence/{consent.pk}/?format=json").json()
    assert data["choices"]["naming"] == "first_name" and data["signed_at"] == consent.signed_at.isoformat()
    assert {event["actor"] for event in data["events"]} >= {"signer", f"user:{officer.pk}"}


def test_a_user_who_is_gone_is_named_so(client, officer, consent, django_user_model):
    from consent.evidence import record_event

    gone = django_user_model.objects.create_user(username="weg", password="pw")
    gone_id = gone.pk
    record_event(ConsentEvent.Kind.REVOKED, consent=consent, actor=f"user:{gone.pk}")
    gone.delete()
    client.force_login(officer)
    text = main_text(client.get(f"/admin/consent/evidence/?story={consent.story_id}"))
    assert f"een gebruiker die niet meer bestaat (user:{gone_id})" in text
