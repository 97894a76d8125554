"""The public site as a visitor meets it: pages, blocks, filters, language, feeds, headers."""

import json
import re

import pytest
from bs4 import BeautifulSoup
from defusedxml import ElementTree as ET
from wagtail.images import get_image_model

from stories.models import CARD_RENDITIONS, HERO_RENDITIONS, StoryIndexPage, Theme
from tests.conftest import make_image

pytestmark = pytest.mark.django_db

ALL_BLOCKS = [
    ("paragraph", "<p>Ik werd <b>goed</b> geholpen.</p>"),
    ("quote", {"text": "De zorg was warm.", "attribution": "Een patiënt"}),
    ("video", {"url": "https://www.youtube.com/watch?v=abcdefghijk", "title": "Onze afdeling", "transcript": "Tekst"}),
    ("callout", {"title": "Meer weten?", "text": "<p>Bel de polikliniek.</p>"}),
]


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def test_every_block_renders(client, make_org_story, image):
    blocks = [*ALL_BLOCKS, ("image", {"image": image, "alt": "De wachtkamer", "caption": "Onze wachtkamer"})]
    story = make_org_story(title="Alle blokken", body=blocks)
    html = soup(client.get(story.url))
    assert html.select_one(".rich-text b").text == "goed"
    assert html.select_one(".quote blockquote").text.strip() == "De zorg was warm."
    assert html.select_one(".quote figcaption").text == "Een patiënt"
    assert html.select_one(".callout h2").text == "Meer weten?"
    figure = html.select_one(".body-image")
    assert figure.select_one("img")["alt"] == "De wachtkamer"
    assert figure.select_one("figcaption").text == "Onze wachtkamer"
    assert {source["type"] for source in figure.select("source")} == {"image/avif", "image/webp"}
    video = html.select_one(".video")
    # Nothing is loaded from the video host: no iframe, only a link and a data attribute for the script.
    assert video.select("iframe") == []
    assert video.select_one("a.video-link")["href"] == "https://www.youtube.com/watch?v=abcdefghijk"
    assert video["data-embed"].startswith("https://www.youtube-nocookie.com/embed/abcdefghijk")
    assert "Tekst" in video.select_one(".transcript").text


def test_home_lists_newest_stories_and_links_the_index(client, home, story_index, make_org_story):
    make_org_story(title="Oud verhaal")
    make_org_story(title="Nieuw verhaal")
    html = soup(client.get("/nl/"))
    titles = [a.text for a in html.select(".card-title a")]
    assert titles[:2] == ["Nieuw verhaal", "Oud verhaal"] or set(titles) >= {"Nieuw verhaal", "Oud verhaal"}
    assert html.find("a", href=story_index.url)


def test_story_page_shows_content_note_and_no_name_when_anonymous(client, make_patient_story, person):
    from tests.consent.gate_fixtures import build_consent

    story = make_patient_story(title="Mijn diagnose", content_note="Dit verhaal gaat over palliatieve zorg.")
    build_consent(story)
    story.save_revision().publish()
    html = soup(client.get(story.url))
    assert "palliatieve zorg" in html.select_one(".content-note").text
    assert person.full_name not in html.text
    assert person.first_name not in html.text
    assert html.select_one(".storyteller") is None


def test_index_filters_by_theme_tag_and_type_with_counts(client, story_index, make_org_story, locales):
    diabetes = Theme.objects.create(name="Diabetes", slug="diabetes", locale=locales["nl"])
    dementia = Theme.objects.create(name="Dementie", slug="dementie", locale=locales["nl"])
    first = make_org_story(title="Suiker", publish=False)
    first.themes.add(diabetes)
    first.tags.add("insuline")
    first.save_revision().publish()
    second = make_org_story(title="Vergeten", publish=False)
    second.themes.add(dementia)
    second.save_revision().publish()

    html = soup(client.get(story_index.url))
    filter_text = html.select_one(".filters").text
    assert "Diabetes (1)" in " ".join(filter_text.split())
    assert "Dementie (1)" in " ".join(filter_text.split())

    by_theme = soup(client.get(story_index.url + "?theme=diabetes"))
    assert [a.text for a in by_theme.select(".card-title a")] == ["Suiker"]
    by_tag = soup(client.get(story_index.url + "?tag=insuline"))
    assert [a.text for a in by_tag.select(".card-title a")] == ["Suiker"]
    by_type = soup(client.get(story_index.url + "?type=patient"))
    assert by_type.select(".card-title a") == []
    assert "No stories match" in by_type.text or "Geen verhalen" in by_type.text


def test_index_paginates_and_keeps_filters(client, story_index, make_org_story, locales):
    theme = Theme.objects.create(name="Diabetes", slug="diabetes", locale=locales["nl"])
    for number in range(14):
        story = make_org_story(title=f"Verhaal {number:02d}", publish=False)
        story.themes.add(theme)
        story.save_revision().publish()
    first = soup(client.get(story_index.url + "?theme=diabetes"))
    assert len(first.select(".card")) == 12
    next_link = first.select_one("a[rel=next]")["href"]
    assert "theme=diabetes" in next_link and "page=2" in next_link
    second = soup(client.get(story_index.url + next_link))
    assert len(second.select(".card")) == 2
    # A page number past the end shows the last page, not an error.
    assert client.get(story_index.url + "?page=99").status_code == 200
    assert client.get(story_index.url + "?page=abc").status_code == 200


def test_language_switch_lands_on_translation(client, home_en, story_index, make_org_story, locales):
    story = make_org_story(title="Nieuwe scanner")
    index_en = story_index.copy_for_translation(locales["en"], copy_parents=False)
    index_en.save_revision().publish()
    story_en = story.copy_for_translation(locales["en"], copy_parents=False)
    story_en.title = "New scanner"
    story_en.save_revision().publish()
    html = soup(client.get(story.url))
    switch = html.select_one(".language-switch a[hreflang=en]")
    assert switch["href"] == story_en.url
    assert html.select_one("link[rel=alternate][hreflang=en]")["href"].endswith(story_en.url)
    english = client.get(switch["href"])
    assert english.status_code == 200
    assert soup(english).html["lang"] == "en"
    # A page without translation sends the visitor to the other language's home page.
    only_dutch = make_org_story(title="Alleen Nederlands")
    html = soup(client.get(only_dutch.url))
    assert html.select_one(".language-switch a[hreflang=en]")["href"] == home_en.url


def test_search_finds_live_stories_only(client, story_index, make_org_story):
    make_org_story(title="Nieuwe hartkatheterisatiekamer", summary="Over de hartkatheterisatiekamer.")
    make_org_story(title="Concept over hartkatheterisatiekamer", publish=False)
    html = soup(client.get("/nl/search/?q=hartkatheterisatiekamer"))
    titles = [a.text for a in html.select(".search-results a")]
    assert titles == ["Nieuwe hartkatheterisatiekamer"]
    empty = client.get("/nl/search/?q=onvindbaarwoord")
    assert empty.status_code == 200
    assert client.get("/nl/search/?q=" + "x" * 5000).status_code == 200


def test_feeds_parse_and_list_live_stories(client, story_index, make_org_story):
    make_org_story(title="Gepubliceerd")
    make_org_story(title="Concept", publish=False)
    rss = ET.fromstring(client.get("/nl/feeds/rss/").content)
    assert [item.findtext("title") for item in rss.iter("item")] == ["Gepubliceerd"]
    atom = ET.fromstring(client.get("/nl/feeds/atom/").content)
    namespace = "{http://www.w3.org/2005/Atom}"
    assert [entry.findtext(f"{namespace}title") for entry in atom.iter(f"{namespace}entry")] == ["Gepubliceerd"]
    feed = json.loads(client.get("/nl/feeds/json/").content)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert [item["title"] for item in feed["items"]] == ["Gepubliceerd"]
    html = soup(client.get(story_index.url))
    assert {link["type"] for link in html.select("link[rel=alternate][type]")} >= {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
    }


def test_sitemap_and_robots(client, story_index, make_org_story):
    live = make_org_story(title="Live")
    draft = make_org_story(title="Draft", publish=False)
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    locations = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert any(location.endswith(live.url) for location in locations)
    assert not any(draft.slug in location for location in locations)
    robots = client.get("/robots.txt").content.decode()
    assert "Sitemap:" in robots and "Disallow: /admin/" in robots


def test_robots_keeps_crawlers_off_every_personal_link_and_on_the_public_pages(client, story_index, make_org_story):
    """Checked the way a crawler reads the file (urllib's parser), against the real addresses."""
    from urllib.robotparser import RobotFileParser

    from django.urls import reverse
    from django.utils import translation

    story = make_org_story(title="Open dag")
    robots = RobotFileParser()
    robots.parse(client.get("/robots.txt").content.decode().splitlines())
    for language in ("nl", "en"):
        with translation.override(language):
            personal = [
                reverse(name, kwargs={"token": "Zm9vYmFyLXRva2VuLTEyMw"})
                for name in (
                    "consent:sign",
                    "consent:withdraw",
                    "newsletter:confirm",
                    "newsletter:unsubscribe",
                    "newsletter:preferences",
                )
            ]
            public = [reverse("newsletter:subscribe"), reverse("newsletter:archive"), reverse("stories:feed_rss")]
        for path in personal:
            assert not robots.can_fetch("*", f"http://testserver{path}"), path
        for path in public:
            assert robots.can_fetch("*", f"http://testserver{path}"), path
    for path in ["/nl/", story_index.url, story.url, "/sitemap.xml"]:
        assert robots.can_fetch("*", f"http://testserver{path}"), path
    assert not robots.can_fetch("*", "http://testserver/admin/pages/")
    assert "manage" not in client.get("/robots.txt").content.decode()  # no address that does not exist


def test_open_graph_and_json_ld(client, make_org_story, image):
    story = make_org_story(title="Met beeld", hero_image=image, hero_image_alt="Een verpleegkundige")
    html = soup(client.get(story.url))
    assert html.select_one("meta[property='og:title']")["content"] == "Met beeld"
    assert html.select_one("meta[property='og:image']")["content"].startswith("http")
    data = json.loads(html.select_one("script[type='application/ld+json']").string)
    assert data["@type"] == "Article" and data["headline"] == "Met beeld"
    assert html.select_one("link[rel=canonical]")["href"].endswith(story.url)


def test_friendly_404(client, home):
    response = client.get("/nl/bestaat-niet/")
    assert response.status_code == 404
    assert "does not exist" in response.content.decode() or "bestaat niet" in response.content.decode()


def test_500_page_renders_without_request_context():
    from django.template import loader

    html = loader.render_to_string("500.html", {})
    assert "Er ging iets mis" in html


def test_security_headers_and_no_cookies(client, make_org_story):
    story = make_org_story()
    for url in ["/nl/", story.url, "/nl/search/?q=x", "/nl/feeds/rss/"]:
        response = client.get(url)
        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert not response.cookies, f"{url} set a cookie"
        assert "Cookie" not in response.get("Vary", "")


def test_public_pages_have_no_inline_script_style_or_handlers(client, make_org_story, image):
    story = make_org_story(hero_image=image, hero_image_alt="x", body=ALL_BLOCKS)
    for url in ["/nl/", story.url, StoryIndexPage.objects.get().url, "/nl/search/?q=zorg"]:
        html = soup(client.get(url))
        for script in html.find_all("script"):
            assert script.get("src") or script.get("type") == "application/ld+json"
        assert not html.select("[style]")
        assert not [tag for tag in html.find_all(True) if any(attr.startswith("on") for attr in tag.attrs)]


def test_no_third_party_requests(client, make_org_story, image):
    story = make_org_story(hero_image=image, hero_image_alt="x", body=ALL_BLOCKS)
    html = soup(client.get(story.url))
    for tag in html.find_all(["script", "img", "link", "iframe", "source"]):
        for attribute in ("src", "href", "srcset"):
            value = tag.get(attribute) or ""
            assert not re.search(r"https?://(?!testserver)", value), f"{tag.name} loads {value}"


@pytest.mark.parametrize(
    "payload",
    ['<script>alert("x")</script>', "<img src=x onerror=alert(1)>", "<style>body{display:none}</style>"],
)
def test_payloads_never_reach_output(client, make_org_story, image, payload):
    story = make_org_story(
        title=f"Titel {payload}",
        summary=f"Samenvatting {payload}",
        hero_image=image,
        hero_image_alt=f"alt {payload}",
        body=[
            ("paragraph", f'<p>Tekst {payload}</p><p><a href="javascript:alert(1)">klik</a></p>'),
            ("quote", {"text": f"Citaat {payload}", "attribution": payload}),
            ("image", {"image": image, "alt": payload, "caption": payload}),
            ("video", {"url": "javascript:alert(1)", "title": payload, "transcript": payload}),
            ("callout", {"title": payload, "text": f"<p>{payload}</p>"}),
        ],
    )
    html = soup(client.get(story.url))
    # Parsed as a browser would: no element may carry the payload as markup.
    assert not [tag for tag in html.find_all(True) if any(attr.startswith("on") for attr in tag.attrs)]
    assert not [
        script
        for script in html.find_all("script")
        if "alert" in (script.string or "") and script.get("type") != "application/ld+json"
    ]
    assert not html.find_all("style")
    assert not html.select("img[src=x]")
    assert not [tag for tag in html.find_all(href=True) if tag["href"].strip().lower().startswith("javascript:")]
    # In the JSON-LD the payload is data, escaped so it cannot close the script element.
    assert "</script><" not in html.select_one("script[type='application/ld+json']").string


def _publish_many(make_org_story, count):
    for number in range(count):
        make_org_story(
            title=f"Verhaal {number}", hero_image=make_image(f"img{number}", size=(120, 80)), hero_image_alt="Beeld"
        )
    for image in get_image_model().objects.all():
        for spec in (*CARD_RENDITIONS, *HERO_RENDITIONS):
            image.get_rendition(spec)


def test_index_query_count_stays_constant(client, story_index, make_org_story, django_assert_max_num_queries):
    _publish_many(make_org_story, 20)
    client.get(story_index.url)
    with django_assert_max_num_queries(12):
        small = client.get(story_index.url)
    assert len(soup(small).select(".card")) == 12
    _publish_many(make_org_story, 40)
    client.get(story_index.url)  # publishing invalidated the cached navigation; warm it again
    with django_assert_max_num_queries(12):
        large = client.get(story_index.url)
    assert "60" in soup(large).select_one(".results-heading").text


def test_story_page_query_budget(client, story_index, make_org_story, django_assert_max_num_queries):
    _publish_many(make_org_story, 60)
    story = story_index.get_children().live().last().specific
    client.get(story.url)
    # 15 before issue 13; the breadcrumb (its ancestors), the next story's card (the view
    # restrictions, the story, its themes, its image and renditions) and the related stories'
    # cards (the view restrictions, the ranked candidates, their themes; stories.related) add the
    # rest; the support box comes with the cached brand. The same however many stories the index holds.
    with django_assert_max_num_queries(23) as queries:
        response = client.get(story.url)
    assert response.status_code == 200
    assert len(response.context["related"]) == 3  # the newest-stories fallback is in the count
    spent = len(queries)
    _publish_many(make_org_story, 40)
    client.get(story.url)
    with django_assert_max_num_queries(spent):
        client.get(story.url)


def test_interface_speaks_the_page_language(client, home_en, story_index, make_org_story):
    dutch = soup(client.get("/nl/"))
    assert dutch.select_one(".skip-link").text == "Naar de inhoud"
    assert dutch.html["lang"] == "nl"
    english = soup(client.get("/en/"))
    assert english.select_one(".skip-link").text == "Skip to content"
    assert english.html["lang"] == "en"


PUBLIC_POLICY = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-src https://www.youtube-nocookie.com https://player.vimeo.com",
    "media-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
ADMIN_POLICY = {
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "frame-src 'self' https://www.youtube-nocookie.com https://player.vimeo.com",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'self'",
}


def directives(response):
    return {part.strip() for part in response["Content-Security-Policy"].split(";")}


def test_the_public_pages_and_the_admin_each_get_their_policy_and_the_same_headers(client, home, make_org_story):
    story = make_org_story()
    for url in ["/nl/", story.url, "/nl/feeds/rss/"]:
        response = client.get(url)
        assert directives(response) == PUBLIC_POLICY, url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    for url in ["/admin/login/", "/django-admin/login/"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response) == ADMIN_POLICY, url
        assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=(), interest-cohort=()"


def test_the_admin_shows_editors_no_picture_from_a_third_party(client, superuser):
    """No Gravatar: an avatar from gravatar.com would hand a hash of the editor's address to a third party."""
    client.force_login(superuser)
    response = client.get("/admin/")
    assert response.status_code == 200
    sources = [img["src"] for img in soup(response).select("img[src]")]
    props = response.content.decode()
    assert "gravatar" not in props
    assert sources and all(not re.match(r"^(https?:)?//", src) for src in sources), sources
