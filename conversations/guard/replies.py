"""The outgoing check: what in one of our replies must not go out, or should be read again.

``check_reply(text, conversation=...)`` returns a :class:`ReplyCheck`:

- ``blocks``: the reply must not be sent as it is. A reply under a patient story's post that names
  the storyteller beyond what their consent allows is blocked: when the naming in force is "first
  name only", their full name (and their surname); under a pseudonym or anonymously, their real
  first or last name as well (and, anonymously, the pseudonym). The naming in force is the most
  careful of the story's live naming and that of every active consent of the story; with no
  active consent (withdrawn, expired) the storyteller may not be named at all.
- ``warnings``: health details about the person in our own text, which a public reply must not
  carry (KNMG, GMC: even confirming someone is a patient breaks confidentiality): repeating a
  health word from their messages, wishing them well with a treatment ("sterkte met je chemo"),
  or confirming that they or a relative are a patient ("we hope your mother recovers well from her
  surgery").

Reasons are lazy translations. The texts are never logged.
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from . import reasons as R
from . import rules
from .text import normalize

# The naming choices from the most open to the most careful (``consent.naming.Naming`` values).
NAMING_ORDER = ("full_name", "first_name", "pseudonym", "anonymous")
# Dutch and other surname particles: "de Vries" is found as "Vries" too.
PARTICLES = frozenset({"de", "der", "den", "van", "von", "ten", "ter", "het", "'t", "te", "la", "le", "du", "da"})


@dataclass
class ReplyCheck:
    blocks: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.blocks and not self.warnings


_YOU = r"\b(?:you|your|you're|you've|yours|je|jij|jou|jouw|u|uw|jullie|je bent|bent u)\b"
_ADDRESSED_RELATIVE = (
    r"\b(?:your|je|jouw|uw)\s+(?:\w+\s+)?(?:mum|mom|mother|dad|father|son|daughter|husband|wife|partner|brother|sister"
    r"|grandma|gran|grandmother|grandpa|grandfather|baby|child|little one|moeder|vader|zoon|dochter|man|vrouw"
    r"|broer|zus|oma|opa|kind|kindje|baby|zoontje|dochtertje)\b"
)
_WISHES = re.compile(
    r"\b(?:get well|recover\w*|recovery|speedy recovery|good luck with|all the best with|strength with"
    r"|hope \w+ (?:is|are) (?:feeling )?better|beterschap|sterkte met|succes met|herstel|goed herstel"
    r"|spoedig herstel|snel beter)\b"
)
_CONFIRMS = re.compile(
    r"\b(?:as (?:our|a) patient|during (?:your|her|his) (?:stay|admission|treatment)|on (?:our|the) ward"
    r"|in our care|your (?:stay|admission|appointment|treatment|diagnosis|results|scan|operation|surgery)"
    r"|tijdens (?:uw|je|jouw|haar|zijn) (?:opname|verblijf|behandeling)|op (?:onze|de) afdeling|bij ons opgenomen"
    r"|(?:uw|je|jouw) (?:opname|afspraak|behandeling|diagnose|uitslag|uitslagen|scan|operatie)|als patient)\b"
)
_HEALTH_TERMS = (rules.MEDICATION, rules.SYMPTOM, rules.PROCEDURE, rules.CONDITION, rules.PREGNANCY)
# Words too common to count as "a health detail from their message" on their own.
_COMMON = frozenset({"pain", "pijn", "moe", "tired", "dik", "care", "herstel", "recovery", "the er", "your er"})


def _health_words(normalized):
    found = set()
    for pattern in _HEALTH_TERMS:
        for match in re.finditer(pattern, normalized):
            word = re.sub(r"\s+", " ", match.group(0))
            if word not in _COMMON and len(word) > 2:
                found.add(word)
    return found


def _warnings(normalized, conversation):
    warnings = []
    addressed = re.search(_YOU, normalized) or re.search(_ADDRESSED_RELATIVE, normalized)
    health_here = _health_words(normalized)
    if conversation is not None and health_here:
        theirs = set()
        for text in conversation.messages.filter(direction="in").values_list("text", flat=True):
            theirs |= _health_words(normalize(text))
        if health_here & theirs:
            warnings.append(R.REPLY_REPEATS_DETAIL)
    if addressed and _CONFIRMS.search(normalized):
        warnings.append(R.REPLY_CONFIRMS_PATIENT)
    if addressed and _WISHES.search(normalized) and (health_here or re.search(_ADDRESSED_RELATIVE, normalized)):
        warnings.append(R.REPLY_WISHES_RECOVERY)
    if addressed and health_here and not warnings:
        warnings.append(R.REPLY_NAMES_HEALTH)
    return warnings


def naming_in_force(page, consents=None):
    """The most careful naming of ``page`` (a specific patient story) and its active consents.

    With consents but none active (all withdrawn, expired or erased) the storyteller may not be
    named at all: ``"anonymous"``. ``consents`` are the story's (``consent.policy.consents_of``).
    """
    from consent.policy import consents_of, is_active

    if consents is None:
        consents = consents_of(page)
    active = [consent for consent in consents if is_active(consent)]
    if consents and not active:
        return "anonymous"
    namings = [getattr(page, "naming", "") or "anonymous"] + [consent.naming for consent in active]
    known = [naming for naming in namings if naming in NAMING_ORDER]
    return max(known, key=NAMING_ORDER.index) if known else "anonymous"


def _name_pattern(name):
    parts = [re.escape(part) for part in normalize(name).split()]
    if not parts:
        return None
    return re.compile(r"(?<![\w])" + r"\s+".join(parts) + r"(?![\w])")


def _surname(person):
    full = normalize(person.full_name).split()
    first = normalize(person.get_first_name()).split()
    rest = full[len(first) :] if full[: len(first)] == first else full[1:]
    core = [part for part in rest if part not in PARTICLES]
    return " ".join(core)


_NAMING_LABELS = {
    "first_name": _("they agreed to be named by first name only"),
    "pseudonym": _("they agreed to be named by a pseudonym only"),
    "anonymous": _("they agreed to stay anonymous"),
}
_NAMES_FULL = _("names the patient in full; %(rule)s")
_NAMES_SURNAME = _("names the patient's surname; %(rule)s")
_NAMES_FIRST = _("names the patient's first name; %(rule)s")
_NAMES_PSEUDONYM = _("names the patient by their pseudonym; %(rule)s")
_NOT_NAMED = _("names the patient; their consent is no longer active, so they may not be named")


def _blocks(normalized, conversation):
    story = getattr(conversation, "story", None) if conversation is not None else None
    if story is None:
        return []
    from consent.gate import is_consent_gated

    page = story.specific
    if not is_consent_gated(page):
        return []
    person = getattr(page, "storyteller", None)
    if person is None:
        return []
    from consent.policy import consents_of, is_active

    consents = consents_of(page)
    naming = naming_in_force(page, consents)
    if naming == "full_name":
        return []
    withdrawn = bool(consents) and not any(is_active(consent) for consent in consents)
    found = []
    checks = [(person.full_name, _NAMES_FULL)]
    surname = _surname(person)
    if surname:
        checks.append((surname, _NAMES_SURNAME))
    if naming in ("pseudonym", "anonymous"):
        checks.append((person.get_first_name(), _NAMES_FIRST))
    if naming == "anonymous" and len((person.pseudonym or "").strip(" .")) >= 3:
        checks.append((person.pseudonym, _NAMES_PSEUDONYM))
    for name, message in checks:
        pattern = _name_pattern(name or "")
        if pattern is not None and pattern.search(normalized):
            found.append(_NOT_NAMED if withdrawn else _format(message, _NAMING_LABELS[naming]))
            break  # the fullest match says it; the shorter ones are part of it
    return found


def _format(message, rule):
    from django.utils.functional import lazy

    return lazy(lambda: str(message) % {"rule": str(rule)}, str)()


def check_reply(text, *, conversation=None):
    """The :class:`ReplyCheck` of our reply ``text`` in ``conversation`` (a Conversation, or None)."""
    normalized = normalize(text)
    if not normalized:
        return ReplyCheck()
    return ReplyCheck(blocks=_blocks(normalized, conversation), warnings=_warnings(normalized, conversation))
