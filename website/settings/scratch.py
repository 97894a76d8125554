"""Settings for a scratch database: the newsletter benchmark and the tests that crash and resume sending.

Never point these at real data: they refuse to load unless ``DATABASE_URL`` names a scratch
database, that is an SQLite file in the temporary directory outside this checkout (a checkout
may itself live in the temporary directory, and its ``db.sqlite3`` is real data), or a database
(or SQLite file) whose name contains "bench" or "scratch". The benchmark command creates and removes it. Tasks go
through the database queue (``db_worker``) and mail through SMTP to a loopback server on
``VERTEL_SCRATCH_SMTP_PORT``.
"""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

SCRATCH_WORDS = ("bench", "scratch")
CHECKOUT = Path(__file__).resolve().parent.parent.parent


def is_scratch_database(url):
    """Whether ``url`` names a scratch database (see the module docstring)."""
    if not url:
        return False
    database = dj_database_url.parse(url)
    name = str(database.get("NAME") or "")
    if not name or name == ":memory:":
        return False
    if database["ENGINE"] == "django.db.backends.sqlite3":
        file = Path(name).resolve()
        if file.is_relative_to(Path(tempfile.gettempdir()).resolve()) and not file.is_relative_to(CHECKOUT):
            return True
        name = file.name
    return any(word in name.lower() for word in SCRATCH_WORDS)


if not is_scratch_database(os.environ.get("DATABASE_URL", "")):
    raise ImproperlyConfigured(
        "website.settings.scratch needs DATABASE_URL to name a scratch database: an SQLite file in the "
        "temporary directory (outside the project), or a database whose name contains 'bench' or 'scratch'."
    )

from .test import *  # noqa: E402, F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("VERTEL_SCRATCH_SMTP_PORT", "2525"))
EMAIL_USE_TLS = EMAIL_USE_SSL = False
EMAIL_HOST_USER = EMAIL_HOST_PASSWORD = ""
EMAIL_TIMEOUT = 30
