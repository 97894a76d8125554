"""The plan panel's live counter (plan-panel.js) counts as the server does, run in Node.

The editor sees the count while typing; the server validates with the adapter's ``count`` on save
and before sending. Both must agree, or the panel accepts what the server refuses.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from channels.adapters.bluesky import grapheme_count
from channels.adapters.mastodon import mastodon_length

SCRIPT = Path(__file__).resolve().parents[2] / "channels/static/channels/plan/plan-panel.js"
NODE = shutil.which("node") or shutil.which("nodejs")

TEXTS = [
    "Gewoon een zin.",
    "Een familie 👨‍👩‍👧‍👦, een vlag 🇳🇱, een duim 👍🏽 en e\u0301en accent.",
    "Lees https://zorg.example/verhalen/anna/?utm_source=mastodon-3&utm_medium=social.",
    "Met dank aan @anna@zorg.social en @bob, zie (https://zorg.example/a).",
    "Café “Het Hof” — één keer, 🧑🏾‍⚕️ zorgverlener.",
    "Twee links: http://a.example/x, https://b.example/y!",
]


def node_counts(spec):
    """``vertelPlanCount(text, spec)`` for every text, computed by the panel's script in Node."""
    program = (
        "global.window = {}; global.document = {readyState: 'complete', querySelectorAll: () => []};"
        f"require({json.dumps(str(SCRIPT))});"
        f"const texts = {json.dumps(TEXTS)}; const spec = {json.dumps(spec)};"
        "process.stdout.write(JSON.stringify(texts.map((t) => window.vertelPlanCount(t, spec))));"
    )
    result = subprocess.run([NODE, "-e", program], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(result.stdout)


pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node.js to run the panel's script")


def test_mastodon_text_is_counted_as_mastodon_counts_it():
    # The spec the panel gets for a Mastodon account (channels.plan.account_spec).
    spec = {"counted_as": "characters", "url_weight": 23}
    assert node_counts(spec) == [mastodon_length(text) for text in TEXTS]


def test_bluesky_counts_graphemes():
    spec = {"counted_as": "graphemes", "url_weight": None}
    assert node_counts(spec) == [grapheme_count(text) for text in TEXTS]


def test_other_networks_count_as_pythons_len():
    spec = {"counted_as": "characters", "url_weight": None}
    assert node_counts(spec) == [len(text) for text in TEXTS]
