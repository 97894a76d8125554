"""In a real browser: the plan panel's live counter counts as each network does; the reach beacon."""

import re
import time

import pytest

from channels.models import ChannelAccount, ReachCount

pytestmark = pytest.mark.usefixtures("networks")


def add_plan(page, account):
    page.get_by_role("tab", name=re.compile("Sharing|Delen")).click()
    page.locator("#id_post_plans-ADD").click()
    child = page.locator("#id_post_plans-FORMS [data-inline-panel-child]").last
    child.locator("select[name$='-account']").select_option(str(account.pk))
    return child


def counter_value(child):
    counter = child.locator("[data-plan-counter]")
    counter.wait_for()
    return int(counter.get_attribute("data-count"))


@pytest.mark.browser
def test_live_counter_counts_graphemes_for_bluesky_and_urls_for_mastodon(
    page, live_server, site_root, admin_user, admin_login, make_org_story
):
    story = make_org_story(title="Nieuwe poli", summary="Kort.")
    bluesky = ChannelAccount.objects.create(name="Ons Bluesky", kind="bluesky", status="ok")
    mastodon = ChannelAccount.objects.create(name="Ons Mastodon", kind="mastodon", status="ok")
    bluesky_adapter, mastodon_adapter = bluesky.adapter(), mastodon.adapter()
    from channels.plan import story_link

    admin_login(page, admin_user)
    page.goto(f"{live_server.url}/admin/pages/{story.pk}/edit/")

    child = add_plan(page, bluesky)
    # Empty text: the summary is the default, shown as placeholder and counted.
    assert child.locator("textarea[name$='-text']").get_attribute("placeholder") == "Kort."
    link = story_link(story, bluesky)
    expected = bluesky_adapter.count(bluesky_adapter.compose(bluesky_adapter_post("Kort.", link)))
    assert counter_value(child) == expected
    text = "Hoi 👩‍👩‍👧 🇳🇱 👍🏽"
    child.locator("textarea[name$='-text']").fill(text)
    page.wait_for_function(
        "el => /graphemes|grafemen/.test(el.textContent)", arg=child.locator("[data-plan-counter]").element_handle()
    )
    expected = bluesky_adapter.count(bluesky_adapter.compose(bluesky_adapter_post(text, link)))
    wait_for_count(child, expected)
    assert "Hoi" in child.locator("[data-plan-post-text]").inner_text()
    page.shots("bluesky-counter")

    child = add_plan(page, mastodon)
    text = "Lees meer: https://example.org/" + "a" * 200
    child.locator("textarea[name$='-text']").fill(text)
    link = story_link(story, mastodon)
    expected = mastodon_adapter.count(mastodon_adapter.compose(bluesky_adapter_post(text, link)))
    assert expected < len(text)
    wait_for_count(child, expected)
    child.locator("textarea[name$='-text']").fill("a" * 600)
    wait_for_count(child, mastodon_adapter.count(mastodon_adapter.compose(bluesky_adapter_post("a" * 600, link))))
    assert "plan-counter--over" in child.locator("[data-plan-counter]").get_attribute("class")
    page.shots("mastodon-counter")


def bluesky_adapter_post(text, link):
    from channels.adapters.base import Post

    return Post(text=text, link=link)


def wait_for_count(child, expected, timeout=5):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = counter_value(child)
        if value == expected:
            return
        time.sleep(0.05)
    assert value == expected


@pytest.mark.browser
def test_story_opened_from_a_channel_link_is_counted_once(page, live_server, site_root, make_org_story):
    story = make_org_story(title="Open dag")
    page.goto(f"{live_server.url}{story.url}?utm_source=mastodon&utm_medium=social&utm_campaign=open-dag")
    deadline = time.monotonic() + 5
    while not ReachCount.objects.filter(page=story, source="mastodon").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ReachCount.objects.get(page=story, source="mastodon").count == 1
    # The address loses its utm_* part, so a reload is not a second read from Mastodon.
    assert "utm_" not in page.url
    page.reload()
    time.sleep(0.5)
    assert ReachCount.objects.get(page=story, source="mastodon").count == 1
    assert page.context.cookies() == []
