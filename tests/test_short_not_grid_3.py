"""Short messages that are no grid matter, filed as other without asking (round 11).

A shopper's matter said in a few words (a purchase, food, goods, a spending) is the market
regulator's, and getting about the city (a bus company, a taxi, a coach station) the transport
office's, not a grid's: the bot should file it as other outright rather than ask which grid
kind it is, while a grid fault named beside the same words still decides. Every message below is
made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        # a purchase, goods, food, a spending
        "商品标价和结账时不一样",
        "预付的消费卡里的余额用不了",
        "买的食品里吃出了头发",
        "食品有问题找谁",
        "在超市购买的牛奶过了期",
        # getting about the city: a bus company, a taxi, a ride-hailing car, a coach station
        "打车时计价器跳得太快",
        "巴士改了线路以后不停我们站了",
        "汽车站的售票窗口太少",
        "打不到滴滴车",
    ],
)
def test_filed_as_other_without_asking(language: Language, text: str) -> None:
    """A short non-grid matter is other, and said strongly enough that the bot does not ask."""
    result = language.classify(text)
    assert result.category is Category.OTHER
    assert not result.ask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("小区门口卖食品的摊贩把垃圾扔了一地", Category.SANITATION),
        ("购买的车位被别人占了", Category.PARKING),
        ("楼下商品房工地半夜还在施工", Category.NOISE),
        ("车站门口的井盖松了", Category.ROADS),
        ("高速路桥下面的路灯坏了一排", Category.STREET_LIGHTS),
        ("楼下汽车一直滴滴按喇叭", Category.NOISE),
    ],
)
def test_a_grid_fault_named_still_decides(
    language: Language, text: str, expected: Category
) -> None:
    """The shopper's and the traveller's words lose to a grid fault named with them."""
    assert language.classify(text).category is expected
