"""The editorial calendar: every planned, queued, sent and failed post of one month by day and channel.

Rows are days, columns are channels (only those with a post that month, in name order), in the
organisation's time zone. A post is its dispatch; a switched-on plan without a dispatch yet stands
for a post still to come, and so do the plans of a story scheduled to go live "when it is published".
For whoever may view dispatches (Wagtail's ``PermissionCheckedMixin``); others get a 403.
"""

import calendar
import datetime
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.models import Revision
from wagtail.permission_policies import ModelPermissionPolicy

from consent.gate import ConsentGatedPageMixin

from .admin_display import org_zone
from .admin_views import RefusalIs403Mixin
from .mixins import syndicated_page_models
from .models import ChannelAccount, Dispatch, PostPlan


def story_types():
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


def month_from(value, today):
    try:
        year, month = (int(part) for part in value.split("-"))
        return datetime.date(year, month, 1)
    except (ValueError, AttributeError):
        return today.replace(day=1)


def posts_at_go_live(revision):
    """The switched-on plans of a revision (as stored in it) that have no time of their own."""
    plans = (revision.content or {}).get("post_plans") or []
    return [plan for plan in plans if isinstance(plan, dict) and plan.get("enabled") and not plan.get("publish_at")]


def month_url(month, query):
    return reverse("channels_admin:calendar") + "?" + urlencode({"month": f"{month:%Y-%m}", **query})


def _planned(when, title, page_id, state_label=None):
    return {
        "time": when,
        "title": title,
        "state": Dispatch.State.PLANNED,
        "state_label": state_label or Dispatch.State.PLANNED.label,
        "removal": "",
        "url": "",
        "post_url": "",
        "edit_url": reverse("wagtailadmin_pages:edit", args=[page_id]),
    }


class CalendarView(RefusalIs403Mixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Every post by day and channel for one month, in the organisation's time zone."""

    permission_policy = ModelPermissionPolicy(Dispatch)
    permission_required = "view"
    template_name = "channels/admin/calendar.html"
    page_title = gettext_lazy("Editorial calendar")
    header_icon = "date"

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.get_page_title()}]

    @cached_property
    def zone(self):
        return org_zone()

    @cached_property
    def today(self):
        return timezone.localtime(timezone.now(), self.zone).date()

    def get_context_data(self, **kwargs):
        zone, today = self.zone, self.today
        get = self.request.GET
        first = month_from(get.get("month", ""), today)
        days_in_month = calendar.monthrange(first.year, first.month)[1]
        last = first + datetime.timedelta(days=days_in_month - 1)
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
        self.account_id, self.state, self.story_type = (
            get.get("channel", ""),
            get.get("state", ""),
            get.get("type", ""),
        )
        self.types = story_types()
        accounts = list(ChannelAccount.objects.order_by("name"))

        self.entries, self.used_accounts, self.planned_pairs = {}, {}, set()
        dispatches, plans, scheduled = self.querysets(start, end)
        self.add_dispatches(dispatches)
        self.add_plans(plans)
        self.add_go_live_plans(scheduled, {account.pk: account for account in accounts})

        columns = sorted(self.used_accounts.values(), key=lambda account: (account.name, account.pk))
        rows = []
        for offset in range(days_in_month):
            day = first + datetime.timedelta(days=offset)
            cells = [
                sorted(self.entries.get((day, account.pk), []), key=lambda entry: entry["time"]) for account in columns
            ]
            rows.append({"day": day, "is_today": day == today, "cells": cells, "empty": not any(cells)})

        previous_month = (first - datetime.timedelta(days=1)).replace(day=1)
        next_month = last + datetime.timedelta(days=1)
        selected = {"channel": self.account_id, "state": self.state, "type": self.story_type}
        query = {key: value for key, value in selected.items() if value}
        context = super().get_context_data(**kwargs)
        context.update(
            month=first,
            rows=rows,
            columns=columns,
            accounts=accounts,
            states=Dispatch.State.choices,
            story_types=[(key, label) for key, (_models, label) in self.types.items()],
            selected=selected,
            previous_url=month_url(previous_month, query),
            next_url=month_url(next_month, query),
            this_month_url=month_url(today.replace(day=1), query),
            zone=str(zone),
            count=sum(len(items) for items in self.entries.values()),
        )
        return context

    def querysets(self, start, end):
        """The month's dispatches, the plans of stories not yet live, and the revisions going live."""
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
        if self.account_id.isdigit():
            dispatches = dispatches.filter(account_id=int(self.account_id))
            plans = plans.filter(account_id=int(self.account_id))
        types = self.types
        if self.story_type in types:
            content_types = list(ContentType.objects.get_for_models(*types[self.story_type][0]).values())
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
        if self.story_type in types:
            scheduled = scheduled.filter(
                content_type__in=[story_content_types[model] for model in types[self.story_type][0]]
            )
        if self.state:
            dispatches = dispatches.filter(state=self.state)
            if self.state != Dispatch.State.PLANNED:
                plans = plans.none()
                scheduled = scheduled.none()
        return dispatches, plans, scheduled

    def add(self, when, account, entry):
        self.used_accounts[account.pk] = account
        self.entries.setdefault((when.date(), account.pk), []).append(entry)

    def add_dispatches(self, dispatches):
        for dispatch in dispatches:
            when = timezone.localtime(dispatch.sent_at or dispatch.scheduled_for, self.zone)
            self.planned_pairs.add((dispatch.page_id, dispatch.account_id))
            edit_url = reverse("wagtailadmin_pages:edit", args=[dispatch.page_id]) if dispatch.page_id else ""
            self.add(
                when,
                dispatch.account,
                {
                    "time": when,
                    "title": dispatch.page_title,
                    "state": dispatch.state,
                    "state_label": dispatch.get_state_display(),
                    "removal": dispatch.get_retraction_display() if dispatch.retraction else "",
                    "url": reverse("channel_dispatches:inspect", args=[dispatch.pk]),
                    "post_url": dispatch.remote_url,
                    "edit_url": edit_url,
                },
            )

    def add_plans(self, plans):
        for plan in plans:
            if (plan.page_id, plan.account_id) in self.planned_pairs:
                continue  # its dispatch already stands for it
            when = timezone.localtime(plan.publish_at, self.zone)
            self.add(when, plan.account, _planned(when, plan.page.title, plan.page_id))

    def add_go_live_plans(self, scheduled, accounts_by_pk):
        """Posts planned "when the story is published" of a story scheduled to go live: they go out
        at its go-live time. The plans are those of the scheduled revision."""
        for revision in scheduled:
            page_id = int(revision.object_id)
            for plan in posts_at_go_live(revision):
                account = accounts_by_pk.get(plan.get("account"))
                if account is None or (page_id, account.pk) in self.planned_pairs:
                    continue
                if self.account_id.isdigit() and account.pk != int(self.account_id):
                    continue
                when = timezone.localtime(revision.approved_go_live_at, self.zone)
                title = revision.content.get("title") or revision.object_str
                self.add(when, account, _planned(when, title, page_id, _("Planned: when the story goes live")))
