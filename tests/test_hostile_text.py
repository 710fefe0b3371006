"""Hostile text is cheap to classify, and the compound memo stays within its memory budget.

The cost is pinned without a clock: the work is counted as the Python lines run (ours and
jieba's) while classifying, which is the same on every machine and in every run.
"""

from __future__ import annotations

import random
import string
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import FrameType
from typing import Any

import pytest

from bot.cli.arguments import read_labelled_csv
from bot.language import Language
from nlp.classifier import classify
from nlp.compounds import ENTRY_BYTES, LONGEST_REMEMBERED, MEMO_BUDGET, CompoundMemo
from nlp.rules import Rules
from tests.conftest import DATA

CHARS = 4096
"""Telegram's longest message."""

HOSTILE: dict[str, Callable[[random.Random], str]] = {
    "letters": lambda rnd: "".join(rnd.choices(string.ascii_letters, k=CHARS)),
    "one letter": lambda rnd: "a" * CHARS,
    "digits": lambda rnd: "".join(rnd.choices(string.digits, k=CHARS)),
    "letters and digits": lambda rnd: "".join(rnd.choices(string.ascii_letters + "0123", k=CHARS)),
}
"""Runs jieba returns as one token. (Punctuation between them, or one repeated Chinese
character, gives many short tokens and was never slow: ``bench/hostile_text.py`` shows them.)"""


class _Exceeded(Exception):
    """The traced call ran past its allowance of lines."""


def _lines_run(call: Callable[[], object], allowance: int) -> int:
    """The Python lines ``call`` runs, or ``allowance + 1`` as soon as it runs more (so a
    quadratic path fails the test in a moment instead of grinding through millions of lines)."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal count
        if event == "line":
            count += 1
            if count > allowance:
                raise _Exceeded
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        call()
    except _Exceeded:
        return allowance + 1
    finally:
        sys.settrace(previous)
    return count


def _fresh(rules: Rules) -> Rules:
    """The same rules with an empty memo, so each count is of a first sight."""
    return replace(rules)


def _ordinary() -> str:
    text = "".join(message for message, _ in read_labelled_csv(DATA / "dev.csv"))
    return text[:CHARS]


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_text_takes_no_more_work_than_ordinary_text(language: Language, kind: str) -> None:
    """4 KB of letters, digits or one repeated letter runs at most twice the lines that 4 KB of
    residents' messages do (it used to run many times more: a search quadratic in the run)."""
    ordinary, hostile = _ordinary(), HOSTILE[kind](random.Random(kind))
    first, second = _fresh(language.rules), _fresh(language.rules)
    anchor = _lines_run(lambda: classify(ordinary, first, language.tokenizer), 10**7)
    allowance = 2 * anchor
    work = _lines_run(lambda: classify(hostile, second, language.tokenizer), allowance)
    assert work <= allowance, f"{kind}: more than {allowance} lines (ordinary text: {anchor})"


def test_bounded_search_finds_what_the_full_search_found(language: Language) -> None:
    """Looking only at pieces as long as the longest rule word finds the same rule word, for
    tokens made of rule words, their pieces and filler."""
    words = language.rules.index.words
    vocabulary = sorted(words)
    rnd = random.Random(7)
    memo = CompoundMemo(words)
    for _ in range(3000):
        pieces = rnd.choices([*vocabulary, "a", "1", "的", "了", "楼"], k=rnd.randint(1, 6))
        token = "".join(word[: rnd.randint(1, len(word))] for word in pieces)
        assert memo.rule_word(token) == _full_search(token, words), token


def _full_search(token: str, words: Mapping[str, object]) -> str | None:
    """The search as it was: every piece of every length, longest first."""
    for length in range(len(token) - 1, 1, -1):
        for start in range(len(token) - length + 1):
            if token[start : start + length] in words:
                return token[start : start + length]
    return None


def test_memo_stays_within_its_memory_budget(language: Language) -> None:
    """However many and however long the tokens, the memo holds no more memory than its
    budget, forgetting the oldest first."""
    budget = 64 * 1024
    memo = CompoundMemo(language.rules.index.words, budget=budget)
    rnd = random.Random(3)
    alphabet = string.ascii_letters + "水电楼的"
    tokens = [
        "".join(rnd.choices(alphabet, k=rnd.randint(3, 40) if rnd.random() < 0.97 else CHARS))
        for _ in range(3000)
    ]
    for token in tokens:
        memo.rule_word(token)
    held = sum(sys.getsizeof(token) + ENTRY_BYTES for token in memo)
    assert held == memo.bytes <= budget
    assert memo.bytes > budget // 2  # full, not emptied
    remembered = [token for token in tokens if len(token) <= LONGEST_REMEMBERED]
    assert list(memo) == remembered[-len(memo) :]  # the newest kept, in order


def test_classifying_many_long_messages_keeps_the_memo_within_budget(language: Language) -> None:
    """Tens of thousands of distinct words and some 4 KB runs, message after message, leave the
    classifier's memo within its budget and without any run longer than a dictionary word."""
    rules = _fresh(language.rules)
    rnd = random.Random(11)
    for number in range(80):
        words = (
            "".join(rnd.choices(string.ascii_lowercase, k=rnd.randint(3, 6))) for _ in range(300)
        )
        classify(" ".join(words), rules, language.tokenizer)
        if number % 8 == 0:
            classify(HOSTILE["letters"](rnd), rules, language.tokenizer)
    memo = rules.index.compounds
    assert max(map(len, memo)) <= LONGEST_REMEMBERED
    held = sum(sys.getsizeof(token) + ENTRY_BYTES for token in memo)
    assert MEMO_BUDGET // 2 < held <= MEMO_BUDGET  # full, so the bound was tested
