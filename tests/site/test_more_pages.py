"""More of the public site: standard pages, named storytellers, related stories, search paging, English."""

import json

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree as ET

from website.models import StandardPage

pytestmark = pytest.mark.django_db

SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def test_standard_page_renders_in_the_site_layout(client, home):
    page = StandardPage(title="Over ons", body="Wij zijn een ziekenhuis.\n\nIn de stad.")
    home.add_child(instance=page)
    page.save_revision().publish()
    html = soup(client.get(page.url))
    assert html.select_one("main h1").text == "Over ons"
    assert [p.text for p in html.select("main p")] == ["Wij zijn een ziekenhuis.", "In de stad."]
    assert html.select_one("a.skip-link")["href"] == "#main"
    assert html.select_one("header nav") and html.select_one("footer")


def test_named_storyteller_is_shown_and_credited_in_json_ld(client, make_patient_story, person):
    from tests.consent.gate_fixtures import build_consent

    story = make_patient_story(title="Mijn nieuwe heup", naming="first_name")
    build_consent(story)
    story.save_revision().publish()
    html = soup(client.get(story.url))
    assert "Anna" in html.select_one(".storyteller").text
    assert person.full_name not in html.text
    data = json.loads(html.select_one("script[type='application/ld+json']").string)
    assert data["author"] == {"@type": "Person", "name": "Anna"}


def test_anonymous_storyteller_is_not_in_json_ld(client, make_patient_story, person):
    from tests.consent.gate_fixtures import build_consent

    story = make_patient_story(title="Anoniem verhaal")
    build_consent(story)
    story.save_revision().publish()
    html = soup(client.get(story.url))
    data = json.loads(html.select_one("script[type='application/ld+json']").string)
    assert "author" not in data
    assert person.first_name not in html.select_one("script[type='application/ld+json']").string


def test_related_stories_are_listed_on_the_story_page(client, make_org_story):
    from stories.models import RelatedStory

    other = make_org_story(title="Het vervolg")
    draft = make_org_story(title="Nog niet klaar", publish=False)
    story = make_org_story(title="Het begin", publish=False)
    story.related_stories.add(RelatedStory(story=other))
    story.related_stories.add(RelatedStory(story=draft))
    story.save_revision().publish()
    html = soup(client.get(story.url))
    related = html.select_one("section[aria-labelledby=related-heading]")
    assert [a.text for a in related.select(".card-title a")] == ["Het vervolg"]


def test_search_results_are_paginated_and_keep_the_query(client, make_org_story):
    for number in range(12):
        make_org_story(title=f"Revalidatie {number}", summary="Over revalidatie na een operatie.")
    first = soup(client.get("/nl/search/?q=revalidatie"))
    assert len(first.select(".search-results li")) == 10
    assert "12" in first.select_one("main h2").text
    next_link = first.select_one("a[rel=next]")["href"]
    assert "q=revalidatie" in next_link and "page=2" in next_link
    second = soup(client.get("/nl/search/" + next_link))
    assert len(second.select(".search-results li")) == 2
    none = soup(client.get("/nl/search/?q=onvindbaarwoord"))
    assert not none.select(".search-results")
    assert "onvindbaarwoord" in none.select_one("main").text
    # The form is GET: nothing is posted and no CSRF cookie is needed.
    assert none.select_one("form.search-form")["method"] == "get"


def test_english_feeds_and_sitemap_list_english_stories_only(client, home_en, story_index, make_org_story, locales):
    dutch = make_org_story(title="Alleen in het Nederlands")
    index_en = story_index.copy_for_translation(locales["en"], copy_parents=False)
    index_en.save_revision().publish()
    story = make_org_story(title="Nieuwe scanner")
    english = story.copy_for_translation(locales["en"], copy_parents=False)
    english.title = "New scanner"
    english.save_revision().publish()
    english.refresh_from_db()

    rss = ET.fromstring(client.get("/en/feeds/rss/").content)
    assert [item.findtext("title") for item in rss.iter("item")] == ["New scanner"]
    assert rss.find("channel").findtext("link").endswith("/en/")
    feed = json.loads(client.get("/en/feeds/json/").content)
    assert [item["title"] for item in feed["items"]] == ["New scanner"]
    assert feed["language"] == "en"
    dutch_rss = ET.fromstring(client.get("/nl/feeds/rss/").content)
    assert [item.findtext("title") for item in dutch_rss.iter("item")] == [
        "Nieuwe scanner",
        "Alleen in het Nederlands",
    ]

    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in sitemap.iter(f"{SITEMAP_NS}loc")]
    assert any(location.endswith(english.url) for location in locations)
    assert any(location.endswith(dutch.url) for location in locations)
    assert english.url.startswith("/en/") and dutch.url.startswith("/nl/")


def test_unknown_url_gets_the_friendly_404_in_the_site_look(client, home):
    response = client.get("/nl/dit-bestaat-echt-niet/")
    assert response.status_code == 404
    html = BeautifulSoup(response.content, "html.parser")
    assert html.html["lang"] == "nl"
    assert html.select_one("main h1")
    assert html.select_one("link[rel=stylesheet]")["href"].endswith(".css")
    assert html.find("a", href="/nl/")
    assert not response.cookies


def test_filter_counts_match_the_listing(client, story_index, make_org_story, make_patient_story, locales):
    from stories.models import Theme

    theme = Theme.objects.create(name="Geboorte", slug="geboorte", locale=locales["nl"])
    for number in range(3):
        story = make_org_story(title=f"Kraam {number}", publish=False)
        story.themes.add(theme)
        story.save_revision().publish()
    make_org_story(title="Zonder thema")
    html = soup(client.get(story_index.url))
    theme_link = html.find("a", href="?theme=geboorte")
    assert "(3)" in theme_link.text
    filtered = soup(client.get(story_index.url + "?theme=geboorte"))
    assert len(filtered.select(".card")) == 3
    assert filtered.find("a", href="?theme=geboorte")["aria-current"] == "true"
    # An unknown filter value shows an empty list, never an error.
    assert client.get(story_index.url + "?theme=bestaat-niet&type=onzin&tag=%3Cscript%3E").status_code == 200


def test_no_third_party_address_in_any_src_or_href_but_the_video_link(client, home, make_org_story, image):
    from django.conf import settings

    from stories.models import StoryIndexPage

    from .test_pages import ALL_BLOCKS

    story = make_org_story(hero_image=image, hero_image_alt="Een gang", body=ALL_BLOCKS)
    own = settings.BASE_URL.rstrip("/")
    for url in ["/nl/", story.url, StoryIndexPage.objects.get().url, "/nl/search/?q=nieuws"]:
        html = soup(client.get(url))
        for tag in html.find_all(True):
            # The video link and the share links (plain links, issue 13) are followed only by a click.
            if {"video-link", "share-link"} & set(tag.get("class") or []):
                assert tag.name == "a" and "noopener" in (tag.get("rel") or ["noopener"])
                continue
            for attribute in ("src", "href", "srcset", "action", "poster", "data-embed"):
                value = (tag.get(attribute) or "").strip()
                if value.startswith(("http://", "https://", "//")) and not value.startswith(own + "/"):
                    # The click-to-load address is data for the script, never fetched by the page itself.
                    assert attribute == "data-embed", f"{url}: <{tag.name} {attribute}={value}>"


def test_rich_text_written_past_save_is_still_cleaned_when_rendered(client, make_org_story):
    import uuid

    from stories.models import StoryPage

    story = make_org_story(title="Achterdeur")
    payload = '<p>Tekst<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">klik</a></p>'
    raw_body = [
        {"type": "paragraph", "value": payload, "id": str(uuid.uuid4())},
        {"type": "callout", "value": {"title": "Let op", "text": payload}, "id": str(uuid.uuid4())},
    ]
    # A queryset update skips save() and the block's cleaning, as a raw import would.
    StoryPage.objects.filter(pk=story.pk).update(body=raw_body)
    html = soup(client.get(story.url))
    assert len(html.select(".rich-text")) == 2
    assert "Tekst" in html.select_one(".rich-text").text
    assert not html.select(".story-body script")
    assert not [tag for tag in html.find_all(True) if any(attr.startswith("on") for attr in tag.attrs)]
    assert not [a for a in html.find_all("a", href=True) if a["href"].lower().startswith("javascript:")]
