"""The story editor's choosers (issue 13): storytellers searched and created in place, themes and
departments of the story's own locale, and the department named in the page's language."""

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from stories.choosers import LocaleSnippetChooser
from stories.models import Department, OrganisationStoryPage, Person, Theme
from tests.factories import OrganisationStoryPageFactory, PersonFactory


def chooser_url(model, view="choose"):
    return reverse(model.snippet_viewset.chooser_viewset.get_url_name(view))


@pytest.fixture
def english_index(home_en, story_index, locales):
    home_en.save_revision().publish()  # a draft home would route /en/ to the Dutch pages
    index = story_index.copy_for_translation(locales["en"], copy_parents=False)
    index.save_revision().publish()
    index.refresh_from_db()
    return index


@pytest.fixture
def translated(locales):
    """A theme and a department in Dutch with their English translations."""
    theme_nl = Theme.objects.create(name="Hartzorg", slug="hartzorg", locale=locales["nl"])
    theme_en = theme_nl.copy_for_translation(locales["en"])
    theme_en.name = "Heart care"
    theme_en.save()
    department_nl = Department.objects.create(name="Cardiologie", location="Utrecht", locale=locales["nl"])
    department_en = department_nl.copy_for_translation(locales["en"])
    department_en.name = "Cardiology"
    department_en.save()
    return {"theme_nl": theme_nl, "theme_en": theme_en, "department_nl": department_nl, "department_en": department_en}


@pytest.mark.django_db
def test_storyteller_chooser_searches_names_and_leaves_erased_people_out(client, superuser):
    PersonFactory(full_name="Anna de Vries", first_name="Anna", pseudonym="A.")
    PersonFactory(full_name="Bram Jansen", first_name="Bram", pseudonym="", email="bram@example.org")
    erased = PersonFactory(full_name="Anna Erased", first_name="Anna")
    Person.objects.filter(pk=erased.pk).update(erased_at="2026-01-01T00:00:00Z")
    client.force_login(superuser)

    response = client.get(chooser_url(Person, "choose_results"), {"q": "anna"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Anna de Vries" in html and "Bram Jansen" not in html and "Anna Erased" not in html
    by_mail = client.get(chooser_url(Person, "choose_results"), {"q": "bram@example"}).content.decode()
    assert "Bram Jansen" in by_mail and "Anna de Vries" not in by_mail


@pytest.mark.django_db
def test_storyteller_chooser_creates_a_storyteller_in_place(client, editor):
    assert editor.has_perm("stories.add_person"), "Editors cannot add a storyteller"
    client.force_login(editor)
    modal = json.loads(client.get(chooser_url(Person)).content)
    assert 'name="full_name"' in modal["html"] and 'name="birth_date"' in modal["html"]

    response = client.post(
        chooser_url(Person, "create"),
        {"full_name": "Carla Smit", "first_name": "Carla", "pseudonym": "", "birth_date": "1970-05-04", "email": ""},
    )
    data = json.loads(response.content)
    person = Person.objects.get(full_name="Carla Smit")
    assert data["step"] == "chosen" and data["result"]["id"] == str(person.pk)
    assert str(person.birth_date) == "1970-05-04"


@pytest.mark.django_db
def test_editors_may_not_delete_storytellers():
    editors = Group.objects.get(name="Editors")
    codes = set(editors.permissions.filter(content_type__app_label="stories").values_list("codename", flat=True))
    assert {"view_theme", "view_department", "view_person", "add_person", "change_person"} <= codes
    assert "delete_person" not in codes


@pytest.mark.django_db
def test_theme_and_department_choosers_list_only_the_given_locale(client, superuser, translated, locales):
    client.force_login(superuser)
    for model, english, dutch in ((Theme, "Heart care", "Hartzorg"), (Department, "Cardiology", "Cardiologie")):
        html = json.loads(client.get(chooser_url(model), {"locale_id": locales["en"].pk}).content)["html"]
        assert english in html and dutch not in html
        assert 'name="locale"' not in html, "the chooser still offers another locale"
        search = client.get(chooser_url(model, "choose_results"), {"locale_id": locales["en"].pk, "q": "c"})
        assert dutch not in search.content.decode()


@pytest.mark.django_db
def test_english_story_form_offers_english_themes_and_departments(english_index, translated, locales):
    story = OrganisationStoryPageFactory(parent=english_index, title="Back home", themes=[translated["theme_nl"]])
    form_class = OrganisationStoryPage.get_edit_handler().get_form_class()
    form = form_class(instance=story, for_user=None, parent_page=english_index)

    assert list(form.fields["themes"].queryset) == [translated["theme_en"]]
    # The Dutch theme chosen before shows as its English translation: same slug, nothing changes.
    assert form.initial["themes"] == [translated["theme_en"].pk]
    widget = form.fields["department"].widget
    assert (
        isinstance(widget, LocaleSnippetChooser) and f"locale_id={locales['en'].pk}" in widget.get_chooser_modal_url()
    )
    assert 'type="search"' in str(form["themes"]), "the themes are not a list with a search box"
    assert set(form.fields["department"].queryset) == {translated["department_en"]}


@pytest.mark.django_db
def test_a_department_chosen_in_another_language_stays_valid(english_index, translated):
    story = OrganisationStoryPageFactory(parent=english_index, department=translated["department_nl"])
    form_class = OrganisationStoryPage.get_edit_handler().get_form_class()
    form = form_class(instance=story, for_user=None, parent_page=english_index)
    assert translated["department_nl"] in form.fields["department"].queryset
    assert Department.objects.create(name="Elders", locale=translated["department_nl"].locale) not in set(
        form.fields["department"].queryset
    )


@pytest.mark.django_db
def test_english_page_shows_the_english_department_name(client, english_index, story_index, translated, locales):
    dutch = OrganisationStoryPageFactory(
        parent=story_index, title="Weer thuis", department=translated["department_nl"], publish=True
    )
    # A translated page keeps the Dutch department it was copied with.
    story = dutch.copy_for_translation(locales["en"], copy_parents=False)
    story.title = "Back home"
    story.save_revision().publish()
    story.refresh_from_db()
    assert story.department == translated["department_nl"]
    assert story.localized_department == translated["department_en"]
    response = client.get(story.url)
    html = response.content.decode()
    assert response.status_code == 200, story.url
    served = response.context["page"]
    assert served.pk == story.pk and served.department_id, (served.pk, story.pk, served.department_id)
    meta = html[html.find('class="story-meta"') :][:400]
    assert "Cardiology" in meta and "Cardiologie" not in html


@pytest.mark.django_db
def test_a_department_without_translation_keeps_its_name(english_index, locales):
    department = Department.objects.create(name="Revalidatie", locale=locales["nl"])
    story = OrganisationStoryPageFactory(parent=english_index, department=department)
    assert story.localized_department == department


@pytest.mark.django_db
def test_existing_departments_get_the_default_locale(locales):
    department = Department.objects.create(name="Zonder taal")
    assert department.locale.language_code == "nl" and department.translation_key
