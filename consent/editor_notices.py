"""Who hears about a story's consent among the staff, and what they are told about the story.

A signature, a withdrawal, a consent ending soon and a consent that ended (its end date passed, or
the person's data were erased, and the story was taken down) are told to the story's owner and the
editor who asked for the consent (each in their admin language), and the withdrawal and the ending
soon also to the consent officer (the site's language). The mails name the story by its title and
link to its edit page: what the editor sees in the admin, nothing of the patient beyond that. This
module sends the signature notice and the notice of an ended consent; ``consent.notices``
(withdrawal) and ``consent.periodic`` (ending soon) use its recipients and story details, so each
event is told once, by one sender.
"""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .tasks import queue_message


def admin_language(user):
    """The language ``user`` chose for the admin, else the site's."""
    profile = getattr(user, "wagtail_userprofile", None)
    preferred = profile.get_preferred_language() if profile else None
    return preferred or settings.LANGUAGE_CODE


def staff_recipients(consent, *, officer=True):
    """``[(address, language), ...]``: the story's owner, the editor who asked, and the officer.

    The officer reads the site's language; an editor who is also the officer reads their own.
    Inactive users and users without an address are left out.
    """
    recipients = {}
    address = settings.VERTEL["CONSENT_OFFICER_EMAIL"] if officer else ""
    if address:
        recipients[address] = settings.LANGUAGE_CODE
    story = consent.story
    people = [consent.request.created_by, getattr(story, "owner", None)]
    for person in people:
        if person is not None and person.email and person.is_active:
            recipients[person.email] = admin_language(person)
    return sorted(recipients.items())


def story_details(consent):
    """The reference, the story's title and the absolute link to its edit page."""
    story = consent.story
    link = (
        settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("wagtailadmin_pages:edit", args=[consent.story_id])
        if story is not None
        else ""
    )
    return {
        "reference": consent.reference,
        "title": story.title if story is not None else gettext_lazy("(story deleted)"),
        "link": link,
    }


def notify_signed(consent):
    """Tell the owner and the editor who asked that the patient signed (queued, retried)."""
    for address, language in staff_recipients(consent, officer=False):
        queue_message(
            "consent/mail/signed_notice",
            story_details(consent),
            [address],
            language=language,
            label=f"signed notice #{consent.pk}",
        )


ENDED_REASONS = ("expired", "erased")


def notify_ended(consent, reason):
    """Tell the owner and the editor who asked that the consent ended and the story was taken down.

    Called by ``consent.services.withdrawal.withdraw`` inside its transaction, with the consent row
    locked, only when that call ended the consent: a retried expiry job or a second erasure finds it
    ended already and sends nothing, so each consent is told once. The mail is queued in the same
    transaction, so it goes out exactly when the ending is committed.
    """
    if reason not in ENDED_REASONS:
        return
    values = {**story_details(consent), "erased": reason == "erased"}
    if consent.valid_until is not None:
        values["date"] = timezone.localtime(consent.valid_until).strftime("%d-%m-%Y")
    for address, language in staff_recipients(consent, officer=False):
        queue_message(
            "consent/mail/ended_notice",
            values,
            [address],
            language=language,
            label=f"consent ended notice #{consent.pk} ({reason})",
        )
