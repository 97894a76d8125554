"""What every network reader shares: streams with their rate-limit pause, errors kept without text,
threading of replies under our posts, and the networks' times read as UTC.

A reader reads one account's *streams* (``notifications``, ``direct``, ``context:<our post>``,
``comments:<our post>``, ``search:<saved search>``...). Each stream is read by one function that
hands its items to :func:`conversations.ingest.store.store` together with the cursor to read
from next time, so the cursor moves only when the items before it are stored. :func:`read_stream`
runs such a function: it skips a stream whose ``IngestCursor.not_before`` lies ahead, and records
a rate limit (:class:`RateLimited`) or a failure on that stream alone, as the error's class and
status, never the network's message (it may quote what someone wrote) nor a token.
"""

import datetime
import html
import logging
import re
import traceback
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from channels.adapters.base import ChannelError
from channels.models import Dispatch

from ..models import IngestCursor, Message

logger = logging.getLogger("conversations.ingest")

DEFAULT_RECENT_DAYS = 14


class RateLimited(Exception):  # noqa: N818 - a state the network is in, not a failure of ours
    """The network asked us to wait: read this stream again at ``until`` (aware, UTC)."""

    def __init__(self, until, status=429):
        super().__init__(f"rate limited until {until.isoformat()}")
        self.until = until
        self.status = status


@dataclass
class StreamOutcome:
    stream: str
    stored: int = 0
    skipped: bool = False
    error: str = ""


def recent_days():
    return int(settings.VERTEL.get("CONVERSATIONS_RECENT_DAYS", DEFAULT_RECENT_DAYS))


def recent_posts(account, now=None, days=None):
    """Our posts on ``account`` sent in the last ``days`` days: their ``remote_id``, newest first."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=days if days is not None else recent_days())
    return list(
        Dispatch.objects.filter(account=account, state=Dispatch.State.SENT, sent_at__gte=since)
        .exclude(remote_id="")
        .order_by("-sent_at", "-pk")
        .values_list("remote_id", flat=True)
    )


def cursor_row(account, stream):
    return IngestCursor.objects.filter(account=account, stream=stream).first()


def paused_until(account, stream, now):
    row = cursor_row(account, stream)
    if row is not None and row.not_before is not None and row.not_before > now:
        return row.not_before
    return None


def pause(account, stream, until, note=""):
    """Read ``stream`` again no earlier than ``until`` (a rate limit, or our own back-off)."""
    IngestCursor.objects.update_or_create(
        account=account, stream=stream, defaults={"not_before": until, "last_error": note[:500]}
    )


def error_summary(error):
    """What is kept of a failure: its kind and HTTP status, never its text (it may quote a message)."""
    status = getattr(error, "status", None)
    name = type(error).__name__
    return f"{name} (HTTP {status})" if status else name


def where(error):
    """``file:line`` where ``error`` was raised."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def record_error(account, stream, error, now):
    defaults = {"last_error": error_summary(error)[:500]}
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        defaults["not_before"] = now + datetime.timedelta(seconds=float(retry_after))
    IngestCursor.objects.update_or_create(account=account, stream=stream, defaults=defaults)


def note(account, stream, text):
    """A visible note on a stream that is not read (e.g. direct messages not allowed)."""
    IngestCursor.objects.update_or_create(account=account, stream=stream, defaults={"last_error": str(text)[:500]})


def read_stream(account, stream, function, *, now=None):
    """Run ``function()`` (which stores its items and cursor); return a :class:`StreamOutcome`.

    A stream paused by a rate limit is skipped; a failure is recorded on the stream and never
    raised, so the account's other streams (and the other accounts) are still read.
    """
    now = now or timezone.now()
    outcome = StreamOutcome(stream=stream)
    if paused_until(account, stream, now):
        outcome.skipped = True
        return outcome
    try:
        outcome.stored = function() or 0
    except RateLimited as limited:
        pause(account, stream, limited.until, note=f"RateLimited (HTTP {limited.status})")
        outcome.error = "rate limited"
    except ChannelError as error:
        record_error(account, stream, error, now)
        outcome.error = error_summary(error)
    except Exception as error:  # noqa: BLE001 - one stream's surprise must not stop the others
        # Where it failed, never the exception's text or a traceback: either may quote a message.
        logger.warning(
            "Reading stream %s of account %s failed: %s at %s.", stream, account.pk, error_summary(error), where(error)
        )
        record_error(account, stream, error, now)
        outcome.error = error_summary(error)
    else:
        IngestCursor.objects.filter(account=account, stream=stream).exclude(last_error="").update(last_error="")
    return outcome


# -- threading ----------------------------------------------------------------------------------


class Threader:
    """Which conversation an item belongs to, and which of our posts it answers.

    A reply to one of our posts starts its own conversation (the top-level comment with everything
    below it); a reply to an item we have joins that item's conversation; an item whose parent we
    do not know starts its own. Feed items oldest first so parents come before their replies.
    """

    def __init__(self, account, our_posts=()):
        self.account = account
        self.our_posts = {str(p) for p in our_posts}
        self.roots = {}  # external id -> root external id
        self.answers = {}  # root external id -> our post id

    def learn(self, parent_ids):
        """Look up, in two queries, what is known of ``parent_ids`` (our posts, stored messages)."""
        wanted = {str(p) for p in parent_ids if p and str(p) not in self.roots and str(p) not in self.our_posts}
        if not wanted:
            return
        self.our_posts.update(
            Dispatch.objects.filter(account=self.account, remote_id__in=wanted).values_list("remote_id", flat=True)
        )
        for external_id, root, our_post in Message.objects.filter(
            account=self.account, external_id__in=wanted - self.our_posts
        ).values_list("external_id", "conversation__root_external_id", "conversation__dispatch__remote_id"):
            self.roots[external_id] = root
            if our_post:
                self.answers.setdefault(root, our_post)

    def place(self, item_id, parent_id="", root_hint=""):
        """``(root, our post id)`` for an item; ``root_hint``: the network's own thread root (Bluesky)."""
        item_id, parent_id = str(item_id), str(parent_id or "")
        if parent_id and parent_id in self.our_posts:
            root, our_post = item_id, parent_id
        elif parent_id and parent_id in self.roots:
            root = self.roots[parent_id]
            our_post = self.answers.get(root, "")
        else:
            root = item_id
            our_post = str(root_hint) if root_hint and str(root_hint) in self.our_posts else ""
        self.roots[item_id] = root
        if our_post:
            self.answers.setdefault(root, our_post)
        return root, self.answers.get(root, our_post)

    def is_ours(self, external_id):
        return str(external_id) in self.our_posts


# -- values -------------------------------------------------------------------------------------


def utc(value):
    """An aware UTC datetime from an ISO-8601 text, Unix seconds or milliseconds; now when unreadable."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.isdigit()):
        number = float(value)
        if number > 10**11:  # milliseconds (LinkedIn)
            number /= 1000
        try:
            return datetime.datetime.fromtimestamp(number, datetime.UTC)
        except (OverflowError, OSError, ValueError):
            return timezone.now()
    text = str(value or "").strip()
    # Graph writes "+0000" without a colon.
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    try:
        moment = parse_datetime(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None:
        return timezone.now()
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


TAG = re.compile(r"<[^>]*>")
BREAK = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)
INVISIBLE = re.compile(r'<span class="invisible">[^<]*</span>', re.IGNORECASE)
ELLIPSIS = re.compile(r'<span class="ellipsis">([^<]*)</span>', re.IGNORECASE)


def html_to_text(content):
    """Plain text of Mastodon's HTML ``content``: paragraphs and line breaks kept, links as their address."""
    content = str(content or "")

    def link(match):
        href = re.search(r'href="([^"]*)"', match.group(0))
        inner = TAG.sub("", INVISIBLE.sub("", match.group(1)))
        # A shortened link shows its start and an ellipsis: keep the whole address instead.
        if href and 'class="ellipsis"' in match.group(0):
            return html.unescape(href.group(1))
        return inner if inner.startswith(("@", "#")) or not href else html.unescape(href.group(1))

    content = re.sub(r"<a\b[^>]*>(.*?)</a>", link, content, flags=re.IGNORECASE | re.DOTALL)
    content = BREAK.sub("\n", content)
    return html.unescape(TAG.sub("", content)).strip()


def truthy(value):
    return str(value or "").strip().lower() in {"1", "yes", "true", "on", "ja", "y"}
