"""The website app's permission groups (created by ``core.groups``).

Moderators (the editors who approve and publish) keep the "if this story touched you" boxes up to
date in each language; Editors may read them. Organisation settings (name, brand, statements)
stay with administrators.
"""

from core.groups import GroupSpec

GROUPS = [
    GroupSpec(
        "Moderators",
        permissions=("website.view_supportbox", "website.add_supportbox", "website.change_supportbox"),
        admin_access=False,
        create=False,
    ),
    GroupSpec("Editors", permissions=("website.view_supportbox",), admin_access=False, create=False),
]
