"""Public forms: subscribe and preferences."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from stories.models import Theme

from .models import Language, Subscriber


def theme_choices_queryset():
    """The themes in the current language (themes are translatable snippets, one per locale)."""
    language = translation.get_language() or "nl"
    return Theme.objects.filter(locale__language_code=language[:2]).order_by("name")


# The largest id a database integer column holds: a larger number is no theme, not a server error.
MAX_ID = 2**63 - 1


class ThemeChoiceField(forms.ModelMultipleChoiceField):
    """Ticked themes; an id that is no number or too large for the database is an invalid choice."""

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            # ASCII digits only: str.isdigit() also accepts '¹' and other digits int() refuses.
            if not (text.isascii() and text.isdigit()) or int(text) > MAX_ID:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": text[:30]}
                )
        return super()._check_values(value)


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)
    language = forms.ChoiceField(label=_("Language of the newsletter"), choices=Language.choices)
    themes = ThemeChoiceField(
        label=_("Themes you are interested in"),
        queryset=Theme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave everything unticked to receive every story."),
    )
    source = forms.ChoiceField(
        choices=[(key, key) for key in (Subscriber.Source.HOME, Subscriber.Source.STORY, Subscriber.Source.PAGE)],
        required=False,
        widget=forms.HiddenInput,
    )
    source_page = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)
    # A field people never see: software that fills in every field gives itself away.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = theme_choices_queryset()
        self.fields["language"].initial = (translation.get_language() or "nl")[:2]

    def clean_source_page(self):
        value = self.cleaned_data.get("source_page", "")
        return value if value.startswith("/") else ""

    @property
    def is_bot(self):
        return bool(self.cleaned_data.get("website"))


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Subscriber
        fields = ["language", "themes"]
        widgets = {"themes": forms.CheckboxSelectMultiple}
        field_classes = {"themes": ThemeChoiceField}
        labels = {"language": _("Language of the newsletter"), "themes": _("Themes you are interested in")}
        help_texts = {"themes": _("Leave everything unticked to receive every story.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = theme_choices_queryset()
        if self.instance.pk:
            # Show the stored themes in the visitor's language.
            keys = self.instance.themes.values_list("translation_key", flat=True)
            self.initial["themes"] = list(self.fields["themes"].queryset.filter(translation_key__in=keys))
