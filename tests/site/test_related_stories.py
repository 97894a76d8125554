"""The "related stories" box falls back when no story shares a theme (issue 13).

Chosen by the editor, else sharing a theme, else of the same department, else the newest stories of
the same language: never the story itself, another language, an unpublished story or one whose
consent was withdrawn. One query ranks the candidates, so the box costs the same whichever list
fills it; and the page cache drops the pages whose box showed a story that leaves.
"""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.services import withdraw
from stories.models import Department, StoryPage, Theme
from stories.related import related_stories
from tests.consent.gate_fixtures import build_consent

pytestmark = pytest.mark.django_db


def related_titles(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    return [a.text for a in html.select(".related-stories .card-title a")]


@pytest.fixture
def diabetes(locales):
    return Theme.objects.create(name="Diabetes", slug="diabetes", locale=locales["nl"])


@pytest.fixture
def cardiology(locales):
    return Department.objects.create(name="Cardiologie", locale=locales["nl"])


def with_theme(make_org_story, theme, **fields):
    story = make_org_story(publish=False, **fields)
    story.themes.add(theme)
    story.save_revision().publish()
    story.refresh_from_db()
    return story


def test_a_shared_theme_comes_first_then_the_department_then_the_newest(client, make_org_story, diabetes, cardiology):
    oldest = make_org_story(title="Oud nieuws")
    same_department = make_org_story(title="Op de hartafdeling", department=cardiology)
    sugar = with_theme(make_org_story, diabetes, title="Suiker meten", department=cardiology)
    sugar_too = with_theme(make_org_story, diabetes, title="Insuline thuis")
    make_org_story(title="Concept", publish=False)  # never live: never shown

    assert related_titles(client, sugar) == ["Insuline thuis"]  # the theme wins over the department
    alone = make_org_story(title="Alleen op de afdeling", department=cardiology)
    assert related_titles(client, alone) == ["Suiker meten", "Op de hartafdeling"]
    # No theme, no department: the newest stories of the language, never the story itself.
    assert related_titles(client, oldest) == ["Alleen op de afdeling", "Insuline thuis", "Suiker meten"]
    assert related_titles(client, same_department) == ["Alleen op de afdeling", "Suiker meten"]
    assert sugar_too.title not in related_titles(client, sugar_too)


def test_never_another_language_an_unpublished_or_a_withdrawn_story(
    client, home_en, story_index, make_org_story, make_patient_story, locales, django_capture_on_commit_callbacks
):
    home_en.save_revision().publish()
    index_en = story_index.copy_for_translation(locales["en"], copy_parents=False)
    index_en.save_revision().publish()
    first = make_org_story(title="Eerste")
    patient = make_patient_story(title="Terug op de fiets")
    consent = build_consent(patient, channels=("website",))
    with django_capture_on_commit_callbacks(execute=True):
        patient.get_latest_revision().publish()
    gone = make_org_story(title="Ingetrokken nieuws")
    english = first.copy_for_translation(locales["en"], copy_parents=False)
    english.title = "First in English"
    english.save_revision().publish()
    latest = make_org_story(title="Nieuwste")
    assert related_titles(client, latest) == ["Ingetrokken nieuws", "Terug op de fiets", "Eerste"]

    gone.unpublish()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")

    assert related_titles(client, latest) == ["Eerste"]
    assert related_titles(client, StoryPage.objects.get(pk=english.pk)) == []  # no other English story


def test_the_box_costs_the_same_queries_whichever_list_fills_it(make_org_story, diabetes, cardiology):
    def queries(page):
        page = StoryPage.objects.get(pk=page.pk)
        with CaptureQueriesContext(connection) as captured:
            shown = related_stories(page, StoryPage)
        assert shown
        return len(captured)

    for number in range(6):
        make_org_story(title=f"Nieuws {number}")
    newest_only = make_org_story(title="Zonder thema")
    by_department = make_org_story(title="Hart", department=cardiology)
    make_org_story(title="Hart twee", department=cardiology)
    by_theme = with_theme(make_org_story, diabetes, title="Suiker")
    with_theme(make_org_story, diabetes, title="Suiker twee")
    counts = {queries(newest_only), queries(by_department), queries(by_theme)}
    # The view restrictions, the ranked candidates, their themes: the same for every list.
    assert len(counts) == 1 and counts.pop() <= 4
    for number in range(20):
        make_org_story(title=f"Meer nieuws {number}")
    assert queries(newest_only) == queries(by_theme)


def test_the_cache_drops_the_pages_whose_box_showed_a_story_that_leaves(client, settings, make_org_story, diabetes):
    settings.PAGE_CACHE_ENABLED = True
    themed = with_theme(make_org_story, diabetes, title="Suiker")
    with_theme(make_org_story, diabetes, title="Suiker twee")  # the box of "Suiker" is the theme's
    falls_back = make_org_story(title="Zonder thema")
    leaving = make_org_story(title="Verdwijnt")
    for page in (themed, falls_back):
        client.get(page.url)
        assert client.get(page.url)["X-Cache"] == "hit"
    assert "Verdwijnt" in related_titles(client, falls_back)

    leaving.unpublish()  # purged at once (and again at commit, with whatever else is pending)

    response = client.get(falls_back.url)
    assert response["X-Cache"] == "miss" and "Verdwijnt" not in response.content.decode()
    assert client.get(themed.url)["X-Cache"] == "hit"  # its box never showed it
