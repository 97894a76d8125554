"""``BASE_URL`` is the one public address; the default Wagtail ``Site`` is kept in step with it.

Canonical and Open Graph links are built from ``BASE_URL``; everything Wagtail makes absolute
(``page.full_url``: social posts, feeds, the sitemap, the post previews on the signing page, the
front-end cache purges) is built from the default Site's ``root_url``. Wagtail's migration creates
that Site as ``localhost:80``, so out of the box the two disagree. This module closes the gap:

* ``site_address()`` is the (hostname, port) a Site needs for its ``root_url`` to be ``BASE_URL``.
  Wagtail knows no scheme: port 443 means https, every other port http. So ``https://host`` is
  port 443, ``http://host`` port 80, ``http://host:8000`` port 8000. A ``BASE_URL`` a Site cannot
  say (https on another port than 443, http on 443, a path such as ``/verhalen``, an IPv6 address)
  gives ``None``: the Site is then left alone and check vertel.W002 says why.
* ``sync_default_site()`` runs after every ``migrate`` (a ``post_migrate`` receiver, connected in
  ``WebsiteConfig.ready``) and at the end of ``seed_demo``. It changes only the default Site, never
  creates or deletes one, and only while the operator has not given it an address of their own:

  - the Site still has Wagtail's migration-created value, ``localhost`` port 80; or
  - it is the only Site and its hostname is a local development name (``localhost``,
    ``*.localhost``, ``127.0.0.1``, ``::1``, ``testserver``), so no public address was configured.

  A Site with any other hostname counts as configured and is kept; when it disagrees with
  ``BASE_URL``, check vertel.W002 warns and ``manage.py sync_site_address --force`` (or the Sites
  settings in the admin) sets it. Nothing changes either when another Site already has the target
  host and port (they are unique together).
"""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

WAGTAIL_PLACEHOLDER = ("localhost", 80)
LOCAL_NAMES = {"localhost", "testserver"}


def site_address(base_url=None):
    """``(hostname, port)`` of a Site whose ``root_url`` is ``base_url`` (``BASE_URL``), else ``None``."""
    base_url = settings.BASE_URL if base_url is None else base_url
    try:
        parts = urlsplit(base_url.strip())
        port = parts.port
    except ValueError:
        return None
    hostname = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not hostname or ":" in hostname:
        return None
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    if parts.scheme == "https":
        port = port or 443
        return (hostname, port) if port == 443 else None
    port = port or 80
    return (hostname, port) if port != 443 else None


def address_of(site):
    return (site.hostname.strip().lower(), site.port)


def in_step(site, base_url=None):
    """Whether ``site.root_url`` is the public address."""
    target = site_address(base_url)
    return target is not None and address_of(site) == target


def is_local_name(hostname):
    hostname = hostname.strip().lower().strip("[]")
    if hostname in LOCAL_NAMES or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def is_unconfigured(site, site_count):
    """Whether the default ``site`` still has an address nobody chose (see the module's rule)."""
    address = address_of(site)
    return address == WAGTAIL_PLACEHOLDER or (site_count == 1 and is_local_name(address[0]))


def sync_default_site(*, force=False, using=DEFAULT_DB_ALIAS):
    """Give the default Site the address of ``BASE_URL`` where the rule allows; return it if it changed.

    ``force`` drops the "not configured yet" condition (``manage.py sync_site_address --force``);
    the other conditions (a default Site exists, ``BASE_URL`` can be said, no other Site has the
    address) still hold.
    """
    from wagtail.models import Site

    target = site_address()
    if target is None:
        return None
    # Only the columns every Wagtail version has: this also runs after a migrate to an older state.
    sites = list(Site.objects.using(using).only("hostname", "port", "is_default_site").order_by("pk"))
    default = next((site for site in sites if site.is_default_site), None)
    if default is None or address_of(default) == target:
        return None
    if not force and not is_unconfigured(default, len(sites)):
        return None
    if any(site.pk != default.pk and address_of(site) == target for site in sites):
        return None
    default.hostname, default.port = target
    # Site's post_save receiver clears Wagtail's cached site root paths, so page URLs follow at once.
    default.save(using=using, update_fields=["hostname", "port"])
    return default


def sync_after_migrate(sender, app_config=None, verbosity=1, using=DEFAULT_DB_ALIAS, apps=None, **kwargs):
    """``post_migrate`` receiver (connected for the website app, so it runs once per ``migrate``)."""
    if apps is not None:
        try:
            apps.get_model("wagtailcore", "Site")
        except LookupError:  # migrated to a point before Wagtail's tables exist
            return
    site = sync_default_site(using=using)
    if site is not None and verbosity >= 1:
        print(f"  The default site's address is now {site.root_url} (from BASE_URL).")
