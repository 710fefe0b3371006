"""Our dictionary-only cut gives exactly the tokens jieba's ``lcut(text, HMM=False)`` gives.

The rules are tuned on jieba's tokens, so :func:`nlp.segmenter.segment` may be faster than
jieba but never different: checked on every labelled text, on hostile text, on random text,
and on a tiny dictionary built to hit the cases random text rarely reaches (an exact tie
between two routes, a deleted word, a word added after start-up).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from math import log
from pathlib import Path
from typing import Any

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli.arguments import read_labelled_csv
from bot.language import Language
from nlp.normalize import normalize
from nlp.segmenter import _LETTERS_DIGITS, Tokenizer, segment
from tests.conftest import DATA

CHARS = 4096
"""Telegram's longest message."""


def _labelled_texts() -> list[str]:
    return [
        text for name in ("dev.csv", "holdout.csv") for text, _ in read_labelled_csv(DATA / name)
    ]


def _assert_cut_as_jieba(tokenizer: Tokenizer, text: str) -> None:
    assert segment(tokenizer, text) == tokenizer.lcut(text, HMM=False), repr(text[:80])


def test_every_labelled_text_is_cut_as_jieba_cuts_it(language: Language) -> None:
    """Every message of the dev and holdout sets, as written and as the classifier sees it."""
    texts = _labelled_texts()
    assert len(texts) > 800
    for text in texts:
        _assert_cut_as_jieba(language.tokenizer, text)
        _assert_cut_as_jieba(language.tokenizer, normalize(text))


HOSTILE: dict[str, Callable[[random.Random], str]] = {
    "residents' messages": lambda rnd: "".join(rnd.sample(_labelled_texts(), 200))[:CHARS],
    "letters": lambda rnd: "".join(rnd.choices(string.ascii_letters, k=CHARS)),
    "one letter": lambda rnd: "a" * CHARS,
    "digits": lambda rnd: "".join(rnd.choices(string.digits, k=CHARS)),
    "letters, digits, punctuation": lambda rnd: "".join(
        rnd.choices(string.ascii_letters + string.digits + "+#&._%-!?,;:'\"()[] ，。？！", k=CHARS)
    ),
    "one Chinese character": lambda rnd: rnd.choice("水电楼啊的一") * CHARS,
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_text_is_cut_as_jieba_cuts_it(language: Language, kind: str) -> None:
    """4 KB runs of what ``bench/hostile_text.py`` sends, and of residents' messages."""
    text = HOSTILE[kind](random.Random(kind))
    _assert_cut_as_jieba(language.tokenizer, text)
    _assert_cut_as_jieba(language.tokenizer, normalize(text))


_PIECES = [
    *"的了是我楼水电气灯门坏漏堵吵臭停号单元小区物业",
    "电梯",
    "楼道灯",
    "下水道",
    "审计厅",
    "单元门口",
    *"aZ09+#&._%-",
    "ktv",
    "wifi",
    *" \t\r\n\u3000，。！？、：；“”（）【】,.!?;:()[]😡\u200b",
]
"""Rule words, their pieces, and what lies between them in a message: blocks of word
characters next to punctuation, spaces of every kind (``\\r\\n`` is one token to jieba)."""

RANDOM_TEXT = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=40).map("".join),
    st.text(
        st.one_of(
            st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
            st.characters(codec="ascii"),
            st.sampled_from(sorted(set("".join(_PIECES)))),
        ),
        max_size=80,
    ),
)


@settings(max_examples=1500, deadline=None)
@given(RANDOM_TEXT)
def test_random_text_is_cut_as_jieba_cuts_it(language: Language, text: str) -> None:
    """Random strings of Chinese, ASCII, punctuation and whitespace."""
    _assert_cut_as_jieba(language.tokenizer, text)


def test_one_character_letters_and_digits_are_jiebas(language: Language) -> None:
    """The characters whose one-character tokens run together are those jieba's ``re_eng``
    matches, and no others (a letter from another script, a full-width digit)."""
    matched = {chr(code) for code in range(0x30000) if jieba.re_eng.match(chr(code))}
    assert matched == _LETTERS_DIGITS


@pytest.fixture
def tiny(tmp_path: Path) -> Any:
    """A tokenizer over a dictionary of five words, not loaded yet: 甲 2, 乙 6, 甲乙 1, 丙 2,
    丙丁 1. The total is 12, so 甲乙 alone (1/12) is exactly as probable as 甲 then 乙
    (2/12 × 6/12); and no word starts with 丁."""
    dictionary = tmp_path / "tiny.txt"
    dictionary.write_text("甲 2\n乙 6\n甲乙 1\n丙 2\n丙丁 1\n", encoding="utf-8")
    tokenizer = jieba.Tokenizer(str(dictionary))
    tokenizer.tmp_dir = str(tmp_path)
    return tokenizer


def test_on_a_tie_the_longer_word_wins_as_in_jieba(tiny: Any) -> None:
    """When two routes score the very same float, jieba takes the one whose first word is
    longer; so do we (and we load the dictionary on first use, as jieba does)."""
    assert segment(tiny, "甲乙") == ["甲乙"] == tiny.lcut("甲乙", HMM=False)
    total = tiny.total
    assert log(1) - log(total) == log(2) - log(total) + (log(6) - log(total))  # a real tie
    for text in ["甲乙丙", "丙甲乙甲", "甲甲乙乙", "乙甲", "甲乙 甲乙", "甲x乙1丙"]:
        _assert_cut_as_jieba(tiny, text)


def test_a_character_no_word_starts_with_costs_a_word_of_frequency_one(tiny: Any) -> None:
    """丁 alone is in no dictionary word, so cutting 丙 then 丁 costs as much as two words;
    the rarer 丙丁 wins, as in jieba."""
    assert segment(tiny, "丙丁") == ["丙丁"] == tiny.lcut("丙丁", HMM=False)
    for text in ["丁", "丁丁丙", "丙丁丁", "甲丁乙"]:
        _assert_cut_as_jieba(tiny, text)


def test_words_added_and_deleted_after_start_up_count(tiny: Any) -> None:
    """The dictionary is read as it is at each call: a word deleted (frequency 0, still a
    prefix) or added later changes our cut exactly as it changes jieba's."""
    texts = ["甲乙丙", "丙甲乙甲", "甲乙丁戊", "丁戊甲"]
    tiny.del_word("甲乙")
    assert segment(tiny, "甲乙") == ["甲", "乙"]
    tiny.add_word("丁戊", freq=3)
    tiny.add_word("乙丙丁", freq=4)
    assert "丁戊" in segment(tiny, "甲乙丁戊")
    for text in texts:
        _assert_cut_as_jieba(tiny, text)
