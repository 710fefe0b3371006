"""The gazetteer: which grid a message is about, and the building and unit when given.

A resident writes "审计厅小区3号楼2单元下水堵了" or, just as often, "审计厅3#楼": the place
named in the message decides the grid and overrides the resident's bound address (DESIGN.md §5).
Each grid is configured with its 小区 names and aliases; the gazetteer also accepts every name
without its generic suffix (小区, 社区, 家属院…) because residents drop it. A name that would
point at two grids is a configuration mistake and is refused when the gazetteer is built.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from nlp.normalize import normalize

# Suffixes residents leave out: "电影厂" for 电影厂小区. Longest first.
_GENERIC_SUFFIXES = ("家属院", "家属楼", "小区", "社区", "宿舍", "大院")
_MIN_ALIAS_CHARS = 2

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_NUMBER = r"(\d{1,3}|[零〇一二两三四五六七八九十]{1,3})"
_BUILDING = re.compile(_NUMBER + r"\s*(?:号楼|#楼|#|栋|幢|座|号院)")
_UNIT = re.compile(_NUMBER + r"\s*单元")
_DASHED = re.compile(r"(?<![\d-])(\d{1,3})-(\d{1,2})-\d{3,4}(?![\d-])")  # 3-2-502
# What the names of places end with: a reply ending so names a place, even one we do not know.
_PLACE_NAME = re.compile(
    r"(小区|社区|家属院|家属楼|宿舍|大院|花园|花苑|家园|公寓|大厦|广场|新村|村|苑|院|城|府|湾|里)$"
)


class GazetteerError(ValueError):
    """Two grids claim the same place name, or a name is empty."""


@dataclass(frozen=True)
class Place:
    """A configured place (usually a 小区) and the grid responsible for it."""

    name: str
    grid_id: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Address:
    """Building and unit numbers as digits ("3", "2"), when the message gives them."""

    building: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class PlaceMatch:
    """A place found in a message."""

    place: Place
    written: str
    """The name as found in the (normalised) message."""
    address: Address


class Gazetteer:
    """Finds configured places in free text; built once from the configuration."""

    def __init__(self, places: Iterable[Place]) -> None:
        self._by_name: dict[str, Place] = {}
        self._contested: set[str] = set()
        explicit: set[str] = set()
        places = list(places)
        for place in places:
            for name in (place.name, *place.aliases):
                self._add(normalize(name), place, explicit=True)
                explicit.add(normalize(name))
        for place in places:
            for name in (place.name, *place.aliases):
                short = _without_suffix(normalize(name))
                if short and short not in explicit:
                    self._add(short, place, explicit=False)
        names = sorted(self._by_name, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names))) if names else None

    def _add(self, name: str, place: Place, *, explicit: bool) -> None:
        if not name:
            raise GazetteerError(f"grid {place.grid_id!r}: a place name is empty")
        if name in self._contested:
            return
        owner = self._by_name.get(name)
        if owner is not None and owner.grid_id != place.grid_id:
            if not explicit:  # a shortened name that two grids share is simply not used
                self._by_name.pop(name)
                self._contested.add(name)
                return
            raise GazetteerError(
                f"place name {name!r} is claimed by grids {owner.grid_id!r} and {place.grid_id!r}"
            )
        self._by_name.setdefault(name, place)

    def find(self, text: str) -> PlaceMatch | None:
        """The first (leftmost, longest) configured place named in ``text``, with its address."""
        if self._pattern is None:
            return None
        normal = normalize(text)
        found = self._pattern.search(normal)
        if found is None:
            return None
        after = normal[found.end() :]
        address = parse_address(after)
        if address == Address():
            address = parse_address(normal)
        return PlaceMatch(self._by_name[found.group()], found.group(), address)


def names_a_place(text: str) -> bool:
    """Whether ``text`` reads as the name of a place (火星小区, 阳光花园), known or not."""
    return bool(_PLACE_NAME.search(normalize(text).rstrip("。.！!？?")))


def parse_address(text: str) -> Address:
    """The first building and unit numbers written in ``text`` (3号楼, 三栋, 3#, 2单元, 3-2-502).

    "3楼" alone is a floor, not a building, and is ignored.
    """
    normal = normalize(text)
    dashed = _DASHED.search(normal)
    if dashed:
        return Address(dashed.group(1), dashed.group(2))
    building = _BUILDING.search(normal)
    unit = _UNIT.search(normal, building.end() if building else 0)
    return Address(
        _digits(building.group(1)) if building else None,
        _digits(unit.group(1)) if unit else None,
    )


def _digits(number: str) -> str:
    """ "12" → "12"; "十二" → "12"; "三" → "3"."""
    if number.isdigit():
        return str(int(number))
    if "十" in number:
        tens, _, ones = number.partition("十")
        return str(_CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0))
    return "".join(str(_CN_DIGITS[ch]) for ch in number)


def _without_suffix(name: str) -> str | None:
    for suffix in _GENERIC_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= _MIN_ALIAS_CHARS:
            return name[: -len(suffix)]
    return None
