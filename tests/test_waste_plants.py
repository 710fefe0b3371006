"""Where the city builds a waste plant is its plan; the plant's smell is the street's dirt.

Residents write to their leaders against a rubbish or incineration plant planned near their
homes, or ask for one to be moved: the city's siting, ``other``, however much of the letter is
about the smell to come. A plant that stinks now, named without its siting, stays sanitation's.
Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "小区旁边计划建造一座建筑垃圾处理厂，选址离学校不到五百米，很不合理",
        "强烈要求迁走我们小区边上的垃圾焚烧厂",
        "请问公园北侧的垃圾焚烧发电厂有没有开始建设？",
    ],
)
def test_a_waste_plant_sited_or_moved_is_the_citys_plan(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER


def test_a_waste_plant_that_stinks_now_is_sanitation(language: Language) -> None:
    result = language.classify("小区旁边的垃圾处理厂天天散发臭味，晚上窗户都不敢开")
    assert result.category is Category.SANITATION
