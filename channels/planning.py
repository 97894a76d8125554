"""Planning on publish: one dispatch per enabled plan of the live story, queued for its time.

Called when a story is published (``channels.signal_handlers``). Re-publishing the same content
creates nothing new; a channel the post already went out on gets no second post when the content
changed; unsent dispatches of an older version are cancelled and replaced; a channel the editor
removed the story from ("remove everywhere") is skipped until the editor plans it anew. Each
dispatch is checked against the consent and the media it allows as it is planned (BLOCKED), and
marked MISSED when its planned time passed long ago; the queued ones are sent by
``channels.dispatch``.
"""

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.gate import ConsentGatedPageMixin

from .attempts import UNSENT_STATES, State, log_event, setting
from .dispatch import enqueue_dispatch
from .dispatch_checks import compose, consent_problem, media_problem, plan_fingerprint, version_hash
from .mixins import SyndicatedPageMixin
from .models import ChannelRemoval, Dispatch, PostPlan


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

            fields = compose(page, plan)
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
