"""The scratch settings of the benchmark and crash tests refuse to load against anything but a scratch database."""

import importlib
import sys
import tempfile

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def load_with(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delitem(sys.modules, "website.settings.scratch", raising=False)
    try:
        return importlib.import_module("website.settings.scratch")
    finally:
        sys.modules.pop("website.settings.scratch", None)


@pytest.mark.parametrize(
    "url",
    [
        f"sqlite:///{settings.BASE_DIR / 'db.sqlite3'}",  # the development database
        "sqlite:///db.sqlite3",
        "postgres://vertel:secret@db.example.org:5432/vertel",
        "sqlite://:memory:",
        "",
    ],
)
def test_refuses_a_database_that_is_not_a_scratch_one(monkeypatch, url):
    with pytest.raises(ImproperlyConfigured, match="scratch database"):
        load_with(monkeypatch, url)


@pytest.mark.parametrize(
    "url",
    [
        f"sqlite:///{tempfile.gettempdir()}/vertel-newsletter-bench-x/bench.sqlite3",
        f"sqlite:///{tempfile.gettempdir()}/pytest-of-ci/test_x0/data.sqlite3",
        "sqlite:////srv/vertel/scratch.sqlite3",
        "postgres://postgres@127.0.0.1:5432/vertel_bench",
        "postgres://postgres@127.0.0.1:5432/scratch_newsletter",
    ],
)
def test_loads_for_a_scratch_database(monkeypatch, url):
    module = load_with(monkeypatch, url)
    assert module.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    assert module.EMAIL_HOST == "127.0.0.1"


def test_refuses_the_database_of_a_checkout_that_lives_in_the_temporary_directory(monkeypatch):
    # CI clones the project into /tmp: its db.sqlite3 is in the temporary directory and still real data.
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(settings.BASE_DIR.parent))
    for url in (
        f"sqlite:///{settings.BASE_DIR / 'db.sqlite3'}",
        f"sqlite:///{settings.BASE_DIR / 'data' / 'site.db'}",
    ):
        with pytest.raises(ImproperlyConfigured, match="scratch database"):
            load_with(monkeypatch, url)
    # Beside the checkout, in the same temporary directory, a file is a scratch one.
    assert load_with(monkeypatch, f"sqlite:///{settings.BASE_DIR.parent / 'vertel-x' / 'data.sqlite3'}")
