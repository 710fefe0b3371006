"""The rule word inside a longer token, found in time linear in the token and remembered within
a memory budget.

jieba's own dictionary has compounds that swallow a rule word (垃圾堆, 电梯间, 下水道口); the
compound then stands for the rule word it contains. A token can also be a run of letters or
digits as long as the message (jieba returns ``aaaa…`` or a pasted order number whole), so both
the search and the memo must stay cheap however long the token is.
"""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Iterator, Mapping

MEMO_BUDGET = 2 * 1024 * 1024
"""Bytes the memo may hold. The ~1,000 messages of ``tests/data`` have about 600 distinct long
tokens taking 50 KB: the budget keeps tens of thousands of words, and no more whatever arrives."""

LONGEST_REMEMBERED = 32
"""Characters: longer tokens are searched every time, not remembered. jieba's longest dictionary
word has 16 characters, so a longer token is a run of letters or digits (a phone number, an
order id, a keyboard mash) — seldom seen twice, and one would push out dozens of real words."""

ENTRY_BYTES = 100
"""What one memo entry costs beside its token: an ``OrderedDict`` slot and link, about 90 bytes
measured on CPython 3.11. The answer is ``None`` or a rule word the rules own already."""


class CompoundMemo:
    """Answers "which rule word is inside this token?" and remembers the answers.

    The same token always gives the same answer, so the memo only saves work; it is bounded by
    the memory its entries take (:data:`MEMO_BUDGET`), not by their number, because one entry
    may be a two-character word or a token of thousands. When full, the oldest entries go first.
    Not locked: classification runs on the event loop's thread.
    """

    def __init__(self, words: Mapping[str, object], budget: int = MEMO_BUDGET) -> None:
        self._words = words
        self._longest = max(map(len, words), default=0)
        self.budget = budget
        self._memo: OrderedDict[str, str | None] = OrderedDict()
        self._bytes = 0

    def rule_word(self, token: str) -> str | None:
        """The longest rule word inside ``token`` (the first of equal length), if any; ``token``
        itself does not count."""
        if token in self._memo:
            return self._memo[token]
        word = self._search(token)
        if len(token) <= LONGEST_REMEMBERED:
            self._remember(token, word)
        return word

    @property
    def bytes(self) -> int:
        """The memory the remembered entries take, as counted against :attr:`budget`."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._memo)

    def __iter__(self) -> Iterator[str]:
        """The remembered tokens, oldest first."""
        return iter(self._memo)

    def _search(self, token: str) -> str | None:
        """Only pieces as long as the longest rule word can be one, so the work is
        ``len(token)`` times that length, not ``len(token)`` squared (a 4 KB run of letters
        used to take hundreds of milliseconds)."""
        words = self._words
        for length in range(min(len(token) - 1, self._longest), 1, -1):
            for start in range(len(token) - length + 1):
                if (part := token[start : start + length]) in words:
                    return part
        return None

    def _remember(self, token: str, word: str | None) -> None:
        cost = sys.getsizeof(token) + ENTRY_BYTES
        self._memo[token] = word
        self._bytes += cost
        while self._bytes > self.budget and self._memo:
            oldest, _ = self._memo.popitem(last=False)
            self._bytes -= sys.getsizeof(oldest) + ENTRY_BYTES
