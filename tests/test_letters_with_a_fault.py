"""City letters that name a real grid fault beside a word of the city's (issue 15, round 3).

A letter often tells where its fault happens — beside the testing point, at the delivery
station, at the gate closed for the epidemic — and those setting words (核酸, 快递, 疫情防控,
隔离) are hints of `other`, not the city's topic by themselves: a fault named as strongly wins,
however early the setting is mentioned; alone they still make a letter `other`. And a lift added
to an old block is the lift's matter (LABELLING.md) even in a letter quoting the policy. Each
message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # the testing point is where the cars are, the cars are the complaint
        ("村里核酸点旁边车辆乱停乱放，大家都过不去，请管一管。", Category.PARKING),
        ("小区核酸检测点边上新设了一个垃圾站，天天都有味，请搬走。", Category.SANITATION),
        # the gate put in for the epidemic is the property company's to fix
        (
            "为了疫情防控小区装了门禁，到现在一直没人管，谁都能随便进出，希望尽快解决。",
            Category.PROPERTY_MGMT,
        ),
        # a lift to add: the lift's matter, even quoting the policy and the renovation
        (
            "我们小区加装电梯的政策出来好几年了，楼里都是老人，上下楼特别不便，物业说我们这片没有计划，"
            "看新闻说在推进小区改造加装电梯，却一点动静都没有，希望领导督促有关部门尽早落实。",
            Category.ELEVATOR,
        ),
    ],
)
def test_a_fault_outweighs_the_setting(language: Language, text: str, category: Category) -> None:
    assert language.classify(text).category is category


@pytest.mark.parametrize(
    "text",
    [
        # the setting words alone still make a letter the city's
        "请问核酸检测点什么时候撤掉，现在还要不要每天做核酸？",
        "居家隔离的政策什么时候调整，隔离期间的工资怎么算？",
        "快递一直显示已签收，但我没有收到，请问找谁？",
    ],
)
def test_the_setting_alone_is_other(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER
