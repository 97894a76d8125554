"""The channels' periodic job, run every minute by ``manage.py run_schedule``."""

import logging

from core.schedule import periodic

from .retraction import sweep_missed_removals
from .sweeps import sweep, sweep_retractions

logger = logging.getLogger(__name__)


@periodic("channels-dispatch")
def dispatch_sweep(now=None):
    """Re-enqueue lost or due dispatches, reconcile stale ones, mark missed posts, retry removals,
    and queue removals that were never queued (a receiver that failed after a withdrawal)."""
    counts = sweep(now)
    counts["missed_removals"] = sweep_missed_removals(now)
    counts["retractions"] = sweep_retractions(now)
    if any(counts.values()):
        logger.info("Channels sweep: %s", counts)
    return counts
