import pytest
from django.utils import translation

from .gate_fixtures import editor  # noqa: F401  (a fixture shared by the consent tests)


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Consent tests read messages in English; the Dutch texts are tested by the translation tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
