"""The app-owned jieba tokenizer.

jieba's module-level functions share one global dictionary that any library may mutate; griddesk
builds its own :class:`jieba.Tokenizer` once, in the composition root, warms it at start-up and
passes it to whoever segments. Loading jieba's 350,000-word dictionary costs about half a second
from its marshal cache and more without, so the cache lives in a directory we choose (not the
shared ``/tmp``) and survives restarts.

Rule words are added with a frequency high enough that segmentation cuts them out whole:
``楼道灯坏了`` must give ``楼道灯`` when the rules name it, not ``楼道 / 灯坏``.

Segmentation is most of what classifying a message costs, so :func:`segment` does jieba's
dictionary-only cut itself, over the tokenizer's own dictionary, in about half jieba's time. It
must give exactly jieba's tokens (rules are tuned on them); ``tests/test_segmenter.py`` holds it
to that on every test text and on random text.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from math import log
from pathlib import Path
from typing import Any, Protocol

import jieba

# Well above jieba's typical common-word frequencies (a few hundred to a few thousand), so a
# rule word wins the dictionary's best route over the words it overlaps.
RULE_WORD_FREQUENCY = 20_000


class Tokenizer(Protocol):
    """What griddesk needs of a :class:`jieba.Tokenizer` (jieba ships no type information)."""

    FREQ: dict[str, int]
    """Every dictionary word with its frequency, and every prefix of one with frequency 0."""
    total: int
    """The sum of all frequencies."""

    def lcut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> list[str]:
        """Segment ``sentence`` into a list of words (:func:`segment` gives the same, faster)."""
        ...

    def check_initialized(self) -> None:
        """Load the dictionary if it is not loaded yet."""
        ...


def is_segmentable(word: str) -> bool:
    """Whether jieba can ever return ``word`` as one token.

    jieba cuts text into blocks of Chinese characters, letters, digits and ``+#&._%-`` before it
    looks words up, so a word with any other character (punctuation, an emoji) never comes out
    whole and a rule using it would silently never match.
    """
    return jieba.re_han_default.fullmatch(word) is not None


def new_tokenizer(rule_words: Iterable[str], cache_dir: Path) -> Tokenizer:
    """Build, warm and return a tokenizer that knows ``rule_words`` as whole words.

    The dictionary cache is read from, or written to, ``cache_dir/jieba.cache``.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    tokenizer: Any = jieba.Tokenizer()
    tokenizer.tmp_dir = str(cache_dir)
    tokenizer.cache_file = "jieba.cache"
    tokenizer.initialize()
    for word in sorted(rule_words):
        tokenizer.add_word(word, freq=max(RULE_WORD_FREQUENCY, tokenizer.FREQ.get(word, 0)))
    built: Tokenizer = tokenizer
    return built


def segment(tokenizer: Tokenizer, text: str) -> list[str]:
    """Cut ``text`` into words with the dictionary only (no HMM guessing of unknown words):
    exactly ``tokenizer.lcut(text, HMM=False)``, about twice as fast.

    HMM would glue unknown neighbours into made-up words (``灯坏``, ``水堵``) and hide the
    single-character rule words residents use most (坏、堵、漏、吵、臭).

    Like jieba, the text is split into blocks of word characters (:data:`_BLOCKS`) cut with the
    dictionary (:func:`_cut_block`); between them, ``\r\n`` and every other character is a token
    of its own.
    """
    tokenizer.check_initialized()
    frequencies = tokenizer.FREQ
    unknown = -log(tokenizer.total)
    words: list[str] = []
    for number, piece in enumerate(_BLOCKS.split(text)):
        if number % 2:  # split() puts what the pattern matched at the odd places
            _cut_block(piece, frequencies, unknown, words)
        elif piece:
            for part in _SPACES.split(piece):
                if _SPACES.match(part):
                    words.append(part)
                else:
                    words.extend(part)
    return words


_BLOCKS = jieba.re_han_default
"""jieba's blocks: runs of Chinese characters, letters, digits and ``+#&._%-``."""
_SPACES = jieba.re_skip_default
"""jieba's whitespace tokens: ``\r\n``, or one whitespace character."""
_LETTERS_DIGITS = frozenset(string.ascii_letters + string.digits)
"""What jieba's ``re_eng`` matches: one-character tokens of these run together as one word."""
_NO_WORD = float("-inf")


def _cut_block(block: str, frequencies: dict[str, int], unknown: float, words: list[str]) -> None:
    """Append the words of ``block``, along jieba's most probable route, to ``words``.

    jieba builds a dict of every dictionary word starting at each character, then walks back
    from the end keeping, for each character, the best score of the rest of the block
    (``log(frequency) - log(total)`` of the word plus the best score after it). This does both in
    one backward pass over two lists, with jieba's arithmetic in jieba's order so that the scores
    are the same floats, and the same tie-break: of equal scores, the longer word (jieba takes
    the ``max`` of ``(score, end)``). Adding ``unknown`` (``-log(total)``) gives the very float
    that subtracting ``log(total)`` does. A character no word starts with is a word of its own,
    as if its frequency were 1 (``log(1) - log(total)`` is ``unknown``).
    """
    size = len(block)
    get = frequencies.get
    best_after = [0.0] * (size + 1)  # best score of block[start:]
    end = list(range(size))  # the last character of the best word starting at each one
    for start in range(size - 1, -1, -1):
        best = _NO_WORD
        last = start
        frequency = get(block[start])
        while frequency is not None:  # block[start:last + 1] is a word or a prefix of one
            if frequency:
                score = log(frequency) + unknown + best_after[last + 1]
                if score >= best:  # ends grow, so on a tie the longer word wins
                    best, end[start] = score, last
            last += 1
            if last == size:
                break
            frequency = get(block[start : last + 1])
        best_after[start] = unknown + best_after[start + 1] if best == _NO_WORD else best
    at, letters = 0, -1  # letters: where a run of one-character letters and digits began
    while at < size:
        after = end[at] + 1
        if after - at == 1 and block[at] in _LETTERS_DIGITS:
            letters = at if letters < 0 else letters
        else:
            if letters >= 0:
                words.append(block[letters:at])
                letters = -1
            words.append(block[at:after])
        at = after
    if letters >= 0:
        words.append(block[letters:])
