"""The newsletter's signal handlers, connected once from ``NewsletterConfig.ready()``.

Consent withdrawal and unpublishing take a story out of the issues (``newsletter.withdrawal``);
bounces and complaints reported through django-anymail make an address undeliverable
(``newsletter.subscriptions``). Handlers only translate a signal into those calls.
"""

import logging

from wagtail.signals import page_unpublished

from consent.signals import consent_withdrawn
from core.channel_keys import NEWSLETTER, WEBSITE

from .subscriptions import mark_undeliverable
from .withdrawal import leave_issues_being_sent, withdraw_story_from_newsletters

logger = logging.getLogger(__name__)

UNDELIVERABLE_EVENTS = {"bounced", "complained", "rejected"}


def take_story_out_of_newsletters(sender, consent, channels, reason, **kwargs):
    """Drop the story from unsent issues and redact it on sent issues' archive pages.

    Sent emails cannot be recalled; the consent text tells signers so. Receivers must not raise.
    """
    if not ({NEWSLETTER, WEBSITE} & set(channels)) or consent.story_id is None:
        return
    try:
        withdraw_story_from_newsletters(consent.story_id, consent=consent, reason=reason)
    except Exception:  # noqa: BLE001 - a failing receiver must not break the withdrawal itself
        logger.exception("Newsletter: could not take story %s out of the newsletter.", consent.story_id)


def story_unpublished(sender, instance, **kwargs):
    """An unpublished (or deleted) story leaves the issues being sent, like a withdrawn one.

    Rendering already leaves out stories that are not live; this only makes a sending worker
    notice it before its next message instead of at its next render.
    """
    leave_issues_being_sent(instance.pk)


def on_anymail_tracking(sender, event, esp_name, **kwargs):
    """Anymail tracking webhook: a bounce, complaint or rejection makes the address undeliverable."""
    if event.event_type in UNDELIVERABLE_EVENTS and event.recipient:
        reason = f"{event.event_type} ({esp_name})"
        if event.reject_reason:
            reason += f": {event.reject_reason}"
        mark_undeliverable(event.recipient, reason)


def connect():
    """Connect every handler (idempotent: each has its ``dispatch_uid``)."""
    consent_withdrawn.connect(take_story_out_of_newsletters, dispatch_uid="newsletter_consent_withdrawn")
    page_unpublished.connect(story_unpublished, dispatch_uid="newsletter_story_unpublished")
    try:
        from anymail.signals import tracking
    except ImportError:  # anymail is optional for plain SMTP setups
        return
    tracking.connect(on_anymail_tracking, dispatch_uid="newsletter_anymail_tracking")
