"""The story snippets in Wagtail's admin: themes, departments and storytellers, with their choosers.

Themes and departments choose within the story's locale (``stories.choosers.LocaleChooserViewSet``);
the storyteller chooser searches the database and creates a storyteller in place. The admin
lists search with the database too: a storyteller's details are never copied into a search index.
"""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .choosers import PERSON_SEARCH_FIELDS, LocaleChooserViewSet, PersonChooserViewSet
from .snippets import Department, Person, Theme


class ThemeViewSet(SnippetViewSet):
    model = Theme
    icon = "tag"
    chooser_viewset_class = LocaleChooserViewSet
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    search_backend_name = None


class DepartmentViewSet(SnippetViewSet):
    model = Department
    icon = "home"
    chooser_viewset_class = LocaleChooserViewSet
    list_display = ["name", "location"]
    search_fields = ["name", "location"]
    search_backend_name = None


class PersonViewSet(SnippetViewSet):
    model = Person
    icon = "user"
    chooser_viewset_class = PersonChooserViewSet
    list_display = ["full_name", "pseudonym"]
    search_fields = list(PERSON_SEARCH_FIELDS)
    search_backend_name = None


register_snippet(ThemeViewSet)
register_snippet(DepartmentViewSet)
register_snippet(PersonViewSet)
