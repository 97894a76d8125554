"""Crisis alerts: the people on duty hear of a crisis message at once.

PLACEHOLDER until the inbox lands: ``alert_new_crises(message_ids)`` is called after the commit
that stored new incoming messages.
"""


def alert_new_crises(message_ids):
    """Alert the people on duty about the crisis messages among ``message_ids``."""
