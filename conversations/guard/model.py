"""The guard's model: one naive Bayes classifier per label, trained on the data set's train split.

Pure Python, trained once per process on first use (a fraction of a second), deterministic: the
same rows give the same model. The features of a message are its words, word pairs and 3- to
5-letter word pieces (``guard.text``) and the rules it matches (``guard.rules``): the rules carry
knowledge the ~430 training messages cannot, and the model learns how far to trust each one.

Each label's classifier is a two-class (label / not label) multinomial naive Bayes over binary
features; its score is the log-odds of the label. A label is given when a rule for it matches or
when the score reaches the label's threshold. The thresholds are chosen on the train split alone,
by cross-validation: every train message is scored by a model that did not see it (five fixed
folds), and per label the threshold with the best F1 of the combined decision (rules or score) is
kept. The test split is never looked at here.
"""

import math
from dataclasses import dataclass

from . import rules
from .text import features, normalize

LABELS = ("medical_question", "health_disclosure", "crisis", "complaint")
MIN_COUNT = 2  # features seen in fewer training messages are left out (noise, one message's typo)
SMOOTHING = 0.5
FOLDS = 5


def featurize(text):
    """``(features, hits)`` of ``text``: the model's features (rules included) and the rules' hits."""
    normalized = normalize(text)
    hits = rules.hits(normalized)
    found = features(normalized)
    found.update("r:" + hit.rule for hit in hits)
    found.update("l:" + hit.label for hit in hits)
    return found, hits


@dataclass
class LabelModel:
    bias: float
    weights: dict  # feature -> log-odds contribution when present

    def score(self, found):
        weights = self.weights
        return self.bias + sum(weights.get(feature, 0.0) for feature in found)


def train_label(feature_sets, targets):
    """A multinomial naive Bayes (binary counts) for one label."""
    in_pos, in_neg = {}, {}
    for found, target in zip(feature_sets, targets, strict=True):
        counts = in_pos if target else in_neg
        for feature in found:
            counts[feature] = counts.get(feature, 0) + 1
    vocabulary = [f for f in set(in_pos) | set(in_neg) if in_pos.get(f, 0) + in_neg.get(f, 0) >= MIN_COUNT]
    total_pos = sum(in_pos.get(f, 0) for f in vocabulary) + SMOOTHING * len(vocabulary)
    total_neg = sum(in_neg.get(f, 0) for f in vocabulary) + SMOOTHING * len(vocabulary)
    weights = {
        f: math.log((in_pos.get(f, 0) + SMOOTHING) / total_pos) - math.log((in_neg.get(f, 0) + SMOOTHING) / total_neg)
        for f in vocabulary
    }
    positives = sum(targets)
    bias = math.log((positives + SMOOTHING) / (len(targets) - positives + SMOOTHING))
    return LabelModel(bias=bias, weights=weights)


@dataclass
class Model:
    labels: dict  # label -> LabelModel
    thresholds: dict  # label -> score threshold

    def scores(self, found):
        return {label: model.score(found) for label, model in self.labels.items()}


def train(rows):
    """The model of ``rows`` (dicts with ``text`` and ``labels``), thresholds by cross-validation on them."""
    featurized = [featurize(row["text"]) for row in rows]
    feature_sets = [found for found, _hits in featurized]
    rule_labels = [{hit.label for hit in hits} for _found, hits in featurized]
    models = {label: train_label(feature_sets, [label in row["labels"] for row in rows]) for label in LABELS}
    thresholds = choose_thresholds(rows, cross_validated_scores(rows, feature_sets), rule_labels)
    return Model(labels=models, thresholds=thresholds)


def cross_validated_scores(rows, feature_sets, folds=FOLDS):
    """Per row, the scores of a model trained on the other folds (row ``i`` is in fold ``i % folds``)."""
    scores = [None] * len(rows)
    for fold in range(folds):
        inside = [i for i in range(len(rows)) if i % folds != fold]
        models = {
            label: train_label([feature_sets[i] for i in inside], [label in rows[i]["labels"] for i in inside])
            for label in LABELS
        }
        for i in range(fold, len(rows), folds):
            scores[i] = {label: model.score(feature_sets[i]) for label, model in models.items()}
    return scores


def choose_thresholds(rows, scores, rule_labels):
    """Per label, the score threshold with the best F1 of "a rule matched or the score reached it"."""
    thresholds = {}
    for label in LABELS:
        gold = [label in row["labels"] for row in rows]
        ruled = [label in found for found in rule_labels]
        best = (-1.0, math.inf)
        for candidate in sorted({s[label] for s in scores}) + [math.inf]:
            tp = fp = fn = 0
            for score, is_gold, is_ruled in zip((s[label] for s in scores), gold, ruled, strict=True):
                predicted = is_ruled or score >= candidate
                tp += predicted and is_gold
                fp += predicted and not is_gold
                fn += is_gold and not predicted
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best[0]:
                best = (f1, candidate)
        thresholds[label] = best[1]
    return thresholds
