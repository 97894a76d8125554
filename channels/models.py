"""Channel accounts, syndication plans, dispatches and reach.

A *channel* is the website, the newsletter, or one configured :class:`ChannelAccount` (a
Mastodon account, a Bluesky account, a LinkedIn page, a Facebook page, an Instagram business
account or a signed webhook). Its key in consents and plans is ``account:<pk>``.

A :class:`Dispatch` is one story's post on one account for one content version: the unique
constraint on (page, account, content_hash) is the first half of "at most once"; the idempotency
key stored before any network call, and row locking, are the second.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.models import Orderable

from core import channel_keys

from . import crypto
from .adapters import get_adapter_class, kind_choices


class ChannelAccount(models.Model):
    class Status(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked yet")
        OK = "ok", _("Connected")
        EXPIRING = "expiring", _("Token expires soon")
        EXPIRED = "expired", _("Token expired: reconnect")
        ERROR = "error", _("Refused: reconnect")

    name = models.CharField(
        _("name"),
        max_length=100,
        help_text=_("Shown to signers on the consent page, e.g. 'Mastodon (@ourhospital@zorg.social)'."),
    )
    kind = models.CharField(_("network"), max_length=30, choices=kind_choices)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive accounts are not offered to signers and get no posts.")
    )
    # Non-secret settings of the adapter (instance address, handle, organisation or page id).
    config = models.JSONField(_("settings"), default=dict, blank=True)
    # Secrets (tokens, app passwords, webhook secrets), encrypted with VERTEL_CREDENTIALS_KEY.
    credentials_encrypted = models.TextField(editable=False, blank=True, default="")
    token_expires_at = models.DateTimeField(_("token expires"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UNCHECKED)
    status_message = models.CharField(_("status message"), max_length=500, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    display_name = models.CharField(_("name on the network"), max_length=200, blank=True)
    profile_url = models.URLField(_("profile address"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel account")
        verbose_name_plural = _("channel accounts")

    def __str__(self):
        return self.name

    @property
    def channel_key(self):
        return channel_keys.account_key(self.pk)

    @property
    def consent_label(self):
        return self.name

    def get_credentials(self):
        return crypto.decrypt(self.credentials_encrypted)

    def set_credentials(self, data):
        self.credentials_encrypted = crypto.encrypt(data)

    def adapter_class(self):
        return get_adapter_class(self.kind)

    def adapter(self):
        return self.adapter_class()(self)


class PostPlan(Orderable):
    """A story's planned post on one account, edited in the story's syndication panel.

    A ParentalKey, so the plan is part of the page's revisions: what goes out is the plan of the
    published revision.
    """

    page = ParentalKey("stories.StoryPage", on_delete=models.CASCADE, related_name="post_plans")
    account = models.ForeignKey(
        ChannelAccount, verbose_name=_("channel"), on_delete=models.CASCADE, related_name="plans"
    )
    enabled = models.BooleanField(_("post it"), default=True)
    text = models.TextField(_("text"), blank=True, help_text=_("Leave empty to use the story's summary."))
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    image_alt = models.CharField(_("image alt text"), max_length=1000, blank=True)
    publish_at = models.DateTimeField(
        _("post at"), null=True, blank=True, help_text=_("Leave empty to post when the story is published.")
    )
    utm_campaign = models.CharField(_("campaign name"), max_length=100, blank=True)

    class Meta(Orderable.Meta):
        verbose_name = _("planned post")
        verbose_name_plural = _("planned posts")
        constraints = [models.UniqueConstraint(fields=["page", "account"], name="channels_one_plan_per_account")]

    @property
    def channel_key(self):
        return channel_keys.account_key(self.account_id)


def new_idempotency_key():
    return secrets.token_hex(16)


class Dispatch(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        BLOCKED = "blocked", _("Blocked: no consent")
        MISSED = "missed", _("Missed")
        CANCELLED = "cancelled", _("Cancelled")

    class Retraction(models.TextChoices):
        NONE = "", _("—")
        PENDING = "pending", _("To be removed")
        RETRACTING = "retracting", _("Removing")
        RETRACTED = "retracted", _("Removed")
        MANUAL = "manual", _("Needs manual removal")
        FAILED = "failed", _("Removal failed: retrying")

    page = models.ForeignKey(
        "wagtailcore.Page", verbose_name=_("story"), null=True, on_delete=models.SET_NULL, related_name="dispatches"
    )
    # Kept when the page is deleted, so the log still says what was posted.
    page_title = models.CharField(_("story title"), max_length=255, blank=True)
    # The patient story's id (None for organisation stories), kept after the page is deleted so a
    # retraction is still recorded in that story's consent evidence.
    patient_story_id = models.BigIntegerField(null=True, blank=True, editable=False)
    account = models.ForeignKey(
        ChannelAccount, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="dispatches"
    )
    plan = models.ForeignKey(PostPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="dispatches")
    content_hash = models.CharField(_("content version"), max_length=64)
    revision_id = models.PositiveBigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, default=new_idempotency_key, editable=False)

    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PLANNED, db_index=True)
    scheduled_for = models.DateTimeField(_("post at"), default=timezone.now, db_index=True)
    text = models.TextField(_("text"), blank=True)
    link = models.URLField(_("link"), max_length=1000, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    image_alt = models.CharField(max_length=1000, blank=True)

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True, db_index=True)
    last_error = models.TextField(_("last error"), blank=True)
    # When a publish call went out: set before the call, so a crash leaves a trace to reconcile.
    sending_started_at = models.DateTimeField(null=True, blank=True)
    # When the first publish call of this post (and so its idempotency key) may have gone out. Never
    # overwritten: a network's idempotency window (Mastodon keeps a key one hour) is measured from it.
    first_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    remote_id = models.CharField(_("id on the network"), max_length=500, blank=True)
    remote_url = models.URLField(_("post address"), max_length=1000, blank=True)
    # Where the post lives, as the adapter addresses it (instance, page, DID, organisation), recorded
    # when it was sent: removal goes there even if the account's settings changed since.
    network_identity = models.JSONField(default=dict, blank=True, editable=False)

    retraction = models.CharField(
        _("removal"), max_length=20, choices=Retraction.choices, default=Retraction.NONE, blank=True, db_index=True
    )
    retraction_reason = models.CharField(max_length=30, blank=True)
    retract_attempts = models.PositiveSmallIntegerField(default=0)
    retract_next_attempt_at = models.DateTimeField(null=True, blank=True)
    retract_error = models.TextField(blank=True)
    retracted_at = models.DateTimeField(_("removed"), null=True, blank=True)
    manual_removal_url = models.URLField(max_length=1000, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        constraints = [
            models.UniqueConstraint(
                fields=["page", "account", "content_hash"], name="channels_once_per_story_channel_version"
            )
        ]

    def __str__(self):
        return f"{self.page_title} → {self.account}"

    @property
    def channel_key(self):
        return channel_keys.account_key(self.account_id)


class ChannelRemoval(models.Model):
    """An editor's "remove everywhere" for one story on one channel, honoured by later publishing.

    While it stands, publishing the story (even changed content) posts nothing on that channel.
    It stands until the editor plans the channel again: ``plan_fingerprint`` is the plan as it was
    when the story was removed, and a plan that differs (edited, switched off and on, removed and
    added) lifts it.
    """

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(ChannelAccount, on_delete=models.CASCADE, related_name="removals")
    plan_fingerprint = models.CharField(max_length=64, blank=True)
    removed_at = models.DateTimeField(default=timezone.now)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("removal from a channel")
        verbose_name_plural = _("removals from channels")
        constraints = [models.UniqueConstraint(fields=["page", "account"], name="channels_one_removal_per_channel")]

    def __str__(self):
        return f"{self.page_id} ✕ {self.account}"


class DispatchEvent(models.Model):
    """One line of the dispatch log: an attempt, its outcome, and what the network said."""

    dispatch = models.ForeignKey(Dispatch, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=20)  # publish, retract, reconcile, block, retry, cancel
    outcome = models.CharField(max_length=20)  # sent, failed, retry, blocked, retracted, manual, ...
    message = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.action}: {self.outcome}"


class ReachCount(models.Model):
    """Story reads arriving from a channel (by ``utm_source``: one account, or a network for links
    made before sources named accounts), per day. No personal data."""

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=50)
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "source", "day"], name="channels_reach_per_day")]

    def __str__(self):
        return f"{self.source} {self.day}: {self.count}"
