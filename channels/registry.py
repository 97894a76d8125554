"""The channel registry: which channels exist, for consent forms, plans and dispatch.

Consent gets the choices through its ``vertel_consent_channel_choices`` hook (``channels.consent_hooks``).

Channel keys: ``website``, ``newsletter``, and ``account:<pk>`` for each configured social or
webhook account. A consent may also cover the ``social`` group, meaning every social account.
"""

from django.utils.translation import gettext_lazy as _

from core import channel_keys

BUILTIN_CHANNELS = [
    (channel_keys.WEBSITE, _("Our website")),
    (channel_keys.NEWSLETTER, _("Our email newsletter")),
]


def consent_channel_choices():
    """(key, label) pairs a signer can choose, in display order.

    The built-in channels first, then one entry per active social account; the ``social`` group
    stands in for them while no account is configured.
    """
    accounts = _active_account_choices()
    if accounts:
        return BUILTIN_CHANNELS + accounts
    return BUILTIN_CHANNELS + [(channel_keys.SOCIAL, _("Our social media accounts"))]


def _active_account_choices():
    # Filled in by the channel accounts (see channels.models); none exist until configured.
    try:
        from .models import ChannelAccount
    except ImportError:
        return []
    return [(account.channel_key, account.consent_label) for account in ChannelAccount.objects.filter(active=True)]
