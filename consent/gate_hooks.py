"""Wagtail hooks of the publishing gate: friendly messages instead of refusals deep in a save."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .gate import BLOCKED_LOG_ACTION, ConsentGatedPageMixin, check_consent, log_blocked


@hooks.register("register_log_actions")
def register_gate_log_actions(actions):
    actions.register_action(
        BLOCKED_LOG_ACTION,
        _("Publishing blocked: no consent"),
        _("Publishing blocked: no valid consent covers this content"),
    )


@hooks.register("before_publish_page")
def refuse_publishing_without_consent(request, page):
    """The edit and create views publish through here: explain a refusal and keep the draft.

    Both views have saved the submitted content as a revision before this hook runs, so the
    editor loses nothing; they return to the editor with the reason (and, after a change, which
    fields changed since signing).
    """
    specific = page.specific if not isinstance(page, ConsentGatedPageMixin) else page
    if not isinstance(specific, ConsentGatedPageMixin):
        return None
    _consent, error = check_consent(specific)
    if error is None:
        return None
    log_blocked(specific, user=request.user, revision=specific.get_latest_revision(), reason=error.reason)
    messages.error(request, error.messages[0])
    return redirect("wagtailadmin_pages:edit", specific.pk)


@hooks.register("before_edit_page")
def warn_about_changes_since_signing(request, page):
    """On opening the editor, say which signed fields the draft changed, or which media the signer refused."""
    if request.method != "GET":
        return None
    specific = page.specific if not isinstance(page, ConsentGatedPageMixin) else page
    if not isinstance(specific, ConsentGatedPageMixin):
        return None
    _consent, error = check_consent(specific.get_latest_revision_as_object())
    if error is not None and error.reason in ("changed", "no_photos", "no_video"):
        from .panels import signed_naming_offer

        offer = signed_naming_offer(specific) if error.reason == "changed" else None
        if offer is not None and offer.only_difference:
            # The signer chose another naming than the page shows; applying it is the next step.
            messages.warning(
                request,
                _(
                    "The signer chose to be named as “%(naming)s”, the story still uses another naming: "
                    "apply the signed naming (no new signature is needed)."
                )
                % {"naming": offer.label},
            )
        else:
            messages.warning(request, error.messages[0])
    return None
