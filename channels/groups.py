"""The channels app's permission groups (created by ``core.groups``).

Channel administrators manage accounts (add, change, delete, view) and see and retry dispatches.
Editors and moderators see the dispatch log and retry (``change_dispatch``), but cannot see or change
accounts.
"""

from core.groups import GroupSpec

CHANNEL_ADMINS_GROUP = "Channel administrators"
DISPATCH_PERMISSIONS = ("vertel_channels.view_dispatch", "vertel_channels.change_dispatch")

GROUPS = [
    GroupSpec(
        CHANNEL_ADMINS_GROUP,
        permissions=(
            "vertel_channels.add_channelaccount",
            "vertel_channels.change_channelaccount",
            "vertel_channels.delete_channelaccount",
            "vertel_channels.view_channelaccount",
            *DISPATCH_PERMISSIONS,
        ),
    ),
    GroupSpec("Editors", permissions=DISPATCH_PERMISSIONS, admin_access=False, create=False),
    GroupSpec("Moderators", permissions=DISPATCH_PERMISSIONS, admin_access=False, create=False),
]
