"""The consent officer edits consent texts here; every save writes a new version (see ConsentText.save)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet

from .models import ConsentText


class ConsentTextViewSet(ModelViewSet):
    """Consent texts per language and version. Editing saves a new version; signed ones stay as they were."""

    model = ConsentText
    icon = "doc-full-inverse"
    menu_label = _("Consent texts")
    menu_order = 920
    add_to_admin_menu = True
    form_fields = ["language", "title", "body"]
    list_display = ["title", "language", "version", "created_at"]
    list_filter = ["language"]
    inspect_view_enabled = True


consent_text_viewset = ConsentTextViewSet("consent_texts")
