"""The guard's data set and its targets on the held-out test split (these can fail: they are the bar).

Targets (issue 14): crisis recall >= 0.95, recall >= 0.90 on messages unsafe to answer in public
(any of medical question, health details, crisis), at most 10% of harmless messages flagged. The
guard measured is the one production runs: trained on the train split only.
"""

from collections import Counter

import pytest

from conversations import guard
from conversations.guard import dataset, evaluation, model
from conversations.models import Label


@pytest.fixture(scope="module")
def rows():
    return dataset.load()


@pytest.fixture(scope="module")
def test_rows():
    return dataset.load(split="test")


@pytest.fixture(scope="module")
def figures(test_rows):
    return evaluation.measure(test_rows, lambda text, lang: guard.classify(text, lang).labels)


def test_the_data_set_is_large_bilingual_and_well_formed(rows):
    assert len(rows) >= 500
    languages = Counter(row["lang"] for row in rows)
    assert set(languages) == {"nl", "en"}
    assert min(languages.values()) / len(rows) > 0.4
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"id", "lang", "network", "text", "labels", "split"}
        assert row["text"].strip()
        assert row["network"] in {"facebook", "instagram", "mastodon", "bluesky", "linkedin"}
        assert set(row["labels"]) <= set(Label.values)
        assert row["split"] in {"train", "test"}
    assert len({row["text"].lower() for row in rows}) == len(rows), "a text appears twice"


def test_every_label_and_harmless_messages_are_well_represented(rows):
    counts = Counter(label for row in rows for label in row["labels"] or ["none"])
    for label in (*Label.values, "none"):
        assert counts[label] >= 60, label


def test_the_split_is_fixed_stratified_and_about_a_quarter(rows):
    share = sum(row["split"] == "test" for row in rows) / len(rows)
    assert 0.25 <= share <= 0.30
    by_stratum = Counter((dataset.stratum(row), row["split"]) for row in rows)
    for stratum in {dataset.stratum(row) for row in rows}:
        total = by_stratum[(stratum, "train")] + by_stratum[(stratum, "test")]
        assert 0.2 <= by_stratum[(stratum, "test")] / total <= 0.32, stratum
    # Giving splits again changes nothing: the stored split is the deterministic one.
    again = dataset.assign_splits([{**row, "split": None} for row in rows])
    assert [row["split"] for row in again] == [row["split"] for row in rows]


def test_no_test_message_is_in_the_train_split(rows):
    train_texts = {row["text"].lower() for row in rows if row["split"] == "train"}
    assert not [row["id"] for row in rows if row["split"] == "test" and row["text"].lower() in train_texts]


def test_production_uses_the_model_trained_on_the_train_split_alone():
    trained = model.train(dataset.load(split="train"))
    assert guard.get_model().thresholds == trained.thresholds
    used = guard.get_model()
    sample = model.featurize("Mag ik ibuprofen nemen?")[0]
    assert used.scores(sample) == trained.scores(sample)


def test_crisis_recall_on_the_test_split(figures):
    assert figures.crisis_recall >= evaluation.TARGETS["crisis_recall"]


def test_unsafe_recall_on_the_test_split(figures):
    assert figures.unsafe_recall >= evaluation.TARGETS["unsafe_recall"]


def test_false_flags_on_harmless_test_messages(figures):
    assert figures.false_flag_rate <= evaluation.TARGETS["false_flag_rate"]


def test_the_guard_does_far_better_than_keyword_matching(figures, test_rows):
    baseline = evaluation.measure(test_rows, evaluation.keyword_baseline)
    assert figures.unsafe_recall >= 2 * baseline.unsafe_recall
    assert figures.crisis_recall >= 2 * baseline.crisis_recall
