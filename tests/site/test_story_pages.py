"""What a visitor sees on and around a story (issue 13): breadcrumb, reading time, next and related
stories, the care link, the support box, share links, the featured story, search results and filter
counts; and that a withdrawn patient story leaves every box that showed it."""

import json

import pytest
from bs4 import BeautifulSoup

from consent.models import hash_token, new_token
from consent.services import withdraw
from stories.models import RelatedStory, Theme
from stories.reading import reading_minutes
from tests.conftest import make_image
from tests.consent.gate_fixtures import build_consent
from tests.site.test_cache import unrelated_pair
from website.models import SupportBox

pytestmark = pytest.mark.django_db


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def diabetes(locales):
    return Theme.objects.create(name="Diabetes", slug="diabetes", locale=locales["nl"])


def test_breadcrumb_runs_home_stories_theme_title_with_structured_data(client, story_index, make_org_story, diabetes):
    story = make_org_story(title="Suiker onder controle", publish=False)
    story.themes.add(diabetes)
    story.save_revision().publish()
    html = soup(client.get(story.url))
    crumbs = html.select(".breadcrumb li")
    assert [li.get_text(strip=True) for li in crumbs] == ["Start", "Verhalen", "Diabetes", "Suiker onder controle"]
    assert crumbs[2].a["href"] == f"{story_index.url}?theme=diabetes"
    assert crumbs[-1].select_one("[aria-current=page]")
    data = [json.loads(script.string) for script in html.select("script[type='application/ld+json']")]
    trail = next(item for item in data if item["@type"] == "BreadcrumbList")
    assert [item["name"] for item in trail["itemListElement"]][-1] == "Suiker onder controle"
    assert trail["itemListElement"][-1]["item"] == f"http://testserver{story.url}"
    assert any(item["@type"] == "Article" for item in data)


def test_reading_time_counts_words_at_two_hundred_a_minute(client, make_org_story):
    words = " ".join(["woord"] * 790)
    story = make_org_story(title="Lang", summary="Kort.", body=[("paragraph", f"<p>{words}</p>")])
    assert reading_minutes(story) == 4
    assert soup(client.get(story.url)).select_one(".reading-time").text == "4 min. lezen"
    short = make_org_story(title="Kort")
    assert reading_minutes(short) == 1


def test_next_story_is_the_one_published_before_and_related_stories_show(client, make_org_story):
    first = make_org_story(title="Eerste")
    second = make_org_story(title="Tweede")
    third = make_org_story(title="Derde", publish=False)
    RelatedStory.objects.create(page=third, story=first)
    third.save_revision().publish()
    html = soup(client.get(third.url))
    assert [a.text for a in html.select(".next-story .card-title a")] == ["Tweede"]
    assert [a.text for a in html.select(".related-stories .card-title a")] == ["Eerste"]
    assert [a.text for a in soup(client.get(second.url)).select(".next-story .card-title a")] == ["Eerste"]
    assert not soup(client.get(first.url)).select(".next-story")  # the oldest has none


def test_more_about_this_care_links_the_department(client, make_org_story, department):
    story = make_org_story(title="Op de afdeling", department=department)
    box = soup(client.get(story.url)).select_one(".care-link")
    assert box.h2.text == "Meer over deze zorg" and not box.a
    department.url = "https://ziekenhuis.example/interne-geneeskunde"
    department.save()
    box = soup(client.get(story.url)).select_one(".care-link")
    assert box.a["href"] == department.url and box.a.text == "Interne geneeskunde"


def test_support_box_shows_what_the_organisation_wrote(client, home, make_org_story, locales):
    story = make_org_story(title="Steun")
    assert not soup(client.get(story.url)).select(".support-box")  # nothing filled in: no box
    SupportBox.objects.create(
        locale=locales["nl"], title="Raakte dit verhaal u?", text="Praat erover met uw huisarts.\n\nOf bel ons."
    )
    box = soup(client.get(story.url)).select_one(".support-box")
    assert box.h2.text == "Raakte dit verhaal u?"
    assert [p.text for p in box.select("p")] == ["Praat erover met uw huisarts.", "Of bel ons."]


def test_share_links_are_plain_links_to_the_public_address(client, make_org_story, settings):
    story = make_org_story(title="Deel mij")
    html = soup(client.get(story.url))
    links = {a["class"][1]: a for a in html.select(".share-list a.share-link")}
    assert set(links) == {
        "share-mastodon",
        "share-bluesky",
        "share-linkedin",
        "share-facebook",
        "share-email",
        "share-whatsapp",
    }
    public = "http%3A%2F%2Ftestserver" + story.url.replace("/", "%2F")
    for link in links.values():
        assert public in link["href"], link["href"]
        assert link["rel"] == ["noopener", "noreferrer"]
    assert links["share-bluesky"]["href"].startswith("https://bsky.app/intent/compose?text=")
    assert links["share-email"]["href"].startswith("mailto:?subject=Deel%20mij")
    assert not html.select("script[src*='//']")  # no network's script


def test_home_features_the_chosen_story_while_it_is_live_else_the_newest(client, home, make_org_story):
    chosen = make_org_story(title="Uitgelicht")
    make_org_story(title="Nieuwste")
    html = soup(client.get("/nl/"))
    assert html.select_one(".featured-title a").text == "Nieuwste"
    home.featured_story = chosen
    home.save_revision().publish()
    html = soup(client.get("/nl/"))
    assert html.select_one(".featured-title a").text == "Uitgelicht"
    assert [a.text for a in html.select(".cards .card-title a")] == ["Nieuwste"]  # not twice
    chosen.unpublish()
    assert soup(client.get("/nl/")).select_one(".featured-title a").text == "Nieuwste"


def test_search_results_show_type_date_and_image(client, make_org_story):
    make_org_story(title="Zoekbaar nieuws", hero_image=make_image("zoek"), hero_image_alt="Een gang")
    result = soup(client.get("/nl/search/?q=zoekbaar")).select_one(".search-result")
    assert result.select_one(".story-type").text == "Organisatieverhaal"
    assert result.select_one("time")["datetime"]
    assert result.select_one("img")["alt"] == "Een gang"


def test_filter_counts_respect_the_other_active_filters(
    client, story_index, make_org_story, make_patient_story, diabetes
):
    for number in range(3):
        story = make_org_story(title=f"Nieuws {number}", publish=False)
        if number == 0:
            story.themes.add(diabetes)
        story.save_revision().publish()
    html = soup(client.get(f"{story_index.url}?theme=diabetes"))
    counts = {a["href"]: a.select_one(".count").text for a in html.select(".filter-list a") if a.select_one(".count")}
    assert counts["?theme=diabetes&type=organisation"] == "(1)"
    assert counts["?theme=diabetes&type=patient"] == "(0)"
    html = soup(client.get(f"{story_index.url}?type=patient"))
    assert not html.find("a", href="?type=patient&theme=diabetes")  # no patient story about diabetes
    assert "0 verhalen" in html.select_one(".results-heading").text
    html = soup(client.get(f"{story_index.url}?type=patient&theme=diabetes"))
    assert html.find("a", href="?type=patient&theme=diabetes").select_one(".count").text == "(0)"  # still shown


@pytest.fixture
def live_patient_story(make_patient_story, django_capture_on_commit_callbacks):
    story = make_patient_story(title="Terug op de fiets")
    consent = build_consent(story, channels=("website",), withdrawal_token_hash=hash_token(new_token()))
    with django_capture_on_commit_callbacks(execute=True):
        story.get_latest_revision().publish()
    story.refresh_from_db()
    assert story.live
    return story, consent


@pytest.mark.parametrize("page_cache", [False, True])
def test_a_withdrawn_story_leaves_the_featured_related_and_next_boxes(
    client, settings, home, make_org_story, live_patient_story, django_capture_on_commit_callbacks, page_cache
):
    settings.PAGE_CACHE_ENABLED = page_cache
    story, consent = live_patient_story
    newer = make_org_story(title="Later nieuws", publish=False)
    RelatedStory.objects.create(page=newer, story=story)
    newer.save_revision().publish()
    home.featured_story = story
    home.save_revision().publish()
    older_elsewhere = make_org_story(title="Los verhaal")  # shows nobody; "Later nieuws" shows it next
    for url in ["/nl/", newer.url, older_elsewhere.url]:
        client.get(url)
    assert soup(client.get("/nl/")).select_one(".featured-title a").text == "Terug op de fiets"
    shown = soup(client.get(newer.url))
    assert story.url in str(shown.select_one(".related-stories")) and story.url in str(shown.select_one(".next-story"))

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")

    assert client.get(story.url).status_code == 404
    for url in ["/nl/", newer.url]:
        body = client.get(url).content.decode()
        assert story.url not in body and "Terug op de fiets" not in body, url
    # The box now falls back to the newest other story (stories.related), never the withdrawn one.
    related = soup(client.get(newer.url)).select_one(".related-stories")
    assert related is None or story.url not in str(related)


def test_withdrawal_purges_the_cached_page_that_shows_the_story_as_next(
    client, settings, make_org_story, make_patient_story, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE_ENABLED = True
    # Its related box shows the story it shares a theme with, not the newest stories.
    unrelated = unrelated_pair(make_org_story, "Ouder nieuws")
    story = make_patient_story(title="Mijn herstel")
    consent = build_consent(story, channels=("website",))
    with django_capture_on_commit_callbacks(execute=True):
        story.get_latest_revision().publish()
    story.refresh_from_db()
    newer = make_org_story(title="Nieuwer nieuws")  # its next story is the patient story
    for url in (newer.url, unrelated.url):
        client.get(url)
        assert client.get(url)["X-Cache"] == "hit"
    assert story.url in client.get(newer.url).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        withdraw(consent, reason="withdrawn", actor="signer")

    response = client.get(newer.url)
    assert response["X-Cache"] == "miss" and story.url not in response.content.decode()
    assert "Ouder nieuws ook" in response.content.decode()  # the next story is now the one before
    assert client.get(unrelated.url)["X-Cache"] == "hit"  # it never showed the story


def test_support_box_shows_what_the_hook_answers(client, make_org_story):
    from wagtail import hooks

    story = make_org_story(title="Steun via de haak")

    def answer(request, page):
        return {"title": "", "text": "Bel ons gerust."}

    with hooks.register_temporarily("vertel_story_support_box", answer):
        box = soup(client.get(story.url)).select_one(".support-box")
    assert box.h2.text == "Als dit verhaal u raakte"  # no title filled in: the default heading
    assert box.p.text == "Bel ons gerust."
