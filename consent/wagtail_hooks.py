"""Admin integration of the consent app. The publishing gate's hooks live in ``gate_hooks``."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from . import admin_views, gate_hooks  # noqa: F401
from .panels import ConsentOverviewPanel
from .viewsets import consent_text_viewset


@hooks.register("register_admin_urls")
def consent_admin_urls():
    return [
        path("consent/request/<int:page_id>/", admin_views.request_consent, name="consent_request"),
        path("consent/requests/", admin_views.request_list, name="consent_requests"),
        path("consent/requests/<int:pk>/resend/", admin_views.resend_request, name="consent_request_resend"),
        path("consent/requests/<int:pk>/revoke/", admin_views.revoke_request, name="consent_request_revoke"),
        path("consent/consents/<int:pk>/apply-naming/", admin_views.apply_signed_naming, name="consent_apply_naming"),
        path("consent/evidence/", admin_views.evidence_list, name="consent_evidence"),
        path("consent/evidence/<int:pk>/", admin_views.evidence_export, name="consent_evidence_export"),
        path("consent/erase/<int:person_id>/", admin_views.erase_person_view, name="consent_erase_person"),
    ]


@hooks.register("register_admin_viewset")
def register_consent_texts():
    return consent_text_viewset


class EvidenceMenuItem(MenuItem):
    """Shown only to those who may see the evidence (consent officers)."""

    def is_shown(self, request):
        return request.user.has_perm("consent.view_evidence")


@hooks.register("register_admin_menu_item")
def consent_evidence_menu_item():
    return EvidenceMenuItem(_("Consent evidence"), reverse("consent_evidence"), icon_name="doc-full", order=910)


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
        yield Button(
            _("Consent requests"),
            reverse("consent_requests") + f"?story={page.pk}",
            icon_name="list-ul",
            priority=13,
        )


@hooks.register("construct_homepage_panels")
def consent_overview_panel(request, panels):
    if request.user.has_perm("wagtailadmin.access_admin"):
        panels.append(ConsentOverviewPanel())
