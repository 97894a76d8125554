"""A signed consent built as rows, without the signing views: for the benchmarks and the tests.

Not the product's signing path (``consent.views`` and ``consent.services``): no email link, only
the request and consent rows the publishing gate reads, for a patient signing in Dutch.
"""

import datetime

from django.utils import timezone

from consent.content import content_hash, content_manifest
from consent.models import Consent, ConsentRequest, ConsentText, SignerRole, hash_token, new_token


def build_consent(story, revision=None, channels=("website",), valid_until=None, **fields):
    """A signed consent for ``revision`` (default: the story's latest) of ``story``."""
    revision = revision or story.get_latest_revision()
    shown = revision.as_object() if revision else story
    manifest = content_manifest(shown)
    text = ConsentText.objects.filter(language="nl").first()
    if text is None:
        text = ConsentText(language="nl", version=1, title="Toestemming", body="Je mag altijd stoppen.")
        text.sha256 = text.compute_sha256()
        text.save()
    request = ConsentRequest.objects.create(
        story=story,
        story_title=story.title,
        revision=revision,
        content_hash=content_hash(shown),
        content_manifest=manifest,
        signer_name="Anna de Vries",
        signer_email="anna@example.org",
        signer_role=SignerRole.PATIENT,
        language="nl",
        proposed_channels=list(channels),
        token_hash=hash_token(new_token()),
        expires_at=timezone.now() + datetime.timedelta(days=14),
        status=ConsentRequest.Status.SIGNED,
    )
    defaults = {
        "request": request,
        "story": story,
        "revision": revision,
        "content_hash": request.content_hash,
        "content_manifest": manifest,
        "consent_text": text,
        "consent_text_hash": text.sha256,
        "channels": list(channels),
        "naming": shown.naming,
        "valid_until": valid_until,
        "signer_typed_name": "Anna de Vries",
        "signer_role": SignerRole.PATIENT,
        "verification": Consent.Verification.EMAIL_LINK,
        "withdrawal_token_hash": hash_token(new_token()),
    }
    defaults.update(fields)
    return Consent.objects.create(**defaults)
