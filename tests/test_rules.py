"""Rules are data: the shipped file loads, and every malformed file names its bad key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from nlp.rules import RulesError, default_rules_text, load_rules, parse_rules
from nlp.taxonomy import CATEGORIES, Category

MINIMAL = """
[categories.water_supply]
keywords = [{ weight = 3, words = ["停水"] }]
"""


def test_shipped_rules_cover_every_category() -> None:
    """The default rules give every category, `other` included, some words."""
    rules = load_rules()
    assert {c.category for c in rules.categories} == set(Category)
    assert all(c.keywords for c in rules.categories)
    assert rules.urgency.triggers


def test_vocabulary_holds_keywords_phrase_words_and_dictionary_words() -> None:
    """Everything the tokenizer must cut whole is in the vocabulary."""
    rules = parse_rules(
        """
        [categories.elevator]
        keywords = [{ weight = 3, words = ["电梯"] }]
        phrases = [{ words = ["梯", "困|卡"], weight = 2 }]
        exclude = ["电梯广告"]
        [urgent]
        triggers = ["困人"]
        [dictionary]
        words = ["单元门口"]
        """
    )
    assert rules.vocabulary == {"电梯", "梯", "困", "卡", "电梯广告", "困人", "单元门口"}


def test_rule_words_are_normalised() -> None:
    """A rule written in full width or upper case matches what residents type."""
    rules = parse_rules('[categories.noise]\nkeywords = [{ weight = 3, words = ["ＫＴＶ"] }]')
    assert rules.index.words["ktv"][0] == ((CATEGORIES.index(Category.NOISE), 3.0),)


def test_missing_file_is_a_rules_error(tmp_path: Path) -> None:
    """A rules path that does not exist fails at start-up with the path."""
    with pytest.raises(RulesError, match=r"nope\.toml: cannot read"):
        load_rules(tmp_path / "nope.toml")


def test_ask_below_override_is_validated() -> None:
    """Config may override the threshold, within [0, 1]."""
    rules = parse_rules(MINIMAL)
    assert rules.with_ask_below(0.6).scoring.ask_below == 0.6
    with pytest.raises(RulesError, match="ask_below"):
        rules.with_ask_below(1.5)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("this is = not [toml", "not valid TOML"),
        ("[scoring]\nask_below = 0.4", "categories: missing"),
        ("[categoriez.water_supply]", "categoriez: unknown key"),
        ("[categories.waterworks]\nkeywords = []", "categories.waterworks: unknown category id"),
        ("[categories.gas]\nkeyword = []", "categories.gas.keyword: unknown key"),
        ("[categories.gas]\nkeywords = 3", "categories.gas.keywords: must be a list"),
        ('[categories.gas]\nkeywords = ["燃气"]', "categories.gas.keywords[0]: must be a table"),
        (
            '[categories.gas]\nkeywords = [{ words = ["燃气"] }]',
            "categories.gas.keywords[0].weight: missing",
        ),
        (
            '[categories.gas]\nkeywords = [{ weight = "3", words = ["燃气"] }]',
            "categories.gas.keywords[0].weight: must be a number",
        ),
        (
            '[categories.gas]\nkeywords = [{ weight = -1, words = ["燃气"] }]',
            "categories.gas.keywords[0].weight: must be between",
        ),
        (
            '[categories.gas]\nkeywords = [{ weight = 3, words = ["燃气", 7] }]',
            "categories.gas.keywords[0].words[1]: must be a string",
        ),
        (
            '[categories.gas]\nkeywords = [{ weight = 3, words = ["燃 气"] }]',
            "categories.gas.keywords[0].words[0]: '燃 气' is not a single word",
        ),
        (
            '[categories.gas]\nkeywords = [{ weight = 3, words = ["😡"] }]',
            "words[0]: '😡' is not a single word",
        ),
        (
            '[categories.gas]\nkeywords = [{ weight = 3, words = ["燃气", "燃气"] }]',
            "words[1]: '燃气' is listed twice",
        ),
        (
            '[categories.gas]\nphrases = [{ words = ["燃气"], weight = 2 }]',
            "categories.gas.phrases[0].words: a phrase needs at least two parts",
        ),
        (
            '[categories.gas]\nphrases = [{ words = ["燃气", "味"] }]',
            "categories.gas.phrases[0].weight: missing",
        ),
        (
            '[categories.power]\nphrases = [{words = ["晚上", "没|停电", "电|停电"], weight = 3}]',
            "categories.power.phrases[0].words[2]: '停电' is in part 1 too",
        ),
        (
            '[categories.gas]\nphrases = [{ words = ["燃气", "味"], weight = 2, window = 0 }]',
            "categories.gas.phrases[0].window: must be between",
        ),
        (
            '[categories.gas]\nphrases = [{ words = ["燃气", "味"], weight = 2, span = 3 }]',
            "categories.gas.phrases[0].span: unknown key",
        ),
        (
            '[categories.gas]\nexclude = [{ words = ["燃气", "费"], weight = 2 }]',
            "categories.gas.exclude[0].weight: unknown key",
        ),
        (
            '[categories.gas]\nkeywords = [{ weight = 3, words = ["漏气!"] }]',
            "words[0]: '漏气!' can never match",
        ),
        (MINIMAL + "[scoring]\nask_below = 2", "scoring.ask_below: must be between 0.0 and 1.0"),
        (MINIMAL + "[scoring]\nmax_chars = 100.5", "scoring.max_chars: must be a whole number"),
        (MINIMAL + "[scoring]\nthreshold = 0.5", "scoring.threshold: unknown key"),
        (MINIMAL + "[urgent]\ntriggers = [1]", "urgent.triggers[0]: must be a string"),
        (MINIMAL + "[urgent]\nalarm = []", "urgent.alarm: unknown key"),
        (
            MINIMAL + '[dictionary]\nwords = ["a b"]',
            "dictionary.words[0]: 'a b' is not a single word",
        ),
    ],
)
def test_malformed_rules_name_the_bad_key(text: str, named: str) -> None:
    """Each mistake an operator can make is reported with the key that is wrong."""
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "my_rules.toml")
    assert str(caught.value).startswith("my_rules.toml: ")
    assert named in str(caught.value)


def test_default_rules_text_is_the_loaded_file(tmp_path: Path) -> None:
    """`rules-show` output, saved as a file, loads to the same rules (operators start from it)."""
    path = tmp_path / "rules.toml"
    path.write_text(default_rules_text(), "utf-8")
    assert load_rules(path) == load_rules()


SETS = """
[sets]
rivers = ["河道", "湖"]
"""
"""A set for the rules below to name as ``@rivers``."""


@pytest.mark.parametrize(
    ("with_set", "written_out"),
    [
        (
            '[categories.sanitation]\nkeywords = [{ weight = 3, words = ["垃圾", "@rivers"] }]',
            '[categories.sanitation]\nkeywords = [{ weight = 3, words = ["垃圾", "河道", "湖"] }]',
        ),
        (
            '[categories.sanitation]\nkeywords = [{ weight = 1, words = ["@rivers"], '
            "in_letters = false }]",
            '[categories.sanitation]\nkeywords = [{ weight = 1, words = ["河道", "湖"], '
            "in_letters = false }]",
        ),
        (
            '[categories.sanitation]\nphrases = [{ words = ["@rivers|水体", "臭"], weight = 3 }]',
            '[categories.sanitation]\nphrases = [{ words = ["河道|湖|水体", "臭"], weight = 3 }]',
        ),
        (
            '[categories.sanitation]\nphrases = [{ words = ["臭", "@rivers"], weight = 3 }]',
            '[categories.sanitation]\nphrases = [{ words = ["臭", "河道|湖"], weight = 3 }]',
        ),
        (
            '[categories.drainage]\nexclude = ["雨", "@rivers", "井"]',
            '[categories.drainage]\nexclude = ["雨", "河道", "湖", "井"]',
        ),
        (
            '[categories.drainage]\nexclude = [{ words = [" @rivers ", "臭"], window = 8 }]',
            '[categories.drainage]\nexclude = [{ words = ["河道|湖", "臭"], window = 8 }]',
        ),
        (
            '[categories.drainage]\nkeep = ["@rivers", { words = ["@rivers", "堵"] }]',
            '[categories.drainage]\nkeep = ["河道", "湖", { words = ["河道|湖", "堵"] }]',
        ),
        (
            MINIMAL + '[urgent]\ntriggers = ["@rivers", { words = ["@rivers", "淹"] }]',
            MINIMAL + '[urgent]\ntriggers = ["河道", "湖", { words = ["河道|湖", "淹"] }]',
        ),
        (
            MINIMAL + '[urgent]\nexclude = ["@rivers"]\nexclude_in_clause = ["@rivers"]',
            MINIMAL + '[urgent]\nexclude = ["河道", "湖"]\nexclude_in_clause = ["河道", "湖"]',
        ),
        (
            MINIMAL + '[urgent]\nopens_clause = ["@rivers"]',
            MINIMAL + '[urgent]\nopens_clause = ["河道", "湖"]',
        ),
        (
            MINIMAL + '[stance]\nasking = ["@rivers"]\nfault = [{ words = ["@rivers", "臭"] }]',
            MINIMAL + '[stance]\nasking = ["河道", "湖"]\nfault = [{ words = ["河道|湖", "臭"] }]',
        ),
        (
            MINIMAL + '[stance]\nrenewal = [{ words = ["何时", "@rivers|村", "改造"] }]',
            MINIMAL + '[stance]\nrenewal = [{ words = ["何时", "河道|湖|村", "改造"] }]',
        ),
        (
            MINIMAL + '[dictionary]\nwords = ["号楼", "@rivers"]',
            MINIMAL + '[dictionary]\nwords = ["号楼", "河道", "湖"]',
        ),
    ],
    ids=[
        "keywords",
        "chat-only keywords",
        "phrase alternative",
        "phrase part",
        "exclude word",
        "exclude phrase",
        "keep",
        "urgent triggers",
        "urgent exclusions",
        "clause openers",
        "stance asking and fault",
        "stance renewal",
        "dictionary",
    ],
)
def test_a_set_loads_as_its_words_written_out(with_set: str, written_out: str) -> None:
    """`@rivers`, wherever a word is allowed, loads to exactly the rules with its words there."""
    rules = parse_rules(SETS + with_set)
    assert rules == parse_rules(written_out)
    assert rules.vocabulary == parse_rules(written_out).vocabulary
    assert {"河道", "湖"} <= rules.vocabulary


@pytest.mark.parametrize(
    ("text", "named"),
    [
        (
            SETS + '[categories.sanitation]\nexclude = ["@rivrs"]',
            ("categories.sanitation.exclude[0]: unknown set @rivrs", "sets defined: @rivers"),
        ),
        (
            '[categories.sanitation]\nphrases = [{ words = ["@rivers", "臭"], weight = 3 }]',
            ("phrases[0].words[0]: unknown set @rivers", "there is no [sets] table"),
        ),
        (
            '[sets]\nrivers = []\n[categories.sanitation]\nexclude = [{ words = ["@rivers|渠", '
            '"臭"] }]',
            ("categories.sanitation.exclude[0].words[0]: @rivers is an empty set", "sets.rivers"),
        ),
        (
            '[sets]\nlakes = ["湖"]\nrivers = ["河道", "@lakes"]\n[categories.sanitation]\n'
            'keywords = [{ weight = 3, words = ["@rivers"] }]',
            (
                "categories.sanitation.keywords[0].words[0]: @rivers names another set",
                "sets.rivers[1] is @lakes",
                "sets are flat",
            ),
        ),
        (
            '[sets]\nrivers = []\nlakes = ["@rivers"]\n' + MINIMAL,
            ("sets.lakes (used nowhere) names another set (sets.lakes[0] is @rivers)",),
        ),
        (
            "[sets]\nrivers = []\n" + MINIMAL,
            ("sets.rivers (used nowhere) is an empty set",),
        ),
        (
            SETS
            + '[categories.sanitation]\nphrases = [{ words = ["@rivers", "湖|臭"], weight = 3 }]',
            ("phrases[0].words[1]: '湖' is in part 0 (in @rivers) too",),
        ),
        (
            SETS
            + '[categories.sanitation]\nkeywords = [{ weight = 3, words = ["湖", "@rivers"] }]',
            ("keywords[0].words[1]: '湖' (in @rivers) is listed twice in categories.sanitation",),
        ),
        (
            '[sets]\nrivers = ["河道", "河道"]\n' + MINIMAL,
            ("sets.rivers[1]: '河道' is listed twice in sets.rivers",),
        ),
        (
            '[sets]\nrivers = ["河 道"]\n' + MINIMAL,
            ("sets.rivers[0]: '河 道' is not a single word",),
        ),
        ("[sets]\nrivers = [3]\n" + MINIMAL, ("sets.rivers[0]: must be a string",)),
        ('[sets]\nrivers = "河道"\n' + MINIMAL, ("sets.rivers: must be a list",)),
        ('[sets]\n"big rivers" = ["河道"]\n' + MINIMAL, ("sets.big rivers: a set's name is",)),
        ("sets = 3\n" + MINIMAL, ("sets: must be a table",)),
    ],
    ids=[
        "unknown set",
        "no sets table",
        "empty set",
        "set naming a set",
        "unused set naming a set",
        "unused empty set",
        "one word in two parts through a set",
        "keyword twice through a set",
        "word twice in a set",
        "not a word",
        "not a string",
        "not a list",
        "bad name",
        "not a table",
    ],
)
def test_a_wrong_set_names_the_set_and_where_it_is_used(text: str, named: tuple[str, ...]) -> None:
    """Each mistake with a set fails loading with the key that uses it and the set's own key."""
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "my_rules.toml")
    message = str(caught.value)
    assert message.startswith("my_rules.toml: ")
    for fragment in named:
        assert fragment in message


def _shipped_table() -> dict[str, Any]:
    return tomllib.loads(default_rules_text())


def test_shipped_rules_load_with_their_sets() -> None:
    """The shipped file names its shared lists as sets, and loads with them written out: the
    river words in water_supply's exclusion, and rivers without the other waters in
    sanitation's clean-up phrase (the difference kept on purpose, see the file)."""
    sets = _shipped_table()["sets"]
    text = default_rules_text()
    assert all(f'"@{name}' in text or f"|@{name}" in text for name in sets)
    rules = load_rules()
    by_category = {c.category: c for c in rules.categories}
    river_words = set(sets["rivers"]) | set(sets["waters"])
    assert by_category[Category.WATER_SUPPLY].exclude[1].parts[0] == river_words
    clean_up = by_category[Category.SANITATION].phrases[-1]
    assert "整治" in clean_up.parts[1]
    assert clean_up.parts[0] == set(sets["rivers"])


def test_shipped_rules_write_no_long_list_twice() -> None:
    """A list of alternatives that several rules share is a set, not copies that drift apart:
    no part of five or more alternatives is written out twice."""
    seen: dict[frozenset[str], str] = {}

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, f"{key}.{name}" if key else name)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{key}[{i}]")
        elif isinstance(value, str) and value.count("|") >= 4:
            words = frozenset(value.split("|"))
            assert words not in seen, f"{key} repeats {seen[words]}: make it a set"
            seen[words] = key

    walk(_shipped_table(), "")
    assert seen  # the walk did find the file's phrases


def test_announce_words_are_read_normalised_and_sets_expand() -> None:
    """``[announce]``: its words (a set among them) normalised, its length a whole number."""
    rules = parse_rules(
        MINIMAL + '[sets]\nasks = ["咨询"]\n[announce]\nwords = ["情况", "ＨＥＬＰ", "@asks"]\n'
        "max_chars = 20\n"
    )
    assert rules.announce.words == ("情况", "help", "咨询")
    assert rules.announce.max_chars == 20
    assert rules.announce.asks("我想反映个情况")
    assert not rules.announce.asks("我想反映一下小区东门外那家公司员工的情况")  # 20 chars or more
    assert rules.announce.asks("？？？ 123")  # no letter: nothing to read yet
    assert not parse_rules(MINIMAL).announce.asks("我想反映个情况")  # no table: never announces


@pytest.mark.parametrize(
    ("table", "error"),
    [
        ('[announce]\nwordz = ["情况"]\n', r"announce\.wordz: unknown key"),
        ("[announce]\nmax_chars = 2.5\n", r"announce\.max_chars: must be a whole number"),
        ("[announce]\nwords = [3]\n", r"announce\.words\[0\]"),
    ],
)
def test_a_malformed_announce_table_names_its_key(table: str, error: str) -> None:
    with pytest.raises(RulesError, match=error):
        parse_rules(MINIMAL + table)
