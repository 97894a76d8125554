"""What a signer consents to: a canonical manifest of a story's content, and its SHA-256.

The manifest holds everything the signer sees (text, images, how they are named, where they were
treated, the themes that may reveal a diagnosis) and nothing that does not change what is shown
(block ids, slugs, tags, SEO fields, publishing dates). Two revisions with the same manifest need no
new signature; any material change gives a new hash, which no existing consent covers.
"""

import hashlib
import json

from django.utils.translation import gettext_lazy as _

MANIFEST_VERSION = 1

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
}


def _sha256_of_image(image):
    if image is None:
        return None
    try:
        with image.open_file() as handle:
            digest = hashlib.sha256()
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(chunk)
            return digest.hexdigest()
    except (OSError, ValueError):
        # A missing file is itself a material fact: hash what identifies it.
        return hashlib.sha256(f"missing:{image.pk}:{image.file.name}".encode()).hexdigest()


def _image_entry(image, alt=""):
    if image is None:
        return None
    return {"id": image.pk, "sha256": _sha256_of_image(image), "alt": alt}


def _strip_block_ids(value):
    """Block ids change without any visible change; leave them out of the manifest."""
    if isinstance(value, list):
        return [_strip_block_ids(item) for item in value]
    if isinstance(value, dict):
        return {key: _strip_block_ids(item) for key, item in value.items() if not (key == "id" and "type" in value)}
    return value


def _body_entry(page):
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
        "images": {str(pk): _sha256_of_image(images.get(pk)) for pk in sorted(image_ids)},
    }


def content_manifest(page):
    """The canonical, JSON-serialisable content of a patient story page (or a revision's object)."""
    return {
        "version": MANIFEST_VERSION,
        "title": page.title,
        "summary": page.summary,
        "content_note": page.content_note,
        "hero_image": _image_entry(page.hero_image, page.hero_image_alt),
        "body": _body_entry(page),
        "naming": page.naming,
        "storyteller": page.get_storyteller_name(),
        "department": str(page.department) if page.department_id else "",
        "themes": sorted(theme.slug for theme in page.themes.all()),
    }


def hash_manifest(manifest):
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def content_hash(page):
    return hash_manifest(content_manifest(page))


def changed_fields(old_manifest, new_manifest):
    """The manifest keys whose values differ, in a stable order."""
    keys = [key for key in FIELD_LABELS if old_manifest.get(key) != new_manifest.get(key)]
    return keys
