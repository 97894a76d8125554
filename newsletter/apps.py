"""The newsletter app: its signal handlers are connected here (its group is declared in ``groups.py``)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
