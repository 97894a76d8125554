"""The conversations app's permission groups (created by ``core.groups``).

- *Conversations*: read the inbox of the accounts their groups may read, assign, note, reply and
  moderate (hide, delete, mute, report).
- *Conversation leads*: all of that, approve replies to flagged messages, keep the saved replies
  and saved searches, say which groups read which account, and set the crisis lines (*Settings → Inbox*).
- *On duty for crises*: no permissions of its own; its members get the crisis alert e-mail at once
  (members who cannot read the account get it too, with no message text, as every alert is).
"""

from core.groups import GroupSpec

CONVERSATIONS_GROUP = "Conversations"
LEADS_GROUP = "Conversation leads"
ON_DUTY_GROUP = "On duty for crises"

WORK_PERMISSIONS = (
    "conversations.view_conversation",
    "conversations.change_conversation",
    "conversations.reply_conversation",
    "conversations.moderate_conversation",
    "conversations.add_note",
    "conversations.view_savedreply",
)
LEAD_PERMISSIONS = (
    *WORK_PERMISSIONS,
    "conversations.approve_reply",
    "conversations.add_savedreply",
    "conversations.change_savedreply",
    "conversations.delete_savedreply",
    "conversations.add_savedsearch",
    "conversations.change_savedsearch",
    "conversations.delete_savedsearch",
    "conversations.view_savedsearch",
    "conversations.change_accountinbox",
    "conversations.view_accountinbox",
    # Settings → Inbox: the crisis lines sent with every crisis alert.
    "conversations.change_inboxsettings",
)

GROUPS = [
    GroupSpec(CONVERSATIONS_GROUP, permissions=WORK_PERMISSIONS),
    GroupSpec(LEADS_GROUP, permissions=LEAD_PERMISSIONS),
    GroupSpec(ON_DUTY_GROUP, permissions=(), admin_access=False),
]
