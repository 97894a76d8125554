"""The channel keys a consent covers and a plan or post names: the project's shared vocabulary.

``website`` and ``newsletter`` are the organisation's own channels; ``account:<pk>`` is one social
account or signed webhook (``channels.ChannelAccount``); ``social`` is the group a signer may choose
for every social account at once. Keys are stored in consents and evidence entries: never rename one.
"""

WEBSITE = "website"
NEWSLETTER = "newsletter"
SOCIAL = "social"
ACCOUNT_PREFIX = "account:"


def account_key(account_id):
    """The key of one social account: ``account:<pk>``."""
    return f"{ACCOUNT_PREFIX}{account_id}"


def is_account_key(key):
    return isinstance(key, str) and key.startswith(ACCOUNT_PREFIX)


def account_id(key):
    """The account's primary key in ``account:<pk>``, or ``None`` for any other key."""
    if not is_account_key(key):
        return None
    try:
        return int(key[len(ACCOUNT_PREFIX) :])
    except ValueError:
        return None


def in_keys(key, keys):
    """True if ``keys`` (chosen or withdrawn channels) names ``key``; ``social`` names every account."""
    keys = keys or ()
    return key in keys or (is_account_key(key) and SOCIAL in keys)
