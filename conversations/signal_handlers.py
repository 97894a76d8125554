"""The conversations app's signal receivers, connected from ``ConversationsConfig.ready()``."""

from django.db.models.signals import post_save


def on_account_saved(sender, instance, created, raw=False, **kwargs):
    """Give every new channel account its inbox settings, readable by the default groups."""
    if created and not raw:
        from .access import ensure_inbox

        ensure_inbox(instance)


def connect():
    from channels.models import ChannelAccount

    post_save.connect(on_account_saved, sender=ChannelAccount, dispatch_uid="conversations_account_inbox")
