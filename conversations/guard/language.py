"""Which language a message is in, found locally from its most common words (Dutch or English)."""

from .text import normalize, words


def _wordlist(*lines):
    return frozenset(word for line in lines for word in line.split())


DUTCH = _wordlist(
    "de het een en van ik je jij u mijn mij me niet wel is zijn was op in met voor dat die dit er",
    "maar ook nog al naar bij om te wat hoe waarom wie waar kan kun mag moet wil heb heeft hebben",
    "gaat ga geen meer zo echt jullie we wij ze hij zij haar hem ons onze als dan nu toen",
    "dank bedankt graag hoi hallo alsjeblieft even gewoon iemand niemand iedereen heel veel",
)
ENGLISH = _wordlist(
    "the a an and of i you your my me not is are was were on in with for that this there but also",
    "still to what how why who where can could may must want have has had do does did don't no more",
    "so really we they he she her him our us if then now thanks thank please hi hello just someone",
    "nobody everyone very much it it's i'm at be been",
)
LANGUAGES = ("nl", "en")


def detect_language(text):
    """``"nl"`` or ``"en"`` when the words say so; ``""`` when they do not (too short, a tie)."""
    tokens = words(normalize(text))
    dutch = sum(token in DUTCH for token in tokens)
    english = sum(token in ENGLISH for token in tokens)
    if dutch == english:
        return ""
    return "nl" if dutch > english else "en"


def language_of(text, given=""):
    """The language to report: ``given`` when it is Dutch or English (``nl-BE`` → ``nl``), else detected."""
    primary = (given or "").strip().lower().replace("_", "-").split("-")[0]
    if primary in LANGUAGES:
        return primary
    return detect_language(text)
