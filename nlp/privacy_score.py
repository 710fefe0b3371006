"""How well masking does on labelled messages: recall of personal numbers, harm to the rest.

The labelled set (``tests/data/pii.jsonl``) names, per message, the exact spans that are
personal (phones, ID numbers, rooms) and the spans with numbers that must stay readable
(3号楼, 2024年, 50块). A personal span counts as hidden when its digits no longer stand
together in the masked text — the shape a card keeps (``138****5678``) hides a phone, while
``138 0013 8000`` left whole, or split by an invisible character, does not. A must-keep span
counts as kept when it is still there, as written (full-width digits folded, as masking folds
them). Pure arithmetic over the masker's output, so the suite's floors and the benchmark's
figures are the same numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nlp.privacy import readable

_JOINERS = re.compile(r"[\s\-.·()（）]")
"""What may sit between the digits of one number without breaking it for a reader (invisible
characters are gone already: :func:`nlp.privacy.readable`)."""


@dataclass(frozen=True)
class Labelled:
    """One message with its personal spans and its must-keep spans."""

    text: str
    personal: tuple[str, ...]
    keep: tuple[str, ...]


@dataclass
class PrivacyScore:
    """Counts over a labelled set, and the misses to read."""

    personal: int = 0
    hidden: int = 0
    keep: int = 0
    kept: int = 0
    keep_only_messages: int = 0
    keep_only_untouched: int = 0
    leaks: list[tuple[str, str, str]] = field(default_factory=list)
    """(text, span, masked) for each personal span left readable."""
    harms: list[tuple[str, str, str]] = field(default_factory=list)
    """(text, span, masked) for each must-keep span masked or changed."""

    @property
    def recall(self) -> float:
        return self.hidden / self.personal if self.personal else 1.0

    @property
    def false_masking(self) -> float:
        """The share of must-keep spans masked or changed."""
        return 1 - self.kept / self.keep if self.keep else 0.0

    @property
    def keep_only_changed(self) -> float:
        """The share of messages with no personal number that masking changed at all."""
        if not self.keep_only_messages:
            return 0.0
        return 1 - self.keep_only_untouched / self.keep_only_messages


def load(path: Path) -> list[Labelled]:
    """The labelled set, one JSON object per line."""
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return [Labelled(r["text"], tuple(r["personal"]), tuple(r["keep"])) for r in rows]


def score(mask: Callable[[str], str], messages: Iterable[Labelled]) -> PrivacyScore:
    """How ``mask`` does on ``messages``."""
    result = PrivacyScore()
    for message in messages:
        masked = mask(message.text)
        readable_masked = readable(masked)
        joined = _JOINERS.sub("", readable_masked)
        for span in message.personal:
            result.personal += 1
            digits = "".join(c for c in readable(span) if c.isdigit() or c in "Xx")
            if digits in joined:
                result.leaks.append((message.text, span, masked))
            else:
                result.hidden += 1
        for span in message.keep:
            result.keep += 1
            if readable(span) in readable_masked:
                result.kept += 1
            else:
                result.harms.append((message.text, span, masked))
        if not message.personal:
            result.keep_only_messages += 1
            result.keep_only_untouched += readable_masked == readable(message.text)
    return result
