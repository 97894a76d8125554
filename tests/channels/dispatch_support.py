"""Helpers of the dispatch tests: plans, publishing, publishing with a signed consent.

The loopback network ("testnet") and its adapter live in ``devtools.loopback.testnet`` (the
channels benchmark runs against them too); its fixtures (``testnet``, ``testnet_account``) are in
``tests/channels/conftest.py``.
"""

from channels.models import PostPlan
from devtools.consent import build_consent


def add_plan(page, account, **fields):
    return PostPlan.objects.create(page=page, account=account, **fields)


def publish(page):
    """Publish the page's latest revision (plans included), as the admin's Publish button would."""
    revision = page.save_revision()
    revision.publish()
    page.refresh_from_db()
    return page


def publish_with_consent(page, channels, **consent_fields):
    """Sign the latest revision (its plans included) and publish it; the post waits in the queue."""
    revision = page.save_revision()
    consent = build_consent(page, revision=revision, channels=channels, **consent_fields)
    revision.publish()
    page.refresh_from_db()
    return consent
