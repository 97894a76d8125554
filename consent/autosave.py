"""No autosave for patient stories: every draft of a patient's story is one an editor chose to save.

Wagtail 8 autosaves the page editor every ``WAGTAIL_AUTOSAVE_INTERVAL`` milliseconds (500 by
default) once something changed: the create form's first autosave *creates the page* as a draft
(and moves the browser to its edit form), the edit form's autosaves write revisions. For a patient
story that leaves drafts, with the patient's story in them, that nobody decided to keep: an editor
who opens "Add patient story", types a name and walks away has made a page. So for consent-gated
pages autosave is off, in two places:

- the create and edit templates (``consent/templates/wagtailadmin/pages/``) render the form
  without Wagtail's autosave controller and indicator (``consent_autosave_allowed``), so the
  browser never autosaves and the editor keeps Wagtail's "unsaved changes" warning;
- ``refuse_autosave`` (``before_create_page`` / ``before_edit_page``) refuses an autosave request
  (a POST that asks for JSON, which is how Wagtail's autosave posts) for such a page, whatever a
  browser does. Saving with the "Save draft" button is a normal form post and works as before.

Other pages keep Wagtail's autosave.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from wagtail import hooks

from .gating import ConsentGatedPage, is_consent_gated


def autosave_allowed(page_or_class):
    """False for a consent-gated page or page class, True otherwise (and for ``None``)."""
    if isinstance(page_or_class, type):
        return not issubclass(page_or_class, ConsentGatedPage)
    return page_or_class is None or not is_consent_gated(page_or_class)


def is_autosave(request):
    """Wagtail's autosave posts the form and asks for JSON; a form submitted by a button asks for HTML."""
    return request.method == "POST" and not request.accepts("text/html")


def refused():
    return JsonResponse(
        {
            "success": False,
            "error_code": "blocked_by_hook",
            "error_message": _("Patient stories are not saved automatically: use “Save draft”."),
        },
        status=400,
    )


@hooks.register("before_create_page")
def refuse_autosave_on_create(request, parent_page, page_class):
    if is_autosave(request) and not autosave_allowed(page_class):
        return refused()
    return None


@hooks.register("before_edit_page")
def refuse_autosave_on_edit(request, page):
    if is_autosave(request) and not autosave_allowed(page):
        return refused()
    return None
