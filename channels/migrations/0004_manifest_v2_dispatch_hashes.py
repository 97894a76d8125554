"""Manifest version 2: dispatches keep the content version of the consent that covered them.

``consent.0004_manifest_v2_cover_shown_fields`` gave every version-1 consent a new content hash
(its ``signed_as`` keeps the old one). A dispatch records the hash it was sent for; without this, the
removal sweep would find no consent for a post already out and take it down, and planning would
see a new version of every story.
"""

from django.db import migrations


def remap(apps, schema_editor):
    Consent = apps.get_model("consent", "Consent")
    Dispatch = apps.get_model("vertel_channels", "Dispatch")
    for consent in Consent.objects.exclude(story_id=None).order_by("signed_at").iterator():
        provenance = (consent.content_manifest or {}).get("signed_as") or {}
        old = provenance.get("content_hash")
        if not old or old == consent.content_hash:
            continue
        for dispatch in Dispatch.objects.filter(page_id=consent.story_id, content_hash=old):
            if not Dispatch.objects.filter(
                page_id=dispatch.page_id, account_id=dispatch.account_id, content_hash=consent.content_hash
            ).exists():
                Dispatch.objects.filter(pk=dispatch.pk).update(content_hash=consent.content_hash)


class Migration(migrations.Migration):
    dependencies = [
        ("vertel_channels", "0003_dispatch_first_attempt_identity_removals"),
        ("consent", "0004_manifest_v2_cover_shown_fields"),
    ]

    operations = [migrations.RunPython(remap, migrations.RunPython.noop)]
