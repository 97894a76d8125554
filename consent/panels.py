"""What the page editor offers for a patient story: the consent buttons and the signed naming to apply.

The dashboard's consent panel is ``consent.dashboard``; the explorer's column ``consent.listing``.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core import channel_keys

from .models import Consent

# The page editor: what the consent asks of the editor next ---------------------------------------


def naming_label(key):
    """The human label of a naming key (``first_name`` → "First name only"), the key if unknown."""
    from .naming import Naming

    try:
        return Naming(key).label
    except ValueError:
        return key


class NamingOffer:
    """The signed naming the story's draft does not use yet.

    ``only_difference`` is true when applying it makes the draft exactly what was signed: then the
    editor's next step is "Apply the signed naming", not a new signature.
    """

    def __init__(self, consent, only_difference):
        self.consent = consent
        self.only_difference = only_difference

    @property
    def label(self):
        return naming_label(self.consent.naming)


def signed_naming_offer(story):
    """A ``NamingOffer`` when the newest active website consent chose another naming than the draft."""
    from .content import content_hash
    from .gate import consent_story_id

    story_id = consent_story_id(story)
    if story_id is None:
        return None
    for consent in Consent.objects.active().filter(story_id=story_id).order_by("-signed_at"):
        if not consent.covers(channel_keys.WEBSITE):
            continue
        draft = story.get_latest_revision_as_object()  # a fresh copy, changed here only
        if consent.naming == draft.naming:
            return None
        draft.naming = consent.naming
        return NamingOffer(consent, only_difference=content_hash(draft) == consent.content_hash)
    return None


def story_consent_buttons(page, user, button_class):
    """The consent actions of a patient story ("Request consent", "Consent requests") as buttons."""
    from .gate import ConsentGatedPageMixin

    specific_class = page.specific_class
    if not page.pk or specific_class is None or not issubclass(specific_class, ConsentGatedPageMixin):
        return []
    if not page.permissions_for_user(user).can_edit():
        return []
    return [
        button_class(
            _("Request consent"),
            reverse("consent_request", args=[page.pk]),
            icon_name="mail",
            priority=12,
        ),
        button_class(
            _("Consent requests"),
            reverse("consent_requests") + f"?story={page.pk}",
            icon_name="list-ul",
            priority=13,
        ),
    ]
