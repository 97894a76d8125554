"""The conversation inbox: what people say back, gathered from every channel account, worked in the admin.

It sits above newsletter and below campaigns in the layer contract: it reads channels' accounts,
adapters and dispatches (which of our posts an item answers) and consent's naming rules (what a
reply may say about a patient), and nothing below imports it.
"""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = _("Conversations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
