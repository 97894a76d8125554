"""The guard's reasons, in words: what the inbox shows beside a flag, and what a reply check says.

Each is a lazy translation (English is the message id), so a verdict shows in the reader's
language. Stored reasons (``Message.reasons``, ``Reply.warnings``) keep the English text
(``stored``) and are shown through ``shown``, which translates them at display time.
"""

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# Medical questions
ASKS_MEDICATION = _("asks about medication")
ASKS_SYMPTOMS = _("asks about symptoms")
ASKS_TREATMENT = _("asks about a treatment or recovery")
ASKS_CONDITION = _("asks about an illness or condition")
ASKS_RESULTS = _("asks about test results")
ASKS_PREGNANCY = _("asks about a pregnancy")
ASKS_SEEK_CARE = _("asks whether to come to the hospital")
ASKS_PATIENT = _("asks about a patient's stay or care")
READS_MEDICAL_QUESTION = _("reads like a question about someone's health or care")

# Health details
NAMES_OWN_CONDITION = _("mentions their own illness or condition")
NAMES_RELATIVE_CONDITION = _("names a relative's illness or condition")
NAMES_OWN_TREATMENT = _("mentions their own treatment or stay")
NAMES_RELATIVE_TREATMENT = _("names a relative's treatment")
NAMES_RELATIVE_ADMISSION = _("names a relative's admission")
NAMES_OWN_MEDICATION = _("mentions their medication")
NAMES_SYMPTOMS = _("describes symptoms")
NAMES_PREGNANCY = _("mentions a pregnancy or birth")
NAMES_LOSS = _("mentions a death or loss")
READS_HEALTH_DETAILS = _("shares health details about someone")

# Crisis
CRISIS_SUICIDE = _("mentions suicidal thoughts")
CRISIS_SELF_HARM = _("mentions self-harm")
CRISIS_HOPELESS = _("sounds hopeless or speaks of not wanting to live")
CRISIS_FAREWELL = _("sounds like a farewell")
CRISIS_OVERDOSE = _("mentions an overdose or poisoning")
CRISIS_EMERGENCY = _("describes a medical emergency now")
CRISIS_VIOLENCE = _("mentions violence or a threat")
CRISIS_THIRD_PARTY = _("says someone else is in danger")
READS_CRISIS = _("may be a crisis: read it now")

# Complaints
COMPLAINS_WAITING = _("complains about waiting time")
COMPLAINS_UNREACHABLE = _("complains that nobody answers")
COMPLAINS_CANCELLED = _("complains about a cancelled or moved appointment")
COMPLAINS_STAFF = _("complains about how staff treated someone")
COMPLAINS_COSTS = _("complains about costs, bills or parking")
COMPLAINS_FACILITIES = _("complains about the building or a service")
COMPLAINS_CARE = _("complains about the care given")
SOUNDS_ANGRY = _("sounds angry or sarcastic")
READS_COMPLAINT = _("reads like a complaint")

# The reason shown when the model flags a label and no rule explains it.
FALLBACK = {
    "medical_question": READS_MEDICAL_QUESTION,
    "health_disclosure": READS_HEALTH_DETAILS,
    "crisis": READS_CRISIS,
    "complaint": READS_COMPLAINT,
}

# Replies (``guard.replies``)
REPLY_REPEATS_DETAIL = _("repeats a health detail from their message")
REPLY_NAMES_HEALTH = _("mentions the person's health or treatment")
REPLY_CONFIRMS_PATIENT = _("confirms that they or a relative are a patient")
REPLY_WISHES_RECOVERY = _("wishes them well with a treatment or recovery, which tells others they are ill")


def stored(reasons):
    """``reasons`` as plain English text, for a JSON field: translated again when shown."""
    with translation.override(None):
        return [str(reason) for reason in reasons]


def shown(reasons):
    """Stored reasons (English text) in the active language; a text the catalogue lacks stays as it is."""
    return [gettext(reason) for reason in reasons]
