"""Retraction: a story comes off every channel it went out on, and the outcome is kept as evidence.

Triggers (``channels.handlers``): a consent withdrawn or expired (only the channels it no longer
covers; the website means everything), the story unpublished or deleted, and the editor's
"remove everywhere" action, which calls :func:`retract_story` (and is remembered per channel, so a
later publish does not post the story there again until the editor plans that channel anew).
The handlers run after the change committed and only log their errors, so the periodic sweep
(:func:`sweep_missed_removals`) also looks for sent posts that should be gone but were never
queued, and queues them.

For each post that went out, the retraction moves PENDING → RETRACTING → RETRACTED, or MANUAL
("needs manual removal", with a direct link, the editors emailed) where the network does not allow
deletion through its API, or where the account now points elsewhere than where the post was made
(the network identity recorded with the dispatch). A post that surely never went out (its sending
failed before the network could act) is cancelled: nothing to remove, nobody to email.
Transient errors retry with back-off; after the last attempt the editors are told and the
periodic sweep keeps trying every hour: a retraction never gives up silently.
Every outcome of a patient story is recorded in the consent evidence log, with the strongest
reason of the triggers that asked for the removal (``REASON_RANK``: withdrawn, expired and erased
above deleted above unpublished above the editor's), whatever order they arrived in.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.policy import covering_consents

from . import notify
from .adapters.base import AuthError, ChannelError, PermanentError, RetractUnsupported, TransientError
from .dispatch import (
    State,
    _locked,
    backoff_seconds,
    consent_problem,
    enqueue_on_commit,
    log_event,
    next_attempt_message,
    setting,
)
from .models import ChannelAccount, ChannelRemoval, Dispatch, PostPlan

logger = logging.getLogger(__name__)

Retraction = Dispatch.Retraction
RETRACT_STALE_SECONDS = 300
# The reason of the editor's "remove everywhere": remembered per channel (``ChannelRemoval``).
EDITOR_REASON = "editor"
# Which reason a removal records when several triggers race (a withdrawal unpublishes the story
# and then tells the channels): the strongest wins, whatever order they arrive in.
REASON_RANK = {"withdrawn": 3, "expired": 3, "erased": 3, "deleted": 2, "unpublished": 1, EDITOR_REASON: 0}
CONSENT_REASONS = {"withdrawn", "expired", "erased"}


def stronger_reason(current, new):
    """The stronger of two retraction reasons (``REASON_RANK``); ``current`` on a tie."""
    if not current:
        return new
    if not new:
        return current
    return new if REASON_RANK.get(new, 0) > REASON_RANK.get(current, 0) else current


def consent_reason(dispatch):
    """ "withdrawn", "expired" or "erased" when a consent that covered this post was taken back and
    no valid consent covers it now; else "". Read from the consent rows and their evidence, so a
    removal triggered by the unpublishing a withdrawal causes still records the withdrawal."""
    if not dispatch.patient_story_id:
        return ""
    from consent.models import Consent, ConsentEvent

    key = dispatch.channel_key
    consents = list(
        Consent.objects.filter(story_id=dispatch.patient_story_id).only(
            "pk", "content_hash", "channels", "withdrawn_channels", "withdrawn_at", "erased_at", "valid_until"
        )
    )
    if any(c.is_active and c.content_hash == dispatch.content_hash and c.covers(key) for c in consents):
        return ""
    taken_back = [c.pk for c in consents if not c.is_active or not c.covers(key)]
    if not taken_back:
        return ""
    event = (
        ConsentEvent.objects.filter(
            consent_id__in=taken_back,
            kind__in=[ConsentEvent.Kind.WITHDRAWN, ConsentEvent.Kind.EXPIRED, ConsentEvent.Kind.ERASED],
        )
        .order_by("-sequence")
        .first()
    )
    if event is None:
        return ""
    reason = (event.data or {}).get("reason") or event.kind
    return reason if reason in CONSENT_REASONS else "withdrawn"


def _actor_label(actor):
    if getattr(actor, "pk", None):
        return f"user:{actor.pk}"
    return actor if isinstance(actor, str) and actor else "system"


def _account_ids_for(channels):
    """Account ids named by consent channel keys; None means every account."""
    if channels is None:
        return None
    keys = set(channels)
    if "website" in keys or "social" in keys:
        # Without the website the story has no address; "social" covers every account.
        return None
    ids = set()
    for key in keys:
        if key.startswith("account:"):
            try:
                ids.add(int(key.split(":", 1)[1]))
            except ValueError:
                continue
    return ids


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
                if _mark_pending(dispatch, dispatch_reason, user):
                    queued.append(dispatch.pk)
            elif dispatch.retraction != Retraction.RETRACTED:
                _raise_reason(dispatch, dispatch_reason, user)
        for dispatch_id in queued:
            enqueue_retraction(dispatch_id)
    if queued:
        logger.info("Story %s: %s posts queued for removal (%s) at %s.", page_id, len(queued), reason, now)
    return queued


def _mark_pending(dispatch, reason, user=None):
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
    from .dispatch import plan_fingerprint

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


def enqueue_retraction(dispatch_id, run_after=None):
    """Enqueue ``retract_dispatch`` when the transaction commits (see ``enqueue_on_commit``)."""
    enqueue_on_commit("retract_dispatch", dispatch_id, run_after)


def _evidence(dispatch, kind, actor="system", **data):
    if not dispatch.patient_story_id:
        return
    from consent.evidence import record_event

    # The strongest reason known now (a withdrawal may have landed after the removal was queued).
    reason = stronger_reason(dispatch.retraction_reason, consent_reason(dispatch))
    if reason != dispatch.retraction_reason:
        _set(dispatch, retraction_reason=reason[:30])

    record_event(
        kind,
        story_id=dispatch.patient_story_id,
        actor=actor,
        data={
            "network": dispatch.account.kind,
            "channel": dispatch.channel_key,
            "remote_url": dispatch.remote_url,
            "dispatch_id": dispatch.pk,
            "reason": dispatch.retraction_reason,
            **data,
        },
    )


def _claim(dispatch_id, now):
    with transaction.atomic():
        dispatch = _locked(Dispatch.objects.filter(pk=dispatch_id)).select_related("account").first()
        if dispatch is None:
            return None
        if dispatch.retraction in (Retraction.PENDING, Retraction.FAILED):
            if dispatch.retract_next_attempt_at is not None and dispatch.retract_next_attempt_at > now:
                return None
        elif dispatch.retraction == Retraction.RETRACTING:
            if dispatch.updated_at > now - datetime.timedelta(seconds=RETRACT_STALE_SECONDS):
                return None
        else:
            return None
        if dispatch.state == State.SENDING:
            # The post is on its way; the sender enqueues the removal once it lands.
            return None
        dispatch.retraction = Retraction.RETRACTING
        dispatch.retract_attempts += 1
        dispatch.updated_at = now
        dispatch.save(update_fields=["retraction", "retract_attempts", "updated_at"])
    return dispatch


def _set(dispatch, **fields):
    fields.setdefault("updated_at", timezone.now())
    Dispatch.objects.filter(pk=dispatch.pk).update(**fields)
    for name, value in fields.items():
        setattr(dispatch, name, value)


def _manual(dispatch, url, reason, *, actor="system"):
    _set(dispatch, retraction=Retraction.MANUAL, manual_removal_url=(url or "")[:1000], retract_error=reason[:2000])
    log_event(dispatch, "retract", "manual", f"{reason} {url}".strip())
    _evidence(dispatch, _kind("RETRACTION_MANUAL"), actor=actor, manual_removal_url=url)
    notify.manual_removal_needed(dispatch, url, reason)
    log_event(dispatch, "notify", "sent", _("The editors were told."))
    return Retraction.MANUAL


def _kind(name):
    from consent.models import ConsentEvent

    return getattr(ConsentEvent.Kind, name)


def run_retraction(dispatch_id, *, now=None):
    """Remove one post from its network; return the retraction state (for logs and tests)."""
    now = now or timezone.now()
    dispatch = _claim(dispatch_id, now)
    if dispatch is None:
        return "skipped"
    try:
        adapter = dispatch.account.adapter()
    except Exception as error:  # noqa: BLE001 - unreadable credentials: keep trying, tell people
        return _retry_later(dispatch, str(error), now)

    if dispatch.state != State.SENT and dispatch.sending_started_at is None:
        # Its sending failed before the network could act: nothing is out, nobody needs to look.
        return _nothing_to_remove(dispatch)
    if dispatch.state != State.SENT:
        # Failed while its outcome was unknown: the post may or may not be out.
        return _retract_uncertain(dispatch, adapter, now)
    if not dispatch.remote_id:
        return _manual(
            dispatch,
            dispatch.remote_url or dispatch.account.profile_url,
            _("No id of this post is known, so it cannot be deleted through the network's API."),
        )
    identity = dispatch.network_identity or None
    try:
        adapter.retract(dispatch.remote_id, dispatch.remote_url, identity=identity)
    except RetractUnsupported as error:
        url = error.manual_url or adapter.manual_removal_url(dispatch.remote_id, dispatch.remote_url)
        return _manual(dispatch, url, error.message)
    except PermanentError as error:
        if not _identity_changed(adapter, identity):
            return _permanent_failure(dispatch, adapter, error, now)
        # The account now posts elsewhere: its credentials are not for the place the post is.
        return _manual(
            dispatch,
            dispatch.remote_url or adapter.manual_removal_url(dispatch.remote_id, dispatch.remote_url),
            _(
                "The account's settings changed since this post was made (%(then)s), and the network refused "
                "the deletion (%(detail)s); remove the post by hand."
            )
            % {"then": ", ".join(str(value) for value in identity.values()), "detail": error.message},
        )
    except (TransientError, ChannelError) as error:
        return _retry_later(dispatch, error.message, now, status=error.status, retry_after=error.retry_after)
    except Exception as error:  # noqa: BLE001 - a bug or an unwrapped network error: retry, never drop
        logger.exception("Retraction of dispatch %s failed unexpectedly.", dispatch.pk)
        return _retry_later(dispatch, str(error), now)
    _set(dispatch, retraction=Retraction.RETRACTED, retracted_at=timezone.now(), retract_error="")
    log_event(dispatch, "retract", "retracted", dispatch.remote_url or dispatch.remote_id)
    _evidence(dispatch, _kind("RETRACTED"))
    return Retraction.RETRACTED


def _identity_changed(adapter, identity):
    try:
        return bool(identity) and adapter.identity_changed(identity)
    except Exception:  # noqa: BLE001 - unsure: treat as unchanged, the usual rules apply
        return False


def _permanent_failure(dispatch, adapter, error, now):
    """A refusal of the deletion: reconnecting fixes a refused token (retry); anything else needs a person."""
    if isinstance(error, AuthError):
        ChannelAccount.objects.filter(pk=dispatch.account_id).update(
            status=ChannelAccount.Status.ERROR, status_message=error.message[:500], updated_at=timezone.now()
        )
        if dispatch.retract_attempts == 1:
            notify.account_refused(dispatch, error.message)
        # Reconnecting the account fixes it: keep trying.
        return _retry_later(dispatch, error.message, now, status=error.status)
    url = adapter.manual_removal_url(dispatch.remote_id, dispatch.remote_url)
    return _manual(dispatch, url, error.message)


def _nothing_to_remove(dispatch):
    _set(
        dispatch,
        state=State.CANCELLED,
        retraction=Retraction.NONE,
        next_attempt_at=None,
        retract_next_attempt_at=None,
        retract_error="",
    )
    log_event(dispatch, "retract", "nothing", _("The post never went out: nothing to remove."))
    return Retraction.NONE


def _retract_uncertain(dispatch, adapter, now):
    if adapter.can_reconcile:
        try:
            found = adapter.find_existing(_post_for(dispatch))
        except ChannelError as error:
            return _retry_later(dispatch, error.message, now, status=error.status)
        if found is None:
            _set(dispatch, retraction=Retraction.NONE, sending_started_at=None, retract_error="")
            log_event(dispatch, "retract", "nothing", _("The post never reached the network: nothing to remove."))
            return Retraction.NONE
        from .dispatch import _identity_of, safe_url

        _set(
            dispatch,
            state=State.SENT,
            remote_id=found.remote_id[:500],
            remote_url=safe_url(found.remote_url),
            network_identity=_identity_of(adapter),
        )
        log_event(dispatch, "reconcile", "sent", _("Found on the network; removing it."))
        _set(dispatch, retraction=Retraction.PENDING)
        return run_retraction(dispatch.pk, now=now)
    return _manual(
        dispatch,
        dispatch.account.profile_url,
        _("A post may have reached this network (the outcome was unknown); check the account and remove it if so."),
    )


def _post_for(dispatch):
    from .adapters.base import Post

    return Post(
        text=dispatch.text,
        link=dispatch.link,
        title=dispatch.page_title,
        idempotency_key=dispatch.idempotency_key,
        extra={"story_id": dispatch.page_id, "content_hash": dispatch.content_hash, "dispatch_id": dispatch.pk},
    )


def _retry_later(dispatch, reason, now, *, status=None, retry_after=None):
    attempts = dispatch.retract_attempts
    cap = setting("DISPATCH_RETRY_CAP_SECONDS")
    if attempts < setting("DISPATCH_MAX_ATTEMPTS"):
        delay = backoff_seconds(attempts, retry_after)
    else:
        delay = max(cap, float(retry_after or 0))
    next_at = max(now, timezone.now()) + datetime.timedelta(seconds=delay)
    _set(dispatch, retraction=Retraction.FAILED, retract_error=reason[:2000], retract_next_attempt_at=next_at)
    log_event(
        dispatch,
        "retract",
        "retry",
        next_attempt_message(reason, next_at),
        status_code=status,
    )
    if attempts == setting("DISPATCH_MAX_ATTEMPTS"):
        notify.retraction_stuck(dispatch, reason)
        log_event(dispatch, "notify", "sent", _("The editors were told; removal keeps being retried every hour."))
    enqueue_retraction(dispatch.pk, run_after=next_at)
    return Retraction.FAILED


def confirm_manual_removal(dispatch, user):
    """An editor removed the post by hand: record it, in the evidence too."""
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().select_related("account").get(pk=dispatch.pk)
        if dispatch.retraction not in (Retraction.MANUAL, Retraction.FAILED):
            from .dispatch import ActionRefused

            raise ActionRefused(_("Only a post that needs manual removal can be confirmed as removed."))
        _set(dispatch, retraction=Retraction.RETRACTED, retracted_at=timezone.now(), retract_error="")
        log_event(dispatch, "retract", "retracted", _("Removed by hand."), actor=user)
        _evidence(dispatch, _kind("RETRACTED"), actor=_actor_label(user), manual=True)
    return dispatch


def sweep_retractions(now=None):
    """Enqueue every removal that is due (retries, lost tasks, stale RETRACTING rows); return how many."""
    now = now or timezone.now()
    lost_before = now - datetime.timedelta(seconds=RETRACT_STALE_SECONDS)
    from .dispatch import _backend_defers

    # A retry enqueued with run_after is waiting in the queue; only long-due ones are lost.
    retry_due_before = lost_before if _backend_defers() else now
    due = Dispatch.objects.filter(
        Q(
            retraction__in=[Retraction.PENDING, Retraction.FAILED],
            retract_next_attempt_at__isnull=True,
            updated_at__lte=lost_before,
        )
        | Q(retraction__in=[Retraction.PENDING, Retraction.FAILED], retract_next_attempt_at__lte=retry_due_before)
        | Q(retraction=Retraction.RETRACTING, updated_at__lte=lost_before)
    ).exclude(state=State.SENDING)
    ids = list(due.values_list("pk", flat=True)[:1000])
    for dispatch_id in ids:
        enqueue_retraction(dispatch_id)
    if not _backend_defers():
        # The immediate backend cannot hold a retry until its time: run due retries here.
        retries = Dispatch.objects.filter(
            retraction__in=[Retraction.PENDING, Retraction.FAILED], retract_next_attempt_at__lte=now
        ).exclude(state=State.SENDING)
        for dispatch_id in retries.values_list("pk", flat=True)[:1000]:
            run_retraction(dispatch_id, now=now)
            ids.append(dispatch_id)
    return len(ids)


def sweep_missed_removals(now=None, limit=1000):
    """Queue the removal of posts that are out but should be gone, and never were queued; return how many.

    The receivers that queue removals (``channels.handlers``) run after the withdrawal or
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
        if not covering_consents(consents.get(page_id, []), f"account:{account_id}", digest, now):
            found.append((dispatch_id, "withdrawn"))
    found = found[:limit]  # the rest next minute
    queued = 0
    for dispatch_id, reason in found:
        with transaction.atomic():
            dispatch = _locked(Dispatch.objects.filter(pk=dispatch_id, retraction=Retraction.NONE)).first()
            if dispatch is None:
                continue
            logger.warning("Dispatch %s: its removal (%s) was never queued; queued by the sweep.", dispatch_id, reason)
            if _mark_pending(dispatch, stronger_reason(reason, consent_reason(dispatch))):
                enqueue_retraction(dispatch_id)
            queued += 1
    return queued
