"""Admin entry of the privacy screen: a URL, and an item in the Consent menu for consent officers."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import privacy_views


@hooks.register("register_admin_urls")
def privacy_admin_urls():
    return [path("conversations/person/", privacy_views.person_messages_view, name="conversations_person")]


class PersonMessagesMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(privacy_views.PERMISSION)


@hooks.register("register_consent_menu_item")
def person_messages_menu_item():
    return PersonMessagesMenuItem(
        _("Messages of one person"), reverse("conversations_person"), icon_name="user", order=30
    )
