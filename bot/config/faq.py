"""``[[faq]]``: the answers an operator keeps for common questions (issue 11, point 7).

物业费怎么交 or 社区几点下班 is asked every week; the answer is the same each time, so the bot
gives it at once instead of filing a task for a worker to type it again. Each entry names the
words a question must contain (every word of one ``keywords`` entry, so "物业费 交" matches
物业费怎么交 and 物业费在哪交) and the answer residents get.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.tomlcheck import Mistake, Problems, join, only_keys, string, strings, tables
from nlp.normalize import normalize


@dataclass(frozen=True)
class FaqEntry:
    """One common question and its answer."""

    question: str
    """How the question reads, shown with the answer so the resident sees what was answered."""
    keywords: tuple[tuple[str, ...], ...]
    """Alternatives; each is words that must all occur in the resident's message."""
    answer: str

    def matches(self, text: str) -> bool:
        normal = normalize(text)
        return any(all(word in normal for word in words) for words in self.keywords)


def find_answer(faq: tuple[FaqEntry, ...], text: str) -> FaqEntry | None:
    """The first entry whose keywords ``text`` contains, or None."""
    return next((entry for entry in faq if entry.matches(text)), None)


def read_faq(data: Mapping[str, Any], problems: Problems) -> tuple[FaqEntry, ...]:
    found: list[FaqEntry] = []
    for i, entry in enumerate(problems.read(tables, data, "faq") or []):
        key = join("faq", i)
        only_keys(entry, key, {"question", "keywords", "answer"}, problems)
        question = problems.read(string, entry, "question", key)
        keywords = problems.read(_keywords, entry, key)
        answer = problems.read(string, entry, "answer", key)
        if question and keywords and answer:
            found.append(FaqEntry(question, keywords, answer))
    return tuple(found)


def _keywords(entry: Mapping[str, Any], key: str) -> tuple[tuple[str, ...], ...]:
    listed = strings(entry, "keywords", key)
    if not listed:
        raise Mistake(join(key, "keywords"), "must list at least one keyword")
    return tuple(tuple(normalize(word) for word in item.split()) for item in listed)
