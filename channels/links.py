"""Links back to a story, tagged so reads from each channel can be counted without tracking.

``utm_source`` names the account: its network and id (``mastodon-3``, ``bluesky-7``), so two accounts
on one network are counted apart (links made before this named only the network, ``mastodon``,
and are still counted, as that network). ``utm_medium`` is ``social`` (or ``email``/``webhook``),
``utm_campaign`` the plan's campaign or the story's slug. No identifier of a person is ever added.
"""

from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings

MEDIUM_BY_KIND = {"webhook": "webhook", "newsletter": "email"}


def absolute_url(page):
    url = page.get_full_url() or ""
    if url.startswith("/"):
        url = settings.BASE_URL + url
    return url


def tracked_url(page, source, *, medium="social", campaign=""):
    """The story's absolute URL with ``utm_source``/``utm_medium``/``utm_campaign``."""
    parts = urlsplit(absolute_url(page))
    query = urlencode({"utm_source": source, "utm_medium": medium, "utm_campaign": campaign or page.slug})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def source_for_account(account):
    """The ``utm_source`` of an account's links, e.g. ``mastodon-3``: the id, not the name, which may change."""
    return f"{account.kind}-{account.pk}"


def medium_for_account(account):
    return MEDIUM_BY_KIND.get(account.kind, "social")


def link_for_account(page, account, campaign=""):
    return tracked_url(page, source_for_account(account), medium=medium_for_account(account), campaign=campaign)
