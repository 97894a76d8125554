"""Golden consent manifests and content hashes (issue 12 guard rail, written against today's code).

A signed consent covers exactly one content hash: ``consent.content.content_hash`` of the revision
the signer saw. If a refactor changes the manifest that ``content_manifest`` builds for the *same*
content (a key renamed, a field added or dropped, another order, another text for the same value)
or the way ``hash_manifest`` serialises it, every existing consent silently stops covering its
story: the gate unpublishes live stories on their next save, the dispatcher refuses their posts,
and the signers are asked to sign again for nothing. This module pins both, for the demo stories
(as ``manage.py seed_demo`` creates them, Dutch and English) and for one patient story that uses
everything a manifest holds (hero and body images, a video poster, planned posts on three channel
accounts, one switched off, tags, themes of two locales, a department, SEO fields), once per value
of ``Naming``. The stored values are in ``golden/consent_hashes.json``.

When a difference here is legitimate: only with a new ``MANIFEST_VERSION`` that keeps old consents
covering what they covered, as version 2 did (docs/consent.md, "Upgrading from manifest version
1"): a data migration gives each existing consent and pending request the new manifest of its
signed revision, keeps the hash the signer was shown in ``signed_as`` (``PROVENANCE_KEY``), and
moves the sent posts' hashes along. Then regenerate the golden file deliberately::

    VERTEL_WRITE_GOLDEN=1 .venv/bin/python -m pytest tests/consent/test_golden_hashes.py

and review its diff in the same commit as the version bump and the migration.

When it is a bug: any other difference, in particular one from a refactor that meant to change
nothing (moving code, renaming modules, a new way to read the images, the tags or the posts), or
from a library upgrade (Wagtail's StreamField values, taggit's slugs). Fix the code, not the file.

Determinism: everything that would differ between runs, databases or test orders is fixed in the
build. The images and channel accounts get fixed primary keys (a manifest holds image ids, the
body's image references and ``account:<pk>`` channel keys), and the image files are PNGs written
byte for byte here (stored deflate blocks, no compressor or Pillow version in between), so their
SHA-256 is the same everywhere. The demo seeder looks its images up by title ("Demo: <slug>")
before it draws one, so those are created first in the same way; the rest of the demo (texts,
naming, themes, departments, storytellers) is the seeder's own. Slugs are given, not generated;
dates, page ids and file names are not in a manifest.
"""

import io
import json
import os
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page

from channels.models import ChannelAccount, PostPlan
from consent.content import MANIFEST_VERSION, content_hash, content_manifest, hash_manifest
from consent.models import Consent
from stories.models import Department, Naming, PatientStoryPage, Person, Theme
from website.demo.content import STORIES

pytestmark = pytest.mark.django_db

GOLDEN_FILE = Path(__file__).parent / "golden" / "consent_hashes.json"
WRITE_GOLDEN = os.environ.get("VERTEL_WRITE_GOLDEN") == "1"

# Far above any id an autoincrement or sequence hands out in a test run.
DEMO_IMAGE_PK = 990_000
STORY_IMAGE_PK = 991_000
ACCOUNT_PK = 992_000


# Deterministic images ------------------------------------------------------------------------


def png_bytes(width, height, seed):
    """An RGB PNG with fixed pixels, written byte for byte (zlib's stored blocks: no compression)."""
    rows = b"".join(
        b"\x00"  # filter type "none"
        + bytes(
            channel
            for x in range(width)
            for channel in ((x * 7 + seed * 31) % 256, (y * 11 + seed * 17) % 256, ((x + y) * 5 + seed) % 256)
        )
        for y in range(height)
    )
    blocks = []
    for start in range(0, len(rows), 65535):
        chunk = rows[start : start + 65535]
        final = 1 if start + 65535 >= len(rows) else 0
        blocks.append(struct.pack("<BHH", final, len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    stream = b"\x78\x01" + b"".join(blocks) + struct.pack(">I", zlib.adler32(rows))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", stream) + chunk(b"IEND", b"")


def make_image(pk, title, seed, size=(48, 27)):
    if Collection.get_first_root_node() is None:
        # A transactional test before this one flushes the root collection Wagtail's migration made.
        Collection.add_root(name="Root")
    data = png_bytes(*size, seed)
    return get_image_model().objects.create(pk=pk, title=title, file=ContentFile(data, name=f"golden-{seed}.png"))


def ensure_page_root():
    """The tree root, also after a transactional test flushed the one Wagtail's migration made."""
    if Page.get_first_root_node() is None:
        locale = Locale.objects.get_or_create(language_code="nl")[0]
        Page.add_root(instance=Page(title="Root", slug="root", locale=locale))


# Comparing with the golden file --------------------------------------------------------------


def as_json(value):
    """What the manifest is once stored in a consent's JSONField (tuples become lists, and so on)."""
    return json.loads(json.dumps(value, ensure_ascii=False))


def entry(page):
    manifest = content_manifest(page)
    return {"content_hash": content_hash(page), "manifest": as_json(manifest)}


def manifest_differences(golden, actual):
    keys = sorted(set(golden) | set(actual))
    parts = []
    for key in keys:
        if key not in actual:
            parts.append(f"{key} (missing now)")
        elif key not in golden:
            parts.append(f"{key} (new)")
        elif golden[key] != actual[key]:
            parts.append(key)
    return parts


def compare_with_golden(section, actual):
    """Compare ``actual`` ({story name: entry}) with the golden file's ``section``, or write it."""
    stored = json.loads(GOLDEN_FILE.read_text(encoding="utf-8")) if GOLDEN_FILE.exists() else {}
    if WRITE_GOLDEN:
        stored["about"] = (
            "Golden consent manifests and content hashes; see tests/consent/test_golden_hashes.py. "
            "Regenerate only with a new MANIFEST_VERSION that keeps old consents covered (docs/consent.md)."
        )
        stored["manifest_version"] = MANIFEST_VERSION
        stored[section] = actual
        GOLDEN_FILE.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(stored, indent=2, sort_keys=True, ensure_ascii=False)
        GOLDEN_FILE.write_text(text + "\n", encoding="utf-8")
        pytest.skip(f"VERTEL_WRITE_GOLDEN=1: wrote {section!r} to {GOLDEN_FILE}")

    assert section in stored, f"{GOLDEN_FILE} has no {section!r}: generate it with VERTEL_WRITE_GOLDEN=1"
    golden = stored[section]
    problems = []
    for name in sorted(set(golden) - set(actual)):
        problems.append(f"story {section}/{name}: in the golden file, not built any more")
    for name in sorted(set(actual) - set(golden)):
        problems.append(f"story {section}/{name}: built, not in the golden file")
    for name in sorted(set(golden) & set(actual)):
        want, got = golden[name], actual[name]
        differing = manifest_differences(want["manifest"], got["manifest"])
        if differing:
            problems.append(f"story {section}/{name}: manifest keys that differ: {', '.join(differing)}")
        if want["content_hash"] != got["content_hash"]:
            why = "" if differing else " (same manifest: hash_manifest's canonical form changed)"
            problems.append(
                f"story {section}/{name}: content hash {got['content_hash']} != golden {want['content_hash']}{why}"
            )
    assert not problems, (
        "The consent manifests or content hashes changed, so existing signed consents would no longer "
        "cover their stories:\n  "
        + "\n  ".join(problems)
        + "\nA bug unless it comes with a new MANIFEST_VERSION and a migration of the old consents "
        "(see this module's docstring); only then regenerate with VERTEL_WRITE_GOLDEN=1."
    )


def test_golden_file_matches_manifest_version():
    if WRITE_GOLDEN:
        pytest.skip("VERTEL_WRITE_GOLDEN=1")
    stored = json.loads(GOLDEN_FILE.read_text(encoding="utf-8"))
    assert stored["manifest_version"] == MANIFEST_VERSION, (
        f"MANIFEST_VERSION is {MANIFEST_VERSION}, the golden manifests are version {stored['manifest_version']}: "
        "migrate the old consents (docs/consent.md) and regenerate with VERTEL_WRITE_GOLDEN=1"
    )
    # The stored hashes are the hashes of the stored manifests: the file itself was not edited by hand.
    for section in ("demo", "full_story"):
        for name, item in stored[section].items():
            assert hash_manifest(item["manifest"]) == item["content_hash"], name


# The demo stories ----------------------------------------------------------------------------


def test_demo_stories_keep_their_manifests_and_hashes():
    ensure_page_root()
    # The seeder reuses an image titled "Demo: <slug>"; give it fixed ids and bytes (see the docstring).
    slugs = [spec[code]["slug"] for spec in STORIES for code in ("nl", "en")]
    for number, slug in enumerate(slugs):
        make_image(DEMO_IMAGE_PK + number, f"Demo: {slug}", seed=number)

    call_command("seed_demo", stdout=io.StringIO())

    actual = {}
    for page in PatientStoryPage.objects.select_related("locale").order_by("pk"):
        name = f"{page.locale.language_code}/{page.slug}"
        live = entry(page)
        # What the demo consent stores is what the page's manifest is: the same manifest, the same hash.
        consent = Consent.objects.get(story=page)
        assert consent.content_hash == live["content_hash"], name
        assert consent.content_manifest == live["manifest"], name
        actual[name] = live
    assert len(actual) == 2 * sum(spec["kind"] == "patient" for spec in STORIES)
    compare_with_golden("demo", actual)


# One patient story with everything, once per naming ------------------------------------------


def build_full_story(story_index, locales):
    hero = make_image(STORY_IMAGE_PK + 1, "Hero", seed=101, size=(64, 36))
    inline = make_image(STORY_IMAGE_PK + 2, "In the text", seed=102)
    poster = make_image(STORY_IMAGE_PK + 3, "Video poster", seed=103)
    post_image = make_image(STORY_IMAGE_PK + 4, "Post image", seed=104)

    mastodon = ChannelAccount.objects.create(
        pk=ACCOUNT_PK + 1, name="Mastodon (@linde@zorg.social)", kind="mastodon", status="ok"
    )
    bluesky = ChannelAccount.objects.create(pk=ACCOUNT_PK + 2, name="Bluesky (@linde.nl)", kind="bluesky", status="ok")
    webhook = ChannelAccount.objects.create(pk=ACCOUNT_PK + 3, name="Intranet", kind="webhook", status="ok")

    diabetes = Theme.objects.create(name="Diabetes", slug="diabetes", locale=locales["nl"])
    rehabilitation = Theme.objects.create(name="Revalidatie", slug="rehabilitation", locale=locales["nl"])
    rehabilitation_en = rehabilitation.copy_for_translation(locales["en"])
    rehabilitation_en.name = "Rehabilitation"
    rehabilitation_en.save()
    department = Department.objects.create(name="Revalidatiecentrum", location="Zeist")
    person = Person.objects.create(full_name="Pieter van der Berg", first_name="Pieter", pseudonym="Peter")

    page = PatientStoryPage(
        title="Weer op de fiets na mijn knieoperatie",
        slug="weer-op-de-fiets",
        live=False,
        locale=story_index.locale,
        summary="Pieter vertelt hoe hij na zijn nieuwe knie weer naar de markt fietst.",
        content_note="Dit verhaal gaat over een operatie.",
        hero_image=hero,
        hero_image_alt="Pieter op zijn fiets voor het ziekenhuis",
        storyteller=person,
        naming=Naming.FULL_NAME,
        department=department,
        seo_title="Weer fietsen na een knieoperatie | Ziekenhuis De Linde",
        search_description="Een patiënt over zijn revalidatie na een nieuwe knie.",
        body=[
            ("paragraph", "<p>Na de operatie kon ik <b>niet</b> lopen. Nu fiets ik weer.</p>"),
            ("quote", {"text": "Elke dag een beetje verder.", "attribution": "Pieter"}),
            ("image", {"image": inline, "alt": "De oefenzaal", "caption": "Oefenen met de fysiotherapeut"}),
            (
                "video",
                {
                    "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
                    "title": "Pieter fietst",
                    "poster": poster,
                    "transcript": "Pieter fietst over de dijk.",
                },
            ),
            ("callout", {"title": "Meer weten?", "text": "<p>Bel de <i>polikliniek</i>.</p>"}),
        ],
        post_plans=[
            # Its own text and image.
            PostPlan(
                account=mastodon,
                text="Pieter fietst weer! Lees zijn verhaal.",
                image=post_image,
                image_alt="Een fietswiel",
                utm_campaign="knie",
            ),
            # No text, no image: the summary and the hero image (with the hero's alt text).
            PostPlan(account=bluesky),
            # Switched off: still part of what the signer sees and signs.
            PostPlan(account=webhook, enabled=False, text="Voor de collega's: Pieters verhaal."),
        ],
    )
    story_index.add_child(instance=page)
    page.themes.set([diabetes, rehabilitation_en])
    page.tags.add("Knie", "Ervaring & hoop", "fietsen")
    page.save()
    return page


def test_full_patient_story_keeps_its_manifests_and_hashes(story_index, locales):
    page = build_full_story(story_index, locales)
    actual = {}
    for naming in Naming.values:
        page.naming = naming
        page.save()
        revision = page.save_revision()
        stored = entry(PatientStoryPage.objects.get(pk=page.pk))
        signed = entry(revision.as_object())  # what a consent for this revision is built from
        assert signed == stored, f"{naming}: the revision's manifest differs from the saved page's"
        actual[naming] = stored
    compare_with_golden("full_story", actual)
