"""The website app answers ``core.organisation``: the organisation's name from its site settings.

Consent and the newsletter name the organisation in their mails and pages (and in the ``From``
header) without importing the website app; they ask ``core.organisation.organisation_name()``,
which asks this hook. The name comes from the default site's ``OrganisationSettings`` through the
cached site navigation, which is dropped whenever the organisation settings change.
"""

from wagtail import hooks

from core.organisation import ORGANISATION_NAME_HOOK


@hooks.register(ORGANISATION_NAME_HOOK)
def organisation_name():
    from .navigation import site_navigation

    return site_navigation()["organisation"]["organisation_name"]
