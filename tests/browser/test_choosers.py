"""The story editor's choosers in a real browser (issue 13): an editor adds the storyteller from the
chooser without leaving the story, finds a storyteller and a theme by typing, and an English story
offers only English themes and departments."""

import re

import pytest

from stories.models import Department, PatientStoryPage, Person, Theme
from tests.factories import OrganisationStoryPageFactory, PatientStoryPageFactory


def open_chooser(page, field):
    page.locator(f"#id_{field}-chooser [data-chooser-action-choose]:visible").first.click()
    modal = page.locator(".modal[role=dialog]:visible").last
    modal.locator("#search-results").wait_for()
    return modal


def save_draft(page):
    with page.expect_navigation():
        page.locator("button.action-save").first.click()
    page.wait_for_load_state()


@pytest.fixture
def story_tree(site_root):
    from wagtail.models import Locale, Site

    from stories.models import StoryIndexPage
    from website.models import HomePage

    nl, en = Locale.objects.get(language_code="nl"), Locale.objects.get(language_code="en")
    home = site_root.add_child(instance=HomePage(title="Welkom", slug="home-nl", locale=nl))
    Site.objects.update_or_create(is_default_site=True, defaults={"hostname": "localhost", "root_page": home})
    index = home.add_child(instance=StoryIndexPage(title="Verhalen", slug="verhalen", locale=nl))
    home_en = home.copy_for_translation(en, copy_parents=False)
    home_en.save_revision().publish()
    index_en = index.copy_for_translation(en, copy_parents=False)
    index_en.save_revision().publish()
    return {"nl": index, "en": index_en.specific, "locales": {"nl": nl, "en": en}}


@pytest.mark.browser
def test_an_editor_adds_and_finds_a_storyteller_from_the_chooser(
    page, live_server, story_tree, admin_user, admin_login
):
    Person.objects.create(full_name="Bram Jansen", first_name="Bram")
    story = PatientStoryPageFactory(parent=story_tree["nl"], title="Mijn nieuwe knie", storyteller=None)
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/pages/{story.pk}/edit/")

    modal = open_chooser(page, "storyteller")
    modal.locator("input[name=q]").fill("bram")
    modal.locator("#search-results").get_by_text("Bram Jansen").wait_for()
    page.shots("storyteller-search")
    modal.get_by_role("tab").last.click()
    modal.locator("input[name=full_name]").fill("Carla Smit")
    modal.locator("input[name=first_name]").fill("Carla")
    modal.locator("input[name=birth_date]").fill("1970-05-04")
    page.shots("storyteller-create")
    modal.locator("#tab-create button[type=submit], #tab-create input[type=submit]").first.click()
    page.locator("#id_storyteller-chooser").get_by_text("Carla Smit").wait_for()
    page.shots("storyteller-chosen")

    save_draft(page)
    created = Person.objects.get(full_name="Carla Smit")
    draft = PatientStoryPage.objects.get(pk=story.pk).get_latest_revision_as_object()
    assert draft.storyteller_id == created.pk


@pytest.mark.browser
def test_an_english_story_offers_only_english_themes_and_departments(
    page, live_server, story_tree, admin_user, admin_login
):
    nl, en = story_tree["locales"]["nl"], story_tree["locales"]["en"]
    for dutch, english, slug in (("Hartzorg", "Heart care", "hart"), ("Dementie", "Dementia", "dementie")):
        theme = Theme.objects.create(name=dutch, slug=slug, locale=nl)
        translation = theme.copy_for_translation(en)
        translation.name = english
        translation.save()
    department = Department.objects.create(name="Cardiologie", locale=nl)
    translation = department.copy_for_translation(en)
    translation.name = "Cardiology"
    translation.save()
    story = OrganisationStoryPageFactory(parent=story_tree["en"], title="Back home")
    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/pages/{story.pk}/edit/")

    themes = page.locator("[data-vertel-filtered-checkboxes]")
    themes.get_by_label("Heart care").wait_for()
    assert "Hartzorg" not in themes.inner_text() and "Dementie" not in themes.inner_text()
    themes.locator("input[type=search]").fill("heart")
    assert themes.get_by_label("Dementia").is_hidden()
    themes.get_by_label("Heart care").check()
    page.shots("themes-searched")

    modal = open_chooser(page, "department")
    results = modal.locator("#search-results")
    results.get_by_text("Cardiology").wait_for()
    assert "Cardiologie" not in results.inner_text()
    assert modal.locator("select[name=locale]").count() == 0
    page.shots("department-chooser-english")
    results.get_by_text("Cardiology").click()
    page.locator("#id_department-chooser").get_by_text(re.compile("Cardiology")).wait_for()

    save_draft(page)
    page.shots("english-saved")
    story.refresh_from_db()
    draft = story.get_latest_revision_as_object()
    assert [theme.name for theme in draft.themes.all()] == ["Heart care"]
    assert draft.department.name == "Cardiology"
