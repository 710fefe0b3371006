"""bench/learned_baseline.py: a model learned from labelled messages, the rules' yardstick
(issue 15). Its figures are read on the real messages; here it learns from a few of our own."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.learned_baseline import Example, figures, main, rules_features, train, words
from bot.language import Language
from nlp.taxonomy import CATEGORIES

WATER = ["又停水了", "停水好几天了", "一直停水", "今天停水", "停水没人管", "楼里停水了"]
LIFT = ["电梯坏了", "电梯又坏了", "电梯坏了好几天", "电梯坏了没人修", "电梯坏了困人", "电梯一直坏"]
OTHER = [
    "养老金涨多少",
    "养老金怎么查",
    "养老金啥时候发",
    "养老金到账了吗",
    "养老金不够",
    "查养老金",
]
TRAIN = [
    *(Example(text, "water_supply", title=False) for text in WATER),
    *(Example(text, "elevator", title=False) for text in LIFT),
    *(Example(text, "other", title=False) for text in OTHER),
]


@pytest.mark.parametrize("with_rules", [False, True])
def test_the_model_learns_the_labels_it_was_shown(language: Language, with_rules: bool) -> None:
    predict = train(language, TRAIN, with_rules=with_rules)
    assert predict(["我家停水了", "电梯坏了快来", "养老金的事"]) == [
        "water_supply",
        "elevator",
        "other",
    ]


def test_its_words_are_our_tokenizers(language: Language) -> None:
    assert words(language, "３号楼  又停水了！") == "3 号楼 又 停水 了 !"


def test_the_rules_features_hold_every_category_twice(language: Language) -> None:
    features = rules_features(language, "又停水了")
    assert len(features) == 2 * len(CATEGORIES)
    answer = features[len(CATEGORIES) :]
    assert answer[CATEGORIES.index(language.classify("又停水了").category)] == 1.0
    assert sum(answer) == 1.0
    assert max(features[: len(CATEGORIES)]) > 0


def test_figures_count_whole_records_and_titles_apart() -> None:
    pairs = [
        (Example("a", "water_supply", title=False), "water_supply"),
        (Example("b", "elevator", title=False), "other"),
        (Example("c", "other", title=False), "other"),
        (Example("d", "other", title=False), "noise"),
        (Example("e", "elevator", title=True), "elevator"),
        (Example("f", "other", title=True), "noise"),  # a title that is no grid matter: not counted
    ]
    table = dict(figures(pairs))
    assert table["accuracy on grid matters"] == "0.500 (1/2)"
    assert table["recall of other"] == "0.500 (1/2)"
    assert table["accuracy on grid matters, titles alone"] == "1.000 (1/1)"


def test_without_the_copies_it_says_what_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="fetch github:"):
        main(["--mirrors", str(tmp_path)])
