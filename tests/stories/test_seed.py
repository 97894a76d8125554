"""The demo content: complete, in both languages, idempotent, and rendered without errors."""

import pytest
from django.core.management import call_command
from wagtail.models import Page, Site

from consent.content import content_hash
from consent.models import Consent
from stories.models import OrganisationStoryPage, PatientStoryPage, StoryPage, Theme
from website.models import HomePage

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "pages": sorted(Page.objects.values_list("url_path", "live")),
        "themes": sorted(Theme.objects.values_list("slug", "locale__language_code", "name")),
        "consents": Consent.objects.count(),
    }


def test_seed_demo_is_complete_and_idempotent(client):
    call_command("seed_demo")
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first

    live = StoryPage.objects.live()
    assert live.count() >= 12
    for language in ("nl", "en"):
        assert live.filter(locale__language_code=language).count() >= 6
    assert PatientStoryPage.objects.live().exists() and OrganisationStoryPage.objects.live().exists()
    assert Theme.objects.values("slug").distinct().count() >= 4
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()

    # Every live patient story is covered by a consent for exactly its live content.
    for story in PatientStoryPage.objects.live():
        assert Consent.objects.valid_for(story, "website", content_hash=content_hash(story))

    for url in ["/nl/", "/en/", "/nl/verhalen/", "/en/stories/", *[story.url for story in live[:4]]]:
        assert client.get(url).status_code == 200, url


def test_seed_demo_failure_is_a_sentence(monkeypatch):
    from django.core.management.base import CommandError

    from website.demo import seed

    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(seed.Seeder, "run", broken)
    with pytest.raises(CommandError, match="could not be loaded: disk full"):
        call_command("seed_demo")
