"""A street named only as where something happens, and a driver's own dealings (round 13's gate).

Hotline orders name the street of nearly everything: a stall trading on the pavement, a car
parked on a road, the street of a home whose phone signal is weak. The road is then where, not
what: a stall is sanitation's (LABELLING.md), a parked car parking's, a weak signal the carrier's.
路 alone is most often part of an address (南宝路15号) and counts for roads only when the road is
to be mended or cannot be walked on. A driver's own car taken away or fined, and a vehicle's 违章
looked up, are the enforcing office's, not a car parked in the way nor a building's 违章. Every
message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a stall on the road or the pavement: the street's order
        ("幸福路人行道上有商贩占道卖水果", Category.SANITATION),
        ("小区后门的马路上每天早上有人占道卖菜", Category.SANITATION),
        ("学校门口的人行道上有很多小贩在经营", Category.SANITATION),
        ("广场门口路段有流动商贩在卖槟榔", Category.SANITATION),
        # a car parked on the road: parking's
        ("幸福路道路两边违停严重", Category.PARKING),
        ("市政道路上的停车位有人乱收钱", Category.PARKING),
        ("一辆车堵住了道路，麻烦通知车主移车", Category.PARKING),
    ],
)
def test_a_road_named_as_where_is_not_the_roads(
    language: Language, text: str, category: Category
) -> None:
    assert language.classify(text).category is category


@pytest.mark.parametrize(
    "text",
    [
        "人行道上有商贩占道卖早餐，地砖也破损了好几块",
        "路边违停的车太多，路面还有个大坑没人修",
        "路面塌陷了一块，旁边还停满了车",
    ],
)
def test_a_fault_of_the_road_itself_keeps_it(language: Language, text: str) -> None:
    """The road's own fault named beside the stall or the car keeps roads among the kinds."""
    result = language.classify(text)
    assert Category.ROADS in (result.category, *result.also, *result.ranked)


@pytest.mark.parametrize(
    "text",
    [
        # a street's name in an address is no road to mend
        "南宝路15号家里有线电视信号极差",
        "建设三横路金盘花园移动信号差",
        "和平路那边手机没信号",
        # one's own car taken away or fined
        "电动车被城管扣车了怎么领回来",
        "骑电动车没戴头盔被交警扣车罚款是否合理",
        "我的电动车被拖走了，去哪里领",
        # a vehicle's 违章, not a building's
        "车辆违章记录在哪里查",
        "朋友驾驶车辆在外地违章，能在这里处理吗",
    ],
)
def test_filed_as_other(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("家门口那条路坑坑洼洼的，什么时候能修好", Category.ROADS),
        ("村里的路太破了没法走", Category.ROADS),
        ("门口的路该修一修了", Category.ROADS),
        # a zombie car to be towed away is still parking's
        ("楼下有辆破车停了两年，希望拖走", Category.PARKING),
        # in a letter, the fines are the setting of a parking complaint
        (
            "小区改造以后停车位少了一大半，业主的车没地方停，只好停在小区外面的路边，结果"
            "居民停放的车辆天天被罚款，大家意见很大，物业也说没有办法。希望有关部门协调一下，"
            "在小区里面多划一些停车位，解决我们停车难的问题，谢谢",
            Category.PARKING,
        ),
    ],
)
def test_what_still_decides(language: Language, text: str, category: Category) -> None:
    assert language.classify(text).category is category
