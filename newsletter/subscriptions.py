"""Subscribing, confirming, changing preferences and unsubscribing; and the mails that go with them.

Re-subscribing an existing address never reveals that it exists: the visitor sees the same page,
and the address's owner gets a new confirmation or an "already subscribed" mail.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from consent.tasks import queue_mail
from core import mail
from core.organisation import organisation_name
from core.ratelimit import over_limit

from .models import Delivery, Subscriber
from .tokens import hash_token

logger = logging.getLogger(__name__)

CONFIRM_DAYS = 7
# At most this many confirmation or notice mails per address per hour, whoever asks.
MAILS_PER_ADDRESS_PER_HOUR = 3


def absolute(path):
    return settings.BASE_URL + path


def personal_url(name, token, language):
    with translation.override(language):
        return absolute(reverse(f"newsletter:{name}", args=[token]))


def _address_budget_left(email):
    """Mails to one address per hour; none while the count cannot be kept (a cache outage)."""
    return not over_limit("nl-mail", email, MAILS_PER_ADDRESS_PER_HOUR, 3600, when_unavailable=True)


def _send_notice(subscriber, template, context):
    context = {"site_name": organisation_name(), **context}
    message = mail.render(f"newsletter/mail/{template}", context, [subscriber.email], language=subscriber.language)
    # Queued and retried: a sign-up answers whatever the mail server does.
    queue_mail(message.subject, message.body, message.to, label=f"newsletter {template} #{subscriber.pk}")


def subscribe(email, *, language, themes=(), source, source_detail=""):
    """Start (or restart) a double opt-in for ``email``; return the subscriber.

    A new or unsubscribed address gets a confirmation link; a pending one a fresh link; a
    confirmed one an "already subscribed" mail with its preferences link; an undeliverable one
    nothing. Nothing else is ever sent before confirmation.
    """
    email = email.strip().lower()
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email=email).first()
        if subscriber is not None and subscriber.undeliverable_at is not None:
            return subscriber
        if subscriber is not None and subscriber.status == Subscriber.Status.CONFIRMED:
            notice = "already_subscribed"
            token = None
        else:
            notice = "confirm"
            if subscriber is None:
                subscriber = Subscriber(email=email)
            subscriber.status = Subscriber.Status.PENDING
            subscriber.language = language
            subscriber.source = source
            subscriber.source_detail = source_detail[:500]
            subscriber.opted_in_at = timezone.now()
            subscriber.unsubscribed_at = None
            # The proof of an earlier confirmation does not confirm this opt-in: it is cleared
            # until the new link is used, so the record never shows a confirmation that did not happen.
            subscriber.confirmed_at = None
            subscriber.confirmed_via = ""
            token = subscriber.new_confirm_token(CONFIRM_DAYS)
            subscriber.save()
            if themes:
                subscriber.themes.set(themes)
    if not _address_budget_left(email):
        logger.info("Newsletter: mail budget of an address used up; nothing sent.")
        return subscriber
    if notice == "confirm":
        _send_notice(
            subscriber,
            "confirm",
            {"confirm_url": personal_url("confirm", token, subscriber.language), "days": CONFIRM_DAYS},
        )
    else:
        _send_notice(
            subscriber,
            "already_subscribed",
            {"preferences_url": personal_url("preferences", subscriber.link_token, subscriber.language)},
        )
    return subscriber


def find_by_confirm_token(token):
    if not token or len(token) > 200:
        return None
    return Subscriber.objects.filter(confirm_token_hash=hash_token(token)).first()


def find_by_link_token(token):
    if not token or len(token) > 200:
        return None
    return Subscriber.objects.filter(Subscriber.link_token_matches(hash_token(token))).first()


def confirm(subscriber, via=""):
    """Confirm a pending subscription; the confirmation token is spent."""
    subscriber.status = Subscriber.Status.CONFIRMED
    subscriber.confirmed_at = timezone.now()
    subscriber.confirmed_via = via[:200]
    subscriber.confirm_token_hash = None
    subscriber.confirm_expires_at = None
    subscriber.save(
        update_fields=["status", "confirmed_at", "confirmed_via", "confirm_token_hash", "confirm_expires_at"]
    )


def unsubscribe(subscriber, via=""):
    """Unsubscribe at once; unsent deliveries of this subscriber are dropped."""
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        subscriber.status = Subscriber.Status.UNSUBSCRIBED
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["status", "unsubscribed_at"])
        Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).delete()
        logger.info("Newsletter: a subscriber unsubscribed (%s).", via or "link")


def mark_undeliverable(email, reason):
    """A bounce, complaint or rejection: send nothing to this address any more. Returns True if known."""
    subscriber = Subscriber.objects.filter(email=(email or "").strip().lower()).first()
    if subscriber is None:
        return False
    if subscriber.undeliverable_at is None:
        subscriber.undeliverable_at = timezone.now()
    subscriber.undeliverable_reason = reason[:200]
    subscriber.save(update_fields=["undeliverable_at", "undeliverable_reason"])
    # Like an unsubscribe: what was not sent yet is dropped (a worker re-checks before each message too).
    Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).delete()
    return True
