"""What happens to consent: withdrawal (by the signer, by expiry, by erasure).

Consent never imports channel or newsletter code: it records the evidence, takes the story off the
website when the website is no longer covered, and fires ``consent_withdrawn`` once the transaction
has committed; the channels and newsletter apps take it from there.
"""

import logging

from django.db import transaction
from django.utils import timezone

from .evidence import record_event
from .models import Channel, Consent, ConsentEvent
from .signals import consent_withdrawn

logger = logging.getLogger(__name__)

REASON_EVENT = {
    "withdrawn": ConsentEvent.Kind.WITHDRAWN,
    "expired": ConsentEvent.Kind.EXPIRED,
    "erased": ConsentEvent.Kind.ERASED,
}


def withdraw(consent, channels=None, *, reason="withdrawn", actor="signer", ip=None, user_agent=""):
    """Withdraw ``channels`` (default: every channel still covered) from ``consent``; return the keys withdrawn.

    Takes effect at once: the evidence is recorded, the story is unpublished when the website is
    withdrawn (unless another active consent covers its live content), and ``consent_withdrawn``
    is sent after commit. Withdrawing what is already withdrawn changes nothing and sends nothing.
    """
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        still_active = consent.active_channels if consent.withdrawn_at is None else []
        wanted = still_active if channels is None else [key for key in channels if key in still_active]
        if not wanted:
            return []
        consent.withdrawn_channels = sorted(set(consent.withdrawn_channels) | set(wanted))
        update_fields = ["withdrawn_channels"]
        if not consent.active_channels or Channel.WEBSITE in wanted:
            # Without the website the story has no public address any more: nothing else can stand.
            consent.withdrawn_at = timezone.now()
            update_fields.append("withdrawn_at")
        if reason == "expired":
            consent.expired_at = consent.expired_at or timezone.now()
            update_fields.append("expired_at")
        consent.save(update_fields=update_fields)
        record_event(
            REASON_EVENT.get(reason, ConsentEvent.Kind.WITHDRAWN),
            consent=consent,
            actor=actor,
            data={"channels": wanted, "reason": reason, "complete": consent.withdrawn_at is not None},
            personal={"ip": ip, "user_agent": user_agent} if (ip or user_agent) else None,
        )
        unpublished = False
        if consent.withdrawn_at is not None:
            unpublished = take_off_website(consent)
        withdrawn_keys = list(consent.channels) if consent.withdrawn_at is not None else wanted
        transaction.on_commit(
            lambda: consent_withdrawn.send(sender=Consent, consent=consent, channels=withdrawn_keys, reason=reason)
        )
    logger.info("Consent %s: %s withdrawn (%s); unpublished=%s", consent.reference, wanted, reason, unpublished)
    return wanted


def take_off_website(consent):
    """Unpublish the story unless another active consent still covers its live content on the website."""
    from .content import content_hash

    story = consent.story
    if story is None or not story.live:
        return False
    live = story.specific
    others = Consent.objects.valid_for(live, Channel.WEBSITE, content_hash=content_hash(live))
    if any(other.pk != consent.pk for other in others):
        return False
    live.unpublish()
    return True


def find_by_withdrawal_token(token):
    from .models import hash_token

    if not token or len(token) > 200:
        return None
    return Consent.objects.select_related("request", "story").filter(withdrawal_token_hash=hash_token(token)).first()
