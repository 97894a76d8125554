"""What a signer consents to: a canonical manifest of a story's content, and its SHA-256.

The manifest holds everything any channel shows of the story: text, images (by the SHA-256 of
their files), how the storyteller is named and the name that naming resolves to, where they were
treated, the themes (by slug and by the name shown), the tags, the SEO title, the search
description, the slug (it is in the address), and the social posts planned for the story. It
leaves out what shows nothing (block ids, publishing dates, when a post goes out). Two revisions
with the same manifest need no new signature; any material change gives a new hash, which no
existing consent covers.

Version 2 added ``seo_title``, ``search_description``, ``slug``, ``tags`` and ``theme_names``
(the ``V2_FIELDS``). Consents signed under version 1 were migrated
(``consent/migrations/0003_manifest_v2_cover_shown_fields``): their manifest got the v2 fields as
they were in the signed revision, and ``signed_as`` keeps the hash the signer was shown. Such a
consent covers the story for as long as none of those fields changes.
"""

import hashlib
import json

from django.utils.translation import gettext_lazy as _

from core import channel_keys

# 2: the SEO title, search description, slug, tags and theme names are part of the signed content.
# The "posts" key is only present when a story has planned posts.
MANIFEST_VERSION = 2

# The fields version 2 added; a v1 consent was migrated with their values from its signed revision.
V2_FIELDS = ("seo_title", "search_description", "slug", "tags", "theme_names")

# Not content: where a migrated manifest came from (the version and hash the signer was shown).
PROVENANCE_KEY = "signed_as"

# Labels for the fields of a manifest, used to show a signer what changed since they signed.
FIELD_LABELS = {
    "title": _("title"),
    "summary": _("summary"),
    "content_note": _("content note"),
    "hero_image": _("hero image"),
    "body": _("story text and media"),
    "naming": _("how you are named"),
    "storyteller": _("the name shown"),
    "department": _("department"),
    "themes": _("themes"),
    "theme_names": _("the names of the themes"),
    "tags": _("tags"),
    "seo_title": _("the title in search engines and browser tabs"),
    "search_description": _("the description in search engines"),
    "slug": _("the web address"),
    "post_text": _("the text of the social media posts"),
    "post_image": _("the images of the social media posts"),
}


def _sha256_of_image(image, cache=None):
    if image is None:
        return None
    if cache is not None and image.pk in cache:
        return cache[image.pk]
    digest = _read_sha256(image)
    if cache is not None:
        cache[image.pk] = digest
    return digest


def _read_sha256(image):
    try:
        with image.open_file() as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
            return digest.hexdigest()
    except (OSError, ValueError):
        # A missing file is itself a material fact: hash what identifies it.
        return hashlib.sha256(f"missing:{image.pk}:{image.file.name}".encode()).hexdigest()


def _image_entry(image, alt="", cache=None):
    if image is None:
        return None
    return {"id": image.pk, "sha256": _sha256_of_image(image, cache), "alt": alt}


def _strip_block_ids(value):
    """Block ids change without any visible change; leave them out of the manifest."""
    if isinstance(value, list):
        return [_strip_block_ids(item) for item in value]
    if isinstance(value, dict):
        return {key: _strip_block_ids(item) for key, item in value.items() if not (key == "id" and "type" in value)}
    return value


def _body_entry(page, cache=None):
    from wagtail.images import get_image_model

    raw = _strip_block_ids(list(page.body.get_prep_value()))
    image_ids = set()

    def collect(value):
        if isinstance(value, dict):
            for key, item in value.items():
                if key in {"image", "poster"} and isinstance(item, int):
                    image_ids.add(item)
                else:
                    collect(item)
        elif isinstance(value, list):
            for item in value:
                collect(item)

    collect(raw)
    images = get_image_model().objects.in_bulk(image_ids)
    return {
        "blocks": raw,
        "images": {str(pk): _sha256_of_image(images.get(pk), cache) for pk in sorted(image_ids)},
    }


def effective_text(text, summary, title=""):
    """What a planned post says: its own text, else the story's summary, else the title.

    The manifest (``planned_posts``) records this text, so a change to what a post will say needs
    a new signature. The channels app sends posts by this same rule (``channels.plan``).
    """
    return (text or "").strip() or (summary or "").strip() or (title or "").strip()


def effective_image(image, image_alt, hero_image, hero_image_alt):
    """``(image, alt)`` a planned post shows: its own image, else the story's hero image."""
    if image is not None:
        return image, (image_alt or "").strip()
    if hero_image is not None:
        return hero_image, (image_alt or "").strip() or (hero_image_alt or "").strip()
    return None, ""


def planned_posts(page):
    """The story's planned social posts as they will go out: one dict per plan, by channel key.

    Each has the plan, its ``channel`` key, the ``text`` as posted (the plan's own text, else the
    summary, else the title), and the ``image`` and ``alt`` sent with it (the plan's own image,
    else the hero image). Plans that are switched off are included: switching one on later posts
    exactly what the signer saw, on a channel they chose, so it needs no new signature; a plan
    whose text or image changes does. Reads the plans of ``page`` as given, so a revision's object
    gives that revision's plans.
    """
    plans = getattr(page, "post_plans", None)
    if plans is None:
        return []
    posts = []
    for plan in plans.all():
        if not plan.account_id:
            continue
        image, alt = effective_image(plan.image, plan.image_alt, page.hero_image, page.hero_image_alt)
        posts.append(
            {
                "plan": plan,
                "channel": channel_keys.account_key(plan.account_id),
                "text": effective_text(plan.text, page.summary, page.title),
                "image": image,
                "alt": alt,
            }
        )
    return sorted(posts, key=lambda post: post["channel"])


def _posts_entry(page, cache):
    return [
        {"channel": post["channel"], "text": post["text"], "image": _image_entry(post["image"], post["alt"], cache)}
        for post in planned_posts(page)
    ]


def content_manifest(page):
    """The canonical, JSON-serialisable content of a patient story page (or a revision's object)."""
    cache = {}  # image id -> SHA-256: a post's image is often the hero image, read it once
    manifest = {
        "version": MANIFEST_VERSION,
        "title": page.title,
        "summary": page.summary,
        "content_note": page.content_note,
        "hero_image": _image_entry(page.hero_image, page.hero_image_alt, cache),
        "body": _body_entry(page, cache),
        "naming": page.naming,
        "storyteller": page.get_storyteller_name(),
        "department": str(page.department) if page.department_id else "",
        "themes": sorted(theme.slug for theme in page.themes.all()),
        **shown_fields(page),
    }
    posts = _posts_entry(page, cache)
    if posts:
        manifest["posts"] = posts
    return manifest


def shown_fields(page):
    """The v2 fields of ``page`` (or a revision's object): what search engines, tabs and links show."""
    themes = []
    for theme in page.themes.all():
        # The name shown is the theme's translation in the story's language, where there is one.
        localized = theme
        if getattr(page, "locale_id", None) and getattr(theme, "locale_id", None) != page.locale_id:
            localized = (
                type(theme).objects.filter(translation_key=theme.translation_key, locale_id=page.locale_id).first()
            )
            localized = localized or theme
        themes.append(localized.name)
    return {
        "seo_title": page.seo_title or "",
        "search_description": page.search_description or "",
        "slug": page.slug,
        "tags": sorted([tag.name, tag.slug] for tag in page.tags.all()),
        "theme_names": sorted(themes),
    }


def hash_manifest(manifest):
    if PROVENANCE_KEY in manifest:
        manifest = {key: value for key, value in manifest.items() if key != PROVENANCE_KEY}
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_hash(page):
    return hash_manifest(content_manifest(page))


def signed_hash(consent):
    """The content hash the signer was shown (the receipt's fingerprint), also for a migrated v1 consent."""
    provenance = (consent.content_manifest or {}).get(PROVENANCE_KEY) or {}
    return provenance.get("content_hash") or consent.content_hash


def _field_value(manifest, key):
    """What ``key`` of FIELD_LABELS is in ``manifest``: a manifest key, or one part of the posts."""
    if key in ("post_text", "post_image"):
        part = "text" if key == "post_text" else "image"
        return {post["channel"]: post[part] for post in manifest.get("posts") or []}
    return manifest.get(key)


def changed_fields(old_manifest, new_manifest):
    """The changed parts of the content (keys of FIELD_LABELS), in a stable order.

    A post added, removed or reworded counts as a change of the posts' text; a post's image (or
    its alt text) as a change of the posts' images.
    """
    return [key for key in FIELD_LABELS if _field_value(old_manifest, key) != _field_value(new_manifest, key)]


def shown_media(manifest):
    """Which kinds of media a manifest's content shows on the website: a subset of {"photos", "video"}.

    Photos: the hero image, images in the text, a video's poster image. Video: a video in the
    text. Post images are not counted here: they go to social networks, and what a post may carry
    is decided by dispatch, right before it is sent.
    """
    body = manifest.get("body") or {}
    media = set()
    if manifest.get("hero_image") or body.get("images"):
        media.add("photos")
    # The story body is a flat stream: a video is a top-level block.
    if any(isinstance(block, dict) and block.get("type") == "video" for block in body.get("blocks") or []):
        media.add("video")
    return media


def media_not_allowed(consent):
    """``"photos"`` or ``"video"`` when the signed content shows media the signer did not allow, else None.

    The consent's own manifest is the content it covers (same hash), so this needs no page.
    """
    shown = shown_media(consent.content_manifest or {})
    if "photos" in shown and not consent.allow_photos:
        return "photos"
    if "video" in shown and not consent.allow_video:
        return "video"
    return None
