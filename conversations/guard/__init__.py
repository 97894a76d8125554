"""The health-data guard: classifies every incoming message locally, in Dutch and English.

Nothing leaves the server and nothing is downloaded: the model is trained in this process, on
first use, from the labelled messages shipped in ``data/messages.jsonl`` (their train split), and
combined with rules (``guard.rules``) that find crisis language with high recall and say in words
why a message was flagged. See docs/guard.md for how it works, its figures and its limits.

Interface (used by ``conversations.ingest.store`` and the reply form):

- ``classify(text, language="") -> Verdict``: the labels (``conversations.models.Label`` values),
  the reasons in words (lazy translations: they show in the reader's language; store them with
  ``reasons.stored`` and show stored ones with ``reasons.shown``), the language (``"nl"``, ``"en"``
  or ``""``) and per label the model's score minus its threshold (positive: the model alone flags).
- ``check_reply(text, *, conversation) -> ReplyCheck``: what in one of our replies must not go out
  (``blocks``) or should be looked at again (``warnings``), in words.

A human always reviews: the guard sorts and explains, it decides nothing on its own. It never logs
message text.
"""

import threading
from dataclasses import dataclass, field

from . import dataset, reasons
from .language import language_of
from .model import LABELS, featurize, train
from .replies import ReplyCheck, check_reply

__all__ = ["LABELS", "ReplyCheck", "Verdict", "check_reply", "classify", "get_model", "reasons"]

# The order reasons are shown in: the most urgent first.
REASON_ORDER = ("crisis", "medical_question", "health_disclosure", "complaint")


@dataclass(frozen=True)
class Verdict:
    labels: tuple = ()
    reasons: tuple = ()
    language: str = ""
    scores: dict = field(default_factory=dict)

    @property
    def unsafe(self):
        return bool({"medical_question", "health_disclosure", "crisis"}.intersection(self.labels))


_model = None
_lock = threading.Lock()


def get_model():
    """The model trained on the train split, built once per process on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = train(dataset.load(split="train"))
    return _model


def classify(text, language=""):
    """The guard's :class:`Verdict` on ``text`` (an incoming message); ``language`` when the network says it."""
    if not (text or "").strip():
        return Verdict(language=language_of("", language))
    model = get_model()
    found, hits = featurize(text)
    raw = model.scores(found)
    ruled = {hit.label for hit in hits}
    labels = tuple(label for label in LABELS if label in ruled or raw[label] >= model.thresholds[label])
    chosen = []
    for label in REASON_ORDER:
        if label not in labels:
            continue
        own = [hit.reason for hit in hits if hit.label == label]
        for reason in own or [reasons.FALLBACK[label]]:
            if reason not in chosen:
                chosen.append(reason)
    scores = {label: round(raw[label] - model.thresholds[label], 3) for label in LABELS}
    return Verdict(labels=labels, reasons=tuple(chosen), language=language_of(text, language), scores=scores)
