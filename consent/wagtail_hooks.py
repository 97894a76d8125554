"""Admin integration of the consent app. The publishing gate's hooks live in ``gate_hooks``."""

from django.apps import apps
from django.contrib import messages
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.action_menu import SubmitForModerationMenuItem
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.permission_policies.pages import PagePermissionPolicy

from . import admin_views, autosave, gate_hooks  # noqa: F401
from .dashboard import ConsentOverviewPanel
from .gate import ConsentGatedPageMixin, is_covered
from .gating import consent_story_id, is_consent_gated
from .listing import add_consent_column
from .models import Consent
from .panels import story_consent_buttons
from .states import WITHDRAWN, story_states
from .viewsets import ConsentMenu


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
def register_consent_menu():
    return ConsentMenu()


class RequestsMenuItem(MenuItem):
    """Shown to those who may edit pages: the list holds the requests of the stories they can edit."""

    def is_shown(self, request):
        return PagePermissionPolicy().user_has_any_permission(request.user, ["add", "change", "publish"])


class EvidenceMenuItem(MenuItem):
    """Shown only to those who may see the evidence (consent officers)."""

    def is_shown(self, request):
        return request.user.has_perm("consent.view_evidence")


@hooks.register("register_consent_menu_item")
def consent_requests_menu_item():
    return RequestsMenuItem(_("Consent requests"), reverse("consent_requests"), icon_name="mail", order=10)


@hooks.register("register_consent_menu_item")
def consent_evidence_menu_item():
    return EvidenceMenuItem(_("Consent evidence"), reverse("consent_evidence"), icon_name="doc-full", order=20)


@hooks.register("register_page_header_buttons")
def request_consent_button(page, user, view_name, next_url=None):
    # The page editor shows these as visible header buttons (see the ``consent_page_header_actions``
    # tag in its header template); elsewhere, e.g. the page explorer, they stay in the "…" menu.
    if view_name == "edit":
        return []
    return story_consent_buttons(page, user, Button)


class NamedWorkflowSubmitMenuItem(SubmitForModerationMenuItem):
    """ "Submit to <workflow>" naming the workflow the new page starts, not its parent's.

    On the create form Wagtail names the parent page's workflow, but submitting starts the new
    page's own (``ConsentGatedPageMixin.get_workflow``: the patient story workflow).
    """

    def __init__(self, page_class, order):
        super().__init__(order=order)
        self.page_class = page_class

    def get_context_data(self, parent_context):
        if parent_context.get("view") == "create":
            parent_context = {**parent_context, "parent_page": self.page_class()}
        return super().get_context_data(parent_context)


def _gated_page_class(request, context):
    """The page class of the create or edit form, when it is consent-gated; else ``None``."""
    if context.get("view") == "create":
        match = request.resolver_match
        if match is None or "content_type_app_name" not in match.kwargs:
            return None
        try:
            page_class = apps.get_model(match.kwargs["content_type_app_name"], match.kwargs["content_type_model_name"])
        except LookupError:
            return None
    elif context.get("page") is not None:
        page_class = context["page"].specific_class
    else:
        return None
    return page_class if page_class is not None and issubclass(page_class, ConsentGatedPageMixin) else None


@hooks.register("construct_page_action_menu")
def consent_gated_action_menu(menu_items, request, context):
    """No Publish the gate would refuse, and a Submit that names the workflow that will run.

    A new patient story has no consent, so publishing it from the create form is always refused;
    on the edit form Publish stays only while a consent covers the latest revision.
    """
    page_class = _gated_page_class(request, context)
    if page_class is None:
        return
    view = context.get("view")
    if view == "create" or (
        view == "edit" and not is_covered(context["page"].specific.get_latest_revision_as_object())
    ):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]
    if view == "create":
        menu_items[:] = [
            NamedWorkflowSubmitMenuItem(page_class, order=item.order)
            if isinstance(item, SubmitForModerationMenuItem)
            else item
            for item in menu_items
        ]


@hooks.register("construct_homepage_panels")
def consent_overview_panel(request, panels):
    if request.user.has_perm("wagtailadmin.access_admin"):
        panels.append(ConsentOverviewPanel())


# The page explorer and the page search listing show each story's consent state (``consent.listing``).
add_consent_column()


@hooks.register("before_edit_page")
def say_the_consent_was_withdrawn(request, page):
    """On opening a patient story whose consent was withdrawn (or ended), say so and what comes next."""
    if request.method != "GET" or not is_consent_gated(page):
        return None
    story_id = consent_story_id(page)
    if story_states([story_id]).get(story_id) != WITHDRAWN:
        return None
    last = Consent.objects.filter(story_id=story_id).order_by("-signed_at").first()
    ended = last.withdrawn_at or last.erased_at or last.valid_until
    values = {"date": date_format(timezone.localtime(ended), "SHORT_DATETIME_FORMAT"), "reference": last.reference}
    if last.expired_at:
        text = _(
            "The consent for this story ended on %(date)s (reference %(reference)s): it was taken off the "
            "channels it covered. It can go out again only after a new signature: request consent."
        )
    else:
        text = _(
            "The consent for this story was withdrawn on %(date)s (reference %(reference)s): it was taken off "
            "the channels it covered. It can go out again only after a new signature: request consent."
        )
    messages.warning(request, text % values)
    return None
