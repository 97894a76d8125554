"""Admin views of the channels app beyond the viewsets.

- the failed-dispatch report (under Reports) with "Retry", "Mark as sent" and "Mark as removed";
- the editorial calendar: every planned, queued, sent and failed post by day and channel;
- "Remove everywhere" for a story that has posts out.

Every view checks permissions; everything that changes state is a POST with Django's CSRF check.
"""

import calendar
import datetime

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.validators import URLValidator
from django.db.models import Q
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page, Revision

from consent.gate import ConsentGatedPageMixin

from .mixins import syndicated_page_models
from .models import ChannelAccount, Dispatch, PostPlan
from .viewsets import failed_queryset, local_datetime, org_zone

VIEW_PERM = "vertel_channels.view_dispatch"
RETRY_PERM = "vertel_channels.change_dispatch"

RETRYABLE_STATES = [Dispatch.State.FAILED, Dispatch.State.MISSED, Dispatch.State.BLOCKED]
MANUAL_REMOVAL_STATES = [Dispatch.Retraction.MANUAL, Dispatch.Retraction.FAILED]
# A person may find a failed post on the network after all (an unknown outcome on a network that
# cannot be asked), or post a missed one by hand. Blocked posts have no consent: never "sent".
MARK_SENT_STATES = [Dispatch.State.FAILED, Dispatch.State.MISSED]


def forbidden():
    return HttpResponseForbidden(_("You do not have permission to do this."))


def can_retry(user):
    return user.has_perm(RETRY_PERM)


def dispatch_actions(dispatch, user):
    """The buttons a user gets for one dispatch, each a POST form: [{"label", "url", "asks_url"}].

    ``asks_url``: the form has a field for the post's address (Mark as sent).
    """
    if not can_retry(user):
        return []
    actions = []
    # A failed removal is retried by the engine's sweep by itself; Retry is for posts.
    if dispatch.state in RETRYABLE_STATES and not dispatch.retraction:
        actions.append(_action(_("Retry"), "channels_admin:retry", dispatch))
    if dispatch.state in MARK_SENT_STATES and not dispatch.retraction:
        actions.append(_action(_("Mark as sent"), "channels_admin:mark_sent", dispatch, asks_url=True))
    if dispatch.retraction in MANUAL_REMOVAL_STATES:
        actions.append(_action(_("Mark as removed"), "channels_admin:mark_removed", dispatch))
    return actions


def _action(label, url_name, dispatch, *, asks_url=False):
    return {"label": label, "url": reverse(url_name, args=[dispatch.pk]), "asks_url": asks_url, "id": dispatch.pk}


def _back(request, default):
    """Back to where the button was (the report or the detail view), never off-site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


# -- the failed-dispatch report ---------------------------------------------------------------


class FailedFilterSet(WagtailFilterSet):
    account = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Channel"), queryset=ChannelAccount.objects.all(), empty_label=gettext_lazy("All")
    )

    class Meta:
        model = Dispatch
        fields = ["account"]


class FailedDispatchReport(ReportView):
    """Failed, missed and blocked posts and removals that need a person, newest first."""

    page_title = gettext_lazy("Failed posts and removals")
    header_icon = "warning"
    results_template_name = "channels/admin/failed_report_results.html"
    index_url_name = "channels_admin:failed"
    index_results_url_name = "channels_admin:failed_results"
    filterset_class = FailedFilterSet
    model = Dispatch
    any_permission_required = ["view", "change"]
    list_export = [
        "page_title",
        "account",
        "get_state_display",
        "scheduled_for",
        "attempts",
        "last_error",
        "get_retraction_display",
        "retract_error",
        "remote_url",
    ]
    export_headings = {
        "page_title": gettext_lazy("Story"),
        "account": gettext_lazy("Channel"),
        "get_state_display": gettext_lazy("State"),
        "scheduled_for": gettext_lazy("Post at"),
        "get_retraction_display": gettext_lazy("Removal"),
    }

    def get_queryset(self):
        return failed_queryset().order_by("-updated_at", "-pk")

    def get_filename(self):
        return f"failed-posts-{datetime.date.today():%Y-%m-%d}"

    def decorate_paginated_queryset(self, object_list):
        user = self.request.user
        rows = []
        for dispatch in object_list:
            dispatch.local_scheduled = local_datetime(dispatch.scheduled_for)
            dispatch.actions = dispatch_actions(dispatch, user)
            rows.append(dispatch)
        return rows

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        # Back to the full report (not its results fragment), with the same filters.
        query = self.request.GET.urlencode()
        context["next_url"] = reverse(self.index_url_name) + (f"?{query}" if query else "")
        return context


@require_POST
def retry_dispatch(request, pk):
    """Put a failed, missed or blocked post (or a failed removal) back in the queue."""
    if not can_retry(request.user):
        return forbidden()
    dispatch = get_object_or_404(Dispatch, pk=pk)
    if dispatch.state not in RETRYABLE_STATES:
        messages.error(request, _("This post is not failed; there is nothing to retry."))
        return _back(request, reverse("channels_admin:failed"))
    from channels import dispatch as engine

    try:
        engine.retry(dispatch, request.user)
    except engine.ActionRefused as error:
        # The engine refuses what cannot be retried (say, consent no longer covers it).
        messages.error(request, _("It cannot be retried: %(reason)s") % {"reason": error.message})
    else:
        messages.success(request, _("'%(dispatch)s' is queued again.") % {"dispatch": dispatch})
    return _back(request, reverse("channels_admin:failed"))


@require_POST
def mark_removed(request, pk):
    """Record that a person removed a post by hand on the network.

    The engine's ``confirm_manual_removal`` marks it RETRACTED, logs a DispatchEvent and, for a
    patient story, records ``ConsentEvent.Kind.RETRACTED`` in the consent evidence.
    """
    from channels.dispatch import ActionRefused
    from channels.retraction import confirm_manual_removal

    if not can_retry(request.user):
        return forbidden()
    dispatch = get_object_or_404(Dispatch, pk=pk)
    if dispatch.retraction not in MANUAL_REMOVAL_STATES:
        messages.error(request, _("This post is not waiting for removal by hand."))
        return _back(request, reverse("channels_admin:failed"))
    try:
        confirm_manual_removal(dispatch, request.user)
    except ActionRefused as error:
        messages.error(request, error.message)
        return _back(request, reverse("channels_admin:failed"))
    messages.success(request, _("'%(dispatch)s' is recorded as removed.") % {"dispatch": dispatch})
    return _back(request, reverse("channels_admin:failed"))


class MarkSentForm(forms.Form):
    remote_url = forms.URLField(
        label=gettext_lazy("Address of the post"),
        max_length=1000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=gettext_lazy("Open the post on the network and copy its address, e.g. https://…/posts/123."),
    )


@require_http_methods(["GET", "POST"])
def mark_sent(request, pk):
    """Record that a failed or missed post is on the network after all (or was posted by hand).

    GET shows the form; POST asks for the post's address (http or https), which is kept so the
    post can be removed later: without an id from the network, removal is handed to a person
    with that address. The engine's ``mark_sent_manually`` writes the state and the log.
    """
    from channels import dispatch as engine

    if not can_retry(request.user):
        return forbidden()
    dispatch = get_object_or_404(Dispatch.objects.select_related("account"), pk=pk)
    detail_url = reverse("channel_dispatches:inspect", args=[dispatch.pk])
    if dispatch.state not in MARK_SENT_STATES or dispatch.retraction:
        messages.error(request, _("Only a failed or missed post can be marked as sent."))
        return _back(request, detail_url)
    form = MarkSentForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            engine.mark_sent_manually(dispatch, request.user, form.cleaned_data["remote_url"])
        except engine.ActionRefused as error:
            messages.error(request, error.message)
            return _back(request, detail_url)
        messages.success(request, _("'%(dispatch)s' is recorded as sent.") % {"dispatch": dispatch})
        return _back(request, detail_url)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return TemplateResponse(
        request,
        "channels/admin/mark_sent.html",
        {
            "page_title": _("Mark as sent"),
            "header_title": _("Mark as sent"),
            "header_icon": "success",
            "dispatch": dispatch,
            "form": form,
            "next_url": next_url,
            "detail_url": detail_url,
            "profile_url": dispatch.account.profile_url,
        },
    )


# -- the editorial calendar -------------------------------------------------------------------


def _story_types():
    """The calendar's story types and their page models: the syndicated pages an editor creates,
    consent-gated (patient stories) or not (organisation stories)."""
    models = [model for model in syndicated_page_models() if model.is_creatable]
    return {
        "patient": ([model for model in models if issubclass(model, ConsentGatedPageMixin)], _("Patient stories")),
        "organisation": (
            [model for model in models if not issubclass(model, ConsentGatedPageMixin)],
            _("Organisation stories"),
        ),
    }


def _month_from(value, today):
    try:
        year, month = (int(part) for part in value.split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, AttributeError):
        return today.replace(day=1)


def calendar_view(request):
    """Every post by day and channel for one month, in the organisation's time zone."""
    if not request.user.has_perm(VIEW_PERM):
        return forbidden()
    zone = org_zone()
    today = timezone.localtime(timezone.now(), zone).date()
    first = _month_from(request.GET.get("month", ""), today)
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    last = first + datetime.timedelta(days=days_in_month - 1)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)

    accounts = list(ChannelAccount.objects.order_by("name"))
    account_id = request.GET.get("channel", "")
    state = request.GET.get("state", "")
    story_type = request.GET.get("type", "")
    types = _story_types()

    dispatches = (
        Dispatch.objects.filter(
            Q(sent_at__gte=start, sent_at__lt=end)
            | Q(sent_at__isnull=True, scheduled_for__gte=start, scheduled_for__lt=end)
        )
        .exclude(state=Dispatch.State.CANCELLED)
        .select_related("account")
        .only(
            "pk",
            "page_id",
            "page_title",
            "account__name",
            "account__kind",
            "state",
            "scheduled_for",
            "sent_at",
            "remote_url",
            "retraction",
        )
    )
    plans = (
        PostPlan.objects.filter(enabled=True, publish_at__gte=start, publish_at__lt=end, page__live=False)
        .select_related("account", "page")
        .only("pk", "publish_at", "account__name", "account__kind", "page__title", "page_id")
    )
    if account_id.isdigit():
        dispatches = dispatches.filter(account_id=int(account_id))
        plans = plans.filter(account_id=int(account_id))
    if story_type in types:
        content_types = list(ContentType.objects.get_for_models(*types[story_type][0]).values())
        dispatches = dispatches.filter(page__content_type__in=content_types)
        plans = plans.filter(page__content_type__in=content_types)
    story_content_types = ContentType.objects.get_for_models(
        *[model for models, _label in types.values() for model in models]
    )
    scheduled = Revision.objects.filter(
        approved_go_live_at__gte=start,
        approved_go_live_at__lt=end,
        content_type__in=list(story_content_types.values()),
    ).only("pk", "object_id", "object_str", "content", "approved_go_live_at")
    if story_type in types:
        scheduled = scheduled.filter(content_type__in=[story_content_types[model] for model in types[story_type][0]])
    if state:
        dispatches = dispatches.filter(state=state)
        if state != Dispatch.State.PLANNED:
            plans = plans.none()
            scheduled = scheduled.none()

    # Rows are days, columns are channels (only those with a post this month, in name order).
    entries = {}
    used_accounts = {}
    planned_pairs = set()
    for dispatch in dispatches:
        when = timezone.localtime(dispatch.sent_at or dispatch.scheduled_for, zone)
        used_accounts[dispatch.account_id] = dispatch.account
        planned_pairs.add((dispatch.page_id, dispatch.account_id))
        entries.setdefault((when.date(), dispatch.account_id), []).append(
            {
                "time": when,
                "title": dispatch.page_title,
                "state": dispatch.state,
                "state_label": dispatch.get_state_display(),
                "removal": dispatch.get_retraction_display() if dispatch.retraction else "",
                "url": reverse("channel_dispatches:inspect", args=[dispatch.pk]),
                "post_url": dispatch.remote_url,
                "edit_url": reverse("wagtailadmin_pages:edit", args=[dispatch.page_id]) if dispatch.page_id else "",
            }
        )
    for plan in plans:
        if (plan.page_id, plan.account_id) in planned_pairs:
            continue  # its dispatch already stands for it
        when = timezone.localtime(plan.publish_at, zone)
        used_accounts[plan.account_id] = plan.account
        entries.setdefault((when.date(), plan.account_id), []).append(
            {
                "time": when,
                "title": plan.page.title,
                "state": Dispatch.State.PLANNED,
                "state_label": Dispatch.State.PLANNED.label,
                "removal": "",
                "url": "",
                "post_url": "",
                "edit_url": reverse("wagtailadmin_pages:edit", args=[plan.page_id]),
            }
        )
    accounts_by_pk = {account.pk: account for account in accounts}
    for revision in scheduled:
        # Posts planned "when the story is published" of a story scheduled to go live: they go
        # out at its go-live time. The plans are those of the scheduled revision.
        page_id = int(revision.object_id)
        for plan in _posts_at_go_live(revision):
            account = accounts_by_pk.get(plan.get("account"))
            if account is None or (page_id, account.pk) in planned_pairs:
                continue
            if account_id.isdigit() and account.pk != int(account_id):
                continue
            when = timezone.localtime(revision.approved_go_live_at, zone)
            used_accounts[account.pk] = account
            entries.setdefault((when.date(), account.pk), []).append(
                {
                    "time": when,
                    "title": revision.content.get("title") or revision.object_str,
                    "state": Dispatch.State.PLANNED,
                    "state_label": _("Planned: when the story goes live"),
                    "removal": "",
                    "url": "",
                    "post_url": "",
                    "edit_url": reverse("wagtailadmin_pages:edit", args=[page_id]),
                }
            )
    columns = sorted(used_accounts.values(), key=lambda account: (account.name, account.pk))
    rows = []
    for offset in range(days_in_month):
        day = first + datetime.timedelta(days=offset)
        cells = [sorted(entries.get((day, account.pk), []), key=lambda entry: entry["time"]) for account in columns]
        rows.append({"day": day, "is_today": day == today, "cells": cells, "empty": not any(cells)})

    previous_month = (first - datetime.timedelta(days=1)).replace(day=1)
    next_month = last + datetime.timedelta(days=1)
    query = {key: value for key, value in (("channel", account_id), ("state", state), ("type", story_type)) if value}
    context = {
        "page_title": _("Editorial calendar"),
        "header_title": _("Editorial calendar"),
        "header_icon": "date",
        "month": first,
        "rows": rows,
        "columns": columns,
        "accounts": accounts,
        "states": Dispatch.State.choices,
        "story_types": [(key, label) for key, (_models, label) in types.items()],
        "selected": {"channel": account_id, "state": state, "type": story_type},
        "previous_url": _month_url(previous_month, query),
        "next_url": _month_url(next_month, query),
        "this_month_url": _month_url(today.replace(day=1), query),
        "zone": str(zone),
        "count": sum(len(items) for items in entries.values()),
    }
    return TemplateResponse(request, "channels/admin/calendar.html", context)


def _posts_at_go_live(revision):
    """The switched-on plans of a revision (as stored in it) that have no time of their own."""
    plans = (revision.content or {}).get("post_plans") or []
    return [plan for plan in plans if isinstance(plan, dict) and plan.get("enabled") and not plan.get("publish_at")]


def _month_url(month, query):
    from urllib.parse import urlencode

    return reverse("channels_admin:calendar") + "?" + urlencode({"month": f"{month:%Y-%m}", **query})


# -- remove everywhere ------------------------------------------------------------------------


def posts_out(page):
    """The page's posts that are (or may be) on a network and not removed."""
    return Dispatch.objects.filter(page=page, state=Dispatch.State.SENT).exclude(
        retraction=Dispatch.Retraction.RETRACTED
    )


def may_remove_everywhere(user, page):
    """Whoever may unpublish the story (its "publish" permission), also when it is no longer live."""
    if not user.is_active:
        return False
    return user.is_superuser or "publish" in page.permissions_for_user(user).permissions


def remove_everywhere(request, page_id):
    """Confirm (GET), then retract every sent post of the story (POST)."""
    page = get_object_or_404(Page, pk=page_id).specific
    if not may_remove_everywhere(request.user, page):
        return forbidden()
    out = posts_out(page).select_related("account")
    if request.method == "POST":
        from channels.retraction import retract_story

        retract_story(page, reason="editor", actor=request.user)
        results = list(Dispatch.objects.filter(page=page, state=Dispatch.State.SENT).select_related("account"))
        removed = sum(1 for dispatch in results if dispatch.retraction == Dispatch.Retraction.RETRACTED)
        manual = [dispatch for dispatch in results if dispatch.retraction == Dispatch.Retraction.MANUAL]
        pending = [
            dispatch
            for dispatch in results
            if dispatch.retraction
            in (Dispatch.Retraction.PENDING, Dispatch.Retraction.RETRACTING, Dispatch.Retraction.FAILED)
        ]
        return TemplateResponse(
            request,
            "channels/admin/remove_everywhere_done.html",
            {
                "page": page,
                "page_title": _("Remove everywhere"),
                "header_title": _("Remove everywhere"),
                "removed": removed,
                "manual": manual,
                "pending": pending,
                "failed_url": reverse("channels_admin:failed"),
                "edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
            },
        )
    return TemplateResponse(
        request,
        "channels/admin/remove_everywhere_confirm.html",
        {
            "page": page,
            "page_title": _("Remove everywhere"),
            "header_title": _("Remove everywhere"),
            "posts": out,
            "edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
        },
    )
