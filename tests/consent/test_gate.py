"""The publishing gate: every door to 'live' refuses a patient story that no consent covers."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageLogEntry
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, rich_text, streamfield

from consent.gate import BLOCKED_LOG_ACTION, ConsentRequired
from stories.models import PatientStoryPage

pytestmark = pytest.mark.django_db


def reload(page):
    return PatientStoryPage.objects.get(pk=page.pk)


def edit_form_data(client, page, body_html="<p>Ik werd goed geholpen.</p>", **changes):
    """The edit form as the browser would post it (the StreamField is built by hand: it is JS-rendered)."""
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for key in [key for key in data if key.startswith("body-")]:
        del data[key]
    body = nested_form_data({"body": streamfield([("paragraph", rich_text(body_html))])})
    for key, value in {**body, **changes}.items():
        data[key] = value
    return data


def post_publish(client, page, **changes):
    data = edit_form_data(client, page, **changes)
    data["action-publish"] = "action-publish"
    return client.post(reverse("wagtailadmin_pages:edit", args=[page.pk]), data)


# The admin Publish button


@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_publish_button_is_refused_without_consent(client, story, who, request):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert not story.permissions_for_user(user).can_publish()
    response = post_publish(client, story)
    assert response.status_code in (200, 302)
    assert not reload(story).live


@pytest.mark.parametrize("who", ["editor", "superuser"])
def test_publish_button_works_with_a_covering_consent(client, story, who, request, make_consent):
    user = request.getfixturevalue(who)
    make_consent(story)
    assert story.permissions_for_user(user).can_publish()
    client.force_login(user)
    response = post_publish(client, story)
    assert response.status_code == 302
    page = reload(story)
    assert page.live
    assert page.live_revision_id is not None


def test_publishing_changed_content_after_signing_explains_what_changed(client, story, superuser, make_consent):
    make_consent(story)
    client.force_login(superuser)
    response = post_publish(client, story, title="Een andere titel")
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_pages:edit", args=[story.pk])
    page = reload(story)
    assert not page.live
    # The edit is kept as a draft, nothing is lost.
    assert page.get_latest_revision_as_object().title == "Een andere titel"
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("changed after signing" in message and "title" in message for message in messages)
    assert PageLogEntry.objects.filter(page=story, action=BLOCKED_LOG_ACTION).exists()
    # Opening the editor again says which signed fields the draft changed.
    follow = client.get(response.url)
    assert "changed after signing" in follow.content.decode()


def test_create_view_publish_is_refused_with_a_message(client, superuser, story_index, person):
    client.force_login(superuser)
    url = reverse("wagtailadmin_pages:add", args=["stories", "patientstorypage", story_index.pk])
    response = client.get(url)
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    for key in [key for key in data if key.startswith("body-")]:
        del data[key]
    extra = nested_form_data(
        {
            "title": "Nieuw verhaal",
            "slug": "nieuw-verhaal",
            "summary": "Samenvatting.",
            "storyteller": str(person.pk),
            "body": streamfield([("paragraph", rich_text("<p>Tekst.</p>"))]),
        }
    )
    for key, value in extra.items():
        data[key] = value
    data["action-publish"] = "action-publish"
    response = client.post(url, data)
    page = PatientStoryPage.objects.get(slug="nieuw-verhaal")
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert not page.live
    messages = [str(message) for message in response.wsgi_request._messages]
    assert any("no signed consent" in message for message in messages)


# Code paths


def test_revision_publish_from_code_raises_without_consent(story):
    revision = story.get_latest_revision()
    with pytest.raises(ConsentRequired):
        revision.publish()
    assert not reload(story).live
    assert PageLogEntry.objects.filter(page=story, action=BLOCKED_LOG_ACTION).exists()


def test_revision_publish_from_code_works_with_consent(story, make_consent):
    make_consent(story)
    story.get_latest_revision().publish()
    assert reload(story).live


def test_save_live_is_refused_without_consent(story):
    story.live = True
    with pytest.raises(ConsentRequired):
        story.save()
    assert not reload(story).live


def test_save_live_works_with_consent(story, make_consent):
    make_consent(story)
    page = reload(story)
    page.live = True
    page.save()
    assert reload(story).live


def test_new_patient_story_created_live_in_code_starts_as_draft(story_index, person):
    page = PatientStoryPage(title="Direct live", summary="x", storyteller=person, locale=story_index.locale)
    story_index.add_child(instance=page)
    assert not reload(page).live


def test_other_consent_states_do_not_cover(story, make_consent):
    expired = make_consent(story, valid_until=timezone.now() - datetime.timedelta(days=1))
    with pytest.raises(ConsentRequired) as info:
        story.get_latest_revision().publish()
    assert info.value.reason == "inactive"
    expired.delete()
    withdrawn = make_consent(story, withdrawn_at=timezone.now())
    with pytest.raises(ConsentRequired):
        story.get_latest_revision().publish()
    withdrawn.delete()
    make_consent(story, withdrawn_channels=["website"], channels=["website", "newsletter"])
    with pytest.raises(ConsentRequired):
        story.get_latest_revision().publish()
    assert not reload(story).live


def test_consent_without_the_website_does_not_cover(story, make_consent):
    make_consent(story, channels=["newsletter", "social"])
    with pytest.raises(ConsentRequired) as info:
        story.get_latest_revision().publish()
    assert info.value.reason == "not_website"
    assert not reload(story).live


def test_edit_after_signing_blocks_until_resigned(story, make_consent):
    make_consent(story)
    story.get_latest_revision().publish()
    page = reload(story)
    page.body = [("paragraph", "<p>Een zin die de patiënt niet zag.</p>")]
    revision = page.save_revision()
    with pytest.raises(ConsentRequired) as info:
        revision.publish()
    assert info.value.reason == "changed"
    assert info.value.changed == ("body",)
    # The signed version stays live.
    assert reload(story).live_revision_id != revision.pk
    make_consent(story, revision=revision)
    revision.publish()
    assert reload(story).live_revision_id == revision.pk


def test_naming_change_after_signing_needs_a_new_signature(story, make_consent):
    make_consent(story)
    page = reload(story)
    page.naming = "full_name"
    revision = page.save_revision()
    with pytest.raises(ConsentRequired) as info:
        revision.publish()
    assert set(info.value.changed) == {"naming", "storyteller"}
    assert "a new signature is needed" in str(info.value.messages[0])


# Scheduled publishing


def test_scheduled_publication_without_consent_is_cancelled_and_logged(story):
    revision = story.get_latest_revision()
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(minutes=5)
    revision.save()
    call_command("publish_scheduled")
    assert not reload(story).live
    revision.refresh_from_db()
    assert revision.approved_go_live_at is None
    assert PageLogEntry.objects.filter(page=story, action=BLOCKED_LOG_ACTION).exists()


def test_scheduled_publication_with_consent_goes_live(story, make_consent):
    make_consent(story)
    revision = story.get_latest_revision()
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(minutes=5)
    revision.save()
    call_command("publish_scheduled")
    assert reload(story).live


# Copies, aliases, bulk actions


def test_copy_of_a_live_story_kept_live_is_a_draft(story, make_consent, story_index):
    make_consent(story)
    story.get_latest_revision().publish()
    page = reload(story)
    copy = page.copy(update_attrs={"slug": "kopie", "title": "Kopie"}, keep_live=True)
    copy = reload(copy)
    assert not copy.live
    assert copy.live_revision_id is None
    assert reload(story).live


def test_alias_update_after_withdrawal_leaves_the_alias_a_draft(story, make_consent, home_en, locales):
    consent = make_consent(story)
    story.get_latest_revision().publish()
    page = reload(story)
    home_en.save_revision().publish()
    index_en = page.get_parent().specific.copy_for_translation(locales["en"], alias=True)
    alias = page.create_alias(parent=index_en, update_locale=locales["en"])
    assert reload(alias).live
    consent.withdrawn_at = timezone.now()
    consent.save()
    page.update_aliases()
    assert not reload(alias).live


def test_alias_follows_a_consented_story(story, make_consent, home_en, locales):
    """An alias at the same address in another language's tree shows what the signer saw."""
    make_consent(story)
    story.get_latest_revision().publish()
    page = reload(story)
    home_en.save_revision().publish()
    index_en = page.get_parent().specific.copy_for_translation(locales["en"], alias=True)
    alias = page.create_alias(parent=index_en, update_locale=locales["en"])
    page.update_aliases()
    assert reload(alias).live


def test_bulk_publish_skips_stories_without_consent(client, superuser, story, make_consent, make_patient_story):
    consented = make_patient_story(title="Met toestemming")
    make_consent(consented)
    client.force_login(superuser)
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    response = client.post(f"{url}?id={story.pk}&id={consented.pk}", {})
    assert response.status_code in (200, 302)
    assert not reload(story).live
    assert reload(consented).live


# Organisation stories need no consent


def test_organisation_stories_publish_freely(client, superuser, make_org_story):
    page = make_org_story()
    assert page.live
    assert page.permissions_for_user(superuser).can_publish()
