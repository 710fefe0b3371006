"""The taxonomy is the stable API of DESIGN.md §4."""

from __future__ import annotations

import pytest

from nlp.taxonomy import Category, parse_category

DESIGN_TABLE = {
    "water_supply": "供水", "drainage": "排水", "heating": "供暖", "power": "供电",
    "gas": "燃气", "roads": "道路", "street_lights": "路灯照明",
    "public_facilities": "公共设施", "elevator": "电梯", "parking": "停车",
    "noise": "噪音扰民", "sanitation": "环境卫生", "fire_safety": "消防安全",
    "greenery": "绿化", "property_mgmt": "物业服务", "illegal_construction": "违章建筑",
    "neighbor_dispute": "邻里纠纷", "social_services": "民政帮办", "other": "其他",
}  # fmt: skip


def test_ids_and_names_match_the_design() -> None:
    """Exactly the 19 ids of DESIGN.md, each with its Chinese name."""
    assert {c.value: c.zh for c in Category} == DESIGN_TABLE


def test_parse_category_names_the_known_ids_when_wrong() -> None:
    """A typo in an id is reported with the list of valid ids."""
    assert parse_category("noise") is Category.NOISE
    with pytest.raises(ValueError, match=r"unknown category id 'nosie' \(known: water_supply"):
        parse_category("nosie")
