"""Who a notice goes to, read from the names an admin writes: 居民:审计厅小区、兴安南路社区.

Admins know their street by names — 小区, 社区, 网格 — not by the ids in the config, so a
target may name any of them (ids still work), several separated by 、 ， , or spaces, or 全部.
A community stands for all its grids. To residents, a 小区 means the residents bound to that
小区 only (a 停水 notice for one 小区 must not wake the next one); to groups, it means the
group of the grid that holds it, since groups exist per grid. A name that is not known is
answered with the nearest known names and nothing is scheduled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher

from bot import texts
from bot.config.org import Org
from bot.domain import Audience, Broadcast, UnitKind
from nlp.normalize import normalize

ALL = frozenset({"全部", "所有", "all"})
_AUDIENCES = {"群": Audience.GROUPS, "网格群": Audience.GROUPS, "居民": Audience.RESIDENTS}
_SEPARATORS = re.compile(r"[、,;；\s]+")
_SUFFIXES = ("家属院", "家属楼", "小区", "社区", "网格", "宿舍", "大院")
_NEAR_ENOUGH = 0.5
_SUGGESTIONS = 3


@dataclass(frozen=True)
class Targets:
    """Whole grids, and single 小区 (by configured name) whose residents are meant."""

    audience: Audience
    grid_ids: tuple[str, ...]
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetProblem:
    """What is wrong with a target, in words; ``show_usage`` when the form itself was wrong
    (an unknown name is answered by the nearest names alone)."""

    text: str
    show_usage: bool = False


@dataclass(frozen=True)
class _Named:
    grid_ids: tuple[str, ...]
    place: str | None = None


def read_targets(target: str, org: Org) -> Targets | TargetProblem:
    """The targets ``target`` names, or what is wrong with it in words for the admin."""
    kind, sep, names = normalize(target).partition(":")
    audience = _AUDIENCES.get(kind.strip())
    wanted = [name for name in _SEPARATORS.split(names) if name]
    if not sep or audience is None or not wanted:
        return TargetProblem(texts.BROADCAST_BAD_TARGET.format(target=target), show_usage=True)
    everything = tuple(grid.ref.id for grid in org.grids())
    if any(name in ALL for name in wanted):
        return Targets(audience, everything)
    index = _index(org)
    unknown = [name for name in wanted if name not in index]
    if unknown:
        return TargetProblem("\n".join(_unknown(name, org) for name in unknown))
    grids = _unique(grid for name in wanted if index[name].place is None
                    for grid in index[name].grid_ids)  # fmt: skip
    places = [index[name] for name in wanted if index[name].place is not None]
    if audience is Audience.GROUPS:
        return Targets(audience, _unique([*grids, *(p.grid_ids[0] for p in places)]))
    kept = _unique(p.place for p in places if p.place is not None and p.grid_ids[0] not in grids)
    return Targets(audience, grids, kept)


def describe(broadcast: Broadcast, org: Org) -> str:
    """The targets in words: grid names, and each 小区 with its grid."""
    names = [grid.name for grid_id in broadcast.grid_ids if (grid := org.grid(grid_id))]
    for place in broadcast.places:
        found = _index(org).get(normalize(place))
        grid = org.grid(found.grid_ids[0]) if found else None
        names.append(place if grid is None else texts.BROADCAST_PLACE_IN_GRID.format(
            place=place, grid=grid.name))  # fmt: skip
    return "、".join(names)


def _index(org: Org) -> dict[str, _Named]:
    """Every name and id an admin may write, normalised, with what it stands for."""
    index: dict[str, _Named] = {}
    for community in org.units(UnitKind.COMMUNITY):
        grids = tuple(unit.ref.id for unit in org.children(community.ref)
                      if unit.ref.kind is UnitKind.GRID)  # fmt: skip
        _add(index, (community.ref.id, community.name), _Named(grids))
    for grid in org.grids():
        _add(index, (grid.ref.id, grid.name), _Named((grid.ref.id,)))
        for place in grid.places:
            _add(index, (place.name, *place.aliases), _Named((grid.ref.id,), place.name))
    return index


def _add(index: dict[str, _Named], names: Iterable[str], named: _Named) -> None:
    for name in names:
        normal = normalize(name)
        index.setdefault(normal, named)
        stem = _stem(normal)
        if len(stem) >= 2:
            index.setdefault(stem, named)


def _unknown(name: str, org: Org) -> str:
    """ "没有找到…" with the nearest known names, or the communities when nothing is near."""
    communities, grids = org.units(UnitKind.COMMUNITY), org.grids()
    known = [unit.name for unit in communities] + [grid.name for grid in grids]
    if name.isascii():  # an id mistyped: the ids are the nearest
        known += [unit.ref.id for unit in (*communities, *grids)]
    known += [place.name for grid in grids for place in grid.places]
    scored = sorted(
        ((SequenceMatcher(None, _stem(name), _stem(normalize(k))).ratio(), k) for k in known),
        key=lambda pair: -pair[0],
    )
    near = [k for score, k in scored[:_SUGGESTIONS] if score >= _NEAR_ENOUGH]
    if near:
        return texts.BROADCAST_UNKNOWN_NAME_NEAR.format(name=name, near="、".join(near))
    names = "、".join(unit.name for unit in communities)
    return texts.BROADCAST_UNKNOWN_NAME.format(name=name, communities=names)


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
