"""Keyword rules as data: the TOML schema, its validation, and the compiled form.

An operator edits the rules file, runs ``griddesk rules-check`` on a labelled set, and deploys it;
no code changes. A rules file that does not make sense must stop the bot at start-up with the
exact key that is wrong, never be half-applied, so loading validates everything and raises
:class:`RulesError` naming the key path (``categories.gas.keywords[0].weight``).

The file's tables (the shipped ``data/rules.toml`` documents them in place):

``[scoring]``
    ``ask_below`` (confidence under which the resident is asked to pick), ``also_ratio``,
    ``saturation``, ``max_chars``, ``default_window``.
``[categories.<id>]``
    ``keywords`` — groups ``{weight = 3, words = [...]}``, with ``in_letters = false`` for words
    that count only in a message shorter than ``scoring.letter_chars`` (thanks: a chat line's
    evidence, every letter's closing words); ``phrases`` — ``{words = [...],
    window = 4, weight = 2}``: every part must occur (``|`` separates alternatives within a
    part) within ``window`` tokens, default ``scoring.default_window``; ``exclude`` — words or
    phrases that veto the category; ``keep`` — words or phrases that lift the category's vetoes:
    an exclusion guesses that a word means something else here (a river's smell is not the
    sewer's), and the category's own unmistakable cue in the message (a compound's sewage not
    connected to the sewer network) overrules the guess.
``[urgent]``
    ``triggers`` and ``exclude``: words or phrases.
``[stance]``
    ``asking`` and ``fault``: words or phrases; ``factor``, ``weight``. A message that proposes,
    or asks about a plan, a policy or a works project (``asking``) and names no fault happening
    now (``fault``) is the city's business rather than a grid's repair: every grid category's
    score is multiplied by ``factor`` and ``other`` gains ``weight`` at the first such cue.
    ``renewal``: words or phrases asking for a whole compound's renovation (or its demolition):
    they ask, and outweigh the ``fault`` cues, the faults being the works' reasons.
``[announce]``
    ``words`` and ``max_chars``: a message in which no grid kind finds evidence is ``other``,
    for the community desk, and the resident is not asked to pick a kind — unless it reads as
    nothing yet (no letter in it) or announces a matter without naming it: one of ``words``
    ("我想反映个情况") in a message shorter than ``max_chars`` characters. Such a message is
    asked about, since the desk could do nothing with it.
``[dictionary]``
    ``words``: words that score nothing but must segment whole, so that they do not lend their
    characters to a rule word (``单元门口`` is a place, not a broken ``单元门``).
``[sets]``
    named word lists, ``rivers = ["河", "内河", ...]``, that a rule names as ``@rivers`` wherever a
    word is allowed: a list that several rules share (the river words that water supply and
    drainage exclude and sanitation scores) is written once, and a change to it reaches them all.
    Sets are expanded as the file loads (:class:`_WordSets`), so everything after loading — the
    classifier, ``rules-check``, ``rules-suggest`` — sees only words.
Every rule word also goes into the tokenizer's dictionary so that it segments as a whole word.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from nlp.compounds import CompoundMemo
from nlp.normalize import normalize
from nlp.segmenter import is_segmentable
from nlp.taxonomy import CATEGORIES, Category


class RulesError(ValueError):
    """The rules file is malformed; the message names the file and the offending key."""


@dataclass(frozen=True)
class Phrase:
    """Words that must all occur, in any order, within ``window`` tokens of each other.

    A single word is a phrase of one part; ``window`` does not matter for it.
    """

    parts: tuple[frozenset[str], ...]
    window: int
    weight: float

    @property
    def words(self) -> frozenset[str]:
        """Every word this phrase can match on."""
        return frozenset().union(*self.parts)


@dataclass(frozen=True)
class CategoryRules:
    """What makes a message belong to one category."""

    category: Category
    keywords: Mapping[str, float]
    phrases: tuple[Phrase, ...]
    exclude: tuple[Phrase, ...]
    keep: tuple[Phrase, ...] = ()
    """Words or phrases that lift ``exclude``: when one occurs, the exclusions do not apply."""
    chat_only: frozenset[str] = frozenset()
    """Keywords that count only in a message shorter than ``scoring.letter_chars`` (a group
    with ``in_letters = false``): the thanks that close a chat line ("谢谢") say it is not a
    report, but nearly every letter ends with them, whatever it is about."""


@dataclass(frozen=True)
class UrgencyRules:
    """What makes a message urgent (life or property at risk), and what rules that out."""

    triggers: tuple[Phrase, ...]
    exclude: tuple[Phrase, ...]
    """Rule urgency out wherever they occur in the message (a drill, a notice, a lecture)."""
    exclude_in_clause: tuple[Phrase, ...] = ()
    """Rule out only the triggers of their own clause (一旦/万一/如遇 … 爆炸: a supposition),
    so "煤气味很大，一旦爆炸就完了" stays urgent for its first clause."""
    opens_clause: frozenset[str] = frozenset()
    """Words that begin a new clause even with no punctuation before them: a supposition
    governs what follows it, and residents in a hurry leave the comma out, so
    "煤气味很大一旦爆炸就完了" is two clauses, the first one urgent."""
    letter_opening: int = 0
    """Characters (0: no limit). In a letter (``scoring.letter_chars`` or longer) a trigger
    counts only within its first ``letter_opening`` characters, or in a sentence that holds a
    :attr:`now` word: a resident in danger says so first, or says that it is happening now;
    a danger further on in a letter is its history, its argument or a worry (issue 15)."""
    now: frozenset[str] = frozenset()
    """Words saying a danger is happening as the resident writes (现在, 正在, 刚才 …): a
    trigger in their sentence counts anywhere in a letter (:attr:`letter_opening`). They are
    matched as the tokenizer cuts them and are not added to its dictionary (a word added there
    changes how the words around it are cut, and so other rules' answers), so each must be a
    word jieba already cuts whole."""


@dataclass(frozen=True)
class StanceRules:
    """What a letter is doing: proposing or asking about the city's plans (``asking``), or
    reporting a fault happening now (``fault``) (issue 15).

    Real letters to a city use grid words while discussing policy — a river's renovation, a
    road's planning, a works project's progress ("…河整治何时完工", "建议规划停车位") — and one
    grid word then decided the category. A proposal or a progress question without a present
    fault weakens every grid category (``factor``) and is itself evidence for ``other``
    (``weight``); a strongly named grid object ("加装电梯的事有进展没") still wins, and one
    present fault ("又停水了", "堵了") keeps the letter a repair.
    """

    asking: tuple[Phrase, ...] = ()
    fault: tuple[Phrase, ...] = ()
    renewal: tuple[Phrase, ...] = ()
    """Cues that a letter asks for its whole compound or village to be renovated (or pulled
    down): it asks, like ``asking``, and the faults it lists are the reasons for the works, not
    a repair, so no ``fault`` cue keeps it a repair (LABELLING.md: an old compound with a list
    of problems asking to be renovated is ``other``)."""
    factor: float = 1.0
    """What a grid category's score is multiplied by when the stance holds."""
    weight: float = 0.0
    """What ``other`` gains when the stance holds."""
    min_chars: int = 0
    """A message shorter than this (normalised) keeps its evidence as it is: a chat message
    ("建议多装几个路灯") names its matter in a few words, a letter wanders through many."""
    cues: Mapping[str, int] = field(init=False, compare=False, repr=False)
    """Each cue word's role, as bits: :data:`ASKS` and :data:`FAULTS` when the word alone is
    such a cue, :data:`IN_PHRASE` when it is a part of a cue of several parts. Apart from the
    rule index (:class:`RuleIndex`), so the stance never changes what a word scores."""

    def __post_init__(self) -> None:
        cues: dict[str, int] = {}
        for phrases, alone in (
            (self.asking, ASKS),
            (self.fault, FAULTS),
            (self.renewal, ASKS | RENEWS),
        ):
            for phrase in phrases:
                bit = alone if len(phrase.parts) == 1 else IN_PHRASE
                for word in phrase.words:
                    cues[word] = cues.get(word, 0) | bit
        object.__setattr__(self, "cues", cues)

    @property
    def words(self) -> frozenset[str]:
        """Every cue word: they go into the tokenizer's dictionary too."""
        return frozenset(self.cues)


ASKS = 1
"""A :attr:`StanceRules.cues` bit: the word alone asks about a plan (建议, 规划, 进展)."""
FAULTS = 2
"""A :attr:`StanceRules.cues` bit: the word alone names a fault happening now (坏, 堵, 停水)."""
IN_PHRASE = 4
"""A :attr:`StanceRules.cues` bit: the word is a part of a cue of several parts (何时 + 完工)."""
RENEWS = 8
"""A :attr:`StanceRules.cues` bit: the word alone asks for a whole compound's renovation
(旧改, 小区改造): it asks, and outweighs any fault cue."""


@dataclass(frozen=True)
class AnnounceRules:
    """``[announce]``: when a message naming no grid kind is still asked about (the module's
    docstring says why)."""

    words: tuple[str, ...] = ()
    """Normalised words that announce a matter without naming it (情况, 反映 …), matched
    anywhere in the normalised message."""
    max_chars: int = 0
    """Only a message shorter than this announces; a longer one says what it is about."""

    def asks(self, normal: str) -> bool:
        """Whether the normalised message ``normal``, in which no grid kind found evidence, is
        asked about: it holds no letter (digits, signs, nothing), or it announces a matter."""
        if _LETTER.search(normal) is None:
            return True
        return len(normal) < self.max_chars and any(word in normal for word in self.words)


_LETTER = re.compile(r"[^\W\d_]")
"""A letter of any script (a Chinese character included): something a person wrote to be read."""


@dataclass(frozen=True)
class Scoring:
    """How scores become a decision; see ``data/rules.toml`` for what each value means."""

    ask_below: float = 0.45
    also_ratio: float = 0.5
    mention_ratio: float = 0.7
    decay: float = 0.5
    saturation: float = 2.5
    max_chars: int = 1500
    default_window: int = 6
    letter_chars: int = 0
    """A message this long (normalised) or longer is a letter, where ``letter_floor`` holds."""
    letter_floor: float = 0.0
    """In a letter, a grid category scoring below this — weak hints only, 路 or 施工 among
    hundreds of characters — is not evidence enough: the letter is ``other`` (issue 15)."""
    hint_chars: int = 0
    """A message this long (normalised) or longer says more than a chat line: ``hint_floor``
    holds in it."""
    hint_floor: float = 0.0
    """In a message of ``hint_chars`` or more, a grid category scoring below this — one weak
    hint, 申请 or 矛盾 or 公园 in a few sentences about something else — is not evidence enough:
    the message is ``other``, and the resident asked offers that category first (issue 15).
    A chat line keeps its one hint: "路咋还没修好" is roads, asked."""


URGENCY = -1
"""What urgency patterns have for a category ordinal: a veto of it rules urgency out."""
URGENCY_HERE = -2
"""The ordinal of a clause-scoped urgency exclusion (:attr:`UrgencyRules.exclude_in_clause`)."""


class Role(Enum):
    """What a matched pattern does."""

    SCORE = "score"  # a category phrase: adds its weight
    EXCLUDE = "exclude"  # vetoes its category
    KEEP = "keep"  # lifts its category's vetoes
    URGENT = "urgent"  # makes the message urgent
    NOT_URGENT = "not_urgent"  # rules urgency out


@dataclass(frozen=True)
class Pattern:
    """A phrase with what it does and for which category (None for urgency)."""

    role: Role
    ordinal: int
    """The category's ordinal in :data:`nlp.taxonomy.CATEGORIES`; :data:`URGENCY` for urgency
    patterns."""
    phrase: Phrase
    all_parts: int
    """Bit mask with one bit per part: the pattern can match once every bit is seen."""


WordRules = tuple[tuple[tuple[int, float], ...], tuple[tuple[int, int], ...]]
"""(keyword entries: (category ordinal, weight)…, pattern parts: (pattern number, part bit)…)"""


class WordEffects(NamedTuple):
    """Everything one rule word does when present, worked out once when the rules load.

    Most patterns are one word (an urgent trigger such as 着火, an exclusion such as 楼上漏水);
    such a pattern matches exactly when its word is present, at the word's first position, so
    its effect is stored with the word and the classifier applies it without the bit masks and
    phrase search that patterns of several parts need. (This holds for any pattern of one part
    that only vetoes or triggers; one that scores a weight keeps the phrase search, which counts
    it once however many of its alternatives occur.) A tuple, so the classifier unpacks it in
    one step per word present.
    """

    keywords: tuple[tuple[int, float], ...]
    """(category ordinal, weight) for each category naming the word as a keyword."""
    parts: tuple[tuple[int, int], ...]
    """(pattern number, part bit) for each part of a pattern of several parts it can fill."""
    urgent: bool
    """The word alone is an urgent trigger."""
    vetoes: tuple[int, ...]
    """What the word alone vetoes: category ordinals, and :data:`URGENCY` when it rules
    urgency out."""


@dataclass(frozen=True)
class RuleIndex:
    """Look-ups from a word to the rules it takes part in, so a message touches only its words.

    ``words`` maps each rule word to its keyword entries (category ordinal, weight) and to the
    pattern parts it can fill (pattern number, part bit). The classifier ORs the bits of the
    words present and checks only the patterns whose parts are all there, so the cost follows
    the message, not the size of the rules: one dictionary look-up per token.
    """

    words: Mapping[str, WordRules]
    patterns: tuple[Pattern, ...]
    vocabulary: frozenset[str]
    """Every word the rules mention: the tokenizer's user dictionary, and the only tokens the
    classifier needs to look at."""
    opens_clause: frozenset[str] = frozenset()
    """:attr:`UrgencyRules.opens_clause`, where the classifier looks for it."""
    now: frozenset[str] = frozenset()
    """:attr:`UrgencyRules.now`, where the classifier looks for it."""
    letter_opening: int = 0
    """:attr:`UrgencyRules.letter_opening`; 0 when the rules set no limit."""
    letter_chars: int = 0
    """:attr:`Scoring.letter_chars`: how long a message is to be a letter."""
    compounds: CompoundMemo = field(init=False, compare=False, repr=False)
    """The rule word inside a longer token, remembered within a memory budget. The only mutable
    part of the rules, and only ever a cache — the same token always gives the same answer."""
    effects: Mapping[str, WordEffects] = field(init=False, compare=False, repr=False)
    """``words`` with the one-word patterns folded in (:class:`WordEffects`): what the
    classifier reads for each word present."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "compounds", CompoundMemo(self.words))
        object.__setattr__(self, "effects", _effects(self.words, self.patterns))


_SEARCHED = frozenset({Role.SCORE, Role.KEEP})
"""Roles whose one-word patterns still go through the phrase search: a score counts once
however many of its alternatives occur, and a keep is rare enough not to need a shortcut."""


def _effects(
    words: Mapping[str, WordRules], patterns: tuple[Pattern, ...]
) -> dict[str, WordEffects]:
    """Each word's :class:`WordEffects`: its keywords, the parts it fills in patterns of several
    parts, and the effect of every pattern that is this word alone."""
    effects = {}
    for word, (keywords, parts) in words.items():
        several: list[tuple[int, int]] = []
        urgent = False
        vetoes: list[int] = []
        for number, bit in parts:
            pattern = patterns[number]
            if pattern.all_parts != 1 or pattern.role in _SEARCHED:
                several.append((number, bit))  # needs the phrase search (or scores a weight)
            elif pattern.role is Role.URGENT:
                urgent = True
            else:  # EXCLUDE or NOT_URGENT
                vetoes.append(pattern.ordinal)
        effects[word] = WordEffects(keywords, tuple(several), urgent, tuple(vetoes))
    return effects


@dataclass(frozen=True)
class Rules:
    """The validated rules, with the look-up index the classifier needs."""

    categories: tuple[CategoryRules, ...]
    urgency: UrgencyRules
    scoring: Scoring
    dictionary: frozenset[str] = frozenset()
    """Words that score nothing but must segment whole (``[dictionary]``)."""
    stance: StanceRules = StanceRules()
    announce: AnnounceRules = AnnounceRules()
    index: RuleIndex = field(init=False, repr=False, compare=False)
    chat_only: Mapping[str, frozenset[int]] = field(init=False, repr=False, compare=False)
    """Each chat-only keyword (:attr:`CategoryRules.chat_only`) and the category ordinals
    for which it counts only outside letters."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", _index(self))
        chat_only: dict[str, set[int]] = {}
        for category_rules in self.categories:
            ordinal = CATEGORIES.index(category_rules.category)
            for word in category_rules.chat_only:
                chat_only.setdefault(word, set()).add(ordinal)
        object.__setattr__(self, "chat_only", {word: frozenset(o) for word, o in chat_only.items()})

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word the rules mention, for the tokenizer's user dictionary."""
        return self.index.vocabulary

    def with_ask_below(self, ask_below: float) -> Rules:
        """The same rules with another ask threshold (config may override the file's)."""
        if not 0.0 <= ask_below <= 1.0:
            raise RulesError(f"ask_below: must be between 0 and 1, got {ask_below}")
        return replace(self, scoring=replace(self.scoring, ask_below=ask_below))


DEFAULT_RULES_NAME = "rules.toml"


def default_rules_text() -> str:
    """The rules file shipped with the package, as text (``griddesk rules-show`` prints it)."""
    return resources.files("nlp").joinpath("data", DEFAULT_RULES_NAME).read_text("utf-8")


def load_rules(path: Path | None = None) -> Rules:
    """Load and validate the rules at ``path``, or the shipped default when ``path`` is None."""
    source = str(path) if path else f"<built-in {DEFAULT_RULES_NAME}>"
    try:
        text = path.read_text("utf-8") if path else default_rules_text()
    except OSError as exc:
        raise RulesError(f"{source}: cannot read: {exc.strerror or exc}") from exc
    return parse_rules(text, source)


def parse_rules(text: str, source: str = "<rules>") -> Rules:
    """Validate rules given as TOML text; ``source`` prefixes every error message."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML: {exc}") from exc
    return rules_from_table(data, source)


def rules_from_table(data: Mapping[str, Any], source: str = "<rules>") -> Rules:
    """Validate rules given as the table a rules file parses to: for a tool that edits the
    table (one word taken out, a weight changed) and weighs the result without writing TOML
    (bench/rule_words.py)."""
    try:
        return _build(data)
    except RulesError as exc:
        raise RulesError(f"{source}: {exc}") from None


def _build(data: Mapping[str, Any]) -> Rules:
    tables = {"scoring", "categories", "urgent", "stance", "announce", "dictionary", "sets"}
    _only_keys(data, "", tables)
    scoring = _scoring(_table(data, "scoring", "", required=False))
    window = scoring.default_window
    sets = _WordSets(_table(data, "sets", "", required=False))
    categories_table = _table(data, "categories", "", required=True)
    categories = tuple(
        _category(name, _table(categories_table, name, "categories", required=True), window, sets)
        for name in categories_table
    )
    urgent = _table(data, "urgent", "", required=False)
    _only_keys(
        urgent,
        "urgent",
        {"triggers", "exclude", "exclude_in_clause", "opens_clause", "letter_opening", "now"},
    )
    urgency = UrgencyRules(
        triggers=_patterns(urgent.get("triggers", []), "urgent.triggers", window, sets),
        exclude=_patterns(urgent.get("exclude", []), "urgent.exclude", window, sets),
        exclude_in_clause=_patterns(
            urgent.get("exclude_in_clause", []), "urgent.exclude_in_clause", window, sets
        ),
        opens_clause=frozenset(sets.words(urgent.get("opens_clause", []), "urgent.opens_clause")),
        letter_opening=_whole(
            urgent.get("letter_opening", 0), "urgent.letter_opening", 0, 1_000_000
        ),
        now=frozenset(sets.words(urgent.get("now", []), "urgent.now")),
    )
    dictionary = _table(data, "dictionary", "", required=False)
    _only_keys(dictionary, "dictionary", {"words"})
    plain_words = sets.words(dictionary.get("words", []), "dictionary.words")
    stance = _stance(_table(data, "stance", "", required=False), window, sets)
    announce = _announce(_table(data, "announce", "", required=False), sets)
    sets.check_unused()
    return Rules(categories, urgency, scoring, frozenset(plain_words), stance, announce)


class _WordSets:
    """The ``[sets]`` table: word lists written once and named as ``@name`` by the rules.

    A reference stands for the set's words written out where it is: in a list of words, each of
    them; in a phrase's part, each of them as an alternative (``"@rivers|水体"``). So a rule with
    a set loads to exactly the rules with its words written out, and nothing after loading knows
    sets exist. Sets are flat — a set naming another is refused — so a set's words are read in
    one place. Errors name the reference's key and the set, since the mistake may be either.
    """

    def __init__(self, table: Mapping[str, Any]) -> None:
        self._words: dict[str, tuple[str, ...]] = {}
        self._nested: dict[str, str] = {}
        """A set naming another: its name, and the key and reference naming it."""
        self._used: set[str] = set()
        for name, value in table.items():
            key = f"sets.{name}"
            if not _SET_NAME.fullmatch(name):
                raise RulesError(f"{key}: a set's name is letters, digits, _ and - only")
            words: dict[str, None] = {}
            for i, raw in enumerate(_list(value, key)):
                ikey = f"{key}[{i}]"
                if isinstance(raw, str) and raw.strip().startswith(_SET):
                    self._nested.setdefault(name, f"{ikey} is {raw.strip()}")
                    continue
                word = _word(raw, ikey)
                if word in words:
                    raise RulesError(f"{ikey}: {word!r} is listed twice in {key}")
                words[word] = None
            self._words[name] = tuple(words)

    def expand(self, value: Any, key: str) -> tuple[str, ...]:
        """A word as written at ``key``: itself, validated and normalised, or a set's words."""
        if not (isinstance(value, str) and value.strip().startswith(_SET)):
            return (_word(value, key),)
        name = value.strip()[len(_SET) :]
        if name not in self._words:
            known = ", ".join(f"{_SET}{n}" for n in self._words)
            defined = f"sets defined: {known}" if known else "there is no [sets] table"
            raise RulesError(f"{key}: unknown set {_SET}{name} ({defined})")
        self._used.add(name)
        self._check(name, f"{key}: {_SET}{name}")
        return self._words[name]

    def words(self, value: Any, key: str) -> list[str]:
        """The words of the list at ``key``, every set in it written out."""
        items = enumerate(_list(value, key))
        return [word for i, item in items for word in self.expand(item, f"{key}[{i}]")]

    def check_unused(self) -> None:
        """A set no rule names is harmless, but an empty or nested one is still an error."""
        for name in sorted(self._words.keys() - self._used):
            self._check(name, f"sets.{name} (used nowhere)")

    def _check(self, name: str, where: str) -> None:
        if name in self._nested:
            raise RulesError(
                f"{where} names another set ({self._nested[name]}): sets are flat, so list "
                "the words themselves"
            )
        if not self._words[name]:
            raise RulesError(f"{where} is an empty set (sets.{name} = []): give it words")


_SET = "@"
"""What starts a reference to a set, where a word could be: ``@rivers``."""
_SET_NAME = re.compile(r"[\w-]+")


def _stance(table: Mapping[str, Any], window: int, sets: _WordSets) -> StanceRules:
    _only_keys(table, "stance", {"asking", "fault", "renewal", "factor", "weight", "min_chars"})
    return StanceRules(
        asking=_patterns(table.get("asking", []), "stance.asking", window, sets),
        fault=_patterns(table.get("fault", []), "stance.fault", window, sets),
        renewal=_patterns(table.get("renewal", []), "stance.renewal", window, sets),
        factor=_number(table.get("factor", 1.0), "stance.factor", 0.0, 1.0),
        weight=_number(table.get("weight", 0.0), "stance.weight", 0.0, 100.0),
        min_chars=_whole(table.get("min_chars", 0), "stance.min_chars", 0, 1_000_000),
    )


def _announce(table: Mapping[str, Any], sets: _WordSets) -> AnnounceRules:
    _only_keys(table, "announce", {"words", "max_chars"})
    return AnnounceRules(
        words=tuple(dict.fromkeys(sets.words(table.get("words", []), "announce.words"))),
        max_chars=_whole(table.get("max_chars", 0), "announce.max_chars", 0, 1_000_000),
    )


def _whole(value: Any, key: str, low: int, high: int) -> int:
    number = _number(value, key, low, high)
    if not number.is_integer():
        raise RulesError(f"{key}: must be a whole number, got {value}")
    return int(number)


def _scoring(table: Mapping[str, Any]) -> Scoring:
    defaults = Scoring()
    _only_keys(table, "scoring", set(defaults.__dict__))
    bounds: dict[str, tuple[float, float]] = {
        "ask_below": (0.0, 1.0),
        "also_ratio": (0.0, 1.0),
        "mention_ratio": (0.0, 1.0),
        "decay": (0.0, 1.0),
        "saturation": (0.1, 100.0),
        "max_chars": (50, 1_000_000),
        "default_window": (1, 1000),
        "letter_chars": (0, 1_000_000),
        "letter_floor": (0.0, 100.0),
        "hint_chars": (0, 1_000_000),
        "hint_floor": (0.0, 100.0),
    }
    values: dict[str, Any] = {}
    for name, (low, high) in bounds.items():
        default = getattr(defaults, name)
        value = _number(table.get(name, default), f"scoring.{name}", low, high)
        if isinstance(default, int) and not float(value).is_integer():
            raise RulesError(f"scoring.{name}: must be a whole number, got {value}")
        values[name] = type(default)(value)
    return Scoring(**values)


def _category(name: str, table: Mapping[str, Any], window: int, sets: _WordSets) -> CategoryRules:
    key = f"categories.{name}"
    try:
        category = Category(name)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise RulesError(f"{key}: unknown category id (known: {known})") from None
    _only_keys(table, key, {"keywords", "phrases", "exclude", "keep"})
    keywords: dict[str, float] = {}
    chat_only: set[str] = set()
    for i, group in enumerate(_list(table.get("keywords", []), f"{key}.keywords")):
        gkey = f"{key}.keywords[{i}]"
        if not isinstance(group, dict):
            raise RulesError(f"{gkey}: must be a table like {{weight = 2, words = [...]}}")
        _only_keys(group, gkey, {"weight", "words", "in_letters"})
        weight = _number(_required(group, "weight", gkey), f"{gkey}.weight", 0.01, 100.0)
        in_letters = group.get("in_letters", True)
        if not isinstance(in_letters, bool):
            raise RulesError(f"{gkey}.in_letters: must be true or false, got {in_letters!r}")
        for j, raw in enumerate(_list(_required(group, "words", gkey), f"{gkey}.words")):
            wkey = f"{gkey}.words[{j}]"
            for word in sets.expand(raw, wkey):
                if word in keywords:
                    raise RulesError(
                        f"{wkey}: {word!r}{_via(raw.strip(), word)} is listed twice in {key}"
                    )
                keywords[word] = weight
                if not in_letters:
                    chat_only.add(word)
    phrases = []
    for i, item in enumerate(_list(table.get("phrases", []), f"{key}.phrases")):
        pkey = f"{key}.phrases[{i}]"
        if not isinstance(item, dict):
            raise RulesError(f"{pkey}: must be a table like {{words = [...], weight = 2}}")
        weight = _number(_required(item, "weight", pkey), f"{pkey}.weight", 0.01, 100.0)
        phrases.append(_phrase(item, pkey, window, sets, weight))
    exclude = _patterns(table.get("exclude", []), f"{key}.exclude", window, sets)
    keep = _patterns(table.get("keep", []), f"{key}.keep", window, sets)
    return CategoryRules(
        category, keywords, tuple(phrases), exclude, keep=keep, chat_only=frozenset(chat_only)
    )


def _patterns(value: Any, key: str, window: int, sets: _WordSets) -> tuple[Phrase, ...]:
    """A list whose items are single words (or sets, each word a pattern of its own, as if
    written out) or phrase tables (no weight)."""
    patterns = []
    for i, item in enumerate(_list(value, key)):
        ikey = f"{key}[{i}]"
        if isinstance(item, dict):
            patterns.append(_phrase(item, ikey, window, sets, weight=1.0, weighted=False))
        else:
            patterns.extend(
                Phrase((frozenset({word}),), 1, 1.0) for word in sets.expand(item, ikey)
            )
    return tuple(patterns)


def _phrase(
    table: Mapping[str, Any],
    key: str,
    window: int,
    sets: _WordSets,
    weight: float,
    *,
    weighted: bool = True,
) -> Phrase:
    _only_keys(table, key, {"words", "window", "weight"} if weighted else {"words", "window"})
    raw_parts = _list(_required(table, "words", key), f"{key}.words")
    if len(raw_parts) < 2:
        raise RulesError(f"{key}.words: a phrase needs at least two parts")
    parts: list[dict[str, str]] = []  # each part's words, and the alternative that gave each
    for j, part in enumerate(raw_parts):
        pkey = f"{key}.words[{j}]"
        if not isinstance(part, str):
            raise RulesError(f"{pkey}: must be a string, got {type(part).__name__}")
        words = {word: alt.strip() for alt in part.split("|") for word in sets.expand(alt, pkey)}
        for k, earlier in enumerate(parts):  # one token filling two parts: a phrase of one word
            if shared := sorted(words.keys() & earlier.keys()):
                word = shared[0]
                raise RulesError(
                    f"{pkey}: {word!r}{_via(words[word], word)} is in part {k}"
                    f"{_via(earlier[word], word)} too: a phrase's parts are separate words "
                    "(make the one word a phrase or a keyword of its own)"
                )
        parts.append(words)
    span = int(_number(table.get("window", window), f"{key}.window", 1, 1_000_000))
    return Phrase(tuple(frozenset(words) for words in parts), span, weight)


def _via(written: str, word: str) -> str:
    """`` (in @rivers)`` when a set brought ``word`` in, nothing when it was written out."""
    return f" (in {written})" if written.startswith(_SET) else ""


def _index(rules: Rules) -> RuleIndex:
    ordinal = {category: i for i, category in enumerate(CATEGORIES)}
    keywords: dict[str, list[tuple[int, float]]] = {}
    for category_rules in rules.categories:
        for word, weight in category_rules.keywords.items():
            keywords.setdefault(word, []).append((ordinal[category_rules.category], weight))
    patterns = [
        *(
            _pattern(Role.SCORE, ordinal[c.category], p)
            for c in rules.categories
            for p in c.phrases
        ),
        *(
            _pattern(Role.EXCLUDE, ordinal[c.category], p)
            for c in rules.categories
            for p in c.exclude
        ),
        *(_pattern(Role.KEEP, ordinal[c.category], p) for c in rules.categories for p in c.keep),
        *(_pattern(Role.URGENT, URGENCY, p) for p in rules.urgency.triggers),
        *(_pattern(Role.NOT_URGENT, URGENCY, p) for p in rules.urgency.exclude),
        *(_pattern(Role.NOT_URGENT, URGENCY_HERE, p) for p in rules.urgency.exclude_in_clause),
    ]
    parts: dict[str, list[tuple[int, int]]] = {}
    for number, pattern in enumerate(patterns):
        for bit, part in enumerate(pattern.phrase.parts):
            for word in part:
                parts.setdefault(word, []).append((number, 1 << bit))
    # dictionary, stance and clause-opening words are listed too, with no rules: the first
    # protect their characters, the others are found among the tokens (StanceRules, _clauses)
    plain = rules.dictionary | rules.stance.words | rules.urgency.opens_clause
    return RuleIndex(
        words={
            word: (tuple(keywords.get(word, ())), tuple(parts.get(word, ())))
            for word in keywords.keys() | parts.keys() | plain
        },
        patterns=tuple(patterns),
        vocabulary=frozenset(keywords.keys() | parts.keys() | plain),
        opens_clause=rules.urgency.opens_clause,
        now=rules.urgency.now,
        letter_opening=rules.urgency.letter_opening,
        letter_chars=rules.scoring.letter_chars,
    )


def _pattern(role: Role, ordinal: int, phrase: Phrase) -> Pattern:
    return Pattern(role, ordinal, phrase, (1 << len(phrase.parts)) - 1)


def _word(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise RulesError(f"{key}: must be a string, got {type(value).__name__}")
    word = normalize(value)
    if not word or " " in word:
        raise RulesError(f"{key}: {value!r} is not a single word")
    if not is_segmentable(word):
        raise RulesError(
            f"{key}: {value!r} can never match: words are made of Chinese characters, "
            "letters, digits and +#&._%- only"
        )
    return word


def _number(value: Any, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RulesError(f"{key}: must be a number, got {value!r}")
    if not low <= value <= high:
        raise RulesError(f"{key}: must be between {low} and {high}, got {value}")
    return float(value)


def _table(data: Mapping[str, Any], name: str, parent: str, *, required: bool) -> dict[str, Any]:
    key = f"{parent}.{name}" if parent else name
    if name not in data:
        if required:
            raise RulesError(f"{key}: missing")
        return {}
    value = data[name]
    if not isinstance(value, dict):
        raise RulesError(f"{key}: must be a table")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise RulesError(f"{key}: must be a list")
    return value


def _required(table: Mapping[str, Any], name: str, key: str) -> Any:
    if name not in table:
        raise RulesError(f"{key}.{name}: missing")
    return table[name]


def _only_keys(table: Mapping[str, Any], key: str, allowed: set[str]) -> None:
    for name in table:
        if name not in allowed:
            where = f"{key}.{name}" if key else name
            expected = ", ".join(sorted(allowed))
            raise RulesError(f"{where}: unknown key (expected one of: {expected})")
