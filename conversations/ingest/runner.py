"""Reading one account, all its streams, with one reader at a time.

:func:`read_account` claims the account (the ``IngestCursor`` row of stream ``claim``: a conditional
UPDATE of its ``not_before`` lease, which only one process can win), reads every stream of the
network's reader and of the account's saved searches through :func:`base.read_stream`, and
releases the claim. A worker that dies mid-read leaves a lease that runs out after
``CLAIM_SECONDS``, so the next poll reads the account again.

A rate limit on one stream pauses the whole account (stream ``account``) until the network's reset:
the limits of every network here count per account or per app, not per endpoint.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from channels.models import ChannelAccount

from ..models import IngestCursor
from . import base
from .bluesky import BlueskyReader
from .linkedin import LinkedInReader
from .listening import search_streams
from .mastodon import MastodonReader
from .meta import FacebookReader, InstagramReader

logger = logging.getLogger("conversations.ingest")

READERS = {
    "mastodon": MastodonReader,
    "bluesky": BlueskyReader,
    "facebook": FacebookReader,
    "instagram": InstagramReader,
    "linkedin": LinkedInReader,
}
CLAIM_STREAM = "claim"
ACCOUNT_STREAM = "account"
CLAIM_SECONDS = 15 * 60


@dataclass
class AccountRead:
    account_id: int
    claimed: bool = True
    paused: bool = False
    streams: list = field(default_factory=list)

    @property
    def stored(self):
        return sum(s.stored for s in self.streams)

    @property
    def errors(self):
        return [s for s in self.streams if s.error]


def readable_accounts():
    """Active accounts of a network we read, whose inbox is enabled (an account without one counts as enabled)."""
    return (
        ChannelAccount.objects.filter(active=True, kind__in=READERS)
        .filter(Q(inbox__enabled=True) | Q(inbox__isnull=True))
        .order_by("pk")
    )


def claim(account, now):
    """True when this process may read ``account`` now (nobody else holds a live claim)."""
    row, _created = IngestCursor.objects.get_or_create(account=account, stream=CLAIM_STREAM)
    won = (
        IngestCursor.objects.filter(pk=row.pk)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(not_before=now + datetime.timedelta(seconds=CLAIM_SECONDS), last_read_at=now)
    )
    return won == 1


def release(account):
    IngestCursor.objects.filter(account=account, stream=CLAIM_STREAM).update(not_before=None)


def read_account(account, *, now=None):
    """Read every stream of ``account`` (an instance or a pk); an :class:`AccountRead`."""
    now = now or timezone.now()
    if not isinstance(account, ChannelAccount):
        account = ChannelAccount.objects.filter(pk=account).first()
        if account is None:
            return AccountRead(account_id=0, claimed=False)
    outcome = AccountRead(account_id=account.pk)
    reader_class = READERS.get(account.kind)
    if reader_class is None:
        outcome.claimed = False
        return outcome
    if base.paused_until(account, ACCOUNT_STREAM, now):
        outcome.paused = True
        return outcome
    if not claim(account, now):
        outcome.claimed = False
        return outcome
    try:
        try:
            reader = reader_class(account, now=now)
            streams = list(reader.streams()) + list(search_streams(account, now=now))
        except Exception as error:  # noqa: BLE001 - unreadable credentials, a broken setting
            logger.warning("Account %s cannot be read (%s).", account.pk, type(error).__name__)
            base.record_error(account, ACCOUNT_STREAM, error, now)
            return outcome
        for stream, function in streams:
            result = base.read_stream(account, stream, function, now=now)
            outcome.streams.append(result)
            if result.error == "rate limited":
                until = base.paused_until(account, stream, now)
                if until:
                    base.pause(account, ACCOUNT_STREAM, until, note="RateLimited")
                break
    finally:
        release(account)
    return outcome
