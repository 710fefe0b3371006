"""Short messages that are no grid matter, filed as other without asking (round 9).

A resident's title names its matter in a few words; when that matter is a city office's and not
a grid's (a household registration, papers and permits, a traffic ticket, a car's registration),
the bot should file it as other outright rather than ask which grid kind it is, or take the 办理
of the request for a benefit errand. Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        # a household registration moved, papers and permits applied for
        "人才引进积分入户需要什么条件",
        "帮我儿子办理出生证",
        "签证快到期了想续签",
        "港澳通行证签注能在镇上办吗",
        "办理无房证明要带什么材料",
        "夫妻两地分居想把户籍迁过来",
        # the traffic police and the vehicle office: a ticket, a registration, an accident
        "违章网上怎么缴费",
        "车管所几点下班",
        "汽车年票到底取消没有",
        "交通事故认定书多久能出来",
        "禁摩以后上班怎么办",
    ],
)
def test_filed_as_other_without_asking(language: Language, text: str) -> None:
    """A short non-grid matter is other, and said strongly enough that the bot does not ask."""
    result = language.classify(text)
    assert result.category is Category.OTHER
    assert not result.ask


@pytest.mark.parametrize(
    "text", ["想申请开一家奶茶店", "怎么办理公司注销", "研究生毕业了能申请什么"]
)
def test_paperwork_alone_is_no_benefit_errand(language: Language, text: str) -> None:
    """Applying for or arranging something, with no benefit named, is not social services."""
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("燃气入户管道漏气了", Category.GAS),
        ("社区能帮忙办理高龄补贴吗", Category.SOCIAL_SERVICES),
        ("老人腿脚不便，想请社区上门帮忙办理认证", Category.SOCIAL_SERVICES),
        ("帮我父亲申请低保", Category.SOCIAL_SERVICES),
        ("社区能上门办理养老认证吗", Category.SOCIAL_SERVICES),
        ("丧葬补助怎么申请", Category.SOCIAL_SERVICES),
        ("楼上漏水，有照片可以证明", Category.NEIGHBOR_DISPUTE),
        ("小区里违章搭建，城管来罚款了吗", Category.ILLEGAL_CONSTRUCTION),
        ("门口天天有车违章停车，交警也不管", Category.PARKING),
    ],
)
def test_the_grids_own_matter_stays(language: Language, text: str, expected: Category) -> None:
    """The grid's matter named beside the same words keeps its category."""
    assert language.classify(text).category is expected
