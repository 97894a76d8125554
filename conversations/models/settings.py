"""What the organisation sets for its inbox: the crisis lines shown with every crisis alert."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

DEFAULT_CRISIS_LINES_NL = (
    "Levensgevaar of een noodsituatie nu: bel 112.\n"
    "Denk je aan zelfdoding? Bel 24/7 gratis en anoniem 113 of 0800-0113, of chat op 113.nl.\n"
    "Dringend, maar niet levensbedreigend, buiten kantoortijd: bel de huisartsenpost."
)
DEFAULT_CRISIS_LINES_EN = (
    "Danger to life or an emergency now: call 112.\n"
    "Thinking about suicide? Call 113 or 0800-0113, free and anonymous, 24/7, or chat at 113.nl.\n"
    "Urgent but not life-threatening, outside office hours: call the GP out-of-hours service (huisartsenpost)."
)


@register_setting(icon="warning")
class InboxSettings(BaseGenericSetting):
    crisis_lines_nl = models.TextField(
        _("crisis lines (Dutch)"),
        default=DEFAULT_CRISIS_LINES_NL,
        help_text=_("Sent with every crisis alert and shown beside a crisis in the inbox."),
    )
    crisis_lines_en = models.TextField(_("crisis lines (English)"), default=DEFAULT_CRISIS_LINES_EN)

    panels = [FieldPanel("crisis_lines_nl"), FieldPanel("crisis_lines_en")]

    class Meta:
        verbose_name = _("inbox")

    def crisis_lines(self, language):
        return self.crisis_lines_en if (language or "").startswith("en") else self.crisis_lines_nl
