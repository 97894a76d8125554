"""The story editor's "Sharing" tab: the syndication plan panel, its validation and the reach panel.

``PostPlanPanel`` is Wagtail's ``InlinePanel`` over ``StoryPage.post_plans`` with a table of the
channels this story may use (and why not), the summary as each text's placeholder, and a
server-rendered count and preview per planned post; ``channels/plan/plan-panel.js`` keeps the
count and preview live as the editor types. Without the script the form still works and the
server checks everything on save (``StoryPageForm``).
"""

import json

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.pages import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, Panel

from . import plan as planning


def _media():
    return forms.Media(js=["channels/plan/plan-panel.js"], css={"all": ["channels/plan/plan-panel.css"]})


class PostPlanPanel(InlinePanel):
    """The planned posts of a story, one per channel account."""

    class BoundPanel(InlinePanel.BoundPanel):
        template_name = "channels/plan/panel.html"

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if self.form is None:
                return
            summary = self._form_value("summary") or getattr(self.instance, "summary", "") or ""
            for child in [*self.children, self.empty_child]:
                text_field = child.form.fields.get("text")
                if text_field is not None:
                    text_field.widget.attrs.update({"placeholder": summary, "data-plan-text": ""})

        def _form_value(self, name):
            if self.form.is_bound:
                return self.form.data.get(name, "")
            return self.form.initial.get(name, "")

        @property
        def media(self):
            return super().media + _media()

        def get_context_data(self, parent_context=None):
            from .models import ChannelAccount

            context = super().get_context_data(parent_context)
            page = self.instance
            accounts = list(ChannelAccount.objects.order_by("name"))
            availability = planning.channel_availability(page, accounts)
            parent = getattr(self.form, "parent_page", None)
            specs = {}
            for item in availability:
                spec = planning.account_spec(item.account, page, parent=parent)
                if spec is None:
                    continue
                spec.update(
                    available=item.available,
                    reason=str(item.reason),
                    blocking=item.blocking,
                )
                specs[str(item.account.pk)] = spec
            hero_alt = self._form_value("hero_image_alt") or getattr(page, "hero_image_alt", "")
            context.update(
                availability=availability,
                accounts_json=json.dumps(specs),
                summary=self._form_value("summary") or getattr(page, "summary", ""),
                hero_image_alt=hero_alt,
                patient_story=planning.is_patient_story(page),
                no_accounts=not accounts,
            )
            return context


class PlanPreviewPanel(Panel):
    """Inside each planned post: the character count and a preview of the post.

    Rendered on the server from the saved plan (so it shows without the script) and kept up to
    date in the browser by ``plan-panel.js``.
    """

    class BoundPanel(Panel.BoundPanel):
        template_name = "channels/plan/preview.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["preview"] = self.preview()
            return context

        def preview(self):
            from .models import PostPlan

            plan = self.instance
            if plan is None or not plan.account_id:
                return None
            try:
                page = plan.page
            except PostPlan.page.RelatedObjectDoesNotExist:  # a new, empty form has no page yet
                return None
            cls = planning.adapters.adapter_classes().get(plan.account.kind)
            if cls is None:
                return None
            adapter = cls(plan.account)
            post = planning.build_post(plan, page, with_media=False)
            composed = adapter.compose(post)
            length = adapter.count(composed)
            image, alt = planning.effective_image(plan.image, plan.image_alt, page.hero_image, page.hero_image_alt)
            return {
                "composed": composed,
                "length": length,
                "max": adapter.limits.max_chars,
                "over": length > adapter.limits.max_chars,
                "unit": adapter.limits.unit_label,
                "network": cls.label,
                "link": post.link,
                "image": image,
                "alt": alt,
            }


class ReachPanel(Panel):
    """Reads of this story per channel over the last 30 days, counted by ``channels.reach``."""

    def __init__(self, *args, days=30, **kwargs):
        kwargs.setdefault("heading", _("Reach"))
        super().__init__(*args, **kwargs)
        self.days = days

    def clone_kwargs(self):
        kwargs = super().clone_kwargs()
        kwargs["days"] = self.days
        return kwargs

    class BoundPanel(Panel.BoundPanel):
        template_name = "channels/plan/reach_panel.html"

        def get_context_data(self, parent_context=None):
            from . import reach

            context = super().get_context_data(parent_context)
            rows = []
            if self.instance is not None and self.instance.pk:
                rows = [
                    (reach.source_label(source), reads) for source, reads in reach.reach_for_story(self.instance.pk)
                ]
            context.update(
                rows=rows,
                total=sum(reads for _label, reads in rows),
                days=self.panel.days,
                report_url=reverse("channels_reach_report") + f"?period={self.panel.days}",
            )
            return context


def syndication_panels():
    """The panels of the story editor's "Sharing" tab."""
    return [
        PostPlanPanel(
            "post_plans",
            heading=_("Syndication plan"),
            label=_("Planned post"),
            panels=[
                FieldPanel("account"),
                FieldPanel("enabled"),
                FieldPanel("text"),
                PlanPreviewPanel(heading=_("Preview")),
                FieldPanel("image"),
                FieldPanel("image_alt"),
                FieldPanel("publish_at"),
                FieldPanel("utm_campaign"),
            ],
        ),
        ReachPanel(),
    ]


class StoryPageForm(WagtailAdminPageForm):
    """The story editor's form: checks each planned post as its network and the consent would.

    Errors land on the planned post's own fields (text too long as the network counts it, an
    image without alt text, a network that needs an image) and on its channel (a channel the
    signed consent leaves out). Plans that are switched off are not checked.
    """

    def clean(self):
        cleaned_data = super().clean()
        formset = self.formsets.get("post_plans") if hasattr(self, "formsets") else None
        if formset is None:
            return cleaned_data
        plans = [
            form
            for form in formset.forms
            if form.is_valid()
            and not formset._should_delete_form(form)
            and form.cleaned_data.get("account") is not None
            and form.cleaned_data.get("enabled")
        ]
        if not plans:
            return cleaned_data
        page = self.instance
        availability = {}
        if planning.is_patient_story(page):
            accounts = [form.cleaned_data["account"] for form in plans]
            availability = {item.account.pk: item for item in planning.channel_availability(page, accounts)}
        for form in plans:
            data = form.cleaned_data
            account = data["account"]
            state = availability.get(account.pk)
            if state is not None and state.blocking:
                form.add_error("account", state.reason)
            link = planning.story_link(
                page, account, data.get("utm_campaign", ""), slug=cleaned_data.get("slug"), parent=self.parent_page
            )
            problems = planning.plan_problems(
                account,
                text=data.get("text", ""),
                summary=cleaned_data.get("summary", ""),
                link=link,
                image=data.get("image"),
                image_alt=data.get("image_alt", ""),
                hero_image=cleaned_data.get("hero_image"),
                hero_image_alt=cleaned_data.get("hero_image_alt", ""),
            )
            for field, messages in problems.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        return cleaned_data
