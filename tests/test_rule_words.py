"""bench/rule_words.py: each rule word taken out in turn, or made stronger, and the answers it
moved counted per group (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.rule_words import Effect, Record, changes, kept, own_records, screen
from nlp.rules import RulesError, rules_from_table
from nlp.segmenter import new_tokenizer

TABLE: dict[str, Any] = {
    "categories": {
        "noise": {"keywords": [{"weight": 3, "words": ["吵", "装修"]}]},
        "parking": {"keywords": [{"weight": 3, "words": ["停车", "@cars"]}]},
        "other": {"keywords": [{"weight": 1, "words": ["公司"]}]},
    },
    "sets": {"cars": ["车位"]},
}
"""Tiny rules: 装修 files "which renovation firm is good" under noise, wrongly."""

RECORDS = [
    Record("装修公司哪家好", "other", "read"),
    Record("楼上装修太吵了", "noise", "gate"),
    Record("小区停车太难", "parking", "own"),
]


def test_a_word_taken_out_counts_the_answers_it_made_right_and_wrong(cache_dir: Path) -> None:
    tokenizer = new_tokenizer(rules_from_table(TABLE).vocabulary, cache_dir)
    effects = {e.change: e for e in screen(TABLE, RECORDS, tokenizer)}
    # without 装修 the firm question is other's: one read answer made right; the drilling is
    # still noise by 吵, so nothing on the gate
    assert effects["noise 装修 (weight 3) out"] == Effect("noise 装修 (weight 3) out", 1, 0, 0)
    # without 停车 our own parking message is no one's: made wrong
    assert effects["parking 停车 (weight 3) out"].own == -1
    # 吵 taken out moves no answer (装修 still says noise), so it is not listed
    assert "noise 吵 (weight 3) out" not in effects


def test_a_word_made_stronger_is_moved_to_a_group_of_its_own() -> None:
    edited = {change: table for change, _, table in changes(TABLE, stronger=2.0)}
    groups = edited["other 公司 (weight 1) x2"]["categories"]["other"]["keywords"]
    assert groups == [{"weight": 2.0, "words": ["公司"]}]
    assert TABLE["categories"]["other"]["keywords"] == [{"weight": 1, "words": ["公司"]}]


def test_words_written_through_a_set_are_left_alone() -> None:
    words = [word for _, word, _ in changes(TABLE, stronger=None)]
    assert sorted(words) == sorted(["吵", "装修", "停车", "公司"])


@pytest.mark.parametrize(
    ("effect", "worth"),
    [
        (Effect("a", 0, 2, 0), True),
        (Effect("b", -1, 5, 0), False),  # the read half lost
        (Effect("c", 3, 1, 0), False),  # too little on the gate
        (Effect("d", 2, 4, -1), False),  # one of our own messages turned wrong
    ],
)
def test_a_change_is_worth_trying_only_if_no_group_loses_and_the_gate_gains(
    effect: Effect, worth: bool
) -> None:
    assert kept(effect, min_gate=2) is worth


def test_our_own_sets_are_read_whole() -> None:
    own = own_records()
    assert len(own) > 2500
    assert {r.group for r in own} == {"own"}


def test_a_bad_table_is_refused_with_the_key_named() -> None:
    with pytest.raises(RulesError, match="unknown category id"):
        rules_from_table({"categories": {"nosie": {"keywords": []}}}, "edited")
