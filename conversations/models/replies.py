"""Our answers: replies sent from the inbox, and the saved replies staff start from.

A :class:`Reply` is sent at most once, with the rules of dispatch: its idempotency key is stored
before the first network call, a worker claims it by moving it from APPROVED to SENDING under a row
lock, and an attempt whose outcome is unknown is reconciled before it is sent again. A reply to a
flagged message waits for approval by a second person (``conversations.approve_reply``).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import TranslatableMixin


def new_reply_key():
    return secrets.token_hex(16)


class Reply(models.Model):
    class State(models.TextChoices):
        AWAITING_APPROVAL = "awaiting_approval", _("Waiting for approval")
        APPROVED = "approved", _("To be sent")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        REJECTED = "rejected", _("Not approved")
        CANCELLED = "cancelled", _("Cancelled")

    conversation = models.ForeignKey("conversations.Conversation", on_delete=models.CASCADE, related_name="replies")
    in_reply_to = models.ForeignKey(
        "conversations.Message", verbose_name=_("in reply to"), on_delete=models.CASCADE, related_name="replies"
    )
    text = models.TextField(_("reply"))
    saved_reply = models.ForeignKey(
        "conversations.SavedReply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices, db_index=True)
    # Public (under the comment, as the network shows replies) or private (a direct message).
    visibility = models.CharField(
        _("visibility"), max_length=10, choices=[("public", _("Public")), ("direct", _("Private"))], default="public"
    )
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_reply_key, editable=False)
    # The guard's warnings on our own text, in words, as shown to the sender.
    warnings = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("written by")
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sending_started_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    remote_id = models.CharField(max_length=500, blank=True)
    remote_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("reply")
        verbose_name_plural = _("replies")

    def __str__(self):
        return f"Reply #{self.pk} ({self.state})"


class SavedReply(TranslatableMixin, models.Model):
    """A reply staff can start from, per language (a translatable snippet).

    ``neutral`` marks the replies safe under a medical question or health details: they say
    nothing about the person or their care and move the conversation to a private channel.
    """

    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"))
    neutral = models.BooleanField(
        _("safe for health questions"),
        default=False,
        help_text=_(
            "Tick only for a reply that repeats no health details, confirms no care relationship and moves "
            "the conversation to a private channel. Only these are offered under flagged messages."
        ),
    )

    class Meta(TranslatableMixin.Meta):
        ordering = ["title"]
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")

    def __str__(self):
        return self.title
