"""The stories app's permission groups (created by ``core.groups``).

Wagtail's Editors and Moderators write stories: they choose themes and departments, and choose or
add the storyteller in the story editor's chooser. Changing a theme or department, and deleting a
storyteller (erasure is the consent officers' job), stays with administrators.
"""

from core.groups import GroupSpec

STORY_SNIPPET_PERMISSIONS = (
    "stories.view_theme",
    "stories.view_department",
    "stories.view_person",
    "stories.add_person",
    "stories.change_person",
)

GROUPS = [
    GroupSpec("Editors", permissions=STORY_SNIPPET_PERMISSIONS, admin_access=False, create=False),
    GroupSpec("Moderators", permissions=STORY_SNIPPET_PERMISSIONS, admin_access=False, create=False),
]
