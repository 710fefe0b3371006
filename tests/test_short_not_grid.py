"""Short messages that are no grid matter though a generic word in them names one (round 8).

A hotline's summary tells that the resident called (故来电咨询, 市民来电反映): that 来电 is
the call, not power coming back. A shopper's dispute with a shop or an online store is the market
regulator's, though it asks for 调解 or 赔偿 and the goods are cat food. Cheated (坑人, 被坑) is
no pit in a road. Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        # the hotline's "called in" is no power restored
        "其想知道明年的春节假期放几天，故来电咨询",
        "市民来电反映其购买的洗衣机送货上门后发现有划痕，商家拒绝换货",
        "其儿子的学籍一直转不过来，故此来电求助",
        # a shopper's dispute
        "在天猫上买的猫粮付款一周了还不发货",
        "小卖部卖三无产品，老板不肯退货，要求调解",
        "在购物广场买的电饭煲坏了，售后不给修",
        # cheated, not a pit
        "那家驾校太坑人了，报名时说好的价格后来又加钱",
        "理发店办的会员卡被坑了三千块",
    ],
)
def test_not_a_grid_matter(language: Language, text: str) -> None:
    """A short non-grid message is filed as other, whatever generic word it holds."""
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("什么时候来电啊，都停了一上午了", Category.POWER),
        ("小区停电两天了，故来电反映", Category.POWER),
        ("3号楼早上到现在都没电，市民来电要求尽快恢复供电", Category.POWER),
        ("邻居装修把我家墙弄裂了，要求赔偿", Category.NEIGHBOR_DISPUTE),
        ("楼下马路有个坑，下雨就积水", Category.ROADS),
    ],
)
def test_the_grids_own_matter_stays(language: Language, text: str, expected: Category) -> None:
    """The grid's matter named beside the same words keeps its category."""
    assert language.classify(text).category is expected
