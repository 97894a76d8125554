import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Consent tests read messages in English; the Dutch texts are tested by the translation tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
