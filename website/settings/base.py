"""Settings shared by every environment.

Everything that differs between machines comes from the environment; the defaults are the
embedded ones (SQLite, local media, the database task queue, a local-memory cache for rate limits
and a file-based page cache).
"""

import ipaddress
import os
from pathlib import Path

import dj_database_url
import dj_email_url
from csp.constants import NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")

# The reverse proxies in front of the site (addresses or networks, e.g. "127.0.0.1,::1"; none by
# default). Only a request from one of them has its client address read from X-Forwarded-For
# (core/ratelimit.py); everyone else's header is ignored.
VERTEL_TRUSTED_PROXIES = env_list("VERTEL_TRUSTED_PROXIES")
for _proxy in VERTEL_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(f"VERTEL_TRUSTED_PROXIES: {_proxy!r} is not an address or network") from _error
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public address of the site, used in emails, feeds, consent links and social posts.
BASE_URL = os.environ.get("BASE_URL", "http://localhost:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = BASE_URL

INSTALLED_APPS = [
    "website",
    "stories",
    "consent",
    "channels",
    "newsletter",
    "conversations",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.sitemaps",
    "website.apps.FrontendCacheConfig",  # wagtail.contrib.frontend_cache, without its own purge handlers
    "wagtail.contrib.routable_page",
    "wagtail.contrib.simple_translation",
    "wagtail.locales",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "website.middleware.ContentSecurityPolicyMiddleware",
    "website.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "website.cache_middleware.PageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

# Security headers. SecurityMiddleware sets X-Content-Type-Options, Referrer-Policy and
# Cross-Origin-Opener-Policy (Django's defaults: nosniff, same-origin, same-origin); django-csp the
# Content-Security-Policy and website.middleware the Permissions-Policy.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Public pages load nothing from a third-party host and run no inline script. Video embeds are
# framed only after the visitor clicks, from the privacy-enhanced hosts.
VIDEO_FRAME_HOSTS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": VIDEO_FRAME_HOSTS,
        "media-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The Wagtail admin (and Django's) uses inline styles and scripts of its own (website/middleware.py).
VERTEL_ADMIN_CSP_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF, UNSAFE_INLINE, UNSAFE_EVAL],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:"],
    "frame-src": [SELF, *VIDEO_FRAME_HOSTS],
    "object-src": [NONE],
    "base-uri": [SELF],
    "frame-ancestors": [SELF],
}

ROOT_URLCONF = "website.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "website.context_processors.site_context",
            ],
        },
    },
]

WSGI_APPLICATION = "website.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a busy timeout instead of
    # "database is locked" errors when both write at once.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation: Dutch is the default language, English the second.
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", "Nederlands"), ("en", "English")]
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
LOCALE_PATHS = [BASE_DIR / "locale"]
# Times are stored in UTC and shown in the organisation's zone.
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Cache (rate limits): local memory by default; Redis when REDIS_URL is set. An unreachable Redis
# counts as an empty cache (website/cache_backends.py): pages and withdrawals never depend on it.
REDIS_URL = os.environ.get("REDIS_URL", "")
# A Redis that hangs costs a request at most this long before the cache is skipped for a while.
REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "website.cache_backends.FailSafeRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "vertel"),
            "TIMEOUT": 60 * 60,
            "OPTIONS": REDIS_OPTIONS,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "vertel",
            "TIMEOUT": 60 * 60,
        }
    }

# Whole public pages for anonymous visitors (website/cache.py). The cache must be shared by every
# process that can publish or withdraw (web workers, task worker, scheduler), or a purge in one
# would miss the copies in another: Redis when REDIS_URL is set, otherwise files on local disk.
if REDIS_URL:
    CACHES["pages"] = {
        "BACKEND": "website.cache_backends.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "vertel") + "-pages",
        "TIMEOUT": 60 * 60,
        "OPTIONS": REDIS_OPTIONS,
    }
else:
    CACHES["pages"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("VERTEL_PAGE_CACHE_DIR", str(BASE_DIR / ".page-cache")),
        "TIMEOUT": 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }
# Serve rendered public pages from the "pages" cache (off: VERTEL_PAGE_CACHE=0) and for how long.
PAGE_CACHE_ENABLED = env_bool("VERTEL_PAGE_CACHE", True)
PAGE_CACHE_SECONDS = int(os.environ.get("VERTEL_PAGE_CACHE_SECONDS", str(60 * 60)))
# With a CDN: purge it again this long after the commit, for a copy it took from a render that
# overlapped the commit (website/cache.py). Longer than the slowest page takes to render.
PAGE_CACHE_CDN_REPURGE_SECONDS = 5

# django-anymail: an email service's tracking webhook (bounces, complaints) is served at
# /anymail/<service>/tracking/ only when its basic-auth secret ("user:password") is set, because
# anymail would otherwise accept unauthenticated events.
ANYMAIL = {"WEBHOOK_SECRET": os.environ["ANYMAIL_WEBHOOK_SECRET"]} if os.environ.get("ANYMAIL_WEBHOOK_SECRET") else {}

# Background work: the database queue by default (`manage.py db_worker`).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Email: EMAIL_URL (smtp://user:pass@host:587/?tls=True) or the console in development.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    _email = dj_email_url.parse(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"]
    EMAIL_PORT = _email["EMAIL_PORT"]
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
    EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
    EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
    EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT") or 30
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Vertel <noreply@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Wagtail
WAGTAIL_SITE_NAME = os.environ.get("SITE_NAME", "Vertel")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILIMAGES_FORMAT_CONVERSIONS = {"bmp": "jpeg", "webp": "webp", "avif": "avif"}
# Decodes each uploaded image fully: a damaged or truncated file gets a form error, not a 500 later.
WAGTAILIMAGES_IMAGE_FORM_BASE = "website.image_forms.VertelImageForm"
WAGTAILEMBEDS_RESPONSIVE_HTML = True
# An edit during moderation sends the story back through consent and approval.
WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT = True
# Publishes the revision the signer consented to, not simply the latest one.
WAGTAIL_FINISH_WORKFLOW_ACTION = "consent.finish.publish_consented_revision"
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# No Gravatar: it would send a hash of each editor's e-mail address to a third party (and the
# admin's Content-Security-Policy blocks it anyway, leaving a broken image). Wagtail's own avatar
# shows instead, or the picture an editor uploads in their account.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_COMMENTS_ENABLED = True

# Frontend cache (CDN) purging, configured through the environment when a CDN is in front.
WAGTAILFRONTENDCACHE = {}
if os.environ.get("FRONTEND_CACHE_CLOUDFLARE_TOKEN"):
    WAGTAILFRONTENDCACHE["cloudflare"] = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
        "BEARER_TOKEN": os.environ["FRONTEND_CACHE_CLOUDFLARE_TOKEN"],
        "ZONEID": os.environ.get("FRONTEND_CACHE_CLOUDFLARE_ZONEID", ""),
    }
if os.environ.get("FRONTEND_CACHE_PURGE_URL"):
    WAGTAILFRONTENDCACHE["http"] = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": os.environ["FRONTEND_CACHE_PURGE_URL"],
    }

# Vertel
VERTEL = {
    # Age from which a patient gives consent themselves (16 under the Dutch UAVG, 13 in Belgium).
    "AGE_OF_OWN_CONSENT": int(os.environ.get("VERTEL_AGE_OF_OWN_CONSENT", "16")),
    # How long a personal signing link works.
    "CONSENT_LINK_DAYS": int(os.environ.get("VERTEL_CONSENT_LINK_DAYS", "14")),
    # The longest a consent may last before it must be renewed.
    "CONSENT_MAX_MONTHS": int(os.environ.get("VERTEL_CONSENT_MAX_MONTHS", "24")),
    # Editors are warned this many days before a consent expires.
    "CONSENT_EXPIRY_WARNING_DAYS": int(os.environ.get("VERTEL_CONSENT_EXPIRY_WARNING_DAYS", "30")),
    # A planned post this many hours overdue is marked missed, not sent late.
    "DISPATCH_MISSED_AFTER_HOURS": int(os.environ.get("VERTEL_DISPATCH_MISSED_AFTER_HOURS", "48")),
    # Newsletter sending rate (messages per second) and batch size.
    "NEWSLETTER_RATE": float(os.environ.get("VERTEL_NEWSLETTER_RATE", "50")),
    "NEWSLETTER_BATCH_SIZE": int(os.environ.get("VERTEL_NEWSLETTER_BATCH_SIZE", "200")),
    # Editors and channel administrators are warned this many days before an account's token expires.
    "CHANNEL_TOKEN_WARNING_DAYS": int(os.environ.get("VERTEL_CHANNEL_TOKEN_WARNING_DAYS", "14")),
    # SMTP connections used side by side while sending (each in its own thread).
    "NEWSLETTER_CONNECTIONS": int(os.environ.get("VERTEL_NEWSLETTER_CONNECTIONS", "1")),
    # A sending worker silent this long is taken for dead and another one resumes its issue.
    "NEWSLETTER_LEASE_SECONDS": int(os.environ.get("VERTEL_NEWSLETTER_LEASE_SECONDS", "120")),
    # From address of the newsletter (default DEFAULT_FROM_EMAIL); its domain must pass SPF/DKIM/DMARC.
    "NEWSLETTER_FROM_EMAIL": os.environ.get("VERTEL_NEWSLETTER_FROM_EMAIL", ""),
    # Optional mailbox for mailto: unsubscribes in the List-Unsubscribe header.
    "NEWSLETTER_UNSUBSCRIBE_MAILTO": os.environ.get("VERTEL_NEWSLETTER_UNSUBSCRIBE_MAILTO", ""),
    # Shared secret of the signed bounce webhook for plain SMTP setups (empty: webhook off).
    "NEWSLETTER_WEBHOOK_SECRET": os.environ.get("VERTEL_NEWSLETTER_WEBHOOK_SECRET", ""),
    # Key (Fernet, urlsafe base64 of 32 bytes) that encrypts channel credentials at rest.
    "CREDENTIALS_KEY": os.environ.get("VERTEL_CREDENTIALS_KEY", ""),
    # The address that receives notices meant for the consent officer.
    "CONSENT_OFFICER_EMAIL": os.environ.get("VERTEL_CONSENT_OFFICER_EMAIL", ""),
    # Incoming messages are deleted this many days after the last message of their conversation.
    "CONVERSATIONS_RETENTION_DAYS": int(os.environ.get("VERTEL_CONVERSATIONS_RETENTION_DAYS", "180")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # urllib3 logs every request line, query string included, at DEBUG; a network that takes a
    # token in the query (Graph's debug_token) would put it in the log. Blanked, whatever the level.
    "filters": {
        "url_secrets": {"()": "channels.adapters._http.RedactUrlSecrets"},
        # The tokens of signing, withdrawal and newsletter links, in every line (404s log the path).
        "personal_tokens": {"()": "website.logging.RedactPersonalTokens"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["personal_tokens"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # Quiet even when LOG_LEVEL=DEBUG: request lines are noise, and may carry secrets.
        "urllib3.connectionpool": {"level": "WARNING", "filters": ["url_secrets"]},
    },
}
