"""The app-owned jieba tokenizer.

jieba's module-level functions share one global dictionary that any library may mutate; griddesk
builds its own :class:`jieba.Tokenizer` once, in the composition root, warms it at start-up and
passes it to whoever segments. Loading jieba's 350,000-word dictionary costs about half a second
from its marshal cache and more without, so the cache lives in a directory we choose (not the
shared ``/tmp``) and survives restarts.

Rule words are added with a frequency high enough that segmentation cuts them out whole:
``楼道灯坏了`` must give ``楼道灯`` when the rules name it, not ``楼道 / 灯坏``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import jieba

# Well above jieba's typical common-word frequencies (a few hundred to a few thousand), so a
# rule word wins the dictionary's best route over the words it overlaps.
RULE_WORD_FREQUENCY = 20_000


class Tokenizer(Protocol):
    """What griddesk needs of a :class:`jieba.Tokenizer` (jieba ships no type information)."""

    def cut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> Iterator[str]:
        """Segment ``sentence`` word by word."""
        ...

    def lcut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> list[str]:
        """Segment ``sentence`` into a list of words."""
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


def segment(tokenizer: Tokenizer, text: str) -> Iterator[str]:
    """Cut ``text`` into words with the dictionary only (no HMM guessing of unknown words).

    HMM would glue unknown neighbours into made-up words (``灯坏``, ``水堵``) and hide the
    single-character rule words residents use most (坏、堵、漏、吵、臭).
    """
    return tokenizer.cut(text, HMM=False)
