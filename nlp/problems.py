"""Several problems in one message: which ones, and the resident's words about each.

A resident often writes one long complaint about everything wrong at once (3号楼停水两天了，楼下
垃圾也没人清，楼道灯还坏了). Each problem may be another worker's or department's job, so the bot
offers to file one task per problem. Offering that to someone who wrote about one problem costs
more than missing a second one (a needless question, and one complaint on two cards), so the
evidence must be strong and distinct:

- the message as a whole names a second category (the classifier's ``also``) and is not urgent
  (an urgent report is filed at once, never held up by a question);
- the message is cut into clauses at punctuation and spaces; a clause *names* a problem when,
  read alone, its category scores at least :data:`STRONG` (a word or phrase that says the
  category by itself) and is one of the whole message's categories, so the message's
  exclusions still hold (楼上漏水 is a neighbour's leak, not 供水);
- at least two categories are named so, each in a clause of its own: related words within one
  clause (停水 + 水管, 物业不管垃圾) are one complaint.

Clauses that name nothing (两天了, 麻烦快点) go with the problem named before them — the first
ones with the first problem — so every word the resident wrote belongs to some problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.classifier import Classification, category_scores, classify
from nlp.rules import Rules
from nlp.segmenter import Tokenizer
from nlp.taxonomy import Category

STRONG = 3.0
"""The score a clause needs to name a problem on its own: a weight-3 word (停水, 垃圾, 楼道灯)
or a phrase that says the category (水+不来). Hints (weight 1–2: 水管, 物业) never split."""
_CLAUSE = re.compile(r"[^，,。；;！!？?、…~～\s]+")
"""A clause: what lies between punctuation marks and spaces."""
_OPENER = re.compile(r"^(另外|此外|还有(?!人)|顺便|再就是|再有|再说|同时)")
"""Words that open another matter at the start of a clause (另外…, 还有…, 顺便问下…)."""
_ALSO = re.compile(r"^[^也还]{0,10}(也|还(?!是))")
"""也/还 early in a clause (楼道灯也坏了, 楼下垃圾也没人清, 装修垃圾还堆楼道里): adds one more
thing wrong. In a letter this is mostly narrative (政府还给补贴, 还有人贴小广告), so there only
:data:`_OPENER` counts."""
_LETTER_CHARS = 80
"""A message this long is a letter: it tells one story, and brings in another matter explicitly."""
_SEQUELS = frozenset({Category.NEIGHBOR_DISPUTE})
"""Categories that, told after another problem, are how that problem went on (找他还骂人, 还往门上
泼水: the quarrel about it), not a matter of their own."""
_UMBRELLAS = frozenset({Category.PROPERTY_MGMT})
"""Categories that, told first, make the rest one complaint: a message that opens with the
property company (物业啥也不管，门禁坏了，楼道也没人扫) lists its failures, one matter for one
task (tests/data/LABELLING.md: a complaint about the company itself is 物业服务)."""
_CONSEQUENCE = re.compile(r"跟着|导致|害得|弄得|搞得|以至于")
"""Words that tie a clause to what came before as its effect (电梯也跟着停了)."""
_LEAD_CHARS = 4
"""A clause this short that brings in another matter (另外, 还有就是) introduces the next."""


@dataclass(frozen=True)
class Problem:
    """One problem named in a message: its category and the resident's words about it."""

    category: Category
    text: str
    """The clauses about it, as written (stretches apart joined by ``；``)."""
    matched: tuple[str, ...]
    """The words that named it (the classifier's explanation for its clauses)."""


def problems(
    text: str, rules: Rules, tokenizer: Tokenizer, whole: Classification | None = None
) -> tuple[Problem, ...]:
    """The distinct problems ``text`` names, in the order mentioned, when it names at least
    two; ``()`` for a message about one problem (or none). ``whole``: ``text`` classified
    already, when the caller has it."""
    whole = whole or classify(text, rules, tokenizer)
    candidates = {whole.category, *whole.also} - {Category.OTHER}
    if whole.urgent or len(candidates) < 2:
        return ()
    clauses = [(m.start(), m.end()) for m in _CLAUSE.finditer(text)]
    letter = len(text) >= _LETTER_CHARS
    limit = rules.scoring.max_chars  # as the classifier: words past it are kept, not read
    owners: list[Category | None] = []
    matched: dict[Category, list[str]] = {}
    current: Category | None = None
    for index, (start, end) in enumerate(clauses):
        clause = text[start:end]
        reading = _named(clause, candidates, rules, tokenizer) if start < limit else None
        named = reading.category if reading is not None else None
        if named is not None and current is not None and named not in matched:
            lead = text[slice(*clauses[index - 1])] if index else ""
            if (
                named in _SEQUELS
                or not _introduced(clause, lead, letter)
                or current in category_scores(clause, rules, tokenizer)
            ):
                named = None  # background, a consequence, or more about the problem told
        if named is not None:
            current = named
            matched.setdefault(named, []).extend(reading.matched if reading else ())
        owners.append(current)
    first = next(iter(matched), None)
    if first is None or len(matched) < 2 or first in _UMBRELLAS:
        return ()
    whose = [owner or first for owner in owners]
    return tuple(
        Problem(category, _words(text, clauses, whose, category), tuple(dict.fromkeys(words)))
        for category, words in matched.items()
    )


def _named(
    clause: str, candidates: set[Category], rules: Rules, tokenizer: Tokenizer
) -> Classification | None:
    """How ``clause`` reads on its own, when it names one of ``candidates`` strongly."""
    result = classify(clause, rules, tokenizer)
    if result.category not in candidates:
        return None
    score = category_scores(clause, rules, tokenizer).get(result.category, 0.0)
    return result if score >= STRONG else None


def _introduced(clause: str, lead: str, letter: bool) -> bool:
    """Whether ``clause`` is told as another matter: opened so (另外…, 顺便问下…), or by a short
    clause before it (另外，…), or — outside a letter — with 也/还 early on (楼道灯也坏了); and
    not as the effect of what came before (电梯也跟着停了)."""
    opened = _OPENER.search(clause) or (len(lead) <= _LEAD_CHARS and _OPENER.search(lead))
    return bool(opened or (not letter and _ALSO.search(clause))) and not _CONSEQUENCE.search(clause)


def _words(
    text: str, clauses: list[tuple[int, int]], owners: list[Category], category: Category
) -> str:
    """The stretches of ``text`` whose clauses belong to ``category``, as written."""
    stretches: list[str] = []
    run: list[tuple[int, int]] = []
    for span, owner in zip(clauses, owners, strict=True):
        if owner is category:
            run.append(span)
        elif run:
            stretches.append(text[run[0][0] : run[-1][1]])
            run = []
    if run:
        stretches.append(text[run[0][0] : run[-1][1]])
    return "；".join(stretches)
