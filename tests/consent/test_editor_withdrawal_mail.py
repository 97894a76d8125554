"""The editor's withdrawal mail names the story and links to its edit page at the public address, in their language."""

import pytest
from django.core import mail
from wagtail.users.models import UserProfile

from consent.models import hash_token, new_token
from stories.models import PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "subject", "says"),
    [
        ("nl", "Toestemming ingetrokken: Terug op de fiets", "is ingetrokken voor"),
        ("en", "Consent withdrawn: Terug op de fiets", "was withdrawn for"),
    ],
)
def test_the_withdrawal_mail_names_the_story_and_links_to_its_edit_page(
    client, make_patient_story, editor, settings, django_capture_on_commit_callbacks, language, subject, says
):
    settings.WAGTAILADMIN_BASE_URL = "https://verhalen.example.nl"
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = language
    profile.save()
    story = make_patient_story(title="Terug op de fiets")
    PatientStoryPage.objects.filter(pk=story.pk).update(owner=editor)
    story.refresh_from_db()
    token = new_token()
    build_consent(story, channels=("website",), withdrawal_token_hash=hash_token(token))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/nl/consent/withdraw/{token}/", {})
    [notice] = [message for message in mail.outbox if message.to == ["editor@example.org"]]
    assert notice.subject == subject
    assert "“Terug op de fiets”" in notice.body and says in notice.body
    assert f"https://verhalen.example.nl/admin/pages/{story.pk}/edit/" in notice.body
    assert notice.extra_headers["Content-Language"] == language
