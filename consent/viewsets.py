"""The consent officer edits consent texts here; every save writes a new version (see ConsentText.save)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from .models import ConsentText


class ConsentTextViewSet(ModelViewSet):
    """Consent texts per language and version. Editing saves a new version; signed ones stay as they were."""

    model = ConsentText
    icon = "doc-full-inverse"
    menu_label = _("Consent texts")
    menu_order = 30
    form_fields = ["language", "title", "body"]
    list_display = ["title", "language", "version", "created_at"]
    list_filter = ["language"]
    inspect_view_enabled = True


consent_text_viewset = ConsentTextViewSet("consent_texts")


class ConsentMenu(ViewSetGroup):
    """One "Consent" entry beside Pages: the requests, the evidence and the consent texts.

    Each item shows itself only to those who may use it (see ``wagtail_hooks``); the entry
    disappears when none is left.
    """

    menu_label = _("Consent")
    menu_icon = "doc-full"
    menu_order = 150
    menu_name = "consent"
    items = (consent_text_viewset,)
    submenu_hook = "register_consent_menu_item"
