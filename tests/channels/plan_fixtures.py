"""Helpers of the plan and reach tests: stand-in adapters for the networks the tests need (no fixtures).

The adapters come from ``channels/adapters/`` (the adapters branch). Until a network's module is
there, a stand-in that follows the documented counting rule takes its place (graphemes for
Bluesky, URLs as 23 characters for Mastodon, an image required by Instagram), so these tests
check the plan panel's plumbing either way and the real adapters as soon as they exist.

The fixtures (``networks``, ``accounts``) are in ``tests/channels/conftest.py``; the browser
tests' ``networks`` (``tests/browser/conftest.py``) uses :func:`use_networks` too.
"""

import re
import unicodedata

from channels import adapters
from channels.adapters.base import Adapter, Limits


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


def use_networks(monkeypatch):
    """Make the adapter registry hold Bluesky, Mastodon and Instagram while ``monkeypatch`` lasts; return it."""
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
