"""Every page type's editor form compares with the page itself, never with a hidden initial input.

A field with a callable default (``StoryPage.date``) otherwise counts as changed on every save,
because Wagtail's panels do not render Django's hidden ``initial-<name>`` input (issue 11, 18).
"""

import pytest
from wagtail.models import get_page_models


def all_fields(form):
    yield from form.fields.values()
    for formset in getattr(form, "formsets", {}).values():
        for child in formset.forms:
            yield from all_fields(child)
        yield from formset.form.base_fields.values()


@pytest.mark.django_db
@pytest.mark.parametrize("model", [m for m in get_page_models() if m._meta.app_label not in ("wagtailcore",)])
def test_no_editor_field_expects_a_hidden_initial(model, home):
    form_class = model.get_edit_handler().get_form_class()
    form = form_class(instance=model(), for_user=None, parent_page=home)
    expecting = [name for name, field in form.fields.items() if field.show_hidden_initial]
    assert not expecting, f"{model.__name__}: {expecting}"
    assert not [field for field in all_fields(form) if field.show_hidden_initial]
