"""What a letter is doing decides with its words (issue 15): ``[stance]`` in the rules.

Letters to a city name grid things while proposing a policy or asking how a plan or a works
project is getting on; one grid word then made them a repair. A proposal or a progress question
with no fault happening now weakens every grid category and counts for ``other``; a fault named
beside it keeps the letter a repair; a chat message (shorter than ``min_chars``) keeps its words'
evidence as it is. A message reporting a fault is never ``other`` on a city topic word that is
merely mentioned first (地铁站旁边…又停水了). And in a letter, weak hints alone decide nothing
(``[scoring] letter_floor``).
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.rules import RulesError, parse_rules
from nlp.taxonomy import Category

MINIMAL = '[categories.water_supply]\nkeywords = [{ weight = 3, words = ["停水"] }]\n'


@pytest.mark.parametrize(
    "text",
    [
        "建议政府出台政策，鼓励居民垃圾分类，小区里多放几个分类垃圾桶，再配上宣传栏，"
        "大家慢慢就养成习惯了。",
        "我们街道那条主路的改造工程进展到哪一步了？什么时候能开工建设？听说路面和人行道都要"
        "重新铺，居民都盼着。",
        "关于社区公园的规划，建议多留些健身的地方，再添几张长椅和一个凉亭，方便附近老人休息，"
        "希望早日立项。",
    ],
)
def test_a_proposal_or_a_progress_question_is_the_citys(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    ("text", "category"),
    [
        (
            "建议政府出台政策，鼓励居民垃圾分类，现在小区门口的垃圾桶满了好几天，臭得不行，"
            "没人清运。",
            Category.SANITATION,
        ),
        (
            "我们街道那条主路的改造工程进展到哪一步了？什么时候能开工建设？现在人行道的地砖坏了"
            "好几块，居民都盼着。",
            Category.ROADS,
        ),
        # a strongly named grid matter outweighs one progress question
        (
            "加装电梯的事到底有进展没有？去年就说要开工，到现在一楼那家还是不签字，我们老两口"
            "爬六楼实在太难了，请社区帮着协调一下。",
            Category.ELEVATOR,
        ),
    ],
)
def test_a_fault_now_or_a_named_matter_keeps_it_a_repair(
    language: Language, text: str, category: Category
) -> None:
    assert language.classify(text).category is category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("建议小区多装几个路灯", Category.STREET_LIGHTS),
        ("建议在小区里多放几个分类垃圾桶", Category.SANITATION),
    ],
)
def test_a_chat_message_keeps_its_words_evidence(
    language: Language, text: str, category: Category
) -> None:
    result = language.classify(text)
    assert result.category is category
    assert not result.ask


def test_a_fault_is_not_the_citys_on_a_topic_word_mentioned_first(language: Language) -> None:
    """地铁 (3) and 停水 (3) tie; mentioned first, 地铁 used to win."""
    result = language.classify("地铁站旁边的小区又停水了")
    assert result.category is Category.WATER_SUPPLY


def test_in_a_letter_a_weak_hint_alone_is_no_evidence(language: Language) -> None:
    """路口 (a hint, weight 1) in a letter of a hundred characters is what any letter says in
    passing: the letter is other, and the resident is still asked, offered 道路; in a chat
    message the hint stays the guess (``scoring.letter_chars``, ``scoring.letter_floor``)."""
    letter = language.classify(
        "我们村口那个路口一直没有正式打通，周围居民出门要绕很远，每天进出很不方便，大家都很发愁，"
        "遇到下雨天更是麻烦。大家反映过好几次，一直没有回音，希望有关部门能重视起来，协调"
        "各方尽早解决，给我们这些居民一个明确的说法。"
    )
    assert letter.category is Category.OTHER
    assert letter.ask
    assert letter.ranked == (Category.ROADS,)
    chat = language.classify("村口那个路口一直没有打通")
    assert chat.category is Category.ROADS
    assert chat.ask


def test_without_a_stance_table_the_evidence_is_the_words_alone() -> None:
    rules = parse_rules(MINIMAL)
    assert rules.stance.cues == {}
    assert rules.stance.factor == 1.0


def test_stance_words_segment_whole_but_score_nothing(language: Language) -> None:
    """Cue words are in the tokenizer's dictionary and the index, with no rules of their own:
    the stance never changes what a word scores."""
    rules = language.rules
    assert "提议" in rules.vocabulary
    keywords, parts = rules.index.words["提议"]
    assert (keywords, parts) == ((), ())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("[stance]\nfacter = 0.5", "stance.facter: unknown key"),
        ("[stance]\nfactor = 1.5", "stance.factor: must be between"),
        ("[stance]\nmin_chars = 2.5", "stance.min_chars: must be a whole number"),
        ("[scoring]\nletter_chars = 2.5", "scoring.letter_chars: must be a whole number"),
        ("[scoring]\nletter_floor = -1", "scoring.letter_floor: must be between"),
        ('[stance]\nasking = [{ words = ["何时"] }]', "stance.asking[0].words: a phrase needs"),
    ],
)
def test_the_rules_file_checks_the_stance_table(table: str, message: str) -> None:
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(MINIMAL + table)
