"""The demo's channel plan: one account that never sends, posts on the organisation stories, reach.

So the editorial calendar and the reach report are not empty on first run, without anything ever
leaving the machine:

* The account is a signed webhook to the discard port of the loopback address, and it is
  *inactive*: inactive accounts get no posts (``channels.planning``) and are not offered to signers.
  Switched on by hand it would still only reach 127.0.0.1, where nothing listens.
* Only organisation stories get plans; patient stories are not posted (their demo consents do not
  name this account). Stories already out have a dispatch marked sent, with an example.org post
  address, as if the network had answered; the newest story has one planned for two days on.
  Neither is picked up by the worker: it sends only queued and retried dispatches.
* Reach: reads per day from this account and from the newsletter since each post, a few dozen at
  first and fewer every day, derived from the story's slug (no random generator).

Everything is looked up before it is created (the plan by page and account, the dispatch by its
unique page, account and content version, reach by page and source), so a second run adds nothing.
"""

import datetime
import zlib

from django.utils import timezone

from channels.attempts import log_event
from channels.dispatch_checks import compose, version_hash
from channels.links import source_for_account
from channels.models import ChannelAccount, Dispatch, PostPlan, ReachCount
from core.channel_keys import NEWSLETTER

ACCOUNT_NAME = "Voorbeeldkanaal (demo, verstuurt niets)"
ACCOUNT_URL = "http://127.0.0.1:9/demo-webhook"  # the discard port: nothing listens there
# The newest organisation story (content.STORIES, days_ago 1) is still to be posted, the others are out.
PLANNED_AFTER_DAYS = 2
POST_HOUR = 10


def demo_account():
    account, _made = ChannelAccount.objects.get_or_create(
        name=ACCOUNT_NAME,
        defaults={
            "kind": "webhook",
            "active": False,
            "config": {"url": ACCOUNT_URL},
            "display_name": "Ziekenhuis De Linde",
            "profile_url": "https://example.org/demo",
        },
    )
    return account


def post_time(story_date, days_after=0):
    """``POST_HOUR`` o'clock in the organisation's zone, ``days_after`` days after the story's date."""
    day = story_date + datetime.timedelta(days=days_after)
    return datetime.datetime.combine(day, datetime.time(POST_HOUR), tzinfo=timezone.get_current_timezone())


def is_planned(spec):
    return spec["days_ago"] <= 1


def new_plan(account, spec, story_date):
    """The plan an organisation story is created with (text empty: the post uses the summary)."""
    days_after = PLANNED_AFTER_DAYS if is_planned(spec) else 0
    return PostPlan(account=account, enabled=True, publish_at=post_time(story_date, days_after))


def ensure_plan(page, account, spec):
    """The story's published plan on the demo account; added in a new revision if an older seed had none."""
    plan = PostPlan.objects.filter(page_id=page.pk, account=account).first()
    if plan is not None:
        return plan
    draft = page.get_latest_revision_as_object()
    draft.post_plans.add(new_plan(account, spec, page.date))
    draft.save_revision().publish()
    return PostPlan.objects.get(page_id=page.pk, account=account)


def ensure_dispatch(page, account, plan, spec):
    """A sent (or, for the newest story, planned) dispatch for the live version of the story."""
    page = page.specific
    digest = version_hash(page)
    existing = Dispatch.objects.filter(page_id=page.pk, account=account, content_hash=digest).first()
    if existing is not None:
        return existing
    fields = compose(page, plan)
    fields.update(scheduled_for=plan.publish_at, revision_id=page.live_revision_id)
    if is_planned(spec):
        dispatch = Dispatch.objects.create(page=page, account=account, content_hash=digest, **fields)
        log_event(dispatch, "plan", Dispatch.State.PLANNED, "Demo: planned, never sent.")
        return dispatch
    slug = page.slug
    dispatch = Dispatch.objects.create(
        page=page,
        account=account,
        content_hash=digest,
        state=Dispatch.State.SENT,
        sent_at=plan.publish_at,
        first_attempt_at=plan.publish_at,
        attempts=1,
        remote_id=f"demo-{slug}",
        remote_url=f"https://example.org/demo/posts/{slug}",
        **fields,
    )
    log_event(dispatch, "publish", Dispatch.State.SENT, "Demo: marked sent, nothing was posted.", status_code=200)
    return dispatch


def reads(slug, source, age):
    """Reads on the ``age``-th day since the post: a peak that fades, a little different per story."""
    seed = zlib.crc32(f"{slug}/{source}".encode())
    peak = 18 + seed % 30
    return round(peak * 0.72**age) + (seed >> (age % 16)) % 3


def ensure_reach(page, source, since, today=None):
    """Reads per day from ``source`` since ``since`` (a date), unless the story already has some from it."""
    today = today or timezone.localdate()
    if since > today or ReachCount.objects.filter(page_id=page.pk, source=source).exists():
        return 0
    rows = []
    for age in range((today - since).days + 1):
        count = reads(page.slug, source, age)
        if count:
            rows.append(
                ReachCount(page_id=page.pk, source=source, day=since + datetime.timedelta(days=age), count=count)
            )
    ReachCount.objects.bulk_create(rows)
    return len(rows)


def seed_channels(account, stories):
    """Plans, dispatches and reach for ``stories``: ``[(page, spec)]`` of the organisation stories."""
    source = source_for_account(account)
    for page, spec in stories:
        plan = ensure_plan(page, account, spec)
        dispatch = ensure_dispatch(page, account, plan, spec)
        if dispatch.state == Dispatch.State.SENT:
            ensure_reach(page, source, timezone.localtime(dispatch.sent_at).date())


def seed_newsletter_reach(issue):
    """Reads from the newsletter for the stories of a sent issue, from the day it went out."""
    since = timezone.localtime(issue.sent_at).date()
    for item in issue.items.select_related("story"):
        if item.story is not None:
            ensure_reach(item.story, NEWSLETTER, since)
