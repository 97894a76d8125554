"""Local development: debug on, a fixed key, console email, everything embedded."""

import os

from .base import *  # noqa: F403
from .base import env_bool


def dev_base_url(environ):
    """``BASE_URL`` when it is set, else the local address on ``PORT`` (``make run PORT=8123``)."""
    if environ.get("BASE_URL"):
        return environ["BASE_URL"].rstrip("/")
    port = environ.get("PORT", "").strip()
    return f"http://localhost:{port}" if port.isdigit() else "http://localhost:8000"


# Every link follows the port the server runs on: canonical and Open Graph links from BASE_URL, and
# the Site (feeds, sitemap, posts) is synced from it after migrate and seed_demo (website.public_address).
BASE_URL = dev_base_url(os.environ)
WAGTAILADMIN_BASE_URL = BASE_URL

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"  # noqa: F405
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
VERTEL["CREDENTIALS_KEY"] = (  # noqa: F405
    VERTEL["CREDENTIALS_KEY"] or "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM="  # noqa: F405
)
# Benchmarks and loopback fakes (channels_benchmark, newsletter_benchmark): never in base or production.
INSTALLED_APPS = [*INSTALLED_APPS, "devtools"]  # noqa: F405
# Templates change while developing: serve pages fresh unless VERTEL_PAGE_CACHE=1.
PAGE_CACHE_ENABLED = env_bool("VERTEL_PAGE_CACHE", False)
