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

        # ``consent_hooks`` registers the answers to consent's hooks (channel choices, post previews).
        # Importing ``accounts`` registers its periodic job (``channels-accounts``).
        from . import (  # noqa: F401
            accounts,  # noqa: F401
            consent_hooks,
            handlers,
        )

        page_published.connect(handlers.on_page_published, dispatch_uid="vertel_channels_publish")
        page_unpublished.connect(handlers.on_page_unpublished, dispatch_uid="vertel_channels_unpublish")
        pre_delete.connect(handlers.on_story_deleted, dispatch_uid="vertel_channels_delete")
        consent_withdrawn.connect(handlers.on_consent_withdrawn, dispatch_uid="vertel_channels_withdrawn")
