"""Withdrawal: by the signer, by expiry, by erasure; the co-signers and the pages that show the story.

Consent never imports channel or newsletter code: it records the evidence, takes the story off the
website when the website is no longer covered, and fires ``consent_withdrawn`` once the transaction
has committed; the channels and newsletter apps take it from there.
"""

import logging

from django.db import models, transaction
from django.utils import timezone

from core import channel_keys

from ..editor_notices import notify_ended
from ..evidence import record_event
from ..models import Consent, ConsentEvent
from ..signals import consent_withdrawn

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
        if not consent.active_channels or channel_keys.WEBSITE in wanted:
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
        if reason in CASCADING_REASONS and actor != CO_SIGNER:
            withdraw_co_consents(consent, wanted, reason=reason)
        unpublished = False
        if consent.withdrawn_at is not None:
            unpublished = take_off_website(consent)
        withdrawn_keys = list(consent.channels) if consent.withdrawn_at is not None else wanted
        if consent.withdrawn_at is not None and actor != CO_SIGNER:
            # An end date that passed, or an erasure: the editors hear of it now (once: see there).
            notify_ended(consent, reason)
        # Robust, and every receiver is called even if one fails: a failing page-cache purge (or
        # any one receiver) must not keep the withdrawal from the channels and the newsletter.
        transaction.on_commit(lambda: announce_withdrawal(consent, withdrawn_keys, reason), robust=True)
    logger.info("Consent %s: %s withdrawn (%s); unpublished=%s", consent.reference, wanted, reason, unpublished)
    return wanted


# A withdrawal (or erasure) by any one signer takes the story off what they withdrew, whoever else
# signed for it: two parents, or a patient and a representative, each hold the right to say no
# (GDPR Art. 7(3)), and a story kept up on the other's signature would ignore that no.
CASCADING_REASONS = ("withdrawn", "erased")


CO_SIGNER = "co-signer"


def co_consents(consent):
    """The other active consents of the same story: another signer's, or the same signer's earlier ones."""
    return Consent.objects.active().filter(story_id=consent.story_id).exclude(pk=consent.pk).select_related("request")


def withdraw_co_consents(consent, channels, *, reason):
    """Withdraw ``channels`` from every other active consent of the story; return those consents."""
    touched = []
    for other in co_consents(consent):
        if withdraw(other, channels, reason=reason, actor=CO_SIGNER):
            touched.append(other)
    return touched


def other_language_consents(consent):
    """Active consents of the same person for the story's other language versions (its translations)."""
    story = consent.story
    if story is None:
        return Consent.objects.none()
    same_person = models.Q(pk__in=[])
    if consent.request.signer_email:
        same_person |= models.Q(request__signer_email__iexact=consent.request.signer_email)
    if consent.person_id:
        same_person |= models.Q(person_id=consent.person_id)
    return (
        Consent.objects.active()
        .filter(story__translation_key=story.translation_key)
        .exclude(story_id=story.pk)
        .filter(same_person)
        .select_related("story", "request")
    )


def announce_withdrawal(consent, channels, reason):
    """Send ``consent_withdrawn`` to every receiver; log (without personal data) the ones that fail."""
    for receiver, result in consent_withdrawn.send_robust(
        sender=Consent, consent=consent, channels=channels, reason=reason
    ):
        if isinstance(result, Exception):
            logger.error(
                "Consent %s: the consent_withdrawn receiver %s failed",
                consent.reference,
                getattr(receiver, "__qualname__", receiver),
                exc_info=result,
            )


def pages_showing(story, person_id=None):
    """Every live page that may show ``story``: the story, its aliases (of aliases too), and the
    patient stories of the same storyteller or translation: copies kept live, converted aliases,
    translations. Each is taken down below unless a consent of its own still covers it."""
    # The gated page model, without importing the stories app (it sits above consent).
    PatientStoryPage = Consent._meta.get_field("story").related_model  # noqa: N806

    pages = {}
    if story is not None:
        pages[story.pk] = story
        frontier = [story.pk]
        while frontier:
            aliases = list(PatientStoryPage.objects.filter(alias_of_id__in=frontier).exclude(pk__in=pages))
            pages.update({alias.pk: alias for alias in aliases})
            frontier = [alias.pk for alias in aliases]
    related = models.Q()
    if person_id is not None:
        related |= models.Q(storyteller_id=person_id)
    if story is not None:
        related |= models.Q(translation_key=story.translation_key)
        if story.storyteller_id:
            related |= models.Q(storyteller_id=story.storyteller_id)
    if related:
        for page in PatientStoryPage.objects.live().filter(related).exclude(pk__in=pages):
            pages[page.pk] = page
    return [page for page in pages.values() if page.live]


def take_off_website(consent):
    """Unpublish every page that shows the story, unless another active consent still covers it.

    The story itself, its aliases, and any live patient story of the same storyteller or
    translation that no consent covers now (a converted alias or a copy kept live before the gate
    caught those): after a withdrawal, nothing of the story may stay live without a signature.
    Returns True when anything was taken down.
    """
    from ..gate import check_consent

    taken_down = False
    for page in pages_showing(consent.story, consent.person_id):
        page.refresh_from_db(fields=["live"])
        if not page.live:
            continue  # unpublished with its original a moment ago
        _covering, error = check_consent(page)
        if error is None:
            continue
        page.unpublish()
        taken_down = True
    return taken_down


def find_by_withdrawal_token(token):
    from ..models import hash_token

    if not token or len(token) > 200:
        return None
    return Consent.objects.select_related("request", "story").filter(withdrawal_token_hash=hash_token(token)).first()
