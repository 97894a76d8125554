"""Fixtures of the plan and reach tests: channel accounts of the networks the tests need.

The adapters come from ``channels/adapters/`` (the adapters branch). Until a network's module is
there, a stand-in that follows the documented counting rule takes its place (graphemes for
Bluesky, URLs as 23 characters for Mastodon, an image required by Instagram), so these tests
check the plan panel's plumbing either way and the real adapters as soon as they exist.
"""

import re
import unicodedata

import pytest

from channels import adapters
from channels.adapters.base import Adapter, Limits
from channels.models import ChannelAccount


def _graphemes(text):
    # Enough of UAX #29 for the tests: combining marks, variation selectors, skin tones and ZWJ
    # sequences join the previous character; regional indicators pair up into flags.
    count = 0
    joined = False
    regional_open = False
    for char in text:
        code = ord(char)
        if count and (
            unicodedata.combining(char)
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
            or code == 0x200D
            or joined
        ):
            joined = code == 0x200D
            continue
        if 0x1F1E6 <= code <= 0x1F1FF:
            if regional_open:
                regional_open = False
                continue
            regional_open = True
        else:
            regional_open = False
        joined = False
        count += 1
    return count


class BlueskyStandIn(Adapter):
    kind = "bluesky"
    label = "Bluesky"
    limits = Limits(max_chars=300, max_media=4, counted_as="graphemes", max_alt_chars=2000)

    def count(self, text):
        return _graphemes(text)


URL = re.compile(r"https?://\S+")


class MastodonStandIn(Adapter):
    kind = "mastodon"
    label = "Mastodon"
    limits = Limits(max_chars=500, max_media=4, counted_as="characters", url_weight=23, max_alt_chars=1500)

    def count(self, text):
        return len(URL.sub("x" * 23, text))


class InstagramStandIn(Adapter):
    kind = "instagram"
    label = "Instagram"
    limits = Limits(max_chars=2200, requires_media=True, counted_as="characters")


STAND_INS = {cls.kind: cls for cls in (BlueskyStandIn, MastodonStandIn, InstagramStandIn)}


@pytest.fixture(autouse=True)
def networks(monkeypatch):
    """The adapter registry with Bluesky, Mastodon and Instagram present."""
    real = dict(adapters.adapter_classes())
    combined = {**STAND_INS, **real}
    monkeypatch.setattr(adapters, "adapter_classes", lambda: dict(sorted(combined.items())))
    return combined


# What an administrator enters for each network (the real adapters check it before anything else).
ACCOUNT_CONFIG = {
    "bluesky": {"handle": "ons.bsky.social", "pds_url": "https://bsky.social"},
    "mastodon": {"instance_url": "https://zorg.social"},
    "instagram": {"ig_user_id": "17841400000000000"},
}


@pytest.fixture
def accounts(db, networks):
    return {
        kind: ChannelAccount.objects.create(
            name=f"Ons {networks[kind].label}", kind=kind, status="ok", config=ACCOUNT_CONFIG[kind]
        )
        for kind in ("bluesky", "mastodon", "instagram")
    }
