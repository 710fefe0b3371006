"""A household's gas stopped by its supplier is gas, however cold it leaves the home.

Villages switched from coal to gas (煤改气) heat with a wall boiler (壁挂炉) on the gas
supplier's gas: when the supplier stops or rations it ("燃气公司老停气", "天然气供一天停一天"),
the fault is the gas supply's, and the grid passes it to the gas company, not the heating
company (LABELLING.md). A heating plant or company stopping the gas it heats with stays heating.
Read from round 17's read half (6 made right, 0 wrong); its never-read gate half: 2 made right,
0 wrong, and no answer changed on the other tuning rounds (issue 15). Every message below is
made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "我们村取暖全靠壁挂炉，天然气天天停，供一天停一天",
        "村里煤改气取暖，总是停气，孩子手都冻了",
        "没法取暖了，中燃每天半夜停气",
    ],
)
def test_the_suppliers_gas_stopped_is_gas(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.GAS


@pytest.mark.parametrize(
    "text", ["热力公司停气了，暖气不热", "小区停气好几天了，暖气冰凉", "暖气不热，屋里才十五度"]
)
def test_a_heating_company_stopping_stays_heating(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.HEATING
