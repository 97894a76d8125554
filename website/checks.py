"""Checks of Vertel's own settings: deployment (``manage.py check --deploy``) and the public address."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# The key website/settings/dev.py falls back to: public in the repository, so it protects nothing.
DEVELOPMENT_CREDENTIALS_KEY = "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM="
TEST_CREDENTIALS_KEY = "dGVzdC1vbmx5LWNyZWRlbnRpYWxzLWtleS0zMmJ5dGU="


@register(Tags.security, deploy=True)
def check_credentials_key(app_configs, **kwargs):
    key = (getattr(settings, "VERTEL", {}) or {}).get("CREDENTIALS_KEY", "")
    if key in (DEVELOPMENT_CREDENTIALS_KEY, TEST_CREDENTIALS_KEY):
        return [
            Warning(
                "VERTEL_CREDENTIALS_KEY is the public development or test key: anyone with the repository "
                "can decrypt the stored channel credentials.",
                hint="Generate a key of your own with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.',
                id="vertel.W001",
            )
        ]
    return []


@register(Tags.database)
def check_public_address(app_configs, databases=None, **kwargs):
    """vertel.W002: the default Site's address (Wagtail's absolute links) is not BASE_URL.

    A database check: it runs in ``migrate`` and in ``manage.py check --database default``
    (``check --deploy --database default`` on a server), never where no database was asked for.
    """
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
    from wagtail.models import Site

    from .public_address import address_of, is_unconfigured, site_address

    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    try:
        connection = connections[DEFAULT_DB_ALIAS]
        if Site._meta.db_table not in connection.introspection.table_names():
            return []  # not migrated yet; migrate sets the Site from BASE_URL when it has made it
        sites = list(Site.objects.only("hostname", "port", "is_default_site").order_by("pk"))
    except DatabaseError:
        return []
    default = next((site for site in sites if site.is_default_site), None)
    base_url = settings.BASE_URL
    target = site_address(base_url)
    if default is None:
        return [
            Warning(
                "There is no default Wagtail Site, so pages have no public address.",
                hint="Run `manage.py migrate` (Wagtail creates one) or mark a Site as the default under "
                "Settings > Sites; `manage.py sync_site_address` then gives it BASE_URL's host and port.",
                id="vertel.W002",
            )
        ]
    if target is None:
        return [
            Warning(
                f"BASE_URL ({base_url}) is not an address a Wagtail Site can have, so links in social posts, "
                f"feeds and the sitemap ({default.root_url}) differ from canonical links ({base_url}).",
                hint="A Site is a host and a port: Wagtail uses https on port 443 and http on every other port, "
                "and knows no path. Set BASE_URL to https://<host> or http://<host>[:<port>].",
                id="vertel.W002",
            )
        ]
    if address_of(default) == target:
        return []
    hostname, port = target
    if is_unconfigured(default, len(sites)):
        hint = (
            "Run `manage.py migrate` or `manage.py sync_site_address`: they give a Site that still has a "
            "local address BASE_URL's host and port."
        )
    else:
        hint = (
            f"If BASE_URL is right, run `manage.py sync_site_address --force` (or set the default Site to "
            f"hostname {hostname}, port {port} under Settings > Sites); otherwise correct BASE_URL."
        )
    return [
        Warning(
            f"The default Wagtail Site's address ({default.root_url}) is not BASE_URL ({base_url}): links in "
            "social posts, feeds, the sitemap and the signing page's post previews use the Site, canonical and "
            "Open Graph links use BASE_URL.",
            hint=hint,
            id="vertel.W002",
        )
    ]
