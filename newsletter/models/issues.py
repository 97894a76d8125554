"""Issues: one per language, a title, an intro and the ordered stories; and their sending progress."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable

from ..admin_forms import IssueAdminForm
from ..validators import validate_single_line
from .deliveries import Delivery
from .subscribers import Language


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
