"""Admin integration of the consent app. The publishing gate's hooks live in ``gate_hooks``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets import Button

from . import admin_views, gate_hooks  # noqa: F401


@hooks.register("register_admin_urls")
def consent_admin_urls():
    return [path("consent/request/<int:page_id>/", admin_views.request_consent, name="consent_request")]


@hooks.register("register_page_header_buttons")
def request_consent_button(page, user, view_name, next_url=None):
    from stories.models import PatientStoryPage

    if page.specific_class is PatientStoryPage and page.permissions_for_user(user).can_edit():
        yield Button(
            _("Request consent"),
            reverse("consent_request", args=[page.pk]),
            icon_name="mail",
            priority=12,
        )
