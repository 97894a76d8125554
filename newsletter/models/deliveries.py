"""Deliveries: the record of one issue sent (or to be sent) to one subscriber."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryQuerySet(models.QuerySet):
    def due(self, now=None):
        """Pending rows that may be sent now (not waiting for a retry after a temporary error)."""
        now = now or timezone.now()
        return self.filter(status=Delivery.Status.PENDING).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )


class Delivery(models.Model):
    """The record of one issue sent (or to be sent) to one subscriber.

    ``pending`` → ``claimed`` (a worker took it in a batch) → ``sending`` (recorded right before
    the message data went to the SMTP server) → ``sent`` once the server accepted it, ``failed``
    on a permanent refusal (5xx), or back to ``pending`` with a later ``next_attempt_at`` on a
    temporary one (4xx). A ``sending`` row left behind by a dead worker becomes ``unknown``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        CLAIMED = "claimed", _("Claimed by a worker")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Unknown: handed to the mail server, no answer recorded")

    IN_PROGRESS = (Status.PENDING, Status.CLAIMED, Status.SENDING)

    issue = models.ForeignKey("newsletter.NewsletterIssue", on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey("newsletter.Subscriber", on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # The worker that claimed the row; its records are accepted only while the row is still its own.
    runner = models.CharField(max_length=40, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Temporary refusals so far, and when the next try may happen.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["issue", "subscriber"], name="newsletter_delivery_once"),
        ]
        indexes = [
            models.Index(fields=["issue", "status"], name="newsletter_delivery_status"),
            # The progress page's rate of the last minute.
            models.Index(fields=["issue", "sent_at"], name="newsletter_delivery_sent_at"),
        ]

    def __str__(self):
        return f"{self.issue_id}/{self.subscriber_id}: {self.status}"
