"""Measuring a classifier on labelled rows: per-label precision, recall and F1, unsafe recall, false flags.

Used by ``manage.py guard_benchmark`` and by the test that holds the guard to its targets on the
test split. ``keyword_baseline`` is the plain keyword-list classifier the guard is compared with;
``rules_only`` is the guard's rules without its model.
"""

import re
from dataclasses import dataclass

from .model import LABELS
from .text import normalize

UNSAFE = frozenset({"medical_question", "health_disclosure", "crisis"})
# What the guard must reach on the test split (docs/guard.md).
TARGETS = {"crisis_recall": 0.95, "unsafe_recall": 0.90, "false_flag_rate": 0.10}


@dataclass
class Figures:
    per_label: dict  # label -> (precision, recall, f1, support)
    unsafe_recall: float
    false_flag_rate: float
    count: int

    @property
    def crisis_recall(self):
        return self.per_label["crisis"][1]

    def meets_targets(self):
        return (
            self.crisis_recall >= TARGETS["crisis_recall"]
            and self.unsafe_recall >= TARGETS["unsafe_recall"]
            and self.false_flag_rate <= TARGETS["false_flag_rate"]
        )


def measure(rows, predict):
    """The :class:`Figures` of ``predict(text, lang) -> labels`` on ``rows``."""
    predicted = [set(predict(row["text"], row.get("lang", ""))) for row in rows]
    per_label = {}
    for label in LABELS:
        tp = sum(label in p and label in row["labels"] for p, row in zip(predicted, rows, strict=True))
        fp = sum(label in p and label not in row["labels"] for p, row in zip(predicted, rows, strict=True))
        fn = sum(label not in p and label in row["labels"] for p, row in zip(predicted, rows, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = (precision, recall, f1, tp + fn)
    unsafe = [(p, row) for p, row in zip(predicted, rows, strict=True) if UNSAFE.intersection(row["labels"])]
    harmless = [p for p, row in zip(predicted, rows, strict=True) if not row["labels"]]
    return Figures(
        per_label=per_label,
        unsafe_recall=sum(bool(UNSAFE & p) for p, _row in unsafe) / len(unsafe) if unsafe else 1.0,
        false_flag_rate=sum(bool(p) for p in harmless) / len(harmless) if harmless else 0.0,
        count=len(rows),
    )


def _keywords(*words):
    return re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")\b")


# The baseline: a label when any of its keywords is in the text (a medical question also needs a "?").
BASELINE_KEYWORDS = {
    "medical_question": _keywords(
        "medication",
        "medicine",
        "pill",
        "pills",
        "dose",
        "ibuprofen",
        "paracetamol",
        "doctor",
        "symptoms",
        "pain",
        "fever",
        "surgery",
        "operation",
        "treatment",
        "medicijn",
        "medicijnen",
        "medicatie",
        "dosis",
        "pil",
        "pillen",
        "dokter",
        "arts",
        "klachten",
        "pijn",
        "koorts",
        "operatie",
        "behandeling",
    ),
    "health_disclosure": _keywords(
        "diagnosed",
        "diagnosis",
        "cancer",
        "diabetes",
        "depression",
        "admitted",
        "chemo",
        "surgery",
        "stroke",
        "pregnant",
        "patient",
        "diagnose",
        "kanker",
        "depressie",
        "opgenomen",
        "beroerte",
        "zwanger",
        "patient",
    ),
    "crisis": _keywords(
        "suicide",
        "kill myself",
        "end my life",
        "self harm",
        "overdose",
        "emergency",
        "zelfmoord",
        "mezelf van kant",
        "einde aan mijn leven",
        "overdosis",
        "noodgeval",
        "dood",
    ),
    "complaint": _keywords(
        "complaint",
        "waiting",
        "waited",
        "rude",
        "terrible",
        "disgrace",
        "unacceptable",
        "klacht",
        "wachten",
        "gewacht",
        "wachtlijst",
        "onbeschoft",
        "schandalig",
        "slecht",
        "onacceptabel",
    ),
}


def rules_only(text, lang=""):
    """The guard's rules without the model: what the model adds is the difference."""
    from .rules import hits

    found = {hit.label for hit in hits(normalize(text))}
    return [label for label in LABELS if label in found]


def keyword_baseline(text, lang=""):
    normalized = normalize(text)
    labels = [label for label, pattern in BASELINE_KEYWORDS.items() if pattern.search(normalized)]
    if "medical_question" in labels and "?" not in normalized:
        labels.remove("medical_question")
    return labels
