"""Settings for the test suite: fast hashing, in-memory email, tasks run in the test."""

import os

from .base import *  # noqa: F403

DEBUG = False
# Benchmarks and loopback fakes (channels_benchmark, newsletter_benchmark): never in base or production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
SECRET_KEY = "test-key-not-secret-but-long-enough-for-django-checks-0123456789"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MEDIA_ROOT = Path(os.environ.get("TEST_MEDIA_ROOT", BASE_DIR / ".test-media"))  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
BASE_URL = "http://testserver"
WAGTAILADMIN_BASE_URL = BASE_URL
VERTEL["CREDENTIALS_KEY"] = "dGVzdC1vbmx5LWNyZWRlbnRpYWxzLWtleS0zMmJ5dGU="  # noqa: F405
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    "pages": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t-pages"},
}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Most tests measure rendering (query budgets); the page-cache tests turn the cache on themselves.
PAGE_CACHE_ENABLED = False
