"""The base form of every page type's editor.

Django gives a form field whose model field has a callable default (``StoryPage.date`` defaults
to today) a hidden ``initial-<name>`` input, and compares the submitted value with it to decide
whether the field changed. Wagtail's panels never render that input, so every Save, Submit or
Approve counted the form as changed: the editor saved a new, identical revision, and with
``WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT`` the Approve restarted the workflow instead of
publishing. The editor's forms compare with the instance's own values instead.
"""

from wagtail.admin.forms import WagtailAdminPageForm


def compare_with_instance(form):
    """Switch off hidden initials on ``form``, its child formsets' forms and their form classes."""
    for field in form.fields.values():
        field.show_hidden_initial = False
    for formset in getattr(form, "formsets", {}).values():
        for field in formset.form.base_fields.values():
            field.show_hidden_initial = False
        for child in formset.forms:
            compare_with_instance(child)


class NoHiddenInitialMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        compare_with_instance(self)


class PageForm(NoHiddenInitialMixin, WagtailAdminPageForm):
    """The editor form of page types without a form of their own."""
