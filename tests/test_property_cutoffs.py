"""A property company cutting a compound's water or power on purpose is the company's conduct.

Residents complain of a management that turns off the water, the power or the gas as leverage
over fees or a quarrel ("物业恶意停水", "物业故意停电"): property_mgmt (LABELLING.md: the
complaint is about the company itself), not a utility's outage. An outage the company only
announces or explains stays the utility's. Read from the tuning part's read halves; gate: round
13 and round 16's never-read half, 4 made right, 0 wrong (issue 15). Every message below is
made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    ["物业恶意停水，已经两天了", "物业为了催缴物业费故意停电", "物业擅自停水停电，还乱收停车费"],
)
def test_a_cutoff_on_purpose_is_the_companys(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.PROPERTY_MGMT


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("物业通知明天停水", Category.WATER_SUPPLY),
        ("小区停水了，物业说是管道维修", Category.WATER_SUPPLY),
        ("整栋楼停电了，物业也不知道原因", Category.POWER),
    ],
)
def test_an_outage_announced_or_explained_stays_the_utilitys(
    language: Language, text: str, category: Category
) -> None:
    assert language.classify(text).category is category
