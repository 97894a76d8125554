"""The conversations app's periodic jobs (found by ``core.schedule.periodic_jobs``): see ``tasks``."""

from .tasks import poll_inboxes

__all__ = ["poll_inboxes"]
