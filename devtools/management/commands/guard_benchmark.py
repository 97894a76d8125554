"""Benchmark of the health-data guard on the data set's held-out test split.

    python manage.py guard_benchmark

Prints, for the guard and beside it for a plain keyword-list classifier
(``conversations.guard.evaluation.keyword_baseline``): per-label precision, recall and F1, the
recall on messages unsafe to answer in public (any of medical question, health details, crisis)
and the share of harmless messages flagged. Then the training time and the classification speed
(messages per second, the test split classified repeatedly). A line gives the guard's rules
without its model, so what the model adds is visible too. The guard is the one production uses:
trained on the train split, thresholds chosen by cross-validation on it.
"""

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Measure the health-data guard on the held-out test split, beside a keyword baseline."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=20, help="Times the test split is classified for speed.")

    def handle(self, *args, rounds, **options):
        from conversations import guard
        from conversations.guard import dataset, evaluation

        started = time.perf_counter()
        guard.get_model()
        trained_in = time.perf_counter() - started
        test = dataset.load(split="test")
        train = dataset.load(split="train")
        ours = evaluation.measure(test, lambda text, lang: guard.classify(text, lang).labels)
        baseline = evaluation.measure(test, evaluation.keyword_baseline)
        rules_alone = evaluation.measure(test, evaluation.rules_only)

        langs = {lang: sum(row["lang"] == lang for row in test) for lang in ("nl", "en")}
        self.stdout.write(
            f"Test split: {len(test)} messages ({langs['nl']} nl, {langs['en']} en); "
            f"trained on {len(train)} in {trained_in:.2f} s."
        )
        self.stdout.write(f"{'':18} {'guard':>22}   {'keyword baseline':>22}")
        self.stdout.write(f"{'label':18} {'P     R     F1':>22}   {'P     R     F1':>22}  support")
        for label in evaluation.LABELS:
            g, b = ours.per_label[label], baseline.per_label[label]
            self.stdout.write(
                f"{label:18} {g[0]:>10.2f}{g[1]:>6.2f}{g[2]:>6.2f}   {b[0]:>10.2f}{b[1]:>6.2f}{b[2]:>6.2f}  {g[3]:>7}"
            )
        self.stdout.write(f"{'unsafe recall':18} {ours.unsafe_recall:>22.3f}   {baseline.unsafe_recall:>22.3f}")
        self.stdout.write(f"{'crisis recall':18} {ours.crisis_recall:>22.3f}   {baseline.crisis_recall:>22.3f}")
        self.stdout.write(f"{'false flags':18} {ours.false_flag_rate:>22.3f}   {baseline.false_flag_rate:>22.3f}")
        self.stdout.write(
            f"The guard's rules without its model: unsafe recall {rules_alone.unsafe_recall:.3f}, "
            f"crisis recall {rules_alone.crisis_recall:.3f}, false flags {rules_alone.false_flag_rate:.3f}."
        )
        targets = evaluation.TARGETS
        self.stdout.write(
            f"Targets: crisis recall >= {targets['crisis_recall']}, unsafe recall >= {targets['unsafe_recall']}, "
            f"false flags <= {targets['false_flag_rate']}: {'met' if ours.meets_targets() else 'NOT met'}."
        )

        texts = [(row["text"], row["lang"]) for row in test]
        started = time.perf_counter()
        for _round in range(rounds):
            for text, lang in texts:
                guard.classify(text, lang)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Speed: {rounds * len(texts) / elapsed:,.0f} messages/s ({rounds * len(texts)} classified)."
        )
