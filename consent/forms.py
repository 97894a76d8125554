"""Forms of the consent flow: the editor's request and the signer's choices."""

import datetime
import unicodedata

from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import channel_keys

from .hooks import channel_choices as consent_channel_choices
from .models import Consent, ConsentRequest, SignerRole
from .naming import Naming


def _age_on(birth_date, day):
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def planned_account_keys(story):
    """The channel keys (``account:<id>``) of the planned posts in ``story``'s latest revision."""
    if story is None or not story.pk:
        return set()
    draft = story.get_latest_revision_as_object()
    plans = getattr(draft, "post_plans", None)
    return {plan.channel_key for plan in plans.all()} if plans is not None else set()


def draft_storyteller(story):
    """The storyteller of ``story``'s latest revision: the one the signer will sign for.

    An editor may have changed the storyteller in a draft; the live row still names the old one.
    Falls back to the row's storyteller when there is no revision or its person is gone.
    """
    if story is None:
        return None
    draft = story.get_latest_revision_as_object() if story.pk else story
    person_id = getattr(draft, "storyteller_id", None)
    if person_id is None:
        return None
    if person_id == getattr(story, "storyteller_id", None):
        return story.storyteller
    person_model = Consent._meta.get_field("person").related_model
    return person_model.objects.filter(pk=person_id).first()


_DRAFT = object()


def storyteller_initial(story, person=_DRAFT):
    """What the request form starts with: the storyteller's own details, or for a minor the
    parent or guardian who signed an earlier request for them.

    The storyteller is the person consent records for the story: the one of its latest revision
    (``draft_storyteller``, as in ``consent.services.requests``); consent needs no import of the
    stories app for it.
    """
    if person is _DRAFT:
        person = draft_storyteller(story)
    if person is None or getattr(person, "erased_at", None):
        return {}
    born = getattr(person, "birth_date", None)
    if not born or _age_on(born, timezone.localdate()) >= settings.VERTEL["AGE_OF_OWN_CONSENT"]:
        return {"signer_name": person.full_name, "signer_email": person.email, "signer_role": SignerRole.PATIENT}
    earlier = (
        ConsentRequest.objects.filter(person=person, erased_at__isnull=True)
        .exclude(signer_role=SignerRole.PATIENT)
        .exclude(signer_name="")
        .order_by("-created_at")
        .first()
    )
    if earlier is None:
        return {"signer_role": SignerRole.PARENT}
    return {
        "signer_name": earlier.signer_name,
        "signer_email": earlier.signer_email,
        "signer_role": earlier.signer_role,
    }


class RequestConsentForm(forms.Form):
    """What an editor fills in to ask a patient, or their representative, for consent."""

    signer_name = forms.CharField(label=_("Name of the person who signs"), max_length=200)
    signer_email = forms.EmailField(
        label=_("Their email address"),
        required=False,
        help_text=_("The personal link is sent here. Leave empty to sign in person with a printed link."),
    )
    in_person = forms.BooleanField(
        label=_("Sign in person"),
        required=False,
        help_text=_(
            "Show a printable link and QR code instead of emailing it. With an email address the signer "
            "confirms with a one-time code sent there; without one, sign on your own logged-in device."
        ),
    )
    signer_role = forms.ChoiceField(label=_("Who signs"), choices=SignerRole.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    proposed_channels = forms.MultipleChoiceField(label=_("Channels you propose"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, story=None, **kwargs):
        self.storyteller = person = draft_storyteller(story)
        kwargs["initial"] = {**storyteller_initial(story, person), **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        self.story = story
        self.fields["proposed_channels"].choices = self.channel_choices()
        if person is not None and getattr(person, "birth_date", None) and not getattr(person, "erased_at", None):
            self.fields["signer_role"].help_text = _(
                "The storyteller's date of birth on file: %(date)s. A parent or guardian signs under %(age)s."
            ) % {"date": person.birth_date.strftime("%d-%m-%Y"), "age": settings.VERTEL["AGE_OF_OWN_CONSENT"]}

    def channel_choices(self):
        """Every channel, each account without a planned post for this story saying so beside it.

        The signer sees the planned posts when signing; on an account this story has no planned
        post for, a consent alone posts nothing.
        """
        planned = planned_account_keys(self.story)
        choices = []
        for key, label in consent_channel_choices():
            if channel_keys.is_account_key(key) and key not in planned:
                label = format_html(
                    '{} <span class="help" data-no-planned-post>{}</span>',
                    label,
                    _("No planned post: nothing will be posted here."),
                )
            choices.append((key, label))
        return choices

    def clean(self):
        data = super().clean()
        person = self.storyteller
        if (
            person
            and person.birth_date
            and data.get("signer_role") == SignerRole.PATIENT
            and _age_on(person.birth_date, timezone.localdate()) < settings.VERTEL["AGE_OF_OWN_CONSENT"]
        ):
            self.add_error(
                "signer_role",
                _("The patient is younger than %(age)s: a parent or guardian must sign.")
                % {"age": settings.VERTEL["AGE_OF_OWN_CONSENT"]},
            )
        return data

    @property
    def delivery(self):
        return (
            ConsentRequest.Delivery.EMAIL
            if self.cleaned_data.get("signer_email") and not self.cleaned_data.get("in_person")
            else ConsentRequest.Delivery.IN_PERSON
        )


def latest_end_date(today=None):
    """The last day a consent signed today may last: ``CONSENT_MAX_MONTHS`` on (an empty end date)."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=int(settings.VERTEL["CONSENT_MAX_MONTHS"] * 30.44))


class SignForm(forms.Form):
    """The signer's informed, specific choices, and their signature."""

    channels = forms.MultipleChoiceField(label=_("Where may your story appear?"), widget=forms.CheckboxSelectMultiple)
    naming = forms.ChoiceField(label=_("How may we name you?"), choices=Naming.choices, widget=forms.RadioSelect)
    allow_photos = forms.BooleanField(label=_("Photos of me may be shown"), required=False)
    allow_video = forms.BooleanField(label=_("Video of me may be shown"), required=False)
    valid_until = forms.DateField(
        label=_("Until when?"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    patient_birth_date = forms.DateField(
        label=_("The patient's date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    typed_name = forms.CharField(label=_("Type your full name as your signature"), max_length=200)
    relation = forms.CharField(
        label=_("Your relation to the patient"),
        max_length=200,
        required=False,
        help_text=_("For example: myself, mother, guardian, curator."),
    )
    declaration = forms.BooleanField(
        label=_("I have read the text and the story above, and I give my consent as chosen here."), required=True
    )

    def __init__(self, *args, consent_request, **kwargs):
        super().__init__(*args, **kwargs)
        self.consent_request = consent_request
        offered = dict(consent_channel_choices())
        proposed = [key for key in consent_request.proposed_channels if key in offered] or list(offered)
        self.fields["channels"].choices = [(key, offered[key]) for key in proposed]
        self.fields["valid_until"].help_text = _(
            "Leave empty for the longest term: until %(date)s. You can withdraw earlier at any time."
        ) % {"date": formats.date_format(latest_end_date(), "DATE_FORMAT")}
        self.fields["valid_until"].widget.attrs["aria-describedby"] = "valid-until-help"
        if consent_request.signer_role == SignerRole.PATIENT:
            # A patient signing for themself is not asked their date of birth nor their relation
            # to the patient: the editor chose them as the signer, and a date on file still stops
            # a minor (see ``clean``).
            del self.fields["patient_birth_date"]
            del self.fields["relation"]
        else:
            # Someone signing for the patient gives the patient's date of birth: it decides whether
            # a representative may sign (a minor needs a parent or guardian) and is kept as evidence.
            self.fields["patient_birth_date"].required = True
            self.fields["relation"].required = True

    def clean_valid_until(self):
        until = self.cleaned_data.get("valid_until")
        today = timezone.localdate()
        latest = latest_end_date(today)
        if until is None:
            return latest  # "until withdrawn" still ends at the organisation's maximum
        if until <= today:
            raise forms.ValidationError(_("Choose a date in the future."))
        if until > latest:
            raise forms.ValidationError(
                _("Consent can last at most %(months)s months; choose %(date)s or earlier.")
                % {"months": settings.VERTEL["CONSENT_MAX_MONTHS"], "date": latest.strftime("%d-%m-%Y")}
            )
        return until

    def clean_typed_name(self):
        typed = self.cleaned_data.get("typed_name", "")
        # Invisible (format) and control characters, bidi overrides among them, can make a typed
        # name look like someone else's or like nothing at all: a signature is visible text only.
        if any(unicodedata.category(char) in ("Cf", "Cc") for char in typed):
            raise forms.ValidationError(
                _("Type your name with visible letters only: it contains invisible or control characters.")
            )
        if not typed.strip():
            raise forms.ValidationError(_("Type your full name: a signature cannot be empty."))
        return typed.strip()

    def clean_patient_birth_date(self):
        born = self.cleaned_data.get("patient_birth_date")
        if born and (born > timezone.localdate() or born.year < 1900):
            raise forms.ValidationError(_("Enter a real date of birth."))
        return born

    def clean(self):
        data = super().clean()
        born = data.get("patient_birth_date")
        person = self.consent_request.person
        on_file = person.birth_date if person is not None else None
        self.birth_date_mismatch = False
        if on_file is not None:
            # The record on file wins: a typed date never overrides it, and a different one stops.
            if born is not None and born != on_file:
                self.birth_date_mismatch = True
                raise forms.ValidationError(
                    _(
                        "The date of birth you entered does not match our records. Check it, or contact "
                        "the person who sent you this link; you cannot sign until it matches."
                    )
                )
            born = on_file
            data["patient_birth_date"] = on_file
        minimum = settings.VERTEL["AGE_OF_OWN_CONSENT"]
        if (
            born
            and _age_on(born, timezone.localdate()) < minimum
            and self.consent_request.signer_role not in (SignerRole.PARENT, SignerRole.GUARDIAN)
        ):
            raise forms.ValidationError(
                _("The patient is younger than %(age)s: a parent or guardian must sign.") % {"age": minimum}
            )
        return data
