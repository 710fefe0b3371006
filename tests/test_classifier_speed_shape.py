"""The shortcuts that keep classification cheap give the answers the plain algorithms give.

No clocks here (timing is ``bench/classify.py``'s): each test pins the shape of a shortcut — a
search that cannot backtrack, work folded into the rules when they load — against a plain
reference on crafted and random input.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping

import pytest

from bot.language import Language
from nlp.classifier import Hit, _evidence, _first_window, find_phrase
from nlp.normalize import normalize
from nlp.questions import _QUESTION, is_consultation
from nlp.rules import Phrase, Role, RuleIndex

_QUADRATIC_QUESTION = re.compile(
    r"怎么|怎样|如何|哪天|哪里|哪儿|在哪|几点|几号|什么时候|多少|能不能|可不可以|可以.*吗|能.*吗"
    r"|是否|需要.*吗|要.*吗|请问|咨询|[?？]$"
)
"""The question pattern as it was: right, but ``re`` runs each ``.*`` to the end and back from
every 能, so a long text full of 能 took time quadratic in its length."""


def test_question_pattern_cannot_backtrack() -> None:
    """The question pattern is an alternation of words with no repeat (``*``, ``+``, ``{}``),
    so ``re`` tries a bounded number of characters at each position: linear in the text."""
    assert not set(_QUESTION.pattern) & set("*+{")


def test_question_form_is_what_the_old_pattern_matched(language: Language) -> None:
    """On random short texts of asking words, 吗, faults and filler, a message is a
    consultation exactly when the old pattern (with ``能.*吗``) said it asked."""
    rnd = random.Random(5)
    pieces = ["能", "要", "需要", "可以", "吗", "坏", "灯", "的", "?", "。", " ", "\n", "a"]
    result = language.classify("你好")  # not urgent: only the question's form decides
    for _ in range(3000):
        text = "".join(rnd.choices(pieces, k=rnd.randint(0, 10)))
        normal = normalize(text)
        expected = bool(_QUADRATIC_QUESTION.search(normal)) and "坏" not in normal
        assert is_consultation(text, result) == expected, repr(text)


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("能" * 4096, False),
        ("能" * 4095 + "吗", True),
        ("吗" + "能" * 4095, False),
        ("要" * 2000 + "吗" + "能" * 2000, True),
        ("可" * 4096, False),
    ],
    ids=["no 吗", "吗 last", "吗 first", "吗 between", "half a word"],
)
def test_long_text_of_asking_words(language: Language, text: str, asks: bool) -> None:
    """4 KB of one asking word is a question only with a 吗 after it, as the old pattern said
    (which took time growing with the square of the length: 10 ms here, 0.1 s at 16 KB; the
    search now looks for the last 吗 once, then for each asking word once before it)."""
    result = language.classify("你好")
    assert is_consultation(text, result) is asks
    assert bool(_QUADRATIC_QUESTION.search(text)) is asks


def test_one_word_patterns_folded_into_words_give_the_same_evidence(language: Language) -> None:
    """Urgent triggers and exclusions of one word act from the word's precompiled effects; on
    random bags of rule words the hits and the urgent trigger are those found by checking
    every pattern whose parts are all present."""
    index = language.rules.index
    vocabulary = sorted(index.words)
    one_word = sorted(
        word
        for pattern in index.patterns
        if len(pattern.phrase.parts) == 1
        for word in pattern.phrase.parts[0]
    )
    rnd = random.Random(9)
    for _ in range(2000):
        chosen = rnd.sample(vocabulary, rnd.randint(1, 6)) + rnd.sample(one_word, 2)
        positions: dict[str, list[int]] = {}
        for place, word in enumerate(rnd.choices(chosen, k=rnd.randint(1, 12))):
            positions.setdefault(word, []).append(place)
        # one clause (no punctuation): a clause-scoped exclusion rules out every trigger, as
        # one for the whole message does in the reference below
        evidence, trigger = _evidence(positions, index, ["词"] * 12)
        expected, expected_trigger = _evidence_by_patterns(positions, index)
        assert trigger == expected_trigger, positions
        assert {o: sorted(h) for o, h in evidence.items()} == expected, positions


def _evidence_by_patterns(
    positions: Mapping[str, list[int]], index: RuleIndex
) -> tuple[dict[int, list[Hit]], str | None]:
    """The evidence as it was found before: keywords, then every pattern whose parts are all
    present, one-word patterns included, searched with :func:`find_phrase`."""
    evidence: dict[int, list[Hit]] = {}
    for word, places in positions.items():
        for ordinal, weight in index.words[word][0]:
            evidence.setdefault(ordinal, []).append((places[0], (places[0],), weight))
    excluded: set[int] = set()
    kept: set[int] = set()
    triggers: list[tuple[int, str]] = []
    ruled_out = False
    for pattern in index.patterns:
        found = find_phrase(pattern.phrase, positions)
        if found is None:
            continue
        start, shown, parts = found
        if pattern.role is Role.SCORE:
            evidence.setdefault(pattern.ordinal, []).append((start, parts, pattern.phrase.weight))
        elif pattern.role is Role.EXCLUDE:
            excluded.add(pattern.ordinal)
        elif pattern.role is Role.KEEP:
            kept.add(pattern.ordinal)
        elif pattern.role is Role.URGENT:
            triggers.append((start, shown))
        else:
            ruled_out = True
    trigger = min(triggers)[1] if triggers and not ruled_out else None
    return {o: sorted(h) for o, h in evidence.items() if o not in excluded - kept}, trigger


def test_phrase_of_parts_seen_once_is_found_as_the_window_search_finds_it(
    language: Language,
) -> None:
    """When every part of a phrase occurs once, its one span is taken without the window
    search, and gives what the search gives: the same start, words and part positions, and
    no match when the span is wider than the window."""
    phrases = [p.phrase for p in language.rules.index.patterns if len(p.phrase.parts) > 1]
    rnd = random.Random(13)
    for _ in range(3000):
        phrase = rnd.choice(phrases)
        places = rnd.sample(range(3 * phrase.window), len(phrase.parts))
        positions = {
            sorted(part)[rnd.randrange(len(part))]: [place]
            for part, place in zip(phrase.parts, places, strict=True)
        }
        assert len(positions) == len(phrase.parts)  # the rules keep a word to one part
        assert find_phrase(phrase, positions) == _found_by_window(phrase, positions), positions


def _found_by_window(
    phrase: Phrase, positions: Mapping[str, list[int]]
) -> tuple[int, str, tuple[int, ...]] | None:
    """:func:`find_phrase` as it always searched: the first window holding every part."""
    words = [next(word for word in positions if word in part) for part in phrase.parts]
    span = _first_window([positions[word] for word in words], phrase.window)
    if span is None:
        return None
    return span[0], "+".join(words), tuple(positions[word][0] for word in words)
