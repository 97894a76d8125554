"""What editors see of their stories' consents (issue 13): the mails, the dashboard, the explorer, no autosave.

A signature, a withdrawal and a consent ending soon are told to the story's owner and the editor
who asked, once each, in their admin language, with the story's title and a link; the dashboard
lists signed-and-ready, waiting, expiring and withdrawn stories; the page explorer has a consent
column that costs no query per row; the edit page says when the consent was withdrawn; Wagtail's
autosave never makes or writes a patient story.
"""

import datetime
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Page
from wagtail.users.models import UserProfile

from consent import states
from consent.editor_notices import staff_recipients
from consent.models import ConsentRequest, hash_token, new_token
from consent.periodic import warn_before_expiry
from consent.services.requests import create_request
from consent.services.withdrawal import withdraw
from stories.models import PatientStoryPage

from .gate_fixtures import build_consent

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def dutch_editor(editor):
    profile = UserProfile.get_for_user(editor)
    profile.preferred_language = "nl"
    profile.save()
    return editor


@pytest.fixture
def owned_story(make_patient_story, dutch_editor):
    story = make_patient_story(title="Terug op de fiets")
    story.owner = dutch_editor
    story.save_revision()
    PatientStoryPage.objects.filter(pk=story.pk).update(owner=dutch_editor)
    story.refresh_from_db()
    return story


def to(address):
    return [message for message in mail.outbox if message.to == [address]]


# -- the mails ------------------------------------------------------------------------------------


def test_the_owner_hears_of_a_signature_in_their_language_with_title_and_link(
    owned_story, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        consent = build_consent(owned_story, channels=("website",))
    [notice] = to("editor@example.org")
    assert notice.subject == "Toestemming gegeven: Terug op de fiets"
    assert f"http://testserver/admin/pages/{owned_story.pk}/edit/" in notice.body
    assert consent.reference in notice.body
    # Nothing of the signer: their name, address and typed name stay out.
    assert consent.signer_typed_name not in notice.body + notice.subject
    assert consent.request.signer_email not in notice.body
    assert notice.extra_headers["Content-Language"] == "nl"


def test_owner_requester_and_officer_are_each_told_once(owned_story, settings, django_user_model):
    settings.VERTEL = {**settings.VERTEL, "CONSENT_OFFICER_EMAIL": "privacy@example.org"}
    consent = build_consent(owned_story, channels=("website",))
    consent.request.created_by = owned_story.owner  # the owner asked: one mail, not two
    assert staff_recipients(consent) == [("editor@example.org", "nl"), ("privacy@example.org", "en")]
    other = django_user_model.objects.create_user("tweede", email="tweede@example.org", password="x")
    consent.request.created_by = other
    assert [address for address, _ in staff_recipients(consent)] == [
        "editor@example.org",
        "privacy@example.org",
        "tweede@example.org",
    ]
    assert [address for address, _ in staff_recipients(consent, officer=False)] == [
        "editor@example.org",
        "tweede@example.org",
    ]
    other.is_active = False
    assert "tweede@example.org" not in dict(staff_recipients(consent))


def test_a_withdrawal_is_told_to_the_owner_once(client, owned_story, django_capture_on_commit_callbacks):
    token = new_token()
    consent = build_consent(owned_story, channels=("website",), withdrawal_token_hash=hash_token(token))
    consent.request.created_by = owned_story.owner  # the owner asked too: still one mail
    consent.request.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/en/consent/withdraw/{token}/", {})
    [notice] = to("editor@example.org")
    assert notice.subject == "Toestemming ingetrokken: Terug op de fiets"
    assert f"/admin/pages/{owned_story.pk}/edit/" in notice.body


def test_the_expiry_warning_reaches_the_owner_in_their_language_with_the_title(owned_story):
    consent = build_consent(owned_story, channels=("website",), valid_until=timezone.now() + 5 * DAY)
    mail.outbox.clear()
    assert warn_before_expiry() == 1
    [warning] = to("editor@example.org")
    assert consent.reference in warning.subject and "eindigt op" in warning.subject
    assert "“Terug op de fiets”" in warning.body
    assert f"http://testserver/admin/pages/{owned_story.pk}/edit/" in warning.body
    assert warn_before_expiry() == 0 and len(to("editor@example.org")) == 1  # once


# -- the states, the dashboard and the explorer ---------------------------------------------------


@pytest.fixture
def four_stories(make_patient_story, editor):
    now = timezone.now()
    signed = make_patient_story(title="Ondertekend verhaal")
    build_consent(signed, channels=("website",), valid_until=now + 200 * DAY)
    expiring = make_patient_story(title="Bijna verlopen verhaal")
    build_consent(expiring, channels=("website",), valid_until=now + 3 * DAY)
    withdrawn = make_patient_story(title="Ingetrokken verhaal")
    withdraw(build_consent(withdrawn, channels=("website",)), reason="withdrawn", actor="signer")
    pending = make_patient_story(title="Wachtend verhaal")
    create_request(
        story=pending,
        signer_name="Bob",
        signer_email="bob@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    nothing = make_patient_story(title="Nog niets")
    return {"signed": signed, "expiring": expiring, "withdrawn": withdrawn, "pending": pending, "nothing": nothing}


def test_each_story_has_one_state(four_stories, django_assert_num_queries):
    ids = [story.pk for story in four_stories.values()]
    with django_assert_num_queries(2):
        found = states.story_states(ids)
    assert found == {
        four_stories["signed"].pk: states.SIGNED,
        four_stories["expiring"].pk: states.EXPIRING,
        four_stories["withdrawn"].pk: states.WITHDRAWN,
        four_stories["pending"].pk: states.PENDING,
    }
    assert states.story_states([]) == {}


def test_a_new_request_after_a_withdrawal_is_pending_and_a_new_signature_signed(four_stories, editor):
    story = four_stories["withdrawn"]
    create_request(
        story=story,
        signer_name="Bob",
        signer_email="bob@example.org",
        signer_role="patient",
        language="nl",
        proposed_channels=["website"],
        delivery=ConsentRequest.Delivery.EMAIL,
        created_by=editor,
    )
    assert states.story_states([story.pk]) == {story.pk: states.PENDING}
    build_consent(story, channels=("website",))
    assert states.story_states([story.pk]) == {story.pk: states.SIGNED}


def test_the_dashboard_lists_ready_waiting_expiring_and_withdrawn(client, editor, four_stories):
    client.force_login(editor)
    html = client.get("/admin/").content.decode()
    panel = html.split('id="consent-overview-section"')[1].split("</section>")[0]
    lists = dict(re.findall(r'data-consent-list="(\w+)">(.*?)</table>', panel, re.S))
    assert "Ondertekend verhaal" in lists["ready"] and "Bijna verlopen verhaal" in lists["ready"]
    assert "Wachtend verhaal" in lists["pending"]
    assert "Bijna verlopen verhaal" in lists["expiring"] and "Ondertekend verhaal" not in lists["expiring"]
    assert "Ingetrokken verhaal" in lists["withdrawn"]
    assert f'href="/admin/pages/{four_stories["withdrawn"].pk}/edit/"' in lists["withdrawn"]
    assert "Nog niets" not in panel
    assert "bob@example.org" not in panel and "Bob" not in panel


def test_a_published_story_is_no_longer_ready(client, editor, four_stories):
    four_stories["signed"].get_latest_revision().publish()
    client.force_login(editor)
    html = client.get("/admin/").content.decode()
    ready = re.search(r'data-consent-list="ready">(.*?)</table>', html, re.S).group(1)
    assert "Ondertekend verhaal" not in ready and "Bijna verlopen verhaal" in ready


def test_an_empty_list_shows_its_heading_and_says_so_without_column_names(client, editor, four_stories):
    four_stories["signed"].get_latest_revision().publish()
    four_stories["expiring"].get_latest_revision().publish()
    client.force_login(editor)
    html = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    ready = re.search(r'data-consent-list="ready">(.*?)</table>', html, re.S).group(1)
    headings = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", ready, re.S)
    assert headings == ["Signed and ready to publish"] and "None." in ready
    withdrawn = re.search(r'data-consent-list="withdrawn">(.*?)</table>', html, re.S).group(1)
    assert len(re.findall(r"<th(?:\s[^>]*)?>", withdrawn)) == 3


def explorer_states(html):
    return dict(re.findall(r'href="/admin/pages/(\d+)/edit/"[^>]*>.*?data-consent-state="(\w*)"', html, re.S))


def test_the_explorer_shows_each_storys_consent_state(client, superuser, four_stories):
    client.force_login(superuser)
    index = four_stories["signed"].get_parent()
    html = client.get(f"/admin/pages/{index.pk}/").content.decode()
    assert ">Consent<" in html or "Consent\n" in html
    cells = re.findall(r'data-consent-state="(\w*)"', html)
    assert sorted(cells) == ["", "expiring", "pending", "signed", "withdrawn"]
    for state in ("signed", "expiring", "withdrawn"):
        cell = re.search(rf'data-consent-state="{state}">(.*?)</td>', html, re.S).group(1)
        assert str(states.LABELS[state]) in cell


def test_the_consent_column_adds_no_query_per_row(
    client, superuser, four_stories, make_patient_story, django_assert_max_num_queries
):
    client.force_login(superuser)
    index = four_stories["signed"].get_parent()
    url = f"/admin/pages/{index.pk}/"
    client.get(url)  # warm Wagtail's caches (content types, site root paths)
    with CaptureQueriesContext(connection) as five_rows:
        client.get(url)
    for n in range(10):
        story = make_patient_story(title=f"Nog een verhaal {n}")
        build_consent(story, channels=("website",), valid_until=timezone.now() + (n + 1) * DAY)
    with django_assert_max_num_queries(len(five_rows.captured_queries)):
        html = client.get(url).content.decode()
    assert html.count('data-consent-state="expiring"') == 11


def test_the_search_listing_has_the_column_too(client, superuser, four_stories):
    client.force_login(superuser)
    html = client.get("/admin/pages/search/?q=verhaal").content.decode()
    assert 'data-consent-state="withdrawn"' in html and 'data-consent-state="pending"' in html


# -- the edit page after a withdrawal -------------------------------------------------------------


def test_the_edit_page_says_the_consent_was_withdrawn(client, editor, four_stories):
    client.force_login(editor)
    story = four_stories["withdrawn"]
    html = client.get(f"/admin/pages/{story.pk}/edit/").content.decode()
    assert "The consent for this story was withdrawn on" in html
    assert 'data-consent-state="withdrawn"' in html
    signed = client.get(f"/admin/pages/{four_stories['signed'].pk}/edit/").content.decode()
    assert "was withdrawn on" not in signed and 'data-consent-state="signed"' in signed


# -- autosave -------------------------------------------------------------------------------------


def test_patient_story_forms_have_no_autosave(client, editor, four_stories):
    client.force_login(editor)
    story = four_stories["nothing"]
    edit = client.get(f"/admin/pages/{story.pk}/edit/").content.decode()
    index = story.get_parent()
    create = client.get(f"/admin/pages/add/stories/patientstorypage/{index.pk}/").content.decode()
    for html in (edit, create):
        form = re.search(r'<form[^>]*id="page-edit-form".*?>', html, re.S).group(0)
        assert "w-unsaved" in form and "w-autosave" not in form  # the unsaved-changes warning stays
        assert "w-autosave-indicator" not in html


def test_other_pages_keep_wagtails_autosave(client, superuser, four_stories):
    client.force_login(superuser)
    index = four_stories["nothing"].get_parent()
    html = client.get(f"/admin/pages/{index.pk}/edit/").content.decode()
    form = re.search(r'<form[^>]*id="page-edit-form".*?>', html, re.S).group(0)
    assert "w-autosave" in form and "w-autosave-indicator" in html


def test_an_autosave_request_never_makes_or_writes_a_patient_story(client, editor, four_stories):
    client.force_login(editor)
    story = four_stories["nothing"]
    index = story.get_parent()
    pages = Page.objects.count()
    created = client.post(
        f"/admin/pages/add/stories/patientstorypage/{index.pk}/",
        {"title": "Half getypt", "slug": "half-getypt"},
        HTTP_ACCEPT="application/json",
    )
    assert created.status_code == 400 and created.json()["success"] is False
    assert Page.objects.count() == pages
    revisions = story.revisions.count()
    edited = client.post(
        f"/admin/pages/{story.pk}/edit/", {"title": "Half getypt", "slug": story.slug}, HTTP_ACCEPT="application/json"
    )
    assert edited.status_code == 400 and story.revisions.count() == revisions
