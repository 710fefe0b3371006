"""How well a set of rules does on labelled messages: the figures behind ``rules-check``.

Pure arithmetic over (label, prediction) pairs, so the same numbers serve the CLI, the
regression floor in the tests and the benchmark.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from nlp.taxonomy import Category


@dataclass(frozen=True)
class CategoryScore:
    """Precision, recall and F1 of one category."""

    category: Category
    support: int
    """How many messages carry this label."""
    predicted: int
    correct: int

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Report:
    """The whole evaluation: per category, overall, and the confusions."""

    total: int
    correct: int
    per_category: tuple[CategoryScore, ...]
    confusions: tuple[tuple[Category, Category, int], ...]
    """(label, predicted, count), most frequent first."""

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def macro_f1(self) -> float:
        """Mean F1 over the categories that occur as a label or as a prediction."""
        scores = [s.f1 for s in self.per_category]
        return sum(scores) / len(scores) if scores else 0.0


def evaluate(pairs: Iterable[tuple[Category, Category]]) -> Report:
    """Score (label, predicted) pairs."""
    support: Counter[Category] = Counter()
    predicted: Counter[Category] = Counter()
    correct: Counter[Category] = Counter()
    confusions: Counter[tuple[Category, Category]] = Counter()
    for label, guess in pairs:
        support[label] += 1
        predicted[guess] += 1
        if label == guess:
            correct[label] += 1
        else:
            confusions[label, guess] += 1
    seen = [c for c in Category if support[c] or predicted[c]]
    return Report(
        total=sum(support.values()),
        correct=sum(correct.values()),
        per_category=tuple(CategoryScore(c, support[c], predicted[c], correct[c]) for c in seen),
        confusions=tuple(
            (label, guess, n)
            for (label, guess), n in sorted(
                confusions.items(), key=lambda item: (-item[1], item[0][0], item[0][1])
            )
        ),
    )
