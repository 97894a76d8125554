"""Local development: debug on, a fixed key, console email, everything embedded."""

from .base import *  # noqa: F403
from .base import env_bool

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
