"""The consent workflow task and the finish action that publishes only consented content."""

from django.utils.translation import gettext_lazy as _
from wagtail.models import Task


class ConsentTask(Task):
    """Completes when a valid signature covers the revision in moderation; nobody approves it by hand."""

    class Meta:
        verbose_name = _("patient consent")
        verbose_name_plural = _("patient consent tasks")
