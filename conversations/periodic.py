"""The conversations app's periodic jobs (found by ``core.schedule.periodic_jobs``).

- ``conversations-poll`` (``tasks``): queue a reading task for every account that is due;
- ``conversations-replies`` (``replies.tasks``): send replies whose task got lost, reconcile stuck ones;
- ``conversations-retention``: delete conversations past the retention period (``privacy``).
"""

from core.schedule import periodic

from .privacy import expire
from .replies.tasks import sweep_replies
from .tasks import poll_inboxes


@periodic("conversations-retention")
def expire_conversations(now=None):
    """Delete what is past the retention period; the number of conversations deleted."""
    return expire(now=now)


__all__ = ["expire_conversations", "poll_inboxes", "sweep_replies"]
