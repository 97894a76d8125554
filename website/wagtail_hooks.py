"""The website's snippets in Wagtail's admin: the support box under every story, one per language."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import SupportBox


class SupportBoxViewSet(SnippetViewSet):
    """Snippets › Support boxes: one box per language, translated with Wagtail's "Translate" action."""

    model = SupportBox
    icon = "help"
    list_display = ["title", "locale"]
    search_fields = ["title", "text"]
    search_backend_name = None


register_snippet(SupportBoxViewSet)
