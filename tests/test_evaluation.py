"""The rules-check figures are the textbook definitions."""

from __future__ import annotations

import pytest

from nlp.evaluation import evaluate
from nlp.taxonomy import Category as C


def test_figures_on_a_small_table() -> None:
    """Precision, recall, F1, accuracy, macro-F1 and confusions on hand-checked pairs."""
    pairs = [
        (C.WATER_SUPPLY, C.WATER_SUPPLY),
        (C.WATER_SUPPLY, C.WATER_SUPPLY),
        (C.WATER_SUPPLY, C.DRAINAGE),
        (C.DRAINAGE, C.DRAINAGE),
        (C.OTHER, C.DRAINAGE),
        (C.OTHER, C.OTHER),
    ]
    report = evaluate(pairs)
    scores = {s.category: s for s in report.per_category}
    assert report.total == 6
    assert report.correct == 4
    assert report.accuracy == pytest.approx(4 / 6)
    water, drainage, other = scores[C.WATER_SUPPLY], scores[C.DRAINAGE], scores[C.OTHER]
    assert (water.precision, water.recall) == pytest.approx((1.0, 2 / 3))
    assert water.f1 == pytest.approx(0.8)
    assert (drainage.precision, drainage.recall) == pytest.approx((1 / 3, 1.0))
    assert drainage.f1 == pytest.approx(0.5)
    assert (other.precision, other.recall, other.f1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert report.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert report.confusions == ((C.OTHER, C.DRAINAGE, 1), (C.WATER_SUPPLY, C.DRAINAGE, 1))


def test_a_category_only_predicted_counts_in_macro_f1() -> None:
    """Predicting a category no message carries is a false positive with F1 0."""
    report = evaluate([(C.NOISE, C.NOISE), (C.NOISE, C.GAS)])
    assert [s.category for s in report.per_category] == [C.GAS, C.NOISE]
    assert report.macro_f1 == pytest.approx((0 + 2 / 3) / 2)


def test_empty() -> None:
    """No pairs, no division by zero."""
    report = evaluate([])
    assert (report.total, report.accuracy, report.macro_f1) == (0, 0.0, 0.0)
