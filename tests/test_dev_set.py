"""The labelled sets: their shape, and the accuracy the shipped rules must not fall below.

dev.csv is what the rules were tuned on; holdout.csv was written separately, blind to the rules,
and is only measured. chat.csv holds 2,488 chat messages that helper sessions wrote in fifteen
batches (eleven blind to the rules, two written from the rules' diff to break them, one with the
words a later pass took out of the rules, one of long messages with dangers told late), read and
tuned on after they were written (like dev.csv), with an urgent column: its floors keep what
that tuning won on chat messages and their dangers. Floors
sit a little under the figures measured when the rules last changed, so a rules edit that loses
accuracy fails here (see tests/data/LABELLING.md).
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from bot.cli.arguments import read_labelled_csv
from bot.language import Language
from nlp.evaluation import evaluate
from nlp.taxonomy import Category
from tests.conftest import DATA

# measured 2026-11-22: dev 0.970 / 0.969, holdout 0.932 / 0.923 (accuracy / macro-F1);
# 2026-12-08: chat 0.863 / 0.877 (with batch P), 0.861 / 0.872 (with batch Q)
FLOORS = {"dev.csv": (0.96, 0.96), "holdout.csv": (0.91, 0.90), "chat.csv": (0.85, 0.86)}
# 2026-12-08, chat.csv: 298 of 401 dangers caught (0.743), 26 false alarms in 2,087 messages
CHAT_DANGERS_CAUGHT, CHAT_FALSE_ALARMS = 0.73, 27
SHORT_MAX, LONG_MIN = 60, 200


def test_dev_set_shape() -> None:
    """≥500 messages, every category, ≥20% other, both short chat and long letters."""
    rows = read_labelled_csv(DATA / "dev.csv")
    labels = Counter(label for _, label in rows)
    assert len(rows) >= 500
    assert set(labels) == set(Category)
    assert labels[Category.OTHER] / len(rows) >= 0.20
    assert sum(len(text) <= SHORT_MAX for text, _ in rows) >= 0.6 * len(rows)
    assert sum(len(text) >= LONG_MIN for text, _ in rows) >= 50
    assert len({text for text, _ in rows}) == len(rows), "duplicate messages"


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_accuracy_floor(language: Language, name: str) -> None:
    """The shipped rules keep their measured accuracy and macro-F1."""
    rows = read_labelled_csv(DATA / name)
    report = evaluate((label, language.classify(text).category) for text, label in rows)
    accuracy_floor, macro_f1_floor = FLOORS[name]
    assert report.accuracy >= accuracy_floor
    assert report.macro_f1 >= macro_f1_floor


def test_chat_set_shape() -> None:
    """Chat-length messages with an urgent flag, every category, no message twice."""
    with (DATA / "chat.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) >= 2000
    assert {row["urgent"] for row in rows} == {"0", "1"}
    assert {Category(row["label"]) for row in rows} == set(Category)
    assert len({row["text"] for row in rows}) == len(rows), "duplicate messages"


def test_chat_dangers_floor(language: Language) -> None:
    """The dangers of chat.csv stay caught, and its look-alikes stay calm."""
    with (DATA / "chat.csv").open(encoding="utf-8", newline="") as stream:
        rows = [(row["text"], row["urgent"] == "1") for row in csv.DictReader(stream)]
    said = [(urgent, language.classify(text).urgent) for text, urgent in rows]
    dangers = [found for urgent, found in said if urgent]
    assert sum(dangers) / len(dangers) >= CHAT_DANGERS_CAUGHT
    assert sum(found for urgent, found in said if not urgent) <= CHAT_FALSE_ALARMS
