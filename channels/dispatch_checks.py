"""Whether a dispatch may go out, and what it says: checked before planning and before every attempt.

The content version a dispatch is for (:func:`version_hash`), the consent for the channel and that
version and the media it allows (asked of ``consent.policy.coverage``, and worded here), what the
editor planned (:func:`plan_fingerprint`), why a dispatch must not be sent any more
(:func:`stop_reason`), and the post itself, built from the live story's plan with the very function
the plan panel validates with (``channels.plan.build_post``). No network call is made here.
"""

import hashlib
import json

from django.utils.translation import gettext as _

from consent import content
from consent.gate import ConsentGatedPageMixin
from consent.policy import CHANGED, coverage

from . import plan as planning
from .adapters.base import PermanentError
from .models import Dispatch, PostPlan

State = Dispatch.State


def version_hash(page):
    """The content version a dispatch is for.

    Patient stories use the consent's content hash, so the consent check compares like with like.
    Organisation stories have no consent; a hash of what a post shows (title, summary, hero image,
    body) stands in for it.
    """
    if isinstance(page, ConsentGatedPageMixin):
        return content.content_hash(page)
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


def compose(page, plan):
    """The fields of a dispatch for ``plan``: what the plan panel shows, as the network will get it."""
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


def live_plan(dispatch):
    """The published plan of the dispatch's story for its channel, or None."""
    return (
        PostPlan.objects.filter(page_id=dispatch.page_id, account_id=dispatch.account_id)
        .select_related("account", "image")
        .first()
    )


def stop_reason(dispatch):
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
    plan = live_plan(dispatch)
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
    page = dispatch.page.specific
    plan = live_plan(dispatch)
    if plan is None:
        raise PermanentError(_("The plan for this channel was removed."))
    with_media = photos_allowed(page, dispatch.channel_key, dispatch.content_hash)
    post = planning.build_post(plan, page, with_media=with_media)
    post.idempotency_key = dispatch.idempotency_key
    post.extra = {"story_id": dispatch.page_id, "content_hash": dispatch.content_hash, "dispatch_id": dispatch.pk}
    return post
