"""Fixtures of the publishing-gate tests: consents built as rows, without the signing views.

``build_consent`` lives in ``devtools.consent`` (the channels benchmark uses it too); it is
re-exported here for the test modules that import it from this module.

Imported by the gate and workflow test modules (``from .gate_fixtures import *``) so the shared
``conftest.py`` stays H3's.
"""

import pytest
from django.contrib.auth.models import Group

from devtools.consent import build_consent  # one copy, shared with the benchmarks


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
