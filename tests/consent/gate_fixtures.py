"""Fixtures of the publishing-gate tests: consents built as rows, without the signing views.

Imported by the gate and workflow test modules (``from .gate_fixtures import *``) so the shared
``conftest.py`` stays H3's.
"""

import datetime

import pytest
from django.contrib.auth.models import Group
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


@pytest.fixture
def make_consent(db):
    return build_consent


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Mijn verhaal")


@pytest.fixture
def editor(django_user_model):
    """An editor with Wagtail's "Editors" and "Moderators" rights (publish included)."""
    user = django_user_model.objects.create_user(username="editor", password="pw", email="editor@example.org")
    user.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators"]))
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.org")
