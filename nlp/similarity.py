"""How alike two short messages are, for telling a repeated report from a new problem.

Residents repeat themselves in other words ("3号楼又停水了" … "3号楼还是没水"), so exact
matching finds nothing; word overlap after segmentation misses the many one-character words of
spoken Chinese. Character bigrams of the normal form are robust to both and cost nothing. The
score is the overlap coefficient (shared bigrams over the smaller set), so a short repeat of a
long report still scores high. Pure: no I/O.
"""

from __future__ import annotations

from nlp.normalize import normalize

_IGNORED = frozenset("，。！？、；：…,.!?;: 的了吗呢啊吧呀")
"""Punctuation and particles: they pair with anything and say nothing about the problem."""


def bigrams(text: str) -> frozenset[str]:
    """The character bigrams of ``text``'s normal form, punctuation and particles dropped."""
    kept = "".join(ch for ch in normalize(text) if ch not in _IGNORED)
    return frozenset(kept[i : i + 2] for i in range(len(kept) - 1))


def similarity(a: str, b: str) -> float:
    """From 0 (nothing shared) to 1 (one message's bigrams all occur in the other)."""
    first, second = bigrams(a), bigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / min(len(first), len(second))
