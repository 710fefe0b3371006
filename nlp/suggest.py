"""What to change in the rules, with the evidence, from messages labelled by people.

``griddesk rules-check`` says how well the rules do on a labelled set; this says where they could
do better, for an operator to decide (``griddesk rules-suggest``). The rules stay the classifier:
nothing here writes a rules file, and every suggestion carries the counts that justify it, so a
word is accepted knowingly or not at all.

Two kinds of evidence, both from the same segmentation the classifier uses (the rules' own
tokenizer, so rule words come out whole):

**Words per category** (:class:`WordSuggestion`): tokens, and adjacent pairs of tokens
(``水管+爆了``, a phrase of window 1 or one joined word), found in messages of one label. Each
comes with how many messages of the label hold it, how many of other labels do, the precision
that makes on the file, and its *gain*: how many of the label's messages the rules get wrong
hold it — the messages the word could put right. Only words the label makes obvious are kept
(``min_count``, ``min_precision``), never one the category's rules already score (a keyword, a
token holding one, a pair filling two parts of one of its phrases), a function word
(:data:`STOP_WORDS`) or a token with a digit (rooms, phones, dates: incidental, and personal).
A single character is offered only to a category whose rules already use single-character
keywords (the shipped ones give 堵 to drainage and 吵 to noise, none to elevator): a lone
character is the weakest evidence, and a category written without any was written so on
purpose. A pair is left out when one of its words is offered alone: that word already covers
every message the pair does.

**Keywords behind confusions** (:class:`ConfusingKeyword`): for each message the rules put in the
wrong category, the rule words and phrases of that wrong category found in it — what pulled it
there — counted per (keyword, predicted, label), with one example masked by
:func:`nlp.privacy.mask_pii`, since a labelled export is residents' words and may hold their
numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# The classifier's own rule-word and phrase matching, so that "this keyword pulled the
# message" names exactly what the classifier saw, not a copy that could drift.
from nlp.classifier import classify, find_phrase, rule_word_positions
from nlp.normalize import normalize
from nlp.privacy import mask_pii
from nlp.rules import CategoryRules, Rules
from nlp.segmenter import Tokenizer, segment
from nlp.taxonomy import Category

STOP_WORDS = frozenset({
    "的", "地", "得", "之", "了", "着", "过", "吧", "吗", "呢", "啊", "呀", "哦", "嗯", "哈", "啦",
    "嘛", "哎", "唉", "喂", "哇", "么", "呗", "是", "在", "有", "和", "与", "及", "或", "跟", "同",
    "把", "被", "给", "对", "从", "到", "向", "往", "为", "为了", "因为", "所以", "但", "但是",
    "可是", "而且", "如果", "然后", "而", "并", "等", "就", "也", "都", "还", "又", "才", "再",
    "很", "最", "更", "挺", "特别", "非常", "真", "真的", "这", "那", "这个", "那个", "这些",
    "那些", "这里", "那里", "这边", "那边", "这儿", "那儿", "哪", "哪里", "哪儿", "什么", "怎么",
    "怎么办", "怎么回事", "为什么", "啥", "咋", "谁", "多少", "几", "我", "我们", "你", "你们",
    "您", "他", "她", "它", "他们", "她们", "它们", "咱", "咱们", "俺", "自己", "大家", "人家",
    "个", "些", "一个", "一下", "一些", "一点", "一直", "有点", "有些", "已经", "现在", "今天",
    "昨天", "明天", "还是", "就是", "也是", "都是", "不是", "还有", "可以", "能", "能不能", "会",
    "要", "想", "请", "麻烦", "帮", "帮忙", "一样", "这样", "那样", "怎样", "上", "下", "里", "中",
})  # fmt: skip
"""Function words: in every category's messages, evidence for none."""

EXAMPLE_CHARS = 40
"""Characters of an example message shown beside a confusion, around the keyword."""


@dataclass(frozen=True)
class WordSuggestion:
    """A word (or adjacent pair) the messages of one label make obvious, with its evidence."""

    category: Category
    parts: tuple[str, ...]
    """One token, or two adjacent ones (a phrase of window 1, or one joined word)."""
    count: int
    """Messages of the label holding it."""
    other: int
    """Messages of other labels holding it."""
    gain: int
    """Messages of the label the rules get wrong that hold it: what adding it could fix."""
    rule_words: tuple[tuple[str, Category, float], ...]
    """(part, category, weight) for each part already a keyword elsewhere in the rules (for a
    pair, possibly of this category too): a word that would then score for two categories."""

    @property
    def word(self) -> str:
        """How the report names it: ``水管`` or ``水管+爆了``."""
        return "+".join(self.parts)

    @property
    def precision(self) -> float:
        """The share of the messages holding it that carry this label."""
        return self.count / (self.count + self.other)

    def as_json(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "parts": list(self.parts),
            "count": self.count,
            "other": self.other,
            "precision": round(self.precision, 4),
            "gain": self.gain,
            "rule_words": [
                {"word": word, "category": category.value, "weight": weight}
                for word, category, weight in self.rule_words
            ],
        }


@dataclass(frozen=True)
class CategorySuggestions:
    """The words suggested for one label of the file, best first."""

    category: Category
    support: int
    """Messages with this label."""
    wrong: int
    """Of those, the ones the rules put in another category."""
    words: tuple[WordSuggestion, ...]


@dataclass(frozen=True)
class ConfusingKeyword:
    """A rule word or phrase of the wrong category found in misclassified messages."""

    keyword: str
    """A keyword (``楼上``) or a phrase as its parts were found (``楼上+漏水``)."""
    predicted: Category
    label: Category
    count: int
    example: str
    """The first such message, masked and cut to about :data:`EXAMPLE_CHARS` characters."""

    def as_json(self) -> dict[str, Any]:
        return {
            "keyword": self.keyword,
            "predicted": self.predicted.value,
            "label": self.label.value,
            "count": self.count,
            "example": self.example,
        }


@dataclass(frozen=True)
class Suggestions:
    """Everything ``rules-suggest`` reports about one labelled set."""

    total: int
    wrong: int
    """Messages the rules put in a category other than their label."""
    unmatched: int
    """Of those, messages with no evidence for any category (they fell to ``other``): only new
    words can help them."""
    categories: tuple[CategorySuggestions, ...]
    """Every label of the file, in taxonomy order."""
    confusions: tuple[ConfusingKeyword, ...]
    """Most frequent first."""
    min_count: int
    min_precision: float

    def as_json(self) -> dict[str, Any]:
        """The CLI's ``--json`` object."""
        return {
            "total": self.total,
            "wrong": self.wrong,
            "unmatched": self.unmatched,
            "min_count": self.min_count,
            "min_precision": self.min_precision,
            "categories": {
                c.category.value: {
                    "support": c.support,
                    "wrong": c.wrong,
                    "words": [w.as_json() for w in c.words],
                }
                for c in self.categories
            },
            "confusions": [c.as_json() for c in self.confusions],
        }


Key = tuple[str, ...]


def suggest(
    rows: Iterable[tuple[str, Category]],
    rules: Rules,
    tokenizer: Tokenizer,
    *,
    min_count: int = 3,
    min_precision: float = 0.8,
    top: int = 10,
) -> Suggestions:
    """Classify every labelled ``(text, label)`` with ``rules`` and gather the evidence.

    ``top`` words at most per category; the confusions are all listed.
    """
    support: Counter[Category] = Counter()
    wrong: Counter[Category] = Counter()
    holding: defaultdict[Key, Counter[Category]] = defaultdict(Counter)
    fixing: defaultdict[Key, Counter[Category]] = defaultdict(Counter)
    pulled: Counter[tuple[str, Category, Category]] = Counter()
    examples: dict[tuple[str, Category, Category], str] = {}
    read_as: dict[str, str] = {}  # token → the rule word the classifier reads it as
    unmatched = 0
    by_category = {c.category: c for c in rules.categories}
    for text, label in rows:
        result = classify(text, rules, tokenizer)
        normal = normalize(text[: rules.scoring.max_chars])
        tokens = list(segment(tokenizer, normal)) if normal else []
        positions = rule_word_positions(tokens, rules)
        for word, places in positions.items():
            read_as.update((tokens[place], word) for place in places)
        keys = _candidates(tokens)
        support[label] += 1
        for key in keys:
            holding[key][label] += 1
        if result.category is label:
            continue
        wrong[label] += 1
        for key in keys:
            fixing[key][label] += 1
        found = _pulling(positions, by_category.get(result.category))
        unmatched += not found
        for keyword, near in found:
            entry = (keyword, result.category, label)
            pulled[entry] += 1
            if entry not in examples:
                examples[entry] = _example(text, near)
    categories = _words(
        holding=holding,
        fixing=fixing,
        read_as=read_as,
        rules=rules,
        min_count=min_count,
        min_precision=min_precision,
    )
    return Suggestions(
        total=sum(support.values()),
        wrong=sum(wrong.values()),
        unmatched=unmatched,
        categories=tuple(
            CategorySuggestions(c, support[c], wrong[c], tuple(categories.get(c, ())[:top]))
            for c in Category
            if support[c]
        ),
        confusions=tuple(
            ConfusingKeyword(keyword, predicted, label, n, examples[keyword, predicted, label])
            for (keyword, predicted, label), n in sorted(
                pulled.items(), key=lambda item: (-item[1], *item[0])
            )
        ),
        min_count=min_count,
        min_precision=min_precision,
    )


def _candidates(tokens: Sequence[str]) -> set[Key]:
    """The words of one message worth counting: content tokens and adjacent pairs of them."""
    keys: set[Key] = set()
    previous: str | None = None
    for token in tokens:
        if not token.isalnum() or token in STOP_WORDS or any(ch.isdigit() for ch in token):
            previous = None  # punctuation, a space, a function word or a number: no pair across
            continue
        keys.add((token,))
        if previous is not None:
            keys.add((previous, token))
        previous = token
    return keys


def _words(
    *,
    holding: Mapping[Key, Counter[Category]],
    fixing: Mapping[Key, Counter[Category]],
    read_as: Mapping[str, str],
    rules: Rules,
    min_count: int,
    min_precision: float,
) -> dict[Category, list[WordSuggestion]]:
    """Every suggestion per category, best first: single words, then the pairs they leave."""
    by_category = {c.category: c for c in rules.categories}
    single_ok = {c for c, r in by_category.items() if any(len(w) == 1 for w in r.keywords)}
    keyword_of: defaultdict[str, list[tuple[Category, float]]] = defaultdict(list)
    for category_rules in rules.categories:
        for word, weight in category_rules.keywords.items():
            keyword_of[word].append((category_rules.category, weight))
    found: defaultdict[Category, list[WordSuggestion]] = defaultdict(list)
    for size in (1, 2):
        alone = {(s.category, s.parts[0]) for ss in found.values() for s in ss}
        for key, labels in holding.items():
            if len(key) != size:
                continue
            everywhere = sum(labels.values())
            for category, count in labels.items():
                if count < min_count or count / everywhere < min_precision:
                    continue
                rule_parts = [read_as.get(part) for part in key]
                covered = _covered(rule_parts, by_category.get(category))
                if covered or (size == 1 and len(key[0]) == 1 and category not in single_ok):
                    continue
                if size == 2 and any((category, part) in alone for part in key):
                    continue
                known = tuple(
                    (part, other, weight)
                    for part in dict.fromkeys(p for p in rule_parts if p is not None)
                    for other, weight in keyword_of.get(part, ())
                )
                gain = fixing[key][category] if key in fixing else 0
                found[category].append(
                    WordSuggestion(category, key, count, everywhere - count, gain, known)
                )
    for suggestions in found.values():
        suggestions.sort(key=lambda s: (-s.gain, -s.count, -s.precision, len(s.parts), s.word))
    return found


def _covered(rule_parts: Sequence[str | None], rules: CategoryRules | None) -> bool:
    """Whether the category's rules already score these words: one word that is (or holds) one
    of its keywords, or two that fill two parts of one of its phrases."""
    if rules is None or None in rule_parts:
        return False
    if len(rule_parts) == 1:
        return rule_parts[0] in rules.keywords
    first, second = rule_parts
    return any(
        first in a and second in b
        for phrase in rules.phrases
        for i, a in enumerate(phrase.parts)
        for j, b in enumerate(phrase.parts)
        if i != j
    )


def _pulling(
    positions: Mapping[str, list[int]], category_rules: CategoryRules | None
) -> list[tuple[str, str]]:
    """(keyword or phrase, a rule word of it to centre the example on) of ``category_rules``
    among the rule words of a message (with their token positions): the evidence that took
    the message there."""
    if category_rules is None:
        return []
    found = [(word, word) for word in positions if word in category_rules.keywords]
    for phrase in category_rules.phrases:
        match = find_phrase(phrase, positions)
        if match is not None:
            shown = match[1]
            found.append((shown, shown.split("+")[0]))
    return found


def _example(text: str, near: str) -> str:
    """``text`` masked, on one line, and cut to :data:`EXAMPLE_CHARS` around ``near``."""
    shown = " ".join(mask_pii(text).split())
    if len(shown) <= EXAMPLE_CHARS:
        return shown
    at = shown.lower().find(near)
    start = max(0, min(at - EXAMPLE_CHARS // 4, len(shown) - EXAMPLE_CHARS)) if at > 0 else 0
    while start > 0 and shown[start - 1] == "*":  # a masked number is shown whole, not as "*"
        start -= 1
    end = start + EXAMPLE_CHARS
    return f"{'…' if start else ''}{shown[start:end]}{'…' if end < len(shown) else ''}"
