"""The choosers of the story editor: storytellers searched and created in place, themes and
departments only in the story's own language.

- ``PersonChooserViewSet``: the storyteller chooser searches name, first name, pseudonym and
  e-mail in the database (no copy of personal data in a search index, so erasure stays complete),
  leaves erased people out, and has a "create" tab.
- ``LocaleChooserViewSet``: a translatable snippet's chooser that, given ``?locale_id=``, lists
  only that locale and offers no other.
- ``StoryLocaleChoicesMixin``: the story form's themes (a filterable checkbox list) and department
  (the chooser above) limited to the page's locale; a choice made in another locale shows as its
  translation, so nothing an editor did not touch changes.
"""

from django import forms
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.widgets import AdminSnippetChooser

PERSON_SEARCH_FIELDS = ("full_name", "first_name", "pseudonym", "email")


class PersonSearchForm(BaseFilterForm):
    """Every word of the query in one of the storyteller's names or their e-mail address."""

    q = forms.CharField(
        label=_("Search term"), required=False, widget=forms.TextInput(attrs={"placeholder": _("Search")})
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            for word in query.split():
                match = Q()
                for field in PERSON_SEARCH_FIELDS:
                    match |= Q(**{f"{field}__icontains": word})
                objects = objects.filter(match)
            self.is_searching = True
            self.search_query = query
        return objects


class PersonCreationForm(forms.ModelForm):
    """The storyteller's details, entered in the chooser without leaving the story."""

    class Meta:
        fields = ["full_name", "first_name", "pseudonym", "birth_date", "email"]
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"})}


class PersonChooseMixin:
    filter_form_class = PersonSearchForm

    def get_object_list(self):
        return self.model_class.objects.filter(erased_at__isnull=True)


class PersonChooseView(PersonChooseMixin, ChooseView):
    pass


class PersonChooseResultsView(PersonChooseMixin, ChooseResultsView):
    pass


class PersonChooserViewSet(SnippetChooserViewSet):
    choose_view_class = PersonChooseView
    choose_results_view_class = PersonChooseResultsView
    create_action_label = _("Add a storyteller")
    creation_tab_label = _("New storyteller")

    @cached_property
    def creation_form_class(self):
        return forms.modelform_factory(self.model, form=PersonCreationForm)


class LocaleChooseMixin:
    """With ``?locale_id=`` the list is that locale's and the chooser offers no locale filter."""

    @cached_property
    def i18n_enabled(self):
        return "locale_id" not in self.request.GET and super().i18n_enabled


class LocaleChooseView(LocaleChooseMixin, ChooseView):
    pass


class LocaleChooseResultsView(LocaleChooseMixin, ChooseResultsView):
    pass


class LocaleChooserViewSet(SnippetChooserViewSet):
    choose_view_class = LocaleChooseView
    choose_results_view_class = LocaleChooseResultsView
    preserve_url_parameters = ["multiple", "locale_id"]
    url_filter_parameters = ["locale_id"]


class LocaleSnippetChooser(AdminSnippetChooser):
    """A snippet chooser whose modal lists only ``locale_id``'s snippets."""

    def __init__(self, model=None, locale_id=None, **kwargs):
        self.locale_id = locale_id
        super().__init__(model=model, **kwargs)

    def get_chooser_modal_url(self):
        url = super().get_chooser_modal_url()
        return f"{url}?locale_id={self.locale_id}" if self.locale_id else url


class FilteredCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    """A checkbox list with a search box above it that hides the options that do not match."""

    template_name = "stories/widgets/filtered_checkboxes.html"


def _translated(items, locale_id):
    from .snippets import in_locale

    return [in_locale(item, locale_id) for item in items]


class StoryLocaleChoicesMixin:
    """Themes and department of the page's own locale (a form mixin for the story editor)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale_id = self.instance.locale_id or getattr(getattr(self, "parent_page", None), "locale_id", None)
        if not locale_id:
            return
        themes = self.fields.get("themes")
        if themes is not None:
            themes.queryset = themes.queryset.filter(locale_id=locale_id)
            if self.instance.pk and not self.is_bound:
                self.initial["themes"] = [theme.pk for theme in _translated(self.instance.themes.all(), locale_id)]
        department = self.fields.get("department")
        if department is not None:
            current = self.instance.department if self.instance.department_id else None
            # A department chosen before, in another language, stays valid: switching it silently
            # would change what the signed consent covers.
            allowed = Q(locale_id=locale_id)
            if current is not None:
                allowed |= Q(pk=current.pk)
            department.queryset = department.queryset.filter(allowed)
            widget = LocaleSnippetChooser(model=department.queryset.model, locale_id=locale_id)
            widget.is_required = department.required
            department.widget = widget
