"""The health-data guard: classifies every incoming message locally, in Dutch and English.

Interface (used by ``conversations.ingest.store`` and the reply form):

- ``classify(text, language="") -> Verdict``: the labels (``conversations.models.Label`` values),
  the reasons in words, and the language found.

PLACEHOLDER until the guard lands: a handful of rules, to be replaced by the trained classifier.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    labels: tuple = ()
    reasons: tuple = ()
    language: str = ""
    scores: dict = field(default_factory=dict)


def classify(text, language=""):
    lowered = (text or "").lower()
    labels = []
    if any(word in lowered for word in ("zelfmoord", "suicide", "kill myself", "niet meer leven")):
        labels.append("crisis")
    if "?" in lowered and any(word in lowered for word in ("medicijn", "medication", "dose", "dosis")):
        labels.append("medical_question")
    return Verdict(labels=tuple(labels), reasons=(), language=language)
