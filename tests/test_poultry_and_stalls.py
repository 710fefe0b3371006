"""Poultry kept among homes and goods set out anyhow are the street's order (sanitation).

Residents name the animal, not the dirt ("别墅内私养大量鸡", "商品房内饲养牲畜"), and the stalls
by how they stand ("乱摆乱放", "违规建立夜市"); a cock crowing at dawn stays noise's. Read from the
tuning part's read halves; gate: round 13 and the never-read halves of rounds 10-12, whole
messages 2 made right, 0 wrong, titles 2 right, 0 wrong (issue 15). Every message below is made
up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "别墅区有住户私养大量鸡",
        "楼下有人饲养家禽，到处是鸡毛",
        "隔壁单元住户在家里养猪",
        "商铺门口乱摆乱放",
        "小区旁边的广场违规建立夜市",
    ],
)
def test_poultry_and_stalls_are_sanitation(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.SANITATION


def test_a_cock_crowing_at_dawn_stays_noise(language: Language) -> None:
    result = language.classify("邻居家养鸡，公鸡每天凌晨四点打鸣，噪音吵得睡不着")
    assert result.category is Category.NOISE
