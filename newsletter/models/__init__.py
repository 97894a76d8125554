"""Newsletter: subscribers with double opt-in, issues built from approved stories, and deliveries.

A subscriber is sent nothing but a confirmation email until they confirm. Each recipient of an
issue has one ``Delivery`` row (unique per issue and subscriber) whose status says how far that
message got, so sending can be killed and resumed without sending anyone the issue twice, and a
message whose fate is unknown is shown to an editor instead of being skipped or repeated
silently (see ``newsletter.sending``).

The models live by job in this package: ``subscribers``, ``issues``, ``deliveries`` and
``subscriber_import``. Every name is importable from ``newsletter.models`` as before.
"""

# Migration 0002 names ``newsletter.models.validate_single_line``; ``newsletter.imports``, devtools
# and tests import the token helpers from here: they stay importable from this package.
from ..tokens import derive_link_token, hash_token, link_keys, link_token_for, new_token
from ..validators import LINE_BREAKS, validate_single_line
from .deliveries import Delivery, DeliveryQuerySet
from .issues import IssueItem, NewsletterIssue
from .subscriber_import import SubscriberImport
from .subscribers import Language, Subscriber, SubscriberQuerySet

__all__ = [
    "LINE_BREAKS",
    "Delivery",
    "DeliveryQuerySet",
    "IssueItem",
    "Language",
    "NewsletterIssue",
    "Subscriber",
    "SubscriberImport",
    "SubscriberQuerySet",
    "derive_link_token",
    "hash_token",
    "link_keys",
    "link_token_for",
    "new_token",
    "validate_single_line",
]
