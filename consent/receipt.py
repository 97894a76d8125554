"""What a receipt says, once: the same facts on the receipt page, in the receipt e-mail and in its PDF.

Each fact is a row of a label and a value in words, in the active language: the story by its
title, the organisation that asked, times in the organisation's zone (``TIME_ZONE``), the naming
by its label ("First name only", never ``first_name``), the channels by their labels. The pages and
mails of a withdrawal name the story and the organisation the same way (:func:`story_title`,
:func:`local_datetime`).
"""

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core.organisation import organisation_name

from .content import signed_hash
from .models import SignerRole
from .naming import Naming


def local_datetime(value, format_name="DATETIME_FORMAT"):
    """``value`` as the organisation reads it: in ``TIME_ZONE``, in the active language's format."""
    if value is None:
        return "-"
    return formats.date_format(timezone.localtime(value, timezone.get_default_timezone()), format_name)


def naming_label(key):
    """How the signer is named, in words: the label of ``Naming``, never its key."""
    try:
        return str(Naming(key).label)
    except ValueError:
        return key


def story_title(consent):
    """The story as the signer saw it: the title in the signed content, else the title when asked."""
    return (consent.content_manifest or {}).get("title") or consent.request.story_title


def receipt_rows(consent, channel_labels):
    """The receipt's facts as ``(label, value, is_code)``; ``is_code`` marks a hash (shown to wrap)."""
    signed_as = []
    if consent.signer_role in SignerRole.values and consent.signer_role != SignerRole.PATIENT:
        signed_as = [(_("Signed as"), str(SignerRole(consent.signer_role).label), False)]
    return [
        (_("Story"), story_title(consent), False),
        (_("Organisation"), organisation_name(), False),
        (_("Signed by"), consent.signer_typed_name, False),
        *signed_as,
        (_("Signed on"), local_datetime(consent.signed_at), False),
        (_("Channels"), ", ".join(str(channel_labels.get(key, key)) for key in consent.channels), False),
        (_("How you are named"), naming_label(consent.naming), False),
        (_("Photos"), _("yes") if consent.allow_photos else _("no"), False),
        (_("Video"), _("yes") if consent.allow_video else _("no"), False),
        (_("Until"), local_datetime(consent.valid_until, "DATE_FORMAT"), False),
        (_("Fingerprint of the story you signed (SHA-256)"), signed_hash(consent), True),
        (_("Fingerprint of the consent text (SHA-256)"), consent.consent_text_hash, True),
    ]
