"""Reach without tracking: story reads that arrive from each channel, counted per day.

A read is counted when the story page's script finds ``utm_source`` in the address and sends a
beacon to ``/reach/`` (see ``reach_views.reach_beacon``); the public pages themselves may come
from a cache and never run a view. Nothing about the reader is stored: not the address, not the
browser, no cookie; only the story, the source and the day, as a counter.

A source is one account (``mastodon-3``, see ``channels.links.source_for_account``), so two
Mastodon accounts are counted and reported apart, under their names; a network alone
(``mastodon``) is what links made before that carry.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from . import adapters
from .models import ReachCount

# Sources that are not social networks but still tag their links.
EXTRA_SOURCES = ("newsletter", "webhook")
PERIODS = (7, 30, 90)


def known_sources():
    """Every ``utm_source`` worth counting: each account, the networks (older links), the newsletter."""
    from .links import source_for_account
    from .models import ChannelAccount

    accounts = {source_for_account(account) for account in ChannelAccount.objects.only("pk", "kind")}
    return accounts | set(adapters.adapter_classes()) | set(EXTRA_SOURCES)


def record_read(page_id, source, day=None):
    """Add one read of ``page_id`` from ``source`` on ``day`` (today in the organisation's zone).

    Safe under concurrency: an atomic ``count = count + 1`` for an existing row; a new row is
    inserted in a savepoint, and if another request inserted it first, the unique constraint
    refuses ours and we increment theirs.
    """
    day = day or timezone.localdate()
    rows = ReachCount.objects.filter(page_id=page_id, source=source, day=day)
    if rows.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            ReachCount.objects.create(page_id=page_id, source=source, day=day, count=1)
    except IntegrityError:
        rows.update(count=F("count") + 1)


def period_start(days, today=None):
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=days - 1)


def reach_for_story(page_id, days=30):
    """``[(source, reads)]`` for one story over the last ``days`` days, most reads first."""
    rows = (
        ReachCount.objects.filter(page_id=page_id, day__gte=period_start(days))
        .values("source")
        .annotate(reads=Sum("count"))
        .order_by("-reads", "source")
    )
    return [(row["source"], row["reads"]) for row in rows]


def reach_rows(days=30):
    """Reads per story and source over the last ``days`` days (a queryset of dicts)."""
    return (
        ReachCount.objects.filter(day__gte=period_start(days))
        .values("page_id", "page__title", "source")
        .annotate(reads=Sum("count"))
        .order_by("-reads", "page__title", "source")
    )


def totals_per_source(days=30):
    """``[(source, reads)]`` over all stories in the period, most reads first."""
    rows = (
        ReachCount.objects.filter(day__gte=period_start(days))
        .values("source")
        .annotate(reads=Sum("count"))
        .order_by("-reads", "source")
    )
    return [(row["source"], row["reads"]) for row in rows]


def source_label(source):
    """A readable name for a source: the account's name, else the network's (older links)."""
    from .models import ChannelAccount

    kind, _dash, pk = source.rpartition("-")
    cls = adapters.adapter_classes().get(kind if pk.isdigit() else source)
    if pk.isdigit() and cls is not None:
        account = ChannelAccount.objects.filter(pk=int(pk), kind=kind).only("name").first()
        if account is not None:
            return account.name
        return _("%(network)s (account %(id)s, deleted)") % {"network": cls.label, "id": pk}
    if cls is not None:
        return str(cls.label)
    return source.capitalize()
