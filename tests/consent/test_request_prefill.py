"""The consent request form starts from the storyteller on file (issue 13): their name and
e-mail address, or for a minor the parent or guardian who signed for them before."""

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from consent.forms import RequestConsentForm
from consent.models import ConsentRequest, SignerRole
from tests.factories import PersonFactory


def years_ago(years):
    today = timezone.localdate()
    return today.replace(year=today.year - years) - datetime.timedelta(days=1)


@pytest.mark.django_db
def test_the_form_shows_the_storytellers_name_and_address(client, superuser, make_patient_story):
    person = PersonFactory(full_name="Karin Bakker", email="karin@example.org", birth_date=years_ago(40))
    story = make_patient_story(storyteller=person)
    client.force_login(superuser)

    form = client.get(f"/admin/consent/request/{story.pk}/").context["form"]
    assert form["signer_name"].value() == "Karin Bakker"
    assert form["signer_email"].value() == "karin@example.org"
    assert form["signer_role"].value() == SignerRole.PATIENT
    assert form["language"].value() == story.locale.language_code
    assert person.birth_date.strftime("%d-%m-%Y") in str(form.fields["signer_role"].help_text)


@pytest.mark.django_db
def test_a_minor_is_prefilled_with_the_representative_who_signed_before(make_patient_story, django_user_model):
    child = PersonFactory(full_name="Sem de Boer", email="sem@example.org", birth_date=years_ago(9))
    story = make_patient_story(storyteller=child)
    form = RequestConsentForm(story=story)
    # The child does not sign: no name of theirs, a parent by default.
    assert form["signer_name"].value() is None and form["signer_role"].value() == SignerRole.PARENT

    ConsentRequest.objects.create(
        story=story,
        revision=story.get_latest_revision(),
        person=child,
        signer_name="Lotte de Boer",
        signer_email="lotte@example.org",
        signer_role=SignerRole.GUARDIAN,
        language="nl",
        token_hash="x" * 64,
        expires_at=timezone.now(),
    )
    form = RequestConsentForm(story=story)
    assert form["signer_name"].value() == "Lotte de Boer"
    assert form["signer_email"].value() == "lotte@example.org"
    assert form["signer_role"].value() == SignerRole.GUARDIAN


@pytest.mark.django_db
def test_what_the_editor_typed_wins_and_the_age_check_still_holds(make_patient_story):
    child = PersonFactory(full_name="Sem de Boer", birth_date=years_ago(settings.VERTEL["AGE_OF_OWN_CONSENT"] - 2))
    story = make_patient_story(storyteller=child)
    form = RequestConsentForm(
        {"signer_name": "Sem", "signer_role": SignerRole.PATIENT, "language": "nl", "proposed_channels": []},
        story=story,
    )
    assert not form.is_valid() and "signer_role" in form.errors


@pytest.mark.django_db
def test_no_storyteller_or_an_erased_one_prefills_nothing(make_patient_story):
    assert RequestConsentForm(story=make_patient_story(storyteller=None))["signer_name"].value() is None
    erased = PersonFactory(full_name="[erased #1]", erased_at=timezone.now())
    assert RequestConsentForm(story=make_patient_story(storyteller=erased))["signer_name"].value() is None


@pytest.mark.django_db
def test_the_storyteller_changed_in_a_draft_is_the_one_prefilled_and_recorded(client, superuser, make_patient_story):
    """What will be signed is the latest revision: its storyteller, not the live row's."""
    old = PersonFactory(full_name="Karin Bakker", email="karin@example.org", birth_date=years_ago(40))
    new = PersonFactory(full_name="Joost Visser", email="joost@example.org", birth_date=years_ago(55))
    story = make_patient_story(storyteller=old)
    draft = story.get_latest_revision_as_object()
    draft.storyteller = new
    draft.save_revision(user=superuser)
    story.refresh_from_db()
    assert story.storyteller == old  # the row is unchanged until the draft is published
    client.force_login(superuser)

    form = client.get(f"/admin/consent/request/{story.pk}/").context["form"]
    assert form["signer_name"].value() == "Joost Visser"
    assert form["signer_email"].value() == "joost@example.org"

    response = client.post(
        f"/admin/consent/request/{story.pk}/",
        {
            "signer_name": "Joost Visser",
            "signer_email": "joost@example.org",
            "signer_role": SignerRole.PATIENT,
            "language": "nl",
            "proposed_channels": ["website"],
        },
    )
    assert response.status_code == 302
    assert ConsentRequest.objects.get().person == new
