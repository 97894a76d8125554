"""Shared fixtures: a home page and story index per language, story factories, and users.

Each folder's ``conftest.py`` adds the fixtures of its tests; pytest finds them, so no test module
imports a fixture.
"""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection, Locale, Page, Site

from stories.models import Department, StoryIndexPage, Theme
from tests.factories import OrganisationStoryPageFactory, PatientStoryPageFactory, PersonFactory
from website.models import HomePage


def _django_db_kwargs(item):
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return None
    names = ("transaction", "reset_sequences", "databases", "serialized_rollback", "available_apps")
    return {**dict(zip(names, marker.args, strict=False)), **marker.kwargs}


def _order(item):
    """0: database tests in a transaction; 1: those that restore the migrated data
    (``serialized_rollback``); 2: the other tests that flush the database; 3: no database."""
    kwargs = _django_db_kwargs(item)
    fixtures = getattr(item, "fixturenames", ())
    transactional = bool(kwargs and (kwargs.get("transaction") or kwargs.get("reset_sequences")))
    transactional = transactional or "transactional_db" in fixtures or "live_server" in fixtures
    if transactional:
        return 1 if kwargs and kwargs.get("serialized_rollback") else 2
    return 0 if kwargs is not None or "db" in fixtures else 3


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """pytest-django runs the tests that flush the database after the others; of those, the ones that
    restore the migrated data go first. They restore it with its own ids, which only works while the
    rows the migrations made are still as made: after a flush, ``post_migrate`` recreates the groups,
    consent texts and workflow under new ids. Every process (``make test`` runs two side by side)
    gets its tests in this order, so the rule holds whichever tests it is handed."""
    items.sort(key=_order)


@pytest.fixture(autouse=True)
def _post_migrate_data(request):
    """A test that flushes the database starts with what ``post_migrate`` makes (groups, consent
    texts, the workflow), also when the test before it emptied the tables without it (a flush after
    ``serialized_rollback`` does not send ``post_migrate``)."""
    if _order(request.node) != 2:
        return
    request.getfixturevalue("transactional_db")
    if not Group.objects.exists():
        from django.core.management.sql import emit_post_migrate_signal

        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with empty caches (rate limits, cached navigation, cached pages)."""
    from django.core.cache import caches

    for cache in caches.all(initialized_only=False):
        cache.clear()
    yield
    for cache in caches.all(initialized_only=False):
        cache.clear()


@pytest.fixture
def locales(db):
    nl = Locale.objects.get_or_create(language_code="nl")[0]
    en = Locale.objects.get_or_create(language_code="en")[0]
    return {"nl": nl, "en": en}


@pytest.fixture
def home(locales):
    """The Dutch home page as the default site's root, replacing Wagtail's welcome page."""
    # A transactional test before this one flushes the tables, taking the tree root that
    # Wagtail's migration made with it.
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=locales["nl"]))
    home = root.add_child(instance=HomePage(title="Welkom", slug="home-nl", locale=locales["nl"]))
    site = Site.objects.filter(is_default_site=True).first()
    old_root = site.root_page if site else None
    if site:
        site.root_page = home
        site.save()
    else:
        Site.objects.create(hostname="testserver", root_page=home, is_default_site=True)
    if old_root and old_root.pk != home.pk and not isinstance(old_root.specific, HomePage):
        old_root.delete()
    return home


@pytest.fixture
def home_en(home, locales):
    return home.copy_for_translation(locales["en"], copy_parents=False).specific


@pytest.fixture
def story_index(home):
    index = home.add_child(instance=StoryIndexPage(title="Verhalen", slug="verhalen", locale=home.locale))
    return index


def make_image(title="Test image", size=(1200, 800), color=(40, 120, 160)):
    # As with the page tree: a transactional test before this one flushes the root collection
    # that Wagtail's migration made, and every image needs one.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    buffer = io.BytesIO()
    PILImage.new("RGB", size, color).save(buffer, format="JPEG")
    buffer.seek(0)
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=f"{title[:20]}.jpg"))


@pytest.fixture
def image(db):
    return make_image()


@pytest.fixture
def theme(locales):
    return Theme.objects.create(name="Diabetes", slug="diabetes", locale=locales["nl"])


@pytest.fixture
def department(db):
    return Department.objects.create(name="Interne geneeskunde", location="Utrecht")


@pytest.fixture
def person(db):
    return PersonFactory()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="pw", email="root@example.org")


@pytest.fixture
def editor(django_user_model):
    """An editor with Wagtail's "Editors" and "Moderators" rights (publish included).

    The channel tests' ``editor`` (``tests/channels/conftest.py``) has the "Editors" group only.
    """
    user = django_user_model.objects.create_user(username="editor", password="pw", email="editor@example.org")
    user.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators"]))
    return user


@pytest.fixture
def make_patient_story(story_index, person):
    """Create a patient story below the index; saved as a draft (never live)."""
    counter = {"n": 0}

    def _make(title=None, **fields):
        counter["n"] += 1
        fields.setdefault("storyteller", person)
        return PatientStoryPageFactory(parent=story_index, title=title or f"Patiëntverhaal {counter['n']}", **fields)

    return _make


@pytest.fixture
def make_org_story(story_index):
    """Create and publish an organisation story below the index (no consent needed)."""
    counter = {"n": 0}

    def _make(title=None, publish=True, **fields):
        counter["n"] += 1
        title = title or f"Organisatieverhaal {counter['n']}"
        return OrganisationStoryPageFactory(parent=story_index, title=title, publish=publish, **fields)

    return _make
