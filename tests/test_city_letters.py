"""Long letters to a city: how their evidence is weighed (issue 15, the city-letter source).

A letter names many things on its way to its request. An old compound asking to be renovated
lists its faults — pipes, heating, lights — as the reasons for the works: it asks the city for
a programme, not a grid for a repair (LABELLING.md), so a ``renewal`` cue in ``[stance]`` asks
and no fault cue undoes it, and the question itself counts for ``other``. A lift added to an old
block stays the lift's matter even asked about as a programme. Words that only set the scene —
the compound's kind (回迁楼), the time (疫情期间), the thanks that close nearly every letter —
are not what the letter is about; thanks still count in a chat line (``in_letters = false``). And
a partitioned flat (隔断) says illegal construction even when the letter goes on to its noise,
dirt or fire risk. Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.classifier import category_scores
from nlp.rules import RulesError, parse_rules
from nlp.taxonomy import CATEGORIES, Category

MINIMAL = '[categories.water_supply]\nkeywords = [{ weight = 3, words = ["停水"] }]\n'


@pytest.mark.parametrize(
    "text",
    [
        "我们小区是九十年代的老楼，水管老化经常漏水，暖气也不热，楼道灯坏了也没人修，"
        "请问我们小区什么时候能改造？",
        "村里的房子都是几十年的老房子了，一下雨屋顶就漏，村里的路也坑坑洼洼，想问一下我们村"
        "近几年有没有拆迁的打算？",
        "我们是八十年代的老旧小区，楼道墙皮脱落，下水管道老化经常堵塞，冬天暖气也不热，何时能"
        "进行整体改造？",
        "我家住的宿舍楼建于七十年代，没有独立卫生间，上下水严重老化，屋顶年年漏雨，请问这栋楼"
        "是否纳入改造？",
    ],
)
def test_an_old_compound_asking_to_be_renovated_is_the_citys(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER


def test_works_beside_a_fault_happening_now_keep_it_a_repair(language: Language) -> None:
    """旧改 names the works; their noise at night is the resident's complaint."""
    result = language.classify("旧改施工队每天夜里十一点还在施工，噪音太大，全楼的人都睡不着觉")
    assert result.category is Category.NOISE


def test_a_lift_added_to_an_old_block_is_the_lifts_even_as_a_programme(
    language: Language,
) -> None:
    """Two policy questions weaken every grid word; 加装电梯 still names the matter."""
    result = language.classify(
        "请问我们这栋九十年代的老楼什么时候能加装电梯？相关政策什么时候出台？家里老人住六楼，"
        "上下楼实在太难了。"
    )
    assert result.category is Category.ELEVATOR


@pytest.mark.parametrize(
    "text",
    [
        "我们小区都是回迁户，为了成立业委会居委会和业主忙了好几个月，可是很多业主常年不回来住，"
        "不参加投票，票数一直不够，希望领导帮忙解决这个老大难问题。",
        "疫情期间小区的北门被物业用铁板封死了，现在疫情早就结束了还不打开，居民出门要绕二十"
        "分钟，希望物业尽快把北门打开，方便大家出行。",
    ],
)
def test_the_setting_is_not_the_matter(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.PROPERTY_MGMT


def test_a_letters_closing_thanks_are_no_evidence(language: Language) -> None:
    """地铁 (a city topic, 3) and 噪音 (3) tie in a letter reporting noise; the closing 谢谢
    used to tip it to other."""
    result = language.classify(
        "自从地铁开通以后，列车从我们楼底下经过，家里都能听到很大的噪音，一天几百趟，从早到晚"
        "没有停的时候，一年多了没有任何改善，老人孩子都受不了，希望有关部门来我们家里监测一下，"
        "督促运营公司尽快采取措施，谢谢！"
    )
    assert result.category is Category.NOISE
    assert "谢谢" not in result.matched


def test_thanks_still_count_in_a_chat_line(language: Language) -> None:
    result = language.classify("谢谢网格员，辛苦了")
    assert result.category is Category.OTHER
    assert "谢谢" in result.matched


def test_a_chat_only_keyword_counts_below_letter_length(language: Language) -> None:
    rules = parse_rules(
        "[scoring]\nletter_chars = 20\n"
        '[categories.other]\nkeywords = [{ weight = 1, words = ["谢谢"], in_letters = false }]\n'
        '[categories.noise]\nkeywords = [{ weight = 1, words = ["吵"] }]\n'
    )
    other = CATEGORIES.index(Category.OTHER)
    assert rules.chat_only == {"谢谢": frozenset({other})}
    chat = category_scores("谢谢", rules, language.tokenizer)
    assert chat == {Category.OTHER: 1.0}
    letter = category_scores(
        "楼下每天晚上都很吵，大家反映了好多次也没有人管，谢谢", rules, language.tokenizer
    )
    assert letter == {Category.NOISE: 1.0}


def test_a_renewal_cue_asks_whatever_fault_the_letter_names(language: Language) -> None:
    """An asking cue beside a fault cue leaves the evidence as it is; a renewal cue does not."""
    rules = parse_rules(
        '[stance]\nfactor = 0.5\nweight = 2\nasking = ["建议"]\nfault = ["漏水"]\n'
        'renewal = ["改造计划"]\n'
        '[categories.water_supply]\nkeywords = [{ weight = 3, words = ["水管"] }]\n'
    )
    asked = category_scores("水管漏水，建议换新", rules, language.tokenizer)
    assert asked == {Category.WATER_SUPPLY: 3.0}
    renewal = category_scores("水管漏水，有改造计划吗", rules, language.tokenizer)
    assert renewal == {Category.WATER_SUPPLY: 1.5, Category.OTHER: 2.0}


@pytest.mark.parametrize(
    "text",
    [
        "对门的房子客厅被隔断成卧室出租，屋里住了七八个人，也没有任何消防设施",
        "我们楼里有一户隔断房，卫生脏乱差，楼道里堆满了他们的东西",
    ],
)
def test_a_partitioned_flat_is_illegal_construction(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.ILLEGAL_CONSTRUCTION


def test_a_trend_of_shared_flats_mentioned_in_passing_is_not(language: Language) -> None:
    result = language.classify(
        "孩子要上初中了，很多家庭卖房离开，小区群租越来越多，学区的教育质量也下降了，希望教委重视。"
    )
    assert result.category is Category.OTHER


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[stance]\nrenewal = [{ words = ["何时"] }]', "stance.renewal[0].words: a phrase needs"),
        (
            '[categories.gas]\nkeywords = [{ weight = 3, words = ["燃气"], in_letters = "no" }]',
            "categories.gas.keywords[0].in_letters: must be true or false",
        ),
    ],
)
def test_the_rules_file_checks_renewal_and_in_letters(table: str, message: str) -> None:
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(MINIMAL + table)
