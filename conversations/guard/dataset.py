"""The labelled messages the guard learns from and is measured on (``data/messages.jsonl``).

One JSON object a line: ``{"id", "lang", "network", "text", "labels": [...], "split"}``. The texts
were written for Vertel (none is a real person's message): replies to a hospital's posts,
comments and direct messages in Dutch and English, with the hard cases the guard must get right.

``split`` is fixed: about 28% of every stratum (language and main label) is held out as ``test``
and is never used for training or for choosing thresholds. New rows may be appended without a
split; ``write(assign_splits(load()))`` then gives them one, in a fixed order (the
SHA-256 of their id), keeping every stratum near the share, without moving existing rows.
"""

import hashlib
import json
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parent / "data" / "messages.jsonl"
TEST_SHARE = 0.28
# The main label of a row, for stratifying: the most serious one it carries.
PRIORITY = ("crisis", "medical_question", "health_disclosure", "complaint")


def load(path=DATA_FILE, split=None):
    """The rows of ``path`` (all, or those of ``split``), in file order."""
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    if split is not None:
        rows = [row for row in rows if row.get("split") == split]
    return rows


def main_label(labels):
    return next((label for label in PRIORITY if label in labels), "none")


def stratum(row):
    return (row["lang"], main_label(row["labels"]))


def _order(row):
    return hashlib.sha256(row["id"].encode("utf-8")).hexdigest()


def assign_splits(rows, share=TEST_SHARE):
    """Give every row without a ``split`` one; rows that have one keep it. Returns ``rows``."""
    counts = {}
    for row in rows:
        if row.get("split"):
            total, test = counts.get(stratum(row), (0, 0))
            counts[stratum(row)] = (total + 1, test + (row["split"] == "test"))
    for row in sorted((row for row in rows if not row.get("split")), key=_order):
        total, test = counts.get(stratum(row), (0, 0))
        total += 1
        goes_to_test = (test + 1) <= share * total
        row["split"] = "test" if goes_to_test else "train"
        counts[stratum(row)] = (total, test + goes_to_test)
    return rows


def write(rows, path=DATA_FILE):
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
