"""Dispatch: a published story goes out once to each planned channel, within its consent.

The life of a :class:`~channels.models.Dispatch`::

    (publish) ──▶ QUEUED ──(due, consent still holds)──▶ SENDING ──▶ SENT
                    │                                      │
                    │                                      ├─▶ FAILED, next attempt set (transient; back-off)
                    │                                      └─▶ FAILED, no next attempt (permanent, refused
                    │                                          token, or outcome unknown: a person decides)
                    ├─▶ BLOCKED   (no valid consent for this channel and content version)
                    ├─▶ MISSED    (more than DISPATCH_MISSED_AFTER_HOURS overdue: never sent late)
                    └─▶ CANCELLED (unpublished, withdrawn, plan switched off, superseded)

"At most once per story, channel and content version" rests on four things:

1. The unique constraint on (page, account, content_hash): one row per version and channel.
2. The idempotency key, stored with the row before any network call, sent with every attempt.
3. Claiming under a row lock: ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite every
   transaction starts ``BEGIN IMMEDIATE`` (see ``website/settings/base.py``), which serialises
   writers. The claim (state SENDING, ``sending_started_at``) is committed *before* the call.
4. ``sending_started_at`` is set exactly while a publish call may have reached the network. A row
   that has it set (a worker died mid-call, the call timed out, or the network answered 500, 502
   or 504 to it) is never blindly sent again: it is reconciled by asking the network
   (``find_existing``), or re-sent with the same key where the network honours idempotency keys
   (Mastodon, measured from ``first_attempt_at``), or handed to a person ("outcome unknown").

What goes out is built right before the call from the live story and its plan, with the same
functions the plan panel validates with (``channels.plan.build_post``), and only when the live
content still has the hash the consent covers; media only when the consent allows photos.
"""

import contextlib
import dataclasses
import datetime
import hashlib
import json
import logging
import random

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.gate import ConsentGatedPageMixin
from consent.policy import CHANGED, coverage

from . import notify
from .adapters.base import (
    AuthError,
    ChannelError,
    OutcomeUnknown,
    PermanentError,
    TransientError,
)
from .mixins import SyndicatedPageMixin
from .models import ChannelAccount, ChannelRemoval, Dispatch, DispatchEvent, PostPlan

logger = logging.getLogger(__name__)

State = Dispatch.State

# Rows in these states have never reached a network and may be replaced or cancelled.
UNSENT_STATES = (State.PLANNED, State.QUEUED, State.BLOCKED, State.FAILED)

DEFAULTS = {
    "DISPATCH_MISSED_AFTER_HOURS": 48,
    "DISPATCH_MAX_ATTEMPTS": 8,
    "DISPATCH_RETRY_BASE_SECONDS": 60,
    "DISPATCH_RETRY_CAP_SECONDS": 3600,
    # A SENDING row older than this belongs to a worker that died: reconcile it.
    "DISPATCH_STALE_SENDING_SECONDS": 300,
    # A due row whose task has not run for this long is enqueued again by the sweep.
    "DISPATCH_LOST_TASK_SECONDS": 300,
    # Retry-After values above this are treated as this (a day).
    "DISPATCH_MAX_RETRY_AFTER_SECONDS": 86400,
}


def setting(name):
    return settings.VERTEL.get(name, DEFAULTS[name])


class ActionRefused(Exception):
    """An editor's action on a dispatch cannot be done; ``message`` says why, for the admin."""

    def __init__(self, message):
        super().__init__(message)
        self.message = str(message)


# -- the log ----------------------------------------------------------------------------------


def log_event(dispatch, action, outcome, message="", *, status_code=None, actor=None):
    return DispatchEvent.objects.create(
        dispatch_id=dispatch.pk if isinstance(dispatch, Dispatch) else dispatch,
        action=action,
        outcome=outcome,
        message=str(message)[:5000],
        status_code=status_code if status_code and 0 < status_code < 1000 else None,
        actor=actor if getattr(actor, "pk", None) else None,
    )


# -- planning ---------------------------------------------------------------------------------


def version_hash(page):
    """The content version a dispatch is for.

    Patient stories use the consent's content hash, so the consent check compares like with like.
    Organisation stories have no consent; a hash of what a post shows (title, summary, hero image,
    body) stands in for it.
    """
    from consent.content import content_hash

    if isinstance(page, ConsentGatedPageMixin):
        return content_hash(page)
    body = json.loads(json.dumps(list(page.body.get_prep_value()), default=str))
    for block in body:
        if isinstance(block, dict):
            block.pop("id", None)
    manifest = {
        "title": page.title,
        "summary": page.summary,
        "hero_image": [page.hero_image_id, page.hero_image_alt],
        "body": body,
    }
    canonical = json.dumps(manifest, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def consent_problem(page, channel_key, digest):
    """Why ``page`` may not go out on ``channel_key`` in version ``digest``, or "" when it may."""
    answer = coverage(page, channel_key, digest)
    if answer.ok:
        return ""
    if answer.code == CHANGED:
        return _("The consent for this channel covers another version of the story; ask for a new signature.")
    return _("No valid consent covers this channel.")


def photos_allowed(page, channel_key, digest):
    """Whether a post of ``page`` on ``channel_key`` may carry an image.

    Organisation stories: always. Patient stories: only when every consent that covers the channel
    and this content version allows photos (one signer's "no photos" is not outvoted by another's).
    """
    return coverage(page, channel_key, digest).allows_photos


def media_problem(page, account, digest):
    """Why the post cannot go out at all for want of a photo the consent allows, or ""."""
    try:
        requires_media = account.adapter_class().limits.requires_media
    except LookupError:
        return ""
    if requires_media and not photos_allowed(page, account.channel_key, digest):
        return _(
            "The consent does not allow photos, and %(channel)s cannot post without one: this post is not sent."
        ) % {"channel": account.name}
    return ""


def plan_fingerprint(plan):
    """What the editor planned for one channel, as a digest: a different one means "planned again"."""
    if plan is None:
        return ""
    values = [
        plan.pk,
        plan.enabled,
        plan.text,
        plan.image_id,
        plan.image_alt,
        plan.publish_at.isoformat() if plan.publish_at else "",
        plan.utm_campaign,
    ]
    return hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()


def _compose(page, plan):
    """The fields of a dispatch for ``plan``: what the plan panel shows, as the network will get it."""
    from . import plan as planning

    post = planning.build_post(plan, page, with_media=False)
    image, alt = planning.effective_image(plan.image, plan.image_alt, page.hero_image, page.hero_image_alt)
    return {
        "text": post.text,
        "link": post.link,
        "image": image,
        "image_alt": alt,
        "page_title": page.title[:255],
        "plan": plan,
    }


def _possibly_posted(queryset):
    """Rows whose post is (or may be) out on the network and not removed."""
    return queryset.filter(
        (Q(state__in=[State.SENT, State.SENDING]) & ~Q(retraction=Dispatch.Retraction.RETRACTED))
        | Q(state=State.FAILED, sending_started_at__isnull=False)
    )


def _cancel(queryset, message, *, actor=None):
    cancelled = []
    for dispatch in queryset.filter(state__in=UNSENT_STATES, sending_started_at__isnull=True):
        Dispatch.objects.filter(pk=dispatch.pk).update(
            state=State.CANCELLED, next_attempt_at=None, updated_at=timezone.now()
        )
        log_event(dispatch, "cancel", "cancelled", message, actor=actor)
        cancelled.append(dispatch.pk)
    return cancelled


def plan_for_publish(page, revision=None, *, now=None):
    """Create (or refresh) one dispatch per enabled plan of the live story; enqueue them; return them.

    Re-publishing the same content creates nothing new. When the content changed after a post
    went out on a channel, that channel gets no second post: posting twice spams followers, and
    the post already out links to the story, which now shows the new version. The dispatch log of
    the earlier post records the decision. Unsent dispatches of an older version are cancelled and
    replaced.
    """
    page = page.specific
    if not isinstance(page, SyndicatedPageMixin) or not page.live or page.alias_of_id:
        return []
    now = now or timezone.now()
    digest = version_hash(page)
    is_patient = isinstance(page, ConsentGatedPageMixin)
    missed_before = now - datetime.timedelta(hours=setting("DISPATCH_MISSED_AFTER_HOURS"))
    revision_id = revision.pk if revision is not None else page.live_revision_id

    plans = list(PostPlan.objects.filter(page_id=page.pk).select_related("account", "image"))
    wanted_accounts = {plan.account_id for plan in plans if plan.enabled and plan.account.active}
    results = []
    with transaction.atomic():
        _cancel(
            Dispatch.objects.filter(page_id=page.pk).exclude(account_id__in=wanted_accounts),
            _("The plan for this channel was removed or switched off, or the account is inactive."),
        )
        for plan in plans:
            if plan.account_id not in wanted_accounts:
                continue
            account = plan.account
            existing = Dispatch.objects.filter(page_id=page.pk, account=account)
            if _removed_by_editor(page, plan, existing):
                continue
            same = existing.filter(content_hash=digest).first()
            earlier = _possibly_posted(existing.exclude(content_hash=digest)).order_by("-pk").first()
            if same is None and earlier is not None:
                note = _(
                    "The story changed (version %(version)s) after this post went out; it is not posted again."
                ) % {"version": digest[:12]}
                if not earlier.events.filter(action="republish", message=note).exists():
                    log_event(earlier, "republish", "skipped", note)
                continue
            _cancel(existing.exclude(content_hash=digest), _("Replaced by a newer version of the story."))

            fields = _compose(page, plan)
            scheduled_for = plan.publish_at or now
            problem = consent_problem(page, account.channel_key, digest) or media_problem(page, account, digest)
            if problem:
                state = State.BLOCKED
            elif scheduled_for < missed_before:
                state = State.MISSED
                problem = _("The planned time had passed long ago when the story was published.")
            else:
                state = State.QUEUED
            fields.update(
                state=state,
                scheduled_for=scheduled_for,
                revision_id=revision_id,
                patient_story_id=page.pk if is_patient else None,
                last_error=problem,
                queued_at=now if state == State.QUEUED else None,
                next_attempt_at=None,
            )
            if same is None:
                dispatch, created = Dispatch.objects.get_or_create(
                    page_id=page.pk, account=account, content_hash=digest, defaults=fields
                )
                if not created:
                    results.append(dispatch)
                    continue
                log_event(dispatch, "plan", state, problem)
            elif same.state in (State.PLANNED, State.QUEUED, State.BLOCKED, State.CANCELLED) and (
                same.sending_started_at is None
            ):
                for name, value in fields.items():
                    setattr(same, name, value)
                same.attempts = 0
                same.save()
                dispatch = same
                log_event(dispatch, "plan", state, problem)
            else:
                # Sent, sending, failed or missed: a re-publish of the same version changes nothing.
                results.append(same)
                continue
            if state == State.QUEUED:
                enqueue_dispatch(dispatch.pk, run_after=scheduled_for)
            results.append(dispatch)
    return results


def _removed_by_editor(page, plan, existing):
    """True when an editor removed the story from this channel and has not planned it again since.

    A plan that differs from the one at the removal is "planned again": the removal is lifted.
    """
    removal = ChannelRemoval.objects.filter(page_id=page.pk, account_id=plan.account_id).first()
    if removal is None:
        return False
    if removal.plan_fingerprint != plan_fingerprint(plan):
        removal.delete()
        return False
    latest = existing.order_by("-pk").first()
    if latest is not None:
        note = _(
            "Not posted again: an editor removed this story from %(channel)s. "
            "Change the channel's plan to post it again."
        ) % {"channel": plan.account.name}
        if not latest.events.filter(action="republish", message=note).exists():
            log_event(latest, "republish", "skipped", note)
    return True


# -- queueing ---------------------------------------------------------------------------------


def enqueue_on_commit(task_name, dispatch_id, run_after=None):
    """Enqueue the task ``task_name`` of ``channels.tasks`` for a dispatch when the transaction commits.

    At ``run_after`` if the queue can wait; a backend that cannot defer (the immediate one of the
    tests) gets nothing for a future time, and the periodic sweep enqueues the work once it is due.
    An enqueue that fails is logged and left to the sweep: it never breaks the caller.
    """

    def _enqueue():
        from . import tasks

        task = getattr(tasks, task_name)
        if run_after is not None and run_after > timezone.now():
            if not task.get_backend().supports_defer:
                return
            task = task.using(run_after=run_after)
        try:
            task.enqueue(dispatch_id)
        except Exception:  # noqa: BLE001 - the periodic sweep enqueues it again
            logger.exception("%s of dispatch %s not enqueued; the periodic sweep will.", task_name, dispatch_id)

    transaction.on_commit(_enqueue)


def enqueue_dispatch(dispatch_id, run_after=None):
    """Enqueue ``send_dispatch`` when the transaction commits (see ``enqueue_on_commit``)."""
    enqueue_on_commit("send_dispatch", dispatch_id, run_after)


def backoff_seconds(attempt, retry_after=None):
    """Seconds to wait before attempt ``attempt + 1``: exponential, capped, with jitter.

    Half the delay is fixed and half random, so retries of many posts after an outage spread out.
    A network's Retry-After is honoured (up to a day).
    """
    base = setting("DISPATCH_RETRY_BASE_SECONDS")
    cap = setting("DISPATCH_RETRY_CAP_SECONDS")
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after:
        with contextlib.suppress(TypeError, ValueError):
            delay = max(delay, min(float(retry_after), setting("DISPATCH_MAX_RETRY_AFTER_SECONDS")))
    return delay


# -- sending ----------------------------------------------------------------------------------


def _locked(queryset):
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _is_due(dispatch, now):
    if dispatch.state == State.QUEUED:
        return dispatch.scheduled_for <= now
    if dispatch.state == State.FAILED:
        return dispatch.next_attempt_at is not None and dispatch.next_attempt_at <= now
    if dispatch.state == State.SENDING:
        stale = datetime.timedelta(seconds=setting("DISPATCH_STALE_SENDING_SECONDS"))
        return dispatch.sending_started_at is None or dispatch.sending_started_at <= now - stale
    return False


def _live_plan(dispatch):
    """The published plan of the dispatch's story for its channel, or None."""
    return (
        PostPlan.objects.filter(page_id=dispatch.page_id, account_id=dispatch.account_id)
        .select_related("account", "image")
        .first()
    )


def _stop_reason(dispatch):
    """(state, message) when the dispatch must not be sent any more, else None. Makes no network call.

    Besides the state of the story, the account and the consent, the live story (its plans
    included) must still have the content hash the dispatch is for: the post is built from it.
    """
    page = dispatch.page
    if page is None:
        return State.CANCELLED, _("The story was deleted.")
    if not page.live:
        return State.CANCELLED, _("The story is no longer published.")
    if not dispatch.account.active:
        return State.CANCELLED, _("The channel account was switched off.")
    if dispatch.retraction:
        return State.CANCELLED, _("The story is being removed from this channel.")
    plan = _live_plan(dispatch)
    if plan is None or not plan.enabled:
        return State.CANCELLED, _("The plan for this channel was removed or switched off.")
    page = page.specific
    problem = consent_problem(page, dispatch.channel_key, dispatch.content_hash)
    if problem:
        return State.BLOCKED, problem
    live_version = version_hash(page)  # reads and hashes every image of the story: once per attempt
    if live_version != dispatch.content_hash:
        # What would be sent is not the version planned (and, for a patient story, consented to).
        live_problem = consent_problem(page, dispatch.channel_key, live_version)
        if live_problem:
            return State.BLOCKED, _(
                "The story or its planned post changed after signing; the changed post is not sent. %(reason)s"
            ) % {"reason": live_problem}
        return State.CANCELLED, _("Replaced by a newer version of the story.")
    problem = media_problem(page, dispatch.account, dispatch.content_hash)
    if problem:
        return State.BLOCKED, problem
    return None


def build_post(dispatch):
    """The :class:`Post` for ``dispatch``: the live story's plan for the channel, built by the very
    function the plan panel validates with (``channels.plan.build_post``); the image only when
    the consent allows photos."""
    from . import plan as planning

    page = dispatch.page.specific
    plan = _live_plan(dispatch)
    if plan is None:
        raise PermanentError(_("The plan for this channel was removed."))
    with_media = photos_allowed(page, dispatch.channel_key, dispatch.content_hash)
    post = planning.build_post(plan, page, with_media=with_media)
    post.idempotency_key = dispatch.idempotency_key
    post.extra = {"story_id": dispatch.page_id, "content_hash": dispatch.content_hash, "dispatch_id": dispatch.pk}
    return post


def _record_post(dispatch, claim_time, post):
    """Keep what is sent on the row before the call: the log shows it, and reconciliation and
    removal look for exactly that text."""
    image_alt = post.media[0].alt if post.media else ""
    Dispatch.objects.filter(pk=dispatch.pk, state=State.SENDING, sending_started_at=claim_time).update(
        text=post.text, link=post.link[:1000], image_alt=image_alt[:1000]
    )
    dispatch.text, dispatch.link, dispatch.image_alt = post.text, post.link[:1000], image_alt[:1000]


def safe_url(url):
    """``url`` when it is an http(s) address, else "" (a network's answer is not trusted blindly:
    a ``javascript:`` address would run in the admin when an editor clicks it)."""
    url = str(url or "").strip()
    return url[:1000] if url.lower().startswith(("https://", "http://")) and " " not in url else ""


def _write(dispatch, claim_time, **fields):
    """Record the outcome of our claim; False if another worker took the row over meanwhile."""
    fields.setdefault("updated_at", timezone.now())
    updated = Dispatch.objects.filter(pk=dispatch.pk, state=State.SENDING, sending_started_at=claim_time).update(
        **fields
    )
    if not updated:
        logger.warning("Dispatch %s was taken over by another worker; its outcome is theirs to record.", dispatch.pk)
    return bool(updated)


def _idempotent_resend_allowed(adapter, claim_time, first_attempt_at):
    """Whether re-sending with the same key is safe: the network dedupes keys for a while.

    The window is measured from the first attempt that may have sent the key, never from a later
    one: a key the network has forgotten no longer protects against a duplicate.
    """
    window = getattr(adapter, "idempotency_window", None)
    if not window:
        return False
    return first_attempt_at is not None and (claim_time - first_attempt_at).total_seconds() < window


def _mark_sent(dispatch, claim_time, result, *, adapter=None, action="publish", message=""):
    now = timezone.now()
    remote_url = safe_url(result.remote_url)
    if not _write(
        dispatch,
        claim_time,
        state=State.SENT,
        sent_at=now,
        remote_id=(result.remote_id or "")[:500],
        remote_url=remote_url,
        network_identity=_identity_of(adapter),
        next_attempt_at=None,
        last_error="",
    ):
        return "taken-over"
    log_event(dispatch, action, "sent", message or remote_url or result.remote_id)
    if Dispatch.objects.filter(pk=dispatch.pk, retraction=Dispatch.Retraction.PENDING).exists():
        # The story was withdrawn while the post was on its way: take it off again at once.
        from .retraction import enqueue_retraction

        enqueue_retraction(dispatch.pk)
    return State.SENT


def _identity_of(adapter):
    """Where the adapter's account posts (``Adapter.identity``), or {} when it cannot say."""
    if adapter is None:
        return {}
    try:
        return dict(adapter.identity())
    except Exception:  # noqa: BLE001 - a record for later removal must not fail a sent post
        logger.exception("Could not read the network identity of account %s.", getattr(adapter.account, "pk", None))
        return {}


def _fail(dispatch, claim_time, error, *, uncertain, attempts):
    """Record a failed attempt: retry later with back-off, or stop and tell the editors.

    When the story was withdrawn while this attempt was on its way, nothing is retried: a post
    that surely did not go out is cancelled quietly, one that may have gone out is handed to the
    removal (which looks for it, or asks a person).
    """
    reason = getattr(error, "message", None) or str(error) or error.__class__.__name__
    status = getattr(error, "status", None)
    if Dispatch.objects.filter(pk=dispatch.pk, retraction=Dispatch.Retraction.PENDING).exists():
        return _fail_while_removing(dispatch, claim_time, reason, status, uncertain=uncertain)
    transient = isinstance(error, TransientError) or not isinstance(error, ChannelError)
    if transient and attempts < setting("DISPATCH_MAX_ATTEMPTS"):
        next_at = timezone.now() + datetime.timedelta(seconds=backoff_seconds(attempts, error_retry_after(error)))
        fields = {"state": State.FAILED, "last_error": reason[:2000], "next_attempt_at": next_at}
        if not uncertain:
            fields["sending_started_at"] = None
        if _write(dispatch, claim_time, **fields):
            log_event(
                dispatch,
                "publish",
                "retry",
                next_attempt_message(reason, next_at),
                status_code=status,
            )
            enqueue_dispatch(dispatch.pk, run_after=next_at)
        return State.FAILED
    if transient:
        reason = _("Gave up after %(attempts)s attempts. Last error: %(reason)s") % {
            "attempts": attempts,
            "reason": reason,
        }
    fields = {"state": State.FAILED, "last_error": reason[:2000], "next_attempt_at": None}
    if not uncertain:
        fields["sending_started_at"] = None
    if not _write(dispatch, claim_time, **fields):
        return "taken-over"
    log_event(dispatch, "publish", "failed", reason, status_code=status)
    if isinstance(error, AuthError):
        ChannelAccount.objects.filter(pk=dispatch.account_id).update(
            status=ChannelAccount.Status.ERROR, status_message=reason[:500], updated_at=timezone.now()
        )
        notify.account_refused(dispatch, reason)
    elif uncertain:
        notify.dispatch_outcome_unknown(dispatch)
    else:
        notify.dispatch_failed(dispatch, reason)
    log_event(dispatch, "notify", "sent", _("The editors were told."))
    return State.FAILED


def _fail_while_removing(dispatch, claim_time, reason, status, *, uncertain):
    from .retraction import enqueue_retraction

    if uncertain:
        if _write(dispatch, claim_time, state=State.FAILED, next_attempt_at=None, last_error=reason[:2000]):
            log_event(dispatch, "publish", "failed", reason, status_code=status)
            # The removal looks for the post where the network can be asked, else asks a person.
            enqueue_retraction(dispatch.pk)
        return State.FAILED
    message = _("Not sent: the story is being removed from this channel. (%(reason)s)") % {"reason": reason}
    if not _write(
        dispatch,
        claim_time,
        state=State.CANCELLED,
        next_attempt_at=None,
        sending_started_at=None,
        last_error=message[:2000],
        retraction=Dispatch.Retraction.NONE,
        retraction_reason="",
    ):
        return "taken-over"
    log_event(dispatch, "cancel", "cancelled", message, status_code=status)
    return State.CANCELLED


def next_attempt_message(reason, next_at):
    """``reason`` and when the next attempt is, in the organisation's time zone (stored in UTC)."""
    local = timezone.localtime(next_at)
    return _("%(reason)s Next attempt at %(when)s.") % {"reason": reason, "when": f"{local:%Y-%m-%d %H:%M %Z}"}


def error_retry_after(error):
    return getattr(error, "retry_after", None)


def _claim(dispatch_id, now):
    """Lock the row and move it to SENDING, committed; return (dispatch, outcome, uncertain, first_attempt_at)."""
    with transaction.atomic():
        dispatch = _locked(Dispatch.objects.filter(pk=dispatch_id)).select_related("account", "page", "image").first()
        if dispatch is None:
            return None, "locked-or-gone", False, None
        if not _is_due(dispatch, now):
            return None, f"not-due:{dispatch.state}", False, None
        uncertain = dispatch.sending_started_at is not None
        missed_before = now - datetime.timedelta(hours=setting("DISPATCH_MISSED_AFTER_HOURS"))
        if not uncertain:
            if dispatch.scheduled_for < missed_before:
                dispatch.state = State.MISSED
                dispatch.next_attempt_at = None
                dispatch.last_error = _("More than %(hours)s hours overdue: not sent late.") % {
                    "hours": setting("DISPATCH_MISSED_AFTER_HOURS")
                }
                dispatch.save(update_fields=["state", "next_attempt_at", "last_error", "updated_at"])
                log_event(dispatch, "publish", "missed", dispatch.last_error)
                return None, State.MISSED, False, None
            stop = _stop_reason(dispatch)
            if stop is not None:
                # Nothing went out: say why and stop, without any network call.
                dispatch.state, dispatch.last_error = stop
                dispatch.next_attempt_at = None
                dispatch.save(update_fields=["state", "next_attempt_at", "last_error", "updated_at"])
                log_event(dispatch, "check", "blocked" if stop[0] == State.BLOCKED else "cancelled", stop[1])
                return None, stop[0], False, None
        dispatch.state = State.SENDING
        dispatch.sending_started_at = now
        if dispatch.first_attempt_at is None:
            dispatch.first_attempt_at = now
        dispatch.attempts += 1
        dispatch.save(update_fields=["state", "sending_started_at", "first_attempt_at", "attempts", "updated_at"])
        log_event(dispatch, "reconcile" if uncertain else "publish", "sending", "")
    return dispatch, "claimed", uncertain, dispatch.first_attempt_at


def run_dispatch(dispatch_id, *, now=None):
    """Send one dispatch if it is due, exactly once; return the outcome (for logs and tests).

    Runs in the worker (``channels.tasks.send_dispatch``) and from the periodic sweep.
    """
    now = now or timezone.now()
    dispatch, outcome, uncertain, first_attempt_at = _claim(dispatch_id, now)
    if dispatch is None:
        return outcome
    claim_time = dispatch.sending_started_at
    reconciled = None
    try:
        adapter = dispatch.account.adapter()
        post = build_post(dispatch)
    except Exception as error:  # noqa: BLE001 - unreadable credentials, missing image file
        logger.exception("Dispatch %s could not be prepared.", dispatch.pk)
        return _fail(dispatch, claim_time, PermanentError(str(error)), uncertain=uncertain, attempts=dispatch.attempts)

    if uncertain:
        # An earlier call may have reached the network. Never send blindly: ask, or use the key.
        # Look for what that call sent (recorded before it), even if the story changed since.
        sent_before = dataclasses.replace(post, text=dispatch.text or post.text, link=dispatch.link or post.link)
        reconciled = _reconcile(dispatch, adapter, sent_before, claim_time, first_attempt_at)
        if reconciled not in ("absent", "resend"):
            return reconciled
        # Confirmed absent (or safe to re-send with the same key): the usual checks apply again.
        with transaction.atomic():
            fresh = Dispatch.objects.select_related("account", "page").get(pk=dispatch.pk)
            stop = _stop_reason(fresh) if fresh.state == State.SENDING else None
            missed = fresh.scheduled_for < now - datetime.timedelta(hours=setting("DISPATCH_MISSED_AFTER_HOURS"))
            if (stop is not None or missed) and reconciled == "resend":
                # Still unknown (only a re-send could tell, and this must not go out any more):
                # never "cancelled"; the removal looks for it or asks a person.
                return _unknown_and_stopped(
                    fresh, claim_time, stop or (State.MISSED, _("More than the allowed time overdue."))
                )
            if stop is not None or missed:
                state, message = stop or (State.MISSED, _("More than the allowed time overdue: not sent late."))
                fields = {"state": state, "last_error": message, "sending_started_at": None}
                if fresh.retraction:
                    # The network says it is not there: nothing to remove, no removal left waiting.
                    fields.update(retraction=Dispatch.Retraction.NONE, retract_next_attempt_at=None)
                if _write(dispatch, claim_time, **fields):
                    log_event(dispatch, "check", state, message)
                    if fresh.retraction:
                        log_event(dispatch, "retract", "nothing", _("The post never went out: nothing to remove."))
                return state

    if uncertain and reconciled == "resend":
        log_event(
            dispatch,
            "reconcile",
            "resend",
            _("Sent again with the same idempotency key; the network returns the earlier post if there is one."),
        )
    problems = adapter.validate(post)
    if problems:
        return _fail(
            dispatch, claim_time, PermanentError(" ".join(str(p) for p in problems)), uncertain=False, attempts=1
        )
    _record_post(dispatch, claim_time, post)
    try:
        result = adapter.publish(post)
    except OutcomeUnknown as error:
        return _fail(dispatch, claim_time, error, uncertain=True, attempts=dispatch.attempts)
    except ChannelError as error:
        return _fail(dispatch, claim_time, error, uncertain=False, attempts=dispatch.attempts)
    except Exception as error:  # noqa: BLE001 - an unexpected error may come after the request went out
        logger.exception("Dispatch %s: unexpected error while publishing.", dispatch.pk)
        return _fail(dispatch, claim_time, OutcomeUnknown(str(error)), uncertain=True, attempts=dispatch.attempts)
    return _mark_sent(dispatch, claim_time, result, adapter=adapter)


def _unknown_and_stopped(dispatch, claim_time, stop):
    """A post whose outcome is unknown must not go out any more (withdrawn, unpublished, …).

    It stays FAILED with its outcome unknown (``sending_started_at`` kept), never "cancelled"
    while it may be out. When it must come off (being removed, the story gone or unpublished, no
    consent covering it) the removal takes it, which asks the network where it can and else asks
    a person; otherwise the editors are told to check the channel.
    """
    from .retraction import _mark_pending, consent_reason, enqueue_retraction, stronger_reason

    state, message = stop
    note = _("Not sent again: %(reason)s The earlier attempt may have reached the network.") % {"reason": message}
    if not _write(dispatch, claim_time, state=State.FAILED, next_attempt_at=None, last_error=note[:2000]):
        return "taken-over"
    dispatch.state = State.FAILED
    log_event(dispatch, "reconcile", "unknown", note)
    page = dispatch.page
    must_come_off = dispatch.retraction or page is None or not page.live or state == State.BLOCKED
    if not must_come_off:
        notify.dispatch_outcome_unknown(dispatch)
        log_event(dispatch, "notify", "sent", _("The editors were told."))
        return State.FAILED
    if not dispatch.retraction:
        reason = "deleted" if page is None else "unpublished"
        _mark_pending(dispatch, stronger_reason(reason, consent_reason(dispatch)))
    enqueue_retraction(dispatch.pk)
    return State.FAILED


def _reconcile(dispatch, adapter, post, claim_time, first_attempt_at):
    """After an unknown outcome: SENT if the post is there, "absent" if it may be (re)sent, else FAILED."""
    if adapter.can_reconcile:
        try:
            found = adapter.find_existing(post)
        except ChannelError as error:
            # Still unknown: keep the uncertainty and ask again later.
            return _fail(dispatch, claim_time, error, uncertain=True, attempts=dispatch.attempts)
        if found is not None:
            return _mark_sent(
                dispatch,
                claim_time,
                found,
                adapter=adapter,
                action="reconcile",
                message=_("Found on the network: not sent again."),
            )
        log_event(dispatch, "reconcile", "absent", _("Not found on the network: it may be sent."))
        return "absent"
    if _idempotent_resend_allowed(adapter, claim_time, first_attempt_at):
        # Not "absent": only the re-send tells (run_dispatch checks first that it may still go out).
        return "resend"
    # Neither can be asked nor deduplicates: a person must look.
    message = _(
        "Outcome unknown: the post may or may not have reached the network, which cannot be asked. "
        "Check the channel, then retry or mark as sent."
    )
    if _write(dispatch, claim_time, state=State.FAILED, next_attempt_at=None, last_error=message):
        log_event(dispatch, "reconcile", "unknown", message)
        notify.dispatch_outcome_unknown(dispatch)
        log_event(dispatch, "notify", "sent", _("The editors were told."))
    return State.FAILED


# -- sweeping ---------------------------------------------------------------------------------


def sweep(now=None):
    """Enqueue what is due but whose task got lost, reconcile stale SENDING rows, mark missed posts.

    Returns counts, for the log. Idempotent: running it twice in a row enqueues nothing new.
    """
    now = now or timezone.now()
    missed_before = now - datetime.timedelta(hours=setting("DISPATCH_MISSED_AFTER_HOURS"))
    lost_before = now - datetime.timedelta(seconds=setting("DISPATCH_LOST_TASK_SECONDS"))
    stale_before = now - datetime.timedelta(seconds=setting("DISPATCH_STALE_SENDING_SECONDS"))
    counts = {"missed": 0, "enqueued": 0, "stale": 0}

    overdue = Dispatch.objects.filter(
        state__in=[State.QUEUED, State.FAILED], sending_started_at__isnull=True, scheduled_for__lt=missed_before
    ).exclude(state=State.FAILED, next_attempt_at__isnull=True)
    for dispatch_id in overdue.values_list("pk", flat=True):
        if run_dispatch(dispatch_id, now=now) == State.MISSED:
            counts["missed"] += 1

    due = Dispatch.objects.filter(
        Q(state=State.QUEUED, scheduled_for__lte=now)
        | Q(state=State.FAILED, next_attempt_at__isnull=False, next_attempt_at__lte=now)
    ).filter(Q(queued_at__isnull=True) | Q(queued_at__lte=lost_before))
    # Freshly due rows have a task waiting (enqueued with run_after); only long-due ones are lost.
    due = due.filter(
        Q(state=State.QUEUED, scheduled_for__lte=lost_before)
        | Q(state=State.FAILED, next_attempt_at__lte=lost_before)
        | Q(state=State.QUEUED, queued_at__isnull=True)
    )
    stale = Dispatch.objects.filter(state=State.SENDING, sending_started_at__lte=stale_before).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lte=lost_before)
    )
    for key, queryset in (("enqueued", due), ("stale", stale)):
        ids = list(queryset.values_list("pk", flat=True)[:1000])
        if ids:
            Dispatch.objects.filter(pk__in=ids).update(queued_at=now)
        for dispatch_id in ids:
            if _backend_defers():
                enqueue_dispatch(dispatch_id)
            else:
                run_dispatch(dispatch_id, now=now)
        counts[key] = len(ids)
    # A backend that cannot wait for run_after (the immediate one) never got the retry: run it here.
    if not _backend_defers():
        for dispatch_id in Dispatch.objects.filter(
            Q(state=State.QUEUED, scheduled_for__lte=now)
            | Q(state=State.FAILED, next_attempt_at__isnull=False, next_attempt_at__lte=now)
        ).values_list("pk", flat=True)[:1000]:
            run_dispatch(dispatch_id, now=now)
            counts["enqueued"] += 1
    return counts


def _backend_defers():
    from .tasks import send_dispatch

    return send_dispatch.get_backend().supports_defer


# -- editors' actions -------------------------------------------------------------------------


def retry(dispatch, user):
    """Send a failed, missed or blocked dispatch again (the admin's Retry button); return it.

    Attempts start from zero. A blocked dispatch goes only if a consent now covers it; a failed one
    whose outcome was unknown is taken as "not there" (the editor checked the channel).
    Raises :class:`ActionRefused` with a sentence for the editor otherwise.
    """
    now = timezone.now()
    with transaction.atomic():
        dispatch = (
            Dispatch.objects.select_for_update(of=("self",)).select_related("account", "page").get(pk=dispatch.pk)
        )
        if dispatch.state not in (State.FAILED, State.MISSED, State.BLOCKED):
            raise ActionRefused(_("Only failed, missed or blocked posts can be retried."))
        if dispatch.retraction:
            raise ActionRefused(_("This post is being removed from the channel; it cannot be sent again."))
        dispatch.sending_started_at = None
        stop = _stop_reason(dispatch)
        if stop is not None:
            raise ActionRefused(stop[1])
        dispatch.state = State.QUEUED
        dispatch.attempts = 0
        dispatch.next_attempt_at = None
        dispatch.last_error = ""
        dispatch.scheduled_for = now
        dispatch.queued_at = now
        dispatch.save()
        log_event(dispatch, "retry", "queued", _("Queued again by an editor."), actor=user)
        enqueue_dispatch(dispatch.pk)
    return dispatch


def mark_sent_manually(dispatch, user, remote_url):
    """Record that the post is on the network (an editor checked after an unknown outcome, or posted
    it by hand); its address is kept so it can be removed later."""
    now = timezone.now()
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
        if dispatch.state not in (State.FAILED, State.MISSED, State.QUEUED):
            raise ActionRefused(_("Only a failed, missed or queued post can be marked as sent."))
        dispatch.state = State.SENT
        dispatch.sent_at = now
        dispatch.remote_url = safe_url(remote_url)
        dispatch.next_attempt_at = None
        dispatch.last_error = ""
        dispatch.save()
        log_event(dispatch, "manual", "sent", remote_url, actor=user)
    return dispatch
