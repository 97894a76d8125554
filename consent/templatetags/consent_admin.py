"""Template tags of the consent admin: the patient story's consent actions in the page editor's header."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _
from wagtail.admin.widgets import HeaderButton

from ..gating import consent_story_id
from ..listing import STATE_CLASSES
from ..panels import signed_naming_offer, story_consent_buttons
from ..states import LABELS, story_states

register = template.Library()

APPLY_NAMING_FORM_ID = "consent-apply-naming-form"


@register.inclusion_tag("consent/admin/page_header_actions.html", takes_context=True)
def consent_page_header_actions(context, page):
    """Visible header buttons of a patient story (request consent, its requests, the signed naming), and its state.

    Wagtail 8 puts ``register_page_header_buttons`` buttons in the editor's "…" menu; these are the
    editor's main consent steps, so they sit next to the breadcrumbs instead.
    """
    request = context.get("request")
    if request is None or page is None:
        return {"buttons": []}
    buttons = story_consent_buttons(page, request.user, HeaderButton)
    offer = apply_url = None
    if buttons:
        offer = signed_naming_offer(page.specific)
    if offer is not None:
        apply_url = reverse("consent_apply_naming", args=[offer.consent.pk])
        buttons.insert(
            0,
            HeaderButton(
                _("Apply the signed naming: %(naming)s") % {"naming": offer.label},
                icon_name="user",
                classname="button-secondary" if not offer.only_difference else "",
                attrs={"type": "submit", "form": APPLY_NAMING_FORM_ID, "data-consent-apply-naming": ""},
                priority=11,
            ),
        )
    state = story_states([consent_story_id(page)]).get(consent_story_id(page)) if buttons else None
    return {
        "buttons": buttons,
        "state": state,
        "state_label": LABELS.get(state, ""),
        "state_classname": STATE_CLASSES.get(state, ""),
        "apply_url": apply_url,
        "form_id": APPLY_NAMING_FORM_ID,
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
