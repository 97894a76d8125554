"""Subscriber imports: one uploaded CSV, imported in the background (``newsletter.imports``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
