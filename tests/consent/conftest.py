"""Fixtures of the consent tests (``editor`` and ``superuser`` come from the root conftest)."""

import pytest
from django.utils import translation

from devtools.consent import build_consent


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Consent tests read messages in English; the Dutch texts are tested by the translation tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_consent(db):
    """``build_consent``: a signed consent built as rows, without the signing views."""
    return build_consent


@pytest.fixture
def story(make_patient_story):
    return make_patient_story(title="Mijn verhaal")
