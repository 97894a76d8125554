"""Retraction: deciding which of a story's posts come off their channels, and queueing their removal.

Triggers (``channels.signal_handlers``): a consent withdrawn or expired (only the channels it no
longer covers; the website means everything), the story unpublished or deleted, and the editor's
"remove everywhere" action, which calls :func:`retract_story` (and is remembered per channel, so a
later publish does not post the story there again until the editor plans that channel anew).
The handlers run after the change committed and only log their errors, so the periodic sweep
(:func:`sweep_missed_removals`) also looks for sent posts that should be gone but were never
queued, and queues them.

Posts not sent yet are cancelled here; each post that may be out is marked PENDING and its removal
is enqueued: ``channels.removal`` takes it off the network and records the outcome as evidence,
with the strongest reason of the triggers (``channels.removal_reasons``).
"""

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.policy import covering_consents
from core import channel_keys

from . import removal
from .attempts import State, locked, log_event
from .dispatch_checks import consent_problem, plan_fingerprint
from .models import ChannelRemoval, Dispatch, PostPlan
from .removal import enqueue_retraction
from .removal_reasons import EDITOR_REASON, consent_reason, stronger_reason

logger = logging.getLogger(__name__)

# moved to channels.removal; kept for callers outside channels' engine (channels.admin_views, the admin tests)
confirm_manual_removal = removal.confirm_manual_removal
run_retraction = removal.run_retraction

Retraction = Dispatch.Retraction


def _account_ids_for(channels):
    """Account ids named by consent channel keys; None means every account."""
    if channels is None:
        return None
    keys = set(channels)
    if channel_keys.WEBSITE in keys or channel_keys.SOCIAL in keys:
        # Without the website the story has no address; "social" covers every account.
        return None
    return {channel_keys.account_id(key) for key in keys} - {None}


def retract_story(page_or_id, *, reason, channels=None, actor=None, keep_if_consented=False):
    """Take the story's posts off ``channels`` (consent channel keys; default every channel).

    With ``keep_if_consented`` (after a withdrawal), a post that another valid consent still covers
    for its content version stays.

    Sent posts are queued for removal; posts not sent yet are cancelled, so nothing goes out after
    a withdrawal; a post on its way (SENDING) is removed as soon as it lands. Returns the ids of the
    dispatches queued for removal. Safe to call twice. With ``reason="editor"`` (the editor's
    "remove everywhere") the decision is remembered for each channel (see ``ChannelRemoval``).
    """
    page_id = getattr(page_or_id, "pk", page_or_id)
    account_ids = _account_ids_for(channels)
    if account_ids is not None and not account_ids:
        return []
    queryset = Dispatch.objects.filter(page_id=page_id)
    if account_ids is not None:
        queryset = queryset.filter(account_id__in=account_ids)
    user = actor if getattr(actor, "pk", None) else None
    now = timezone.now()
    queued = []
    page = None
    if keep_if_consented:
        from wagtail.models import Page

        page = Page.objects.filter(pk=page_id).first()
        page = page.specific if page is not None else None
    with transaction.atomic():
        if reason == EDITOR_REASON:
            _remember_removal(page_id, account_ids, user)
        for dispatch in queryset.select_for_update().order_by("pk"):
            if page is not None and not consent_problem(page, dispatch.channel_key, dispatch.content_hash):
                continue
            dispatch_reason = stronger_reason(reason, consent_reason(dispatch))
            if dispatch.state in (State.PLANNED, State.QUEUED, State.BLOCKED, State.FAILED, State.MISSED) and (
                dispatch.sending_started_at is None
            ):
                if dispatch.state == State.MISSED:
                    continue
                dispatch.state = State.CANCELLED
                dispatch.next_attempt_at = None
                dispatch.save(update_fields=["state", "next_attempt_at", "updated_at"])
                message = _("Not sent: the story is being removed (%s).") % dispatch_reason
                log_event(dispatch, "cancel", "cancelled", message, actor=user)
                continue
            # SENT, SENDING, or FAILED with an unknown outcome: the post may be out; remove it if so.
            possibly_out = dispatch.state in (State.SENT, State.SENDING, State.FAILED)
            if not possibly_out:
                continue
            if dispatch.retraction == Retraction.NONE:
                if mark_pending(dispatch, dispatch_reason, user):
                    queued.append(dispatch.pk)
            elif dispatch.retraction != Retraction.RETRACTED:
                _raise_reason(dispatch, dispatch_reason, user)
        for dispatch_id in queued:
            enqueue_retraction(dispatch_id)
    if queued:
        logger.info("Story %s: %s posts queued for removal (%s) at %s.", page_id, len(queued), reason, now)
    return queued


def mark_pending(dispatch, reason, user=None):
    """Mark a (possibly) posted dispatch "to be removed"; True when its removal can be enqueued now
    (a post still on its way is removed by the sender once it lands)."""
    dispatch.retraction = Retraction.PENDING
    dispatch.retraction_reason = str(reason)[:30]
    dispatch.retract_attempts = 0
    dispatch.retract_next_attempt_at = None
    dispatch.retract_error = ""
    dispatch.save(
        update_fields=[
            "retraction",
            "retraction_reason",
            "retract_attempts",
            "retract_next_attempt_at",
            "retract_error",
            "updated_at",
        ]
    )
    log_event(dispatch, "retract", "pending", _("To be removed (%s).") % reason, actor=user)
    return dispatch.state != State.SENDING


def _raise_reason(dispatch, reason, user=None):
    """A removal already under way gets the stronger reason of a trigger that arrived later."""
    stronger = stronger_reason(dispatch.retraction_reason, reason)
    if stronger == dispatch.retraction_reason:
        return
    Dispatch.objects.filter(pk=dispatch.pk).update(retraction_reason=stronger[:30], updated_at=timezone.now())
    dispatch.retraction_reason = stronger[:30]
    log_event(dispatch, "retract", "reason", _("To be removed (%s).") % stronger, actor=user)


def _remember_removal(page_id, account_ids, user):
    """Record the editor's "remove everywhere" for each channel of the story (see ``ChannelRemoval``)."""
    plans = {plan.account_id: plan for plan in PostPlan.objects.filter(page_id=page_id)}
    accounts = set(plans) | set(Dispatch.objects.filter(page_id=page_id).values_list("account_id", flat=True))
    if account_ids is not None:
        accounts &= set(account_ids)
    for account_id in accounts:
        ChannelRemoval.objects.update_or_create(
            page_id=page_id,
            account_id=account_id,
            defaults={
                "plan_fingerprint": plan_fingerprint(plans.get(account_id)),
                "removed_at": timezone.now(),
                "removed_by": user,
            },
        )


def sweep_missed_removals(now=None, limit=1000):
    """Queue the removal of posts that are out but should be gone, and never were queued; return how many.

    The receivers that queue removals (``channels.signal_handlers``) run after the withdrawal or
    unpublishing committed and only log their errors, so a removal can be lost. This pass finds
    posts (sent, or of unknown outcome) not being removed whose story is deleted or no longer
    live, or, for a patient story, that no valid consent covers for their channel and content
    version any more, and queues them as the receivers would have.
    """
    from consent.models import Consent

    candidates = Dispatch.objects.filter(retraction=Retraction.NONE).filter(
        Q(state=State.SENT) | Q(state=State.FAILED, sending_started_at__isnull=False)
    )
    found = []
    gone = candidates.filter(Q(page__isnull=True) | Q(page__live=False)).values_list("pk", "page_id")
    for dispatch_id, page_id in gone.iterator():
        found.append((dispatch_id, "deleted" if page_id is None else "unpublished"))
    patient = candidates.filter(page__live=True, patient_story_id__isnull=False)
    consents = {}
    # One query for the consents of every story concerned (a subquery: no list of ids to bind).
    covering = Consent.objects.active(now).filter(story_id__in=patient.values("page_id"))
    fields = ("pk", "story_id", "content_hash", "channels", "withdrawn_channels", "withdrawn_at", "erased_at")
    for consent in covering.only(*fields, "valid_until"):
        consents.setdefault(consent.story_id, []).append(consent)
    for dispatch_id, page_id, account_id, digest in patient.values_list(
        "pk", "page_id", "account_id", "content_hash"
    ).iterator():
        if not covering_consents(consents.get(page_id, []), channel_keys.account_key(account_id), digest, now):
            found.append((dispatch_id, "withdrawn"))
    found = found[:limit]  # the rest next minute
    queued = 0
    for dispatch_id, reason in found:
        with transaction.atomic():
            dispatch = locked(Dispatch.objects.filter(pk=dispatch_id, retraction=Retraction.NONE)).first()
            if dispatch is None:
                continue
            logger.warning("Dispatch %s: its removal (%s) was never queued; queued by the sweep.", dispatch_id, reason)
            if mark_pending(dispatch, stronger_reason(reason, consent_reason(dispatch))):
                enqueue_retraction(dispatch_id)
            queued += 1
    return queued
