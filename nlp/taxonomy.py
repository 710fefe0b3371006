"""The category taxonomy (DESIGN.md §4).

The ids are stable API: they are stored with tasks, named in the rules file and in config, and
printed by the CLI. The Chinese names are what residents and grid workers see.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """A kind of request; ``other`` is the community desk's triage pile."""

    WATER_SUPPLY = "water_supply"
    DRAINAGE = "drainage"
    HEATING = "heating"
    POWER = "power"
    GAS = "gas"
    ROADS = "roads"
    STREET_LIGHTS = "street_lights"
    PUBLIC_FACILITIES = "public_facilities"
    ELEVATOR = "elevator"
    PARKING = "parking"
    NOISE = "noise"
    SANITATION = "sanitation"
    FIRE_SAFETY = "fire_safety"
    GREENERY = "greenery"
    PROPERTY_MGMT = "property_mgmt"
    ILLEGAL_CONSTRUCTION = "illegal_construction"
    NEIGHBOR_DISPUTE = "neighbor_dispute"
    SOCIAL_SERVICES = "social_services"
    OTHER = "other"

    @property
    def zh(self) -> str:
        """The Chinese display name."""
        return _ZH_NAMES[self]


_ZH_NAMES: dict[Category, str] = {
    Category.WATER_SUPPLY: "供水",
    Category.DRAINAGE: "排水",
    Category.HEATING: "供暖",
    Category.POWER: "供电",
    Category.GAS: "燃气",
    Category.ROADS: "道路",
    Category.STREET_LIGHTS: "路灯照明",
    Category.PUBLIC_FACILITIES: "公共设施",
    Category.ELEVATOR: "电梯",
    Category.PARKING: "停车",
    Category.NOISE: "噪音扰民",
    Category.SANITATION: "环境卫生",
    Category.FIRE_SAFETY: "消防安全",
    Category.GREENERY: "绿化",
    Category.PROPERTY_MGMT: "物业服务",
    Category.ILLEGAL_CONSTRUCTION: "违章建筑",
    Category.NEIGHBOR_DISPUTE: "邻里纠纷",
    Category.SOCIAL_SERVICES: "民政帮办",
    Category.OTHER: "其他",
}


CATEGORIES: tuple[Category, ...] = tuple(Category)
"""The categories in taxonomy order; a category's index here is its ordinal.

Hot paths key their tables by ordinal: enum members hash through a Python-level ``__hash__``,
ints hash in C, and the classifier does several such look-ups per word.
"""


def parse_category(value: str) -> Category:
    """Return the category with id ``value``; ``ValueError`` lists the known ids otherwise."""
    try:
        return Category(value)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise ValueError(f"unknown category id {value!r} (known: {known})") from None
