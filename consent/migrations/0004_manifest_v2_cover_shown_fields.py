"""Manifest version 2: consents signed under version 1 keep covering exactly what they covered.

Version 2 of the content manifest adds the SEO title, search description, slug, tags and theme
names (``consent.content.V2_FIELDS``). For each consent (and pending request) with a version-1
manifest, this adds those fields as they were in the signed revision (read from the revision's
stored content, so this migration does not depend on today's model classes), keeps the hash the
signer was shown under ``signed_as``, and stores the new hash. Such a consent covers the story
until one of those fields changes; the first change needs a new signature. The evidence log is not
touched: its "signed" entries keep the original hashes.
"""

import hashlib
import json

from django.db import migrations

PROVENANCE_KEY = "signed_as"


def _hash(manifest):
    manifest = {key: value for key, value in manifest.items() if key != PROVENANCE_KEY}
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _shown_fields(apps, content):
    Theme = apps.get_model("stories", "Theme")
    Tag = apps.get_model("taggit", "Tag")
    locale_id = content.get("locale")
    names = []
    for theme in Theme.objects.filter(pk__in=content.get("themes") or []):
        localized = (
            Theme.objects.filter(translation_key=theme.translation_key, locale_id=locale_id).first()
            if locale_id
            else None
        )
        names.append((localized or theme).name)
    tag_ids = [item.get("tag") for item in content.get("tagged_items") or [] if isinstance(item, dict)]
    tags = sorted([tag.name, tag.slug] for tag in Tag.objects.filter(pk__in=tag_ids))
    return {
        "seo_title": content.get("seo_title") or "",
        "search_description": content.get("search_description") or "",
        "slug": content.get("slug") or "",
        "tags": tags,
        "theme_names": sorted(names),
    }


def upgrade(apps, schema_editor):
    Consent = apps.get_model("consent", "Consent")
    ConsentRequest = apps.get_model("consent", "ConsentRequest")
    for model, rows in (
        (Consent, Consent.objects.all()),
        (ConsentRequest, ConsentRequest.objects.filter(status="pending")),
    ):
        for row in rows.select_related("revision").iterator():
            manifest = row.content_manifest or {}
            if manifest.get("version") != 1 or row.revision is None:
                continue  # erased ({"erased": True}), already v2, or nothing to read the fields from
            upgraded = {**manifest, **_shown_fields(apps, row.revision.content or {}), "version": 2}
            upgraded[PROVENANCE_KEY] = {"version": 1, "content_hash": row.content_hash}
            model.objects.filter(pk=row.pk).update(content_manifest=upgraded, content_hash=_hash(upgraded))


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_signing_refusals"),
        ("stories", "0001_initial"),
        ("taggit", "0001_initial"),
        ("wagtailcore", "0001_initial"),
    ]

    operations = [migrations.RunPython(upgrade, migrations.RunPython.noop)]
