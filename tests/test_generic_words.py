"""Generic words never decide a category alone (issue 15, point 2).

申请, 办理, 路, 车, 卫生, 收费, 停 and 没人管 are said of every kind of matter — a city policy, the
health system, a bus ride. Alone they leave the bot unsure, so it asks the resident to pick the
kind (or, with out-of-scope evidence, files the message as 其他); with a problem named beside
them, the problem decides.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "这个证在哪办理",
        "前面那条路",
        "我的车",
        "卫生院几点开门",
        "收费标准是多少",
        "门口那个事儿到底有人管没人管啊",
        "可以申请旧房新建吗",
        # 补贴 is any subsidy (a car's, a job's); the grid's are named: 高龄补贴, 残疾补贴
        "新能源车的购车补贴今年还有吗",
    ],
)
def test_a_generic_word_alone_decides_nothing(language: Language, text: str) -> None:
    result = language.classify(text)
    assert result.category is Category.OTHER or result.ask, result


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("停谁了？一天没水了", Category.WATER_SUPPLY),
        ("楼道卫生太差了没人打扫", Category.SANITATION),
        ("车又堵单元门口了", Category.PARKING),
        ("物业乱收费，电梯坏了也不修", Category.PROPERTY_MGMT),
        ("区卫生健康委的电话是多少", Category.OTHER),
        ("养老保险怎么办理", Category.OTHER),
        ("投诉夜间施工", Category.NOISE),
        ("梅峰河堵了", Category.DRAINAGE),
        ("偷工减料，不按图纸施工", Category.OTHER),
        # 违章 alone is a building's; parked, a car's
        ("小区北门天天有车违章停车", Category.PARKING),
        # a bill is its utility's matter; paying it is other's (电费怎么交)
        ("电费问题", Category.POWER),
        # 污染 said of noise is noise, not the river's dirt
        ("内河整治噪音污染", Category.NOISE),
        ("考消防工程师交了钱，机构一直不退费", Category.OTHER),
        ("家门口那条臭水沟", Category.SANITATION),
        ("村口主路开挖好几个月了", Category.ROADS),
        # when a works project starts or ends is the city's schedule
        ("那条河何时完工？", Category.OTHER),
        ("办个准生证需要什么手续", Category.OTHER),
        # stalls spilling over a pavement are sanitation's, the bus stop merely where
        ("公交站对面几家大排档占道经营", Category.SANITATION),
    ],
)
def test_with_a_problem_beside_it_the_problem_decides(
    language: Language, text: str, category: Category
) -> None:
    result = language.classify(text)
    assert result.category is category, result
    assert not result.ask, result
