import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Consent tests read messages in English; the Dutch texts are tested by the translation tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def editor(django_user_model):
    """An editor with Wagtail's "Editors" and "Moderators" rights."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="editor", password="pw", email="editor@example.org")
    user.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators"]))
    return user
