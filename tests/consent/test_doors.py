"""Doors to "live" below and beside the publish button: converting an alias, saving through a
parent class or with ``update_fields``, and withdrawal reaching every page that shows the story."""

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page

from consent.gate import ConsentRequired
from consent.services import withdraw
from stories.models import PatientStoryPage, StoryPage, Theme

pytestmark = pytest.mark.django_db


def reload(page):
    return PatientStoryPage.objects.get(pk=page.pk)


@pytest.fixture
def live_story(story, make_consent):
    consent = make_consent(story)
    story.get_latest_revision().publish()
    page = reload(story)
    assert page.live
    page.consent = consent
    return page


@pytest.fixture
def index_en(home_en, story_index, locales):
    home_en.save_revision().publish()
    return story_index.copy_for_translation(locales["en"], alias=True)


@pytest.fixture
def live_alias(live_story, index_en, locales):
    """The story shown as an alias in the English tree, at the same slug: what its consent covers."""
    alias = live_story.create_alias(parent=index_en, update_locale=locales["en"])
    alias = reload(alias)
    assert alias.live
    return alias


def public_status(client, page):
    return client.get(page.get_url()).status_code


# Hole 1: "Convert alias"


def test_converting_a_live_alias_in_the_admin_leaves_a_draft(client, superuser, live_story, live_alias):
    client.force_login(superuser)
    response = client.post(reverse("wagtailadmin_pages:convert_alias", args=[live_alias.pk]))
    assert response.status_code == 302
    converted = reload(live_alias)
    assert converted.alias_of_id is None
    assert not converted.live
    assert converted.live_revision_id is None
    client.logout()
    assert public_status(client, converted) == 404, converted.get_url()
    # The original is untouched.
    assert reload(live_story).live


def test_converting_a_live_alias_through_the_admin_api_leaves_a_draft(client, superuser, live_story, live_alias):
    client.force_login(superuser)
    url = reverse("wagtailadmin_api:pages:action", args=[live_alias.pk, "convert_alias"])
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 200
    converted = reload(live_alias)
    assert converted.alias_of_id is None
    assert not converted.live


def test_withdrawal_takes_down_the_alias_and_a_copy_converted_before_the_fix(
    client, live_story, live_alias, make_patient_story
):
    # A conversion made before the gate caught it: a live page that shows the story for itself.
    legacy = live_story.copy(update_attrs={"slug": "omgezette-alias"}, keep_live=False)
    Page.objects.filter(pk=legacy.pk).update(live=True, has_unpublished_changes=False)
    legacy = reload(legacy)
    story_url, alias_url, legacy_url = live_story.get_url(), live_alias.get_url(), legacy.get_url()
    assert client.get(story_url).status_code == 200
    assert client.get(alias_url).status_code == 200
    assert client.get(legacy_url).status_code == 200

    withdraw(live_story.consent)

    assert not reload(live_story).live
    assert not reload(live_alias).live
    assert not reload(legacy).live
    assert client.get(story_url).status_code == 404
    assert client.get(alias_url).status_code == 404
    assert client.get(legacy_url).status_code == 404


def test_convert_then_withdraw_leaves_nothing_live(client, superuser, live_story, live_alias):
    client.force_login(superuser)
    alias_url = live_alias.get_url()
    client.post(reverse("wagtailadmin_pages:convert_alias", args=[live_alias.pk]))
    client.logout()
    withdraw(live_story.consent)
    assert client.get(alias_url).status_code == 404
    assert not reload(live_alias).live


def test_withdrawal_keeps_another_story_of_the_same_storyteller_that_its_own_consent_covers(
    live_story, make_patient_story, make_consent
):
    second = make_patient_story(title="Tweede verhaal")
    make_consent(second)
    second.get_latest_revision().publish()
    withdraw(live_story.consent)
    assert not reload(live_story).live
    assert reload(second).live


def test_withdrawal_takes_down_a_copy_kept_live_before_the_fix(live_story):
    copy = live_story.copy(update_attrs={"slug": "kopie", "title": "Kopie"}, keep_live=True)
    # What a copy "kept live" was before the gate made it a draft.
    Page.objects.filter(pk=copy.pk).update(live=True)
    assert reload(copy).live
    withdraw(live_story.consent)
    assert not reload(copy).live


# Hole 5: saves below the admin


@pytest.mark.parametrize("model", [Page, StoryPage, PatientStoryPage])
def test_save_live_through_any_class_is_refused_without_consent(story, model):
    page = model.objects.get(pk=story.pk)
    page.live = True
    with pytest.raises(ConsentRequired):
        page.save()
    assert not reload(story).live


@pytest.mark.parametrize("model", [Page, StoryPage, PatientStoryPage])
def test_save_live_through_any_class_works_with_consent(story, make_consent, model):
    make_consent(story)
    page = model.objects.get(pk=story.pk)
    page.live = True
    page.save()
    assert reload(story).live


@pytest.mark.parametrize("model", [Page, StoryPage, PatientStoryPage])
def test_save_with_update_fields_live_is_refused_without_consent(story, model):
    page = model.objects.get(pk=story.pk)
    page.live = True
    with pytest.raises(ConsentRequired):
        page.save(update_fields=["live"])
    assert not reload(story).live


@pytest.mark.parametrize("model", [StoryPage, PatientStoryPage])
def test_update_fields_themes_cannot_change_signed_themes(live_story, locales, model):
    other = Theme.objects.create(name="Hiv", slug="hiv", locale=locales["nl"])
    page = model.objects.get(pk=live_story.pk)
    page.themes = [other]
    with pytest.raises(ConsentRequired):
        page.save(update_fields=["themes"])
    assert list(reload(live_story).themes.values_list("slug", flat=True)) == []


@pytest.mark.parametrize("model", [Page, StoryPage, PatientStoryPage])
def test_update_fields_title_cannot_change_a_live_story(live_story, model):
    page = model.objects.get(pk=live_story.pk)
    page.title = "Anna de Vries (34) heeft hiv"
    with pytest.raises(ConsentRequired):
        page.save(update_fields=["title"])
    assert reload(live_story).title == live_story.title


def test_bookkeeping_saves_of_a_live_story_need_no_check(live_story, make_consent):
    # Withdrawn outside withdraw(): only the gate stands between the page and the save.
    live_story.consent.withdrawn_at = timezone.now()
    live_story.consent.save()
    page = Page.objects.get(pk=live_story.pk)
    page.locked = True
    page.save(update_fields=["locked"])
    assert Page.objects.get(pk=live_story.pk).locked


def test_the_gate_adds_no_query_to_saves_of_other_pages(make_org_story):
    from django.db import connection
    from django.db.models.signals import pre_save
    from django.test.utils import CaptureQueriesContext

    from consent.gate import gate_save_through_any_class

    page = Page.objects.get(pk=make_org_story().pk)

    def count_save():
        with CaptureQueriesContext(connection) as queries:
            page.save(update_fields=["title"])
        return len(queries)

    count_save()  # warm Django's content type cache, which any page's specific_class fills once
    with_gate = count_save()
    pre_save.disconnect(dispatch_uid="vertel_consent_gate_any_class")
    try:
        without_gate = count_save()
    finally:
        pre_save.connect(gate_save_through_any_class, dispatch_uid="vertel_consent_gate_any_class")
    assert with_gate == without_gate


# Other doors of the audit


def test_deleting_a_story_in_the_admin_deletes_its_translation_alias(client, superuser, live_story, live_alias):
    alias_url = live_alias.get_url()
    client.force_login(superuser)
    response = client.post(reverse("wagtailadmin_pages:delete", args=[live_story.pk]))
    assert response.status_code == 302
    assert not PatientStoryPage.objects.filter(pk=live_story.pk).exists()
    client.logout()
    assert client.get(alias_url).status_code == 404


def test_deleting_a_story_in_code_takes_its_aliases_off(client, live_story, live_alias):
    """alias_of is SET_NULL; Wagtail's pre_delete handler unpublishes the page, and with it its aliases."""
    alias_url = live_alias.get_url()
    reload(live_story).delete()
    assert not reload(live_alias).live
    assert client.get(alias_url).status_code == 404


def test_translation_of_a_live_story_is_a_draft(live_story, home_en, locales):
    home_en.save_revision().publish()
    live_story.get_parent().copy_for_translation(locales["en"])
    translation = live_story.copy_for_translation(locales["en"])
    assert not reload(translation).live


def test_admin_api_publish_action_is_refused_without_consent(client, superuser, story):
    client.force_login(superuser)
    url = reverse("wagtailadmin_api:pages:action", args=[story.pk, "publish"])
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code in (400, 403)
    assert not reload(story).live


def test_admin_api_copy_keep_live_gives_a_draft(client, superuser, live_story, story_index):
    client.force_login(superuser)
    url = reverse("wagtailadmin_api:pages:action", args=[live_story.pk, "copy"])
    response = client.post(
        url,
        {"destination_page_id": story_index.pk, "slug": "api-kopie", "keep_live": True},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    copy = PatientStoryPage.objects.get(slug="api-kopie")
    assert not copy.live


def test_revert_to_an_older_revision_and_publish_is_refused_when_not_covered(client, superuser, live_story):
    """Reverting shows the old revision in the editor; publishing it is the edit view's publish: gated."""
    old = live_story.get_latest_revision()
    live_story.title = "Anna de Vries heeft hiv"
    live_story.save_revision()
    client.force_login(superuser)
    response = client.get(reverse("wagtailadmin_pages:revisions_revert", args=[live_story.pk, old.pk]))
    assert response.status_code == 200
    live_story.consent.withdrawn_at = timezone.now()
    live_story.consent.save()
    assert not reload(live_story).permissions_for_user(superuser).can_publish()
    with pytest.raises(ConsentRequired):
        old.publish()


# Bulk actions: "Publish" on a selection, and on a section with its drafts below it


def bulk_publish_url(*pages):
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", "publish"))
    return url + "?" + "&".join(f"id={page.pk}" for page in pages)


def test_bulk_publish_of_an_uncovered_story_publishes_nothing(client, superuser, story):
    client.force_login(superuser)
    confirm = client.get(bulk_publish_url(story))
    # The confirmation lists the story among the pages the editor may not publish.
    assert confirm.status_code == 200
    assert [item["item"].pk for item in confirm.context["items_with_no_access"]] == [story.pk]
    assert confirm.context["items"] == []
    response = client.post(bulk_publish_url(story), {"include_descendants": ""})
    assert response.status_code in (200, 302)
    assert not reload(story).live


def test_bulk_publish_of_the_section_with_its_drafts_leaves_an_uncovered_story_a_draft(
    client, superuser, story, story_index, make_org_story
):
    organisation_story = make_org_story(title="Achter de schermen", publish=False)
    client.force_login(superuser)
    response = client.post(bulk_publish_url(story_index), {"include_descendants": "on"})
    assert response.status_code == 302
    assert Page.objects.get(pk=organisation_story.pk).live  # the section's other drafts went live
    assert not reload(story).live


def test_bulk_publish_of_a_covered_story_publishes_it(client, superuser, story, make_consent):
    make_consent(story)
    client.force_login(superuser)
    response = client.post(bulk_publish_url(story), {"include_descendants": ""})
    assert response.status_code == 302
    assert reload(story).live


@pytest.mark.parametrize("story_id", ["99999999999999999999999", "²", "0"])
def test_the_consent_requests_of_an_impossible_story_id_are_a_404(client, superuser, story_id):
    client.force_login(superuser)
    response = client.get(reverse("consent_requests"), {"story": story_id}, follow=True)
    assert response.status_code == 404
