"""The newsletter's permission group (created by ``core.groups``).

Newsletter editors have every newsletter permission except deleting and exporting every address:
the export is granted one by one, to those who need it (data minimisation).
"""

from core.groups import GroupSpec

NEWSLETTER_EDITORS_GROUP = "Newsletter editors"

GROUPS = [
    GroupSpec(NEWSLETTER_EDITORS_GROUP, permissions=("newsletter.*",), exclude=("delete_", "export_subscribers")),
]
