"""The channels app's configuration: its signal receivers and consent's hooks are wired in ``ready()``."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "vertel_channels"
    verbose_name = _("Channels")

    def ready(self):
        from django.db.models.signals import pre_delete
        from wagtail.signals import page_published, page_unpublished

        from consent.signals import consent_withdrawn

        # ``consent_hooks`` registers the answers to consent's hooks (channel choices, post previews);
        # importing ``accounts`` registers its periodic job (``channels-accounts``).
        from . import accounts, consent_hooks, signal_handlers  # noqa: F401

        page_published.connect(signal_handlers.on_page_published, dispatch_uid="vertel_channels_publish")
        page_unpublished.connect(signal_handlers.on_page_unpublished, dispatch_uid="vertel_channels_unpublish")
        pre_delete.connect(signal_handlers.on_story_deleted, dispatch_uid="vertel_channels_delete")
        consent_withdrawn.connect(signal_handlers.on_consent_withdrawn, dispatch_uid="vertel_channels_withdrawn")
