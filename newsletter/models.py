"""Newsletter: subscribers with double opt-in, issues built from approved stories, and deliveries.

A subscriber is sent nothing but a confirmation email until they confirm. Each recipient of an
issue has one ``Delivery`` row (unique per issue and subscriber) whose status says how far that
message got, so sending can be killed and resumed without sending anyone the issue twice, and a
message whose fate is unknown is shown to an editor instead of being skipped or repeated
silently (see ``newsletter.sending``).
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable

from .admin_forms import IssueAdminForm

TOKEN_BYTES = 32


def hash_token(token):
    """Only the SHA-256 of a token is stored; the link in the email is the only copy."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token():
    return secrets.token_urlsafe(TOKEN_BYTES)


def _link_key(secret):
    # A key of its own, derived from the secret, so these links cannot be confused with other signatures.
    return hashlib.sha256(f"vertel.newsletter.link:{secret}".encode()).digest()


def link_keys():
    """The current link key first, then those of ``SECRET_KEY_FALLBACKS`` (Django's key rotation)."""
    return [_link_key(secret) for secret in (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))]


def derive_link_token(subscriber_id, salt, key=None):
    """The subscriber's personal-link token: HMAC of their id and a random per-subscriber salt.

    It can be produced again at send time from the server's key, so the raw token never has to be
    stored; the database holds only its SHA-256 (``Subscriber.link_token_hash``). A new salt
    invalidates every earlier link of that subscriber.
    """
    mac = hmac.new(key or _link_key(settings.SECRET_KEY), f"{subscriber_id}:{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def link_token_for(subscriber_id, salt, stored_hash, keys=None):
    """The token whose digest is stored for this subscriber, and whether the stored digest must be renewed.

    A link keeps working however the keys change, because checking a link needs only the stored
    digest. Producing the same token again for the next email needs the key it was made with:
    the current ``SECRET_KEY`` or one of ``SECRET_KEY_FALLBACKS``. When none of them reproduces
    it (the old key was dropped), the returned token is made with the current key and
    ``renew`` is True: the caller stores its digest with ``Subscriber.renew_link_hash``, which
    keeps the old digest valid as the previous one, so links in emails already sent still work.
    """
    keys = keys or link_keys()
    for key in keys:
        token = derive_link_token(subscriber_id, salt, key)
        if stored_hash is None or hash_token(token) == stored_hash:
            return token, False
    return derive_link_token(subscriber_id, salt, keys[0]), True


# Every character ``str.splitlines`` breaks on; CR and LF are the ones SMTP headers break on.
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def validate_single_line(value):
    """A value that becomes a mail header (the subject) must not contain a line break."""
    if any(char in value for char in LINE_BREAKS):
        raise ValidationError(_("Use a single line, without line breaks."), code="line_break")


class Language(models.TextChoices):
    NL = "nl", "Nederlands"
    EN = "en", "English"


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Subscriber.Status.CONFIRMED)

    def deliverable(self):
        return self.confirmed().filter(undeliverable_at__isnull=True)

    def recipients_of(self, issue):
        """Confirmed, deliverable subscribers in the issue's language (and with one of its themes)."""
        recipients = self.deliverable().filter(language=issue.language)
        keys = issue.theme_keys()
        if keys:
            recipients = recipients.filter(themes__translation_key__in=keys).distinct()
        return recipients


class Subscriber(models.Model):
    """One email address, its preferences and the proof of its opt-in."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Subscribed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    class Source(models.TextChoices):
        HOME = "home", _("Form on the home page")
        STORY = "story", _("Form on a story page")
        PAGE = "page", _("Newsletter page")
        IMPORT = "import", _("Imported with documented opt-in")
        ADMIN = "admin", _("Added in the admin")

    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.NL)
    # Themes of interest; stored as whichever locale's theme was chosen, matched by translation key.
    themes = models.ManyToManyField("stories.Theme", verbose_name=_("themes"), blank=True, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    # Proof of opt-in: when, from where, and how it was confirmed.
    source = models.CharField(_("source of opt-in"), max_length=20, choices=Source.choices)
    source_detail = models.CharField(_("opt-in detail"), max_length=500, blank=True)
    opted_in_at = models.DateTimeField(_("opted in at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_via = models.CharField(_("confirmed via"), max_length=200, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # Set by a bounce, complaint or rejection: nothing is sent to the address any more.
    undeliverable_at = models.DateTimeField(_("undeliverable since"), null=True, blank=True)
    undeliverable_reason = models.CharField(_("undeliverable because"), max_length=200, blank=True)
    # Double opt-in token (random, hashed) and its expiry.
    confirm_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    confirm_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Personal-link token: derived by HMAC from id and salt, stored only as its digest.
    link_salt = models.CharField(max_length=32, default="", editable=False)
    link_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    # The digest of the token made with a key that is gone (see ``link_token_for``): still accepted.
    previous_link_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["language", "status"], name="newsletter_sub_lang_status")]
        permissions = [
            ("manage_newsletter", "Can manage the newsletter: subscribers, issues and sending"),
            ("export_subscribers", "Can export the subscriber list (addresses and proof of opt-in)"),
        ]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)
        if not self.link_token_hash:
            self.rotate_link_token()

    def rotate_link_token(self):
        """A new personal-link token; every older unsubscribe or preferences link stops working."""
        self.link_salt = secrets.token_hex(16)
        self.link_token_hash = hash_token(derive_link_token(self.pk, self.link_salt))
        self.previous_link_token_hash = None
        type(self).objects.filter(pk=self.pk).update(
            link_salt=self.link_salt, link_token_hash=self.link_token_hash, previous_link_token_hash=None
        )

    @classmethod
    def renew_link_hash(cls, subscriber_id, old_hash, token):
        """Store the digest of ``token`` (made with the current key); the old digest stays valid as the previous."""
        new_hash = hash_token(token)
        # Conditional on the old digest, so a concurrent rotation of the salt is never undone.
        cls.objects.filter(pk=subscriber_id, link_token_hash=old_hash).update(
            link_token_hash=new_hash, previous_link_token_hash=old_hash
        )
        return new_hash

    @property
    def link_token(self):
        """The token of this subscriber's personal links, as the next email carries it."""
        token, renew = link_token_for(self.pk, self.link_salt, self.link_token_hash)
        if renew:
            self.previous_link_token_hash = self.link_token_hash
            self.link_token_hash = self.renew_link_hash(self.pk, self.link_token_hash, token)
        return token

    @classmethod
    def link_token_matches(cls, token_hash):
        return Q(link_token_hash=token_hash) | Q(previous_link_token_hash=token_hash)

    def new_confirm_token(self, days=7):
        token = new_token()
        self.confirm_token_hash = hash_token(token)
        self.confirm_expires_at = timezone.now() + timezone.timedelta(days=days)
        return token

    @property
    def is_deliverable(self):
        return self.status == self.Status.CONFIRMED and self.undeliverable_at is None


class NewsletterIssue(ClusterableModel):
    """One issue in one language: a title, an intro and an ordered list of stories.

    Patient stories may be included only while their consent covers the newsletter (checked by the
    admin form and again just before sending). After sending, the issue appears in the public
    archive; a story whose consent is withdrawn is replaced there by a short note.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")

    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=Language.NL)
    title = models.CharField(
        _("title"), max_length=200, help_text=_("Also the subject of the email."), validators=[validate_single_line]
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link", "ol", "ul"])
    themes = ParentalManyToManyField(
        "stories.Theme",
        verbose_name=_("only for subscribers interested in"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty to send to every subscriber in this language."),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    send_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    # Liveness of the sending worker: a stale heartbeat lets another worker take over.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    runner = models.CharField(max_length=40, blank=True, editable=False)
    recipients_listed = models.BooleanField(default=False, editable=False)
    # Raised whenever what the issue may carry changes (a withdrawal, an unpublished story): a
    # sending worker compares it before every message and renders the issue again.
    content_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    base_form_class = IssueAdminForm

    panels = [
        FieldPanel("language"),
        FieldPanel("title"),
        FieldPanel("intro"),
        FieldPanel("themes"),
        MultiFieldPanel(
            [InlinePanel("items", label=_("Story"))],
            heading=_("Stories"),
            help_text=_("Patient stories can be included only while their consent covers the newsletter."),
        ),
    ]

    class Meta:
        verbose_name = _("newsletter issue")
        verbose_name_plural = _("newsletter issues")
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    @property
    def is_editable(self):
        return self.status in (self.Status.DRAFT, self.Status.SCHEDULED)

    def theme_keys(self):
        return sorted({str(key) for key in self.themes.values_list("translation_key", flat=True)})

    def included_items(self):
        return [item for item in self.items.all() if item.story_id and item.withdrawn_at is None]

    def progress(self, now=None):
        """What the issue's deliveries have come to, and the sending rate of the last minute.

        ``unknown`` counts messages whose worker died after handing them to the SMTP server and
        before recording the answer: they may or may not have arrived, so they are neither sent
        again nor counted as sent until an editor decides (see ``newsletter.sending``).
        """
        now = now or timezone.now()
        counts = dict(self.deliveries.values_list("status").annotate(n=models.Count("pk")).order_by())
        sent = counts.get(Delivery.Status.SENT, 0)
        failed = counts.get(Delivery.Status.FAILED, 0)
        unknown = counts.get(Delivery.Status.UNKNOWN, 0)
        remaining = sum(counts.get(status, 0) for status in Delivery.IN_PROGRESS)
        retrying = (
            self.deliveries.filter(status=Delivery.Status.PENDING, attempts__gt=0).count()
            if counts.get(Delivery.Status.PENDING)
            else 0
        )
        return {
            "sent": sent,
            "failed": failed,
            "unknown": unknown,
            "remaining": remaining,
            "retrying": retrying,
            "total": sent + failed + unknown + remaining,
            "rate": self.recent_rate(now) if self.status == self.Status.SENDING else None,
        }

    def recent_rate(self, now=None, window=60):
        """Messages per second over the last ``window`` seconds (or since sending started, if later)."""
        now = now or timezone.now()
        if not self.send_started_at:
            return None
        since = max(now - timezone.timedelta(seconds=window), self.send_started_at)
        seconds = (now - since).total_seconds()
        if seconds <= 0:
            return None
        recent = self.deliveries.filter(status=Delivery.Status.SENT, sent_at__gte=since).count()
        return round(recent / seconds, 1)


class IssueItem(Orderable):
    """A story in an issue, in the order the editor chose."""

    issue = ParentalKey(NewsletterIssue, related_name="items", on_delete=models.CASCADE)
    story = models.ForeignKey(
        "stories.StoryPage", verbose_name=_("story"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept for the archive after a withdrawal or deletion.
    story_title = models.CharField(max_length=255, blank=True, editable=False)
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)

    panels = [FieldPanel("story")]

    def save(self, *args, **kwargs):
        if self.story_id and not self.story_title:
            self.story_title = self.story.title
        super().save(*args, **kwargs)


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

    issue = models.ForeignKey(NewsletterIssue, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
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


class SubscriberImport(models.Model):
    """One CSV import of subscribers, run in the background by ``newsletter.imports.run_import``.

    The uploaded CSV (e-mail addresses) is kept in this row, never in public media, only until the
    import ends; then ``content`` is emptied. The counters are committed with each batch of
    subscribers, so a worker that dies mid-way is resumed where it stopped, without duplicates.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Nothing imported: the file has bad lines")
        FAILED = "failed", _("Stopped by an error")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    # The CSV's text while the import runs; emptied when it ends.
    content = models.TextField(blank=True, editable=False)
    declared_source = models.CharField(max_length=300, blank=True, editable=False)
    declared_date = models.DateField(null=True, blank=True, editable=False)
    # As it appears in each subscriber's proof of opt-in ("import by user:7 on ...").
    actor = models.CharField(max_length=40, editable=False)
    # The uploader's admin language: the row errors are written in it.
    language = models.CharField(max_length=16, blank=True, editable=False)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("imported"), default=0)
    skipped = models.PositiveIntegerField(_("already present"), default=0)
    # The file's bad lines: [{"line": 3, "message": "Line 3: ..."}]; any bad line means nothing is imported.
    errors = models.JSONField(default=list, blank=True, editable=False)
    failure = models.CharField(max_length=300, blank=True, editable=False)
    # Liveness of the worker running it: a stale heartbeat lets another worker resume it.
    runner = models.CharField(max_length=40, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("subscriber import")
        verbose_name_plural = _("subscriber imports")
        ordering = ["-created_at"]
        # The import views check the subscriber permissions (``add_subscriber``).
        default_permissions = ()

    def __str__(self):
        return f"{self.filename} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.REJECTED)

    def progress(self):
        return {
            "status": self.status,
            "status_label": self.get_status_display(),
            "total": self.total_rows,
            "processed": self.processed,
            "created": self.created,
            "skipped": self.skipped,
            "bad_lines": len(self.errors),
            "finished": self.is_finished,
        }
