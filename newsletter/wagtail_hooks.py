"""Admin integration: subscribers and issues viewsets under one "Newsletter" menu, and extra views."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin import messages as wagtail_messages
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import HeaderButton, ListingButton
from wagtail.log_actions import log

from . import admin_views
from .models import NewsletterIssue, Subscriber


class SubscriberIndexView(IndexView):
    """The subscriber list; exporting it (every address with its proof of opt-in) needs its own permission."""

    @property
    def header_buttons(self):
        buttons = []  # addresses come in through the public form or an import with proof, never typed in
        if self.request.user.has_perm("newsletter.add_subscriber"):
            buttons.append(HeaderButton(_("Import CSV"), url=reverse("newsletter_import"), icon_name="upload"))
        return buttons

    @cached_property
    def show_export_buttons(self):
        return self.request.user.has_perm("newsletter.export_subscribers")

    def dispatch(self, request, *args, **kwargs):
        if self.is_export and not self.show_export_buttons:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render_to_response(self, context, **response_kwargs):
        if self.is_export:
            # Who exported how many rows and in what form; never the addresses or the search terms.
            log(
                instance=self.request.user,
                action="newsletter.export_subscribers",
                user=self.request.user,
                title=str(_("Subscriber list")),
                data={
                    "format": self.request.GET.get("export"),
                    "rows": context["object_list"].count(),
                    "filtered": bool(self.is_filtering or self.is_searching),
                },
            )
        return super().render_to_response(context, **response_kwargs)


class SubscriberCreateView(CreateView):
    """Nobody types addresses in: they come through double opt-in or an import with proof."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("newsletter.add_subscriber"):
            raise PermissionDenied
        messages.info(request, _("Subscribers sign up themselves, or are imported from a CSV with documented opt-in."))
        return redirect("newsletter_import")


class SubscriberViewSet(ModelViewSet):
    """Subscribers: list, search, filters, CSV/XLSX export, and editing of preferences only."""

    model = Subscriber
    icon = "user"
    menu_label = _("Subscribers")
    index_view_class = SubscriberIndexView
    add_view_class = SubscriberCreateView
    form_fields = ["language", "themes"]
    list_display = ["email", "language", "status", "source", "confirmed_at", "undeliverable_reason"]
    list_filter = ["status", "language", "source"]
    search_fields = ["email"]
    list_export = [
        "email",
        "language",
        "status",
        "source",
        "source_detail",
        "opted_in_at",
        "confirmed_at",
        "confirmed_via",
        "unsubscribed_at",
        "undeliverable_at",
        "undeliverable_reason",
    ]
    export_filename = "newsletter-subscribers"
    inspect_view_enabled = True
    # A copy would be an address typed in, without the subscriber's own opt-in.
    copy_view_enabled = False


class IssueIndexView(IndexView):
    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if self.request.user.has_perm("newsletter.add_newsletterissue"):
            buttons.append(
                HeaderButton(_("Start from recent stories"), url=reverse("newsletter_from_recent"), icon_name="date")
            )
        return buttons

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        buttons.append(
            ListingButton(_("Preview"), url=reverse("newsletter_issue_preview", args=[instance.pk]), icon_name="view")
        )
        buttons.append(
            ListingButton(
                _("Send and progress"), url=reverse("newsletter_issue_send", args=[instance.pk]), icon_name="mail"
            )
        )
        return buttons


class IssueEditView(EditView):
    """The issue's edit page, with its preview and its sending screen one click away."""

    @cached_property
    def header_buttons(self):
        return [*super().header_buttons, admin_views.preview_button(self.object), admin_views.send_button(self.object)]

    def get_success_buttons(self):
        return [*super().get_success_buttons(), messages_button_to_send(self.object)]


class IssueCreateView(CreateView):
    """A new issue; the message after saving leads on to its preview and sending screen."""

    def get_success_buttons(self):
        return [*super().get_success_buttons(), messages_button_to_send(self.object)]


def messages_button_to_send(issue):
    return wagtail_messages.button(reverse("newsletter_issue_send", args=[issue.pk]), _("Send and progress"))


class IssueViewSet(ModelViewSet):
    """Newsletter issues: made from approved stories, previewed, tested and sent from here."""

    model = NewsletterIssue
    icon = "mail"
    menu_label = _("Issues")
    index_view_class = IssueIndexView
    add_view_class = IssueCreateView
    edit_view_class = IssueEditView
    list_display = ["title", "language", "status", Column("scheduled_at", label=_("Send at")), "sent_at"]
    list_filter = ["language", "status"]
    search_fields = ["title"]


class NewsletterGroup(ViewSetGroup):
    menu_label = _("Newsletter")
    menu_icon = "mail"
    menu_order = 300
    items = (IssueViewSet("newsletter_issues"), SubscriberViewSet("newsletter_subscribers"))


@hooks.register("register_admin_viewset")
def register_newsletter_viewsets():
    return NewsletterGroup()


@hooks.register("register_admin_urls")
def newsletter_admin_urls():
    return [
        path("newsletter/import/", admin_views.ImportView.as_view(), name="newsletter_import"),
        path(
            "newsletter/import/<int:pk>/", admin_views.ImportProgressView.as_view(), name="newsletter_import_progress"
        ),
        path(
            "newsletter/import/<int:pk>/progress/",
            admin_views.import_progress_json,
            name="newsletter_import_progress_json",
        ),
        path("newsletter/import/<int:pk>/resume/", admin_views.import_resume, name="newsletter_import_resume"),
        path("newsletter/issues/from-recent/", admin_views.FromRecentView.as_view(), name="newsletter_from_recent"),
        path("newsletter/issues/<int:pk>/send/", admin_views.IssueSendView.as_view(), name="newsletter_issue_send"),
        path("newsletter/issues/<int:pk>/send/test/", admin_views.issue_send_test, name="newsletter_issue_test"),
        path(
            "newsletter/issues/<int:pk>/send/now/",
            admin_views.IssueSendNowView.as_view(),
            name="newsletter_issue_send_now",
        ),
        path("newsletter/issues/<int:pk>/send/later/", admin_views.issue_schedule, name="newsletter_issue_schedule"),
        path(
            "newsletter/issues/<int:pk>/send/cancel/", admin_views.issue_unschedule, name="newsletter_issue_unschedule"
        ),
        path(
            "newsletter/issues/<int:pk>/send/retry-failed/",
            admin_views.issue_retry_failed,
            name="newsletter_issue_retry_failed",
        ),
        path(
            "newsletter/issues/<int:pk>/send/unknown/",
            admin_views.issue_resolve_unknown,
            name="newsletter_issue_resolve_unknown",
        ),
        path("newsletter/issues/<int:pk>/progress/", admin_views.issue_progress, name="newsletter_issue_progress"),
        path("newsletter/issues/<int:pk>/preview/", admin_views.issue_preview, name="newsletter_issue_preview"),
    ]


@hooks.register("register_log_actions")
def newsletter_log_actions(actions):
    actions.register_action("newsletter.send", _("Send newsletter issue"), _("Sending started"))
    actions.register_action("newsletter.schedule", _("Schedule newsletter issue"), _("Sending scheduled"))
    actions.register_action(
        "newsletter.refused", _("Newsletter issue not sent"), _("Not sent: no story may go out, or a bad title")
    )
    actions.register_action("newsletter.retry_failed", _("Retry failed messages"), _("Failed messages sent again"))
    actions.register_action(
        "newsletter.unknown_resend", _("Resend messages of unknown fate"), _("Messages of unknown fate sent again")
    )
    actions.register_action(
        "newsletter.unknown_mark_sent",
        _("Record messages of unknown fate as sent"),
        _("Messages of unknown fate recorded as sent"),
    )
    actions.register_action(
        "newsletter.export_subscribers", _("Export newsletter subscribers"), _("Subscriber list exported")
    )
