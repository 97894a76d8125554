"""The organisation's name, one source for every text and mail sender that names who speaks.

The name is a site setting of the website app (``website.OrganisationSettings.organisation_name``).
The apps below it (consent, newsletter) must not import it, so they ask here, and the website app
answers through the Wagtail hook ``vertel_organisation_name`` (``website/organisation_hooks.py``).
Without an answer (no site settings yet, or the website app absent) the name is the display name
of ``DEFAULT_FROM_EMAIL``, else "Vertel".

:func:`sender` makes the ``From`` header of a mail: the organisation's name with the address of
``DEFAULT_FROM_EMAIL`` (or the address given), e.g. ``Ziekenhuis De Linde <noreply@example.org>``.
"""

from email.utils import formataddr, parseaddr

from django.conf import settings
from wagtail import hooks

ORGANISATION_NAME_HOOK = "vertel_organisation_name"
FALLBACK_NAME = "Vertel"


def organisation_name():
    """The organisation's name: the first non-empty answer of the hook, else the configured sender's name."""
    for fn in hooks.get_hooks(ORGANISATION_NAME_HOOK):
        name = (fn() or "").strip()
        if name:
            return name
    name, _address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return name.strip() or FALLBACK_NAME


def sender(address=None):
    """``"<organisation name> <address>"``: the address of ``address`` (default ``DEFAULT_FROM_EMAIL``)."""
    _name, plain = parseaddr(address or settings.DEFAULT_FROM_EMAIL)
    # A line break in a name is dropped: a header value is one line.
    name = " ".join(organisation_name().split())
    return formataddr((name, plain or settings.DEFAULT_FROM_EMAIL))
