"""Stories: the patient and organisation story page types, their index, themes and storytellers.

The models are defined by job (``stories.snippets``: themes, departments, storytellers;
``stories.pages``: the story pages; ``stories.index``: the story index) and gathered here, where
Django finds them and where the rest of the project imports them from.
"""

from consent.naming import Naming  # defined in consent; ``from stories.models import Naming`` still works

from .index import StoryIndexPage
from .pages import (
    CARD_IMAGE_SPEC,
    CARD_RENDITIONS,
    HERO_IMAGE_SPEC,
    HERO_RENDITIONS,
    MODEL_BY_STORY_TYPE,
    SOCIAL_IMAGE_SPEC,
    STORIES_PER_PAGE,
    STORY_TYPE_BY_MODEL,
    STORY_TYPE_CHOICES,
    OrganisationStoryPage,
    PatientStoryPage,
    RelatedStory,
    StoryEditorForm,
    StoryPage,
    StoryPageManager,
    StoryPageQuerySet,
    StoryTag,
)
from .snippets import Department, Person, Theme, display_name

__all__ = [
    "CARD_IMAGE_SPEC",
    "CARD_RENDITIONS",
    "HERO_IMAGE_SPEC",
    "HERO_RENDITIONS",
    "MODEL_BY_STORY_TYPE",
    "SOCIAL_IMAGE_SPEC",
    "STORIES_PER_PAGE",
    "STORY_TYPE_BY_MODEL",
    "STORY_TYPE_CHOICES",
    "Department",
    "Naming",
    "OrganisationStoryPage",
    "PatientStoryPage",
    "Person",
    "RelatedStory",
    "StoryEditorForm",
    "StoryIndexPage",
    "StoryPage",
    "StoryPageManager",
    "StoryPageQuerySet",
    "StoryTag",
    "Theme",
    "display_name",
]
