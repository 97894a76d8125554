"""The conversations app's models, one module per job."""

from .replies import Reply, SavedReply
from .searches import SavedSearch
from .settings import InboxSettings
from .threads import (
    UNSAFE_LABELS,
    AccountInbox,
    ActivityEntry,
    Conversation,
    IngestCursor,
    Label,
    Message,
    Network,
    Note,
)

__all__ = [
    "UNSAFE_LABELS",
    "AccountInbox",
    "ActivityEntry",
    "Conversation",
    "InboxSettings",
    "IngestCursor",
    "Label",
    "Message",
    "Network",
    "Note",
    "Reply",
    "SavedReply",
    "SavedSearch",
]
