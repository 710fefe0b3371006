"""The classifier: a pure function of (text, rules), segmenting with the app's tokenizer.

How a message is scored:

1. The first ``scoring.max_chars`` characters are normalised (:func:`nlp.normalize.normalize`)
   and segmented; only tokens the rules mention are kept, with their positions.
2. Each category collects its distinct keywords present and its phrases whose parts all occur
   within the phrase's window; its score is the strongest weight plus each further one at
   ``decay`` times the one before. A category with an ``exclude`` match scores nothing, unless
   one of its ``keep`` words or phrases occurs too; in a letter (``letter_chars`` or longer)
   the chat-only keywords (closing thanks) count nothing.
   The letter's stance (:class:`nlp.rules.StanceRules`) then weighs in: a message of at least
   ``stance.min_chars`` characters that proposes or asks about the city's plans and names no
   fault happening now — or asks for its whole compound's renovation, whatever faults it lists
   — counts ``stance.factor`` of every grid category's weight, and ``other`` gains
   ``stance.weight``.
3. Every category scoring at least ``mention_ratio`` of the best is a contender, and the one
   mentioned first wins: residents lead with the problem they care about most — except that in
   a message naming a fault happening now (and asking about no plan), ``other`` wins only when
   it is strictly the strongest: the resident reports a repair, and a topic word of the city's
   (地铁, 培训机构) mentioned first does not make it the city's business. In a letter
   (``letter_chars`` or longer) a grid winner scoring under ``letter_floor`` — weak hints only —
   makes the letter ``other``, and so does one weak hint (under ``hint_floor``) in a message of
   a few sentences (``hint_chars`` or longer). Other categories scoring at least
   ``also_ratio`` of the best are reported as ``also``.
4. Confidence grows with the winner's score (``1 - exp(-score / saturation)``) and shrinks when
   a rival scores close to it. Below ``ask_below`` the resident is asked to pick — when there
   is a grid kind to offer. A message in which no grid kind found any evidence is ``other`` and
   not asked about: the kinds the resident would be offered are only the commonest ones, which
   their words did not name, so the question would be a guess list; the community desk reads
   it instead, as a 12345 operator's general desk would (issue 15). Unless it says nothing yet
   (:class:`nlp.rules.AnnounceRules`: "我想反映个情况", "？？？"): the desk could do nothing
   with it, and the buttons at least tell the resident what the bot can take.
5. Urgency is independent of the category: any urgent trigger, unless an urgent exclusion matches
   — anywhere in the message (``exclude``: a drill, a notice), or in the trigger's own clause
   (``exclude_in_clause``: a supposition, 一旦/万一 … 爆炸), clauses being what punctuation
   separates. In a letter (``letter_chars`` or longer) only a trigger in its opening
   (``urgent.letter_opening`` characters) or in a sentence that says now (``urgent.now``: 现在,
   刚才 …) counts: further on, a letter's dangers are its history, its argument or a worry.

The cost beyond segmentation is one set look-up per token, a search for a rule word inside a
longer token bounded by the longest rule word (:mod:`nlp.compounds`), one index look-up per rule
word present, and a window check for the few phrases whose parts all occur (see
:class:`nlp.rules.RuleIndex`), so long texts — even one run of 4 KB of letters — stay linear.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from typing import Any

from nlp.normalize import normalize
from nlp.rules import (
    ASKS,
    FAULTS,
    IN_PHRASE,
    RENEWS,
    URGENCY,
    URGENCY_HERE,
    Pattern,
    Phrase,
    Role,
    RuleIndex,
    Rules,
    Scoring,
    StanceRules,
)
from nlp.segmenter import Tokenizer, segment
from nlp.taxonomy import CATEGORIES, Category

_OTHER = CATEGORIES.index(Category.OTHER)
_FIRST_MENTION = itemgetter(1)


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier made of one message (slotted: one is made per message, and without
    an instance ``__dict__`` it is one object to allocate and collect, not two)."""

    category: Category
    also: tuple[Category, ...]
    urgent: bool
    urgent_trigger: str | None
    confidence: float
    matched: tuple[str, ...]
    """The resident's own words that decided the category, in text order: shown to grid
    workers as 识别依据 (see :func:`_explanation`)."""
    ask: bool
    """True when the resident should pick the category: the classifier is not sure enough
    between grid kinds it found evidence for (:attr:`ranked`); when it found none, only if the
    message says nothing yet (:class:`nlp.rules.AnnounceRules`)."""
    ranked: tuple[Category, ...] = ()
    """Every category with evidence but ``other``, the chosen one first, then by score: what
    the resident is offered when asked to pick (:attr:`ask`)."""

    def as_json(self) -> dict[str, Any]:
        """The CLI's JSON object: exactly the keys operators script against."""
        return {
            "category": self.category.value,
            "urgent": self.urgent,
            "confidence": self.confidence,
            "matched": list(self.matched),
            "also": [c.value for c in self.also],
            "ask": self.ask,
        }


Hit = tuple[int, tuple[int, ...], float]
"""One piece of evidence for a category: (first token position, the positions of the tokens
that make it — one for a keyword, one per part for a phrase —, weight)."""


def classify(text: str, rules: Rules, tokenizer: Tokenizer) -> Classification:
    """Classify one resident message; never raises on any ``str`` input."""
    scoring = rules.scoring
    normal = normalize(text[: scoring.max_chars])
    tokens = segment(tokenizer, normal)
    positions = rule_word_positions(tokens, rules)
    evidence, trigger = _evidence(positions, rules.index, tokens)
    if len(normal) >= scoring.letter_chars:
        _drop_chat_only(evidence, positions, rules.chat_only)
    repair = _weigh_stance(evidence, positions, rules.stance, len(normal))
    if not evidence:
        asks = rules.announce.asks(normal)
        return Classification(Category.OTHER, (), trigger is not None, trigger, 0.0, (), asks)
    if len(evidence) == 1:  # one category named, the commonest case: no rival to weigh
        [(ordinal, hits)] = evidence.items()
        category = CATEGORIES[ordinal]
        score = -_score(hits, scoring.decay)[0]
        confidence = _confidence(score, 0.0, scoring.saturation)
        weak = ordinal != _OTHER and _weak_in_letter(score, len(normal), scoring)
        return Classification(
            category=Category.OTHER if weak else category,
            also=(),
            urgent=trigger is not None,
            urgent_trigger=trigger,
            confidence=confidence,
            matched=() if weak else _explanation(hits, tokens),
            ask=confidence < scoring.ask_below
            and (ordinal != _OTHER or rules.announce.asks(normal)),
            ranked=() if ordinal == _OTHER else (category,),
        )
    # (-score, first mention, category ordinal): the strongest category first
    ranked = sorted([(*_score(hits, scoring.decay), ordinal) for ordinal, hits in evidence.items()])
    best = -ranked[0][0]
    # among the contenders, the one mentioned first (a tie goes to the stronger)
    floor = -best * scoring.mention_ratio
    contenders = [entry for entry in ranked if entry[0] <= floor]
    if repair:  # a fault now: the city's topic words decide only when strictly the strongest
        grid = [entry for entry in contenders if entry[2] != _OTHER]
        if grid and not (ranked[0][2] == _OTHER and ranked[0][0] < grid[0][0]):
            contenders = grid
    winner = min(contenders, key=_FIRST_MENTION)
    rivals = [entry for entry in ranked if entry is not winner]
    confidence = _confidence(-winner[0], -rivals[0][0] if rivals else 0.0, scoring.saturation)
    also_floor = -best * scoring.also_ratio
    ranked_grid = tuple([CATEGORIES[e[2]] for e in (winner, *rivals) if e[2] != _OTHER])
    weak = winner[2] != _OTHER and _weak_in_letter(-winner[0], len(normal), scoring)
    return Classification(
        category=Category.OTHER if weak else CATEGORIES[winner[2]],
        also=tuple([CATEGORIES[r[2]] for r in rivals if r[0] <= also_floor and r[2] != _OTHER]),
        urgent=trigger is not None,
        urgent_trigger=trigger,
        confidence=confidence,
        matched=() if weak else _explanation(evidence[winner[2]], tokens),
        ask=confidence < scoring.ask_below and (bool(ranked_grid) or rules.announce.asks(normal)),
        ranked=ranked_grid,
    )


def _weak_in_letter(score: float, length: int, scoring: Scoring) -> bool:
    """Whether a grid category's ``score`` is too weak to decide a letter of ``length``
    characters: weak hints alone (``scoring.letter_floor``) among hundreds of characters are
    what any letter says in passing, and one weak hint (``scoring.hint_floor``) in a message of
    a few sentences (``scoring.hint_chars``) is a word said in passing too. The resident is
    still asked, offered that category."""
    return (score < scoring.letter_floor and length >= scoring.letter_chars) or (
        score < scoring.hint_floor and length >= scoring.hint_chars
    )


def category_scores(text: str, rules: Rules, tokenizer: Tokenizer) -> dict[Category, float]:
    """Each category's score in ``text``, exclusions applied (categories without evidence are
    absent): the evidence :func:`classify` weighs, for a caller that needs more than the
    winner — whether one clause names a problem strongly enough to stand on its own
    (:mod:`nlp.problems`)."""
    normal = normalize(text[: rules.scoring.max_chars])
    tokens = segment(tokenizer, normal)
    positions = rule_word_positions(tokens, rules)
    evidence, _ = _evidence(positions, rules.index, tokens)
    if len(normal) >= rules.scoring.letter_chars:
        _drop_chat_only(evidence, positions, rules.chat_only)
    _weigh_stance(evidence, positions, rules.stance, len(normal))
    decay = rules.scoring.decay
    return {CATEGORIES[ordinal]: -_score(hits, decay)[0] for ordinal, hits in evidence.items()}


def _score(hits: list[Hit], decay: float) -> tuple[float, int]:
    """(-score, first mention) of one category's hits; negated so ``sorted`` puts the best first.

    The score is the strongest weight in full and each further one ``decay`` times the one
    before: a letter that names its problem five ways is not five times as sure, and a long
    description must not drown a second, clearly named problem. The first mention is where the
    strongest word first occurs, so a passing weak word earlier on (a greeting, a place) does not
    make a category "mentioned first".
    """
    if len(hits) == 1:
        position, _, weight = hits[0]
        return -weight, position
    weights = sorted([weight for _, _, weight in hits], reverse=True)
    score, factor = 0.0, 1.0
    for weight in weights:
        score += weight * factor
        factor *= decay
    strongest = weights[0]
    return -score, min([position for position, _, weight in hits if weight == strongest])


def rule_word_positions(tokens: Sequence[str], rules: Rules) -> dict[str, list[int]]:
    """Where each rule word occurs among ``tokens`` (a token may stand for a rule word it
    contains, :mod:`nlp.compounds`): the evidence the classifier scores, and what
    ``rules-suggest`` names as the words behind a wrong guess (:mod:`nlp.suggest`)."""
    words = rules.index.words
    compounds = rules.index.compounds
    positions: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        if token in words:
            word = token
        elif len(token) < _MIN_COMPOUND:  # most tokens: short, and no rule word
            continue
        elif (inside := compounds.rule_word(token)) is not None:
            word = inside
        else:
            continue
        if word in positions:
            positions[word].append(i)
        else:
            positions[word] = [i]
    return positions


_MIN_COMPOUND = 3
"""Characters: only a token this long can hold a rule word (two characters or more) inside it."""


def _evidence(
    positions: Mapping[str, list[int]], index: RuleIndex, tokens: Sequence[str]
) -> tuple[dict[int, list[Hit]], str | None]:
    """The hits of every category by ordinal (exclusions applied) and the urgent trigger.

    One-word patterns act straight from the word's :class:`nlp.rules.WordEffects`; only the
    patterns of several parts whose every part is present go through :func:`find_phrase`.
    """
    effects = index.effects
    evidence: dict[int, list[Hit]] = {}
    seen_parts: dict[int, int] = {}
    vetoed: list[int] = []  # category ordinals, URGENCY when urgency is ruled out
    kept: list[int] = []  # category ordinals whose vetoes a keep pattern lifts
    triggers: list[tuple[int, str]] = []  # (a position, what made it urgent)
    here: list[int] = []  # where clause-scoped urgency exclusions of several parts start
    for word, places in positions.items():
        keywords, parts, urgent, vetoes = effects[word]
        first = places[0]
        if keywords:
            at = (first,)
            for ordinal, weight in keywords:
                if ordinal in evidence:
                    evidence[ordinal].append((first, at, weight))
                else:
                    evidence[ordinal] = [(first, at, weight)]
        for number, bit in parts:
            seen_parts[number] = seen_parts.get(number, 0) | bit
        if urgent:
            triggers.extend((place, word) for place in places)
        vetoed.extend(vetoes)
    for pattern, (start, shown, phrase_parts) in _matches(seen_parts, positions, index):
        if pattern.role is Role.SCORE:
            evidence.setdefault(pattern.ordinal, []).append(
                (start, phrase_parts, pattern.phrase.weight)
            )
        elif pattern.role is Role.URGENT:
            triggers.append((start, shown))
        else:  # EXCLUDE or KEEP its category, or NOT_URGENT (URGENCY, URGENCY_HERE)
            (kept if pattern.role is Role.KEEP else vetoed).append(pattern.ordinal)
            if_here = pattern.ordinal == URGENCY_HERE  # every clause it occurs in, not the first
            here.extend(_all_starts(pattern.phrase, positions, start) if if_here else ())
    for ordinal in set(vetoed).difference(kept):  # a keep lifts its category's vetoes
        evidence.pop(ordinal, None)
    ruled_out = not triggers or URGENCY in vetoed
    here = here if ruled_out else _in_clause(here, vetoed, positions, index)
    return evidence, None if ruled_out else _urgent(triggers, here, tokens, index)


def _urgent(
    triggers: list[tuple[int, str]], here: list[int], tokens: Sequence[str], index: RuleIndex
) -> str | None:
    """What makes the message urgent, of the ``triggers`` no exclusion ruled out for the whole
    message: in a letter, only those in its opening or said now (:func:`_told_now`), then the
    first that no clause-scoped exclusion (``here``) rules out (:func:`_trigger`)."""
    if index.letter_opening:
        triggers = _told_now(triggers, tokens, index)
    return _trigger(triggers, here, tokens, index.opens_clause)


def _told_now(
    triggers: list[tuple[int, str]], tokens: Sequence[str], index: RuleIndex
) -> list[tuple[int, str]]:
    """The triggers that count in a letter (:attr:`nlp.rules.UrgencyRules.letter_opening`):
    those in its opening, and those in a sentence holding a word that says now (现在, 正在 …).
    A resident in danger leads with it, or says it is happening as they write; a letter that
    reaches a fire or a leak further on is telling its history or arguing its case. A chat
    message (shorter than a letter) keeps every trigger. Worked out only for a message with a
    trigger."""
    offsets = list(accumulate(map(len, tokens), initial=0))  # where each token starts
    if offsets[-1] < index.letter_chars:
        return triggers
    opening = index.letter_opening
    if all(offsets[place] < opening for place, _ in triggers):
        return triggers
    sentence = _sentences(tokens)
    now = index.now
    said_now = {sentence[i] for i, token in enumerate(tokens) if token in now}
    return [t for t in triggers if offsets[t[0]] < opening or sentence[t[0]] in said_now]


_SENTENCE_ENDS = frozenset(".!?;。")
"""Punctuation that ends a sentence, as normalised (full-width ！？； become ! ? ;)."""


def _sentences(tokens: Sequence[str]) -> list[int]:
    """Each token's sentence number: how many sentence-ending tokens come before it."""
    numbers: list[int] = []
    sentence = 0
    for token in tokens:
        numbers.append(sentence)
        sentence += token in _SENTENCE_ENDS
    return numbers


def _drop_chat_only(
    evidence: dict[int, list[Hit]],
    positions: Mapping[str, list[int]],
    chat_only: Mapping[str, frozenset[int]],
) -> None:
    """Remove, in place, the hits of keywords that count only in a chat line
    (:attr:`nlp.rules.CategoryRules.chat_only`): the message is a letter, whose closing thanks
    say nothing about what it is about. A keyword's hit is the one-part hit at its first
    position; the look-up costs one set test per chat-only word present."""
    for word, ordinals in chat_only.items():
        places = positions.get(word)
        if places is None:
            continue
        first = places[0]
        for ordinal in ordinals:
            hits = evidence.get(ordinal)
            if hits is None:
                continue
            kept = [hit for hit in hits if not (hit[0] == first and hit[1] == (first,))]
            if kept:
                evidence[ordinal] = kept
            else:
                del evidence[ordinal]


def _weigh_stance(
    evidence: dict[int, list[Hit]],
    positions: Mapping[str, list[int]],
    stance: StanceRules,
    length: int,
) -> bool:
    """Apply the message's stance (:class:`nlp.rules.StanceRules`) to ``evidence`` in place;
    return whether the message reports a repair: a fault cue, and no asking cue.

    A message of at least ``min_chars`` characters that proposes or asks about the city's
    plans, with no fault happening now, counts ``factor`` of every grid category's weight, and
    ``other`` gains ``weight`` at the first asking cue. A ``renewal`` cue (a whole compound's
    renovation asked for) asks too, and its letter's fault cues do not count: an old compound's
    list of faults is why it asks to be renovated, not a repair (LABELLING.md). The cost is one
    look-up per rule word present; the cues of several parts are searched only when one of their
    words occurs.
    """
    cues = stance.cues
    asking: list[int] = []
    fault = False
    renewal = False
    several = False
    for word, places in positions.items():
        role = cues.get(word)
        if role:
            if role & ASKS:
                asking.append(places[0])
            fault = fault or bool(role & FAULTS)
            renewal = renewal or bool(role & RENEWS)
            several = several or bool(role & IN_PHRASE)
    if several:
        for phrase in stance.asking:
            if len(phrase.parts) > 1 and (found := find_phrase(phrase, positions)):
                asking.append(found[0])
        for phrase in stance.renewal:
            if len(phrase.parts) > 1 and (found := find_phrase(phrase, positions)):
                asking.append(found[0])
                renewal = True
        fault = fault or any(
            len(phrase.parts) > 1 and find_phrase(phrase, positions) for phrase in stance.fault
        )
    fault = fault and not renewal  # a renovation's list of faults gives its reasons
    if asking and not fault and length >= stance.min_chars:
        factor = stance.factor
        for ordinal, hits in evidence.items():
            if ordinal != _OTHER:
                evidence[ordinal] = [(start, parts, w * factor) for start, parts, w in hits]
        if stance.weight > 0:
            cue = min(asking)
            evidence.setdefault(_OTHER, []).append((cue, (cue,), stance.weight))
    return fault and not asking


def _in_clause(
    here: list[int], vetoed: list[int], positions: Mapping[str, list[int]], index: RuleIndex
) -> list[int]:
    """Where clause-scoped urgency exclusions occur: the phrases' starts (``here``) and, only
    when one was found (rarely), every place of such a word."""
    if URGENCY_HERE not in vetoed:
        return here
    effects = index.effects
    return here + [
        p for w, ps in positions.items() if URGENCY_HERE in effects[w].vetoes for p in ps
    ]


def _all_starts(phrase: Phrase, positions: Mapping[str, list[int]], first: int) -> list[int]:
    """Where a clause-scoped urgency exclusion of several parts starts, every time it occurs
    (``first`` is the first): "救命的东西 … 救命器械" rules out both clauses' 救命, not the first
    only. Searched only for an exclusion that occurs at all, which is rare."""
    per_part = [
        sorted(p for w in part if w in positions for p in positions[w]) for part in phrase.parts
    ]
    return [first] + [start for start, _ in _windows(per_part, phrase.window) if start != first]


_QUOTES = {"“": "”", '"': '"', "「": "」", "『": "』", "‘": "’", "'": "'"}
"""Opening quotation marks and their closing ones, as normalised."""


def _quoted(tokens: Sequence[str], place: int) -> bool:
    """Whether the one-token trigger at ``place`` stands alone inside quotation marks: a figure
    of speech, "公园“受伤”了", not a person hurt."""
    if place == 0 or place + 1 >= len(tokens):
        return False
    closing = _QUOTES.get(tokens[place - 1])
    return closing is not None and tokens[place + 1] == closing


def _trigger(
    triggers: list[tuple[int, str]],
    here: list[int],
    tokens: Sequence[str],
    openers: frozenset[str],
) -> str | None:
    """The first trigger that no clause-scoped exclusion in its clause rules out, nor
    quotation marks around it make a figure of speech."""
    triggers = [t for t in triggers if "+" in t[1] or not _quoted(tokens, t[0])]
    if triggers and here:
        clause = _clauses(tokens, openers)
        ruled_out = {clause[place] for place in here}
        triggers = [t for t in triggers if clause[t[0]] not in ruled_out]
    return min(triggers)[1] if triggers else None


_CLAUSE_ENDS = frozenset(",.!?;。，！？；")
"""Punctuation that ends a clause (as normalised, and as typed)."""


def _clauses(tokens: Sequence[str], openers: frozenset[str] = frozenset()) -> list[int]:
    """Each token's clause number: how many clause-ending tokens, and clause-opening words
    (:attr:`nlp.rules.UrgencyRules.opens_clause`), come before it or at it. Worked out only
    for a message with both a trigger and a clause-scoped exclusion."""
    numbers: list[int] = []
    clause = 0
    for token in tokens:
        clause += token in openers and bool(numbers)  # a supposition opens its own clause
        numbers.append(clause)
        if token in _CLAUSE_ENDS:
            clause += 1
    return numbers


def _matches(
    seen_parts: Mapping[int, int], positions: Mapping[str, list[int]], index: RuleIndex
) -> Iterator[tuple[Pattern, tuple[int, str, tuple[int, ...]]]]:
    """The patterns of several parts that occur, with where (:func:`find_phrase`): only those
    whose every part was seen are searched."""
    for number, seen in seen_parts.items():
        pattern = index.patterns[number]
        if seen == pattern.all_parts and (found := find_phrase(pattern.phrase, positions)):
            yield pattern, found


def find_phrase(
    phrase: Phrase, positions: Mapping[str, list[int]]
) -> tuple[int, str, tuple[int, ...]] | None:
    """Where ``phrase`` first occurs (its first token's position), its rule words (``电梯+困``,
    the urgent trigger) and the position of each part in that first occurrence."""
    per_part: list[list[int]] = []
    shown: list[str] = []
    once = True  # every part occurs at one position only: the usual case
    for part in phrase.parts:
        # the order of ``present`` does not matter (its positions are sorted, and no two words
        # share a first position), so the shorter of the two is walked
        if len(part) < len(positions):
            present = [word for word in part if word in positions]
        else:
            present = [word for word in positions if word in part]
        if not present:
            return None
        if len(present) == 1:
            places = positions[present[0]]
            shown.append(present[0])
        else:
            places = sorted([p for word in present for p in positions[word]])
            shown.append(min(present, key=lambda word: positions[word][0]))
        per_part.append(places)
        once = once and len(places) == 1
    if len(per_part) == 1:
        return per_part[0][0], shown[0], (per_part[0][0],)
    if once:  # the only span there is, no window search needed
        parts = tuple([places[0] for places in per_part])
        start = min(parts)
        return (start, "+".join(shown), parts) if max(parts) - start <= phrase.window else None
    span = _first_window(per_part, phrase.window)
    if span is None:
        return None
    start, end = span
    parts = tuple([next(p for p in places if start <= p <= end) for places in per_part])
    return start, "+".join(shown), parts


def _first_window(per_part: Sequence[Sequence[int]], window: int) -> tuple[int, int] | None:
    """The first and last token of the first span no wider than ``window`` holding every part."""
    return next(_windows(per_part, window), None)


def _windows(per_part: Sequence[Sequence[int]], window: int) -> Iterator[tuple[int, int]]:
    """The first and last token of each span no wider than ``window`` holding every part, in
    text order (a span's end is the first place completing it from its start)."""
    events = sorted((position, part) for part, places in enumerate(per_part) for position in places)
    counts = [0] * len(per_part)
    covered = left = 0
    for position, part in events:
        counts[part] += 1
        covered += counts[part] == 1
        while covered == len(per_part):
            start, start_part = events[left]
            if position - start <= window:
                yield start, position
            counts[start_part] -= 1
            covered -= counts[start_part] == 0
            left += 1


def _confidence(best: float, runner_up: float, saturation: float) -> float:
    strength = 1.0 - math.exp(-best / saturation)
    share = best / (best + runner_up)
    return round(strength * (0.5 + 0.5 * share), 2)


_SHOWN = 5
"""Explanation entries at most: the strongest evidence, then in text order."""
_STRETCH = 6
"""Characters: a phrase whose parts lie this close is shown as the resident wrote it."""
_LINKS = frozenset("的都也就还又才")
"""One-character words that may join a one-character word to the word before it (楼前的树)."""


def _explanation(hits: Sequence[Hit], tokens: Sequence[str]) -> tuple[str, ...]:
    """What a grid worker reads as 识别依据: stretches of the resident's (normalised) text.

    A keyword is the token it was found in (``垃圾堆`` for the rule word 垃圾). A phrase is the
    stretch from its first part to its last when that is short and within one clause
    (``下水堵了``, ``车都停``), else its parts one by one. A one-character word never stands
    alone: it is shown with a neighbouring word (``十七八度``, ``那条路``), or left out when it
    has none (:func:`_word_around`). Entries inside another entry are dropped; at most
    :data:`_SHOWN` remain, the strongest, in the order they were written.
    """
    if len(hits) == 1 and len(hits[0][1]) == 1:  # one keyword, the commonest case: one word
        span = _word_around(tokens, hits[0][1][0])
        return () if span is None else ("".join(tokens[span[0] : span[1] + 1]),)
    spans: dict[tuple[int, int], float] = {}  # (first token, last token) → strongest weight
    for _, parts, weight in hits:
        for span in _spans(tokens, parts):
            if span is not None and weight > spans.get(span, 0.0):  # weights are positive
                spans[span] = weight
    texts = {span: "".join(tokens[span[0] : span[1] + 1]) for span in spans}
    if len(texts) < 2:
        return tuple(texts.values())
    kept = [span for span, text in texts.items() if not _shown_elsewhere(span, text, texts)]
    strongest = sorted(kept, key=lambda span: (-spans[span], span))[:_SHOWN]
    return tuple(dict.fromkeys([texts[span] for span in sorted(strongest)]))


def _spans(tokens: Sequence[str], parts: tuple[int, ...]) -> list[tuple[int, int] | None]:
    """How one hit is shown: the stretch from its first part to its last, or each part alone."""
    if len(parts) == 1:
        return [_word_around(tokens, parts[0])]
    low, high = min(parts), max(parts)
    if low < high and _is_stretch(tokens[low : high + 1]):
        return [(low, high)]
    return [_word_around(tokens, position) for position in parts]


def _is_stretch(tokens: Sequence[str]) -> bool:
    """Whether a phrase's tokens, first part to last, read as one short stretch of one clause."""
    return sum(map(len, tokens)) <= _STRETCH and all(token.isalnum() for token in tokens)


def _shown_elsewhere(
    span: tuple[int, int], text: str, texts: Mapping[tuple[int, int], str]
) -> bool:
    """Whether ``text`` is inside another entry: a longer one, or an equal one written before."""
    for other, bigger in texts.items():
        if other != span and text in bigger and (len(bigger) > len(text) or other < span):
            return True
    return False


def _word_around(tokens: Sequence[str], position: int) -> tuple[int, int] | None:
    """The token at ``position`` as (first, last) token; a one-character token takes in the
    word before it (十七八度, 那条路, 楼前的树), or is left out.

    Only words of two or three characters are taken in: one-character neighbours are mostly
    particles or pieces of a word jieba cut apart (里一个灯, 门一), and the word after a noun
    is seldom about it (水半天, 路到底); all read as slips.
    """
    if len(tokens[position]) > 1:
        return position, position
    if _neighbour(tokens, position - 1):
        return position - 1, position
    if position > 1 and tokens[position - 1] in _LINKS and _neighbour(tokens, position - 2):
        return position - 2, position
    return None


def _neighbour(tokens: Sequence[str], position: int) -> bool:
    """Whether the token at ``position`` is a word of two or three characters."""
    return (
        0 <= position < len(tokens)
        and 2 <= len(tokens[position]) <= 3
        and tokens[position].isalnum()
    )
