"""Removing one post from its network, and keeping the outcome as evidence (the retraction task).

For each post that must come off (queued by ``channels.retraction``), the retraction moves
PENDING → RETRACTING → RETRACTED, or MANUAL ("needs manual removal", with a direct link, the
editors emailed) where the network does not allow deletion through its API, or where the account
now points elsewhere than where the post was made (the network identity recorded with the
dispatch). A post that surely never went out (its sending failed before the network could act) is
cancelled: nothing to remove, nobody to email. A post whose outcome was unknown is looked for
where the network can be asked, else handed to a person. Transient errors retry with back-off;
after the last attempt the editors are told and the periodic sweep keeps trying every hour: a
retraction never gives up silently. Every outcome of a patient story is recorded in the consent
evidence log, with the strongest reason of the triggers that asked for the removal.
"""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from . import notify
from .adapters.base import AuthError, ChannelError, PermanentError, Post, RetractUnsupported, TransientError
from .attempts import (
    ActionRefused,
    State,
    backoff_seconds,
    enqueue_on_commit,
    identity_of,
    locked,
    log_event,
    next_attempt_message,
    safe_url,
    setting,
)
from .models import ChannelAccount, Dispatch
from .removal_reasons import consent_reason, stronger_reason

logger = logging.getLogger(__name__)

Retraction = Dispatch.Retraction
RETRACT_STALE_SECONDS = 300


@task()
def retract_dispatch(dispatch_id):
    """Remove one post from its channel (see :func:`run_retraction`)."""
    return run_retraction(dispatch_id)


def enqueue_retraction(dispatch_id, run_after=None):
    """Enqueue ``retract_dispatch`` when the transaction commits (see ``enqueue_on_commit``)."""
    enqueue_on_commit(retract_dispatch, dispatch_id, run_after)


def actor_label(actor):
    if getattr(actor, "pk", None):
        return f"user:{actor.pk}"
    return actor if isinstance(actor, str) and actor else "system"


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
        dispatch = locked(Dispatch.objects.filter(pk=dispatch_id)).select_related("account").first()
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
        _set(
            dispatch,
            state=State.SENT,
            remote_id=found.remote_id[:500],
            remote_url=safe_url(found.remote_url),
            network_identity=identity_of(adapter),
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
            raise ActionRefused(_("Only a post that needs manual removal can be confirmed as removed."))
        _set(dispatch, retraction=Retraction.RETRACTED, retracted_at=timezone.now(), retract_error="")
        log_event(dispatch, "retract", "retracted", _("Removed by hand."), actor=user)
        _evidence(dispatch, _kind("RETRACTED"), actor=actor_label(user), manual=True)
    return dispatch
