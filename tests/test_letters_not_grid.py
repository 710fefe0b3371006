"""City letters that use a grid word but are not a grid matter (issue 15, round 3).

A letter asking whether its street will be pulled down, why a building's shops stand empty or
which way cars turn, or about a courtyard home handed back to the city, names a grid word in
passing (脏乱差, 盖房子, 公园, 装修); a letter from an old tube-style block lists its faults as
the reason to rebuild it (LABELLING.md: an old compound with a list of problems asking to be
renovated is `other`). Each phrase below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        # demolition asked about outright
        "我们村有拆迁吗？家里想盖房子，谢谢",
        # shops let in a building, a courtyard home handed back to the city
        "小区底商空了好几年，物业什么时候开始招商？",
        "想问一下我们胡同的申请式退租什么时候开始，家里有残疾人",
        # driving through a crossing is the traffic police's
        "这个路口左转只有一条道，早高峰总有人违章",
        # an old tube-style or makeshift block asking to be rebuilt, its faults the reason
        "我们住的是五十年代的筒子楼，没有厨房，厕所全楼共用，墙皮脱落，盼早日改造",
        "我们这栋简易楼墙面破损渗水，几家共用卫生间，没有暖气，多少年了没有进展",
    ],
)
def test_a_letter_naming_a_grid_word_in_passing_is_other(language: Language, text: str) -> None:
    """The grid word is where or why; the letter asks the city."""
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a fault in such a block is still its repair
        ("筒子楼的下水道堵了，污水冒出来了", Category.DRAINAGE),
        # a building's illegal extension asked about is still the building's
        ("楼顶的违建能拆吗", Category.ILLEGAL_CONSTRUCTION),
        # a park's broken swing is still public facilities
        ("公园的秋千坏了好几天了", Category.PUBLIC_FACILITIES),
        # cars blocking a crossing are parking's
        ("路口车辆乱停，堵得出不去", Category.PARKING),
    ],
)
def test_a_grid_matter_keeps_its_category(
    language: Language, text: str, category: Category
) -> None:
    """The new words do not take a real fault away from its category."""
    assert language.classify(text).category is category
