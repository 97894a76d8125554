"""The evidence as a consent officer reads it: in words, in the reader's language, in the organisation's time zone.

The log keeps what it recorded (``signer``, ``user:12``, ``first_name``, UTC times): that is the
audit record, hashed into the chain, and the JSON export gives it as stored. The evidence pages say
the same things in words: "de ondertekenaar", the user's name, "Alleen voornaam", the channels by
their labels, and times in ``TIME_ZONE`` with the zone named.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from .hooks import channel_labels
from .models import Consent, ConsentEvent, SignerRole
from .receipt import local_datetime, naming_label
from .services.withdrawal import CO_SIGNER

USER_PREFIX = "user:"


def time_zone_name():
    """The zone every evidence time is shown in (``TIME_ZONE``, e.g. Europe/Amsterdam)."""
    return settings.TIME_ZONE


def evidence_time(value):
    """``value`` in the organisation's zone, its abbreviation after it (``3 december 2026 18:05 CET``)."""
    if value is None:
        return "—"
    return local_datetime(value, "SHORT_DATETIME_FORMAT") + " " + local_datetime(value, "T")


def user_names(actors):
    """``{actor: name}`` of the ``user:<id>`` actors among ``actors``, in one query."""
    ids = {}
    for actor in actors:
        if actor.startswith(USER_PREFIX) and actor[len(USER_PREFIX) :].isdigit():
            ids[int(actor[len(USER_PREFIX) :])] = actor
    users = get_user_model().objects.filter(pk__in=ids)
    return {ids[user.pk]: user.get_full_name().strip() or user.get_username() for user in users}


def actor_words(actor, names):
    """Who acted, in words: "the signer", a user's name, "Vertel (automatic)"."""
    if actor in names:
        return names[actor]
    if actor.startswith(USER_PREFIX):
        return _("a user who no longer exists (%(actor)s)") % {"actor": actor}
    words = {
        "signer": _("the signer"),
        CO_SIGNER: _("the signer, through a linked consent"),
        "system": _("Vertel (automatic)"),
        "": "—",
    }
    return str(words.get(actor, actor))


def channel_words(keys, labels=None):
    """Channel keys as their labels (``website`` → "Website"), joined; "—" for none."""
    labels = channel_labels() if labels is None else labels
    return ", ".join(str(labels.get(key, key)) for key in keys or []) or "—"


def kind_words(kind):
    try:
        return str(ConsentEvent.Kind(kind).label)
    except ValueError:
        return kind


def event_rows(events):
    """The log's entries as rows in words: ``sequence``, ``when``, ``what``, ``who``, ``hash``."""
    events = list(events)
    names = user_names(event.actor for event in events)
    return [
        {
            "sequence": event.sequence,
            "when": evidence_time(event.created_at),
            "what": kind_words(event.kind),
            "who": actor_words(event.actor, names),
            "hash": event.hash,
        }
        for event in events
    ]


def consent_rows(consents):
    """The consents as rows in words: their times in the organisation's zone, their channels by label."""
    labels = channel_labels()
    return [
        {
            "consent": consent,
            "signed": evidence_time(consent.signed_at),
            "channels": channel_words(consent.channels, labels),
            "withdrawn": channel_words(consent.withdrawn_channels, labels) if consent.withdrawn_channels else "",
            "withdrawn_at": evidence_time(consent.withdrawn_at) if consent.withdrawn_at else "",
        }
        for consent in consents
    ]


def yes_no(value):
    return _("yes") if value else _("no")


def choice_label(choices, key):
    try:
        return str(choices(key).label)
    except ValueError:
        return key or "—"


def consent_facts(consent, data):
    """The printable page's facts about one consent, as ``(label, value)`` in words."""
    labels = channel_labels()
    signer = data["signer"]
    choices = data["choices"]
    who = signer["typed_name"] or "—"
    role = choice_label(SignerRole, signer["role"])
    if signer["relation"]:
        role = f"{role}, {signer['relation']}"
    valid_until = consent.valid_until
    return [
        (_("Story"), f"{data['story']['title']} (#{data['story']['id']}), {_('revision')} {data['revision_id']}"),
        (_("Signed at"), evidence_time(consent.signed_at)),
        (_("Signer"), f"{who} ({role})"),
        (_("Verification"), choice_label(Consent.Verification, signer["verification"])),
        (_("IP address"), signer["ip_address"] or "—"),
        (_("Channels"), channel_words(choices["channels"], labels)),
        (_("Naming"), naming_label(choices["naming"])),
        (_("Photos"), yes_no(choices["allow_photos"])),
        (_("Video"), yes_no(choices["allow_video"])),
        (_("Valid until"), local_datetime(valid_until, "DATE_FORMAT") if valid_until else _("no end date")),
        (
            _("Withdrawn"),
            f"{channel_words(consent.withdrawn_channels, labels)} {evidence_time(consent.withdrawn_at)}"
            if consent.withdrawn_at
            else "—",
        ),
        (_("Erased"), evidence_time(consent.erased_at) if consent.erased_at else "—"),
    ]
