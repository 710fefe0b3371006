"""Reading the organisation from the config: the street, communities, grids, departments and
people, with every mistake recorded by key.

A unit with a mistake is still declared: its id is known, so its members and the grids under it
are checked without a cascade of "unknown grid" lines for one missing name; an unknown id is
reported with the nearest declared one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from bot.config.org import Org, Person, Role, Unit
from bot.config.tomlcheck import (
    Mistake,
    Problems,
    channel_address,
    did_you_mean,
    join,
    only_keys,
    string,
    strings,
    table,
    tables,
)
from bot.domain import UnitKind, UnitRef
from nlp.places import Gazetteer, GazetteerError, Place
from nlp.taxonomy import Category

_ROLE_UNIT = {
    Role.GRID_WORKER: UnitKind.GRID,
    Role.COMMUNITY_STAFF: UnitKind.COMMUNITY,
    Role.DEPARTMENT_LIAISON: UnitKind.DEPARTMENT,
}
"""The kind of unit a person of each role belongs to (admins: the whole street, no units)."""
_UNIT_ID = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


def parse_org(data: Mapping[str, Any], problems: Problems) -> Org | None:
    """The org from the config's ``street``, ``communities``, ``departments`` and ``people``;
    None when it has mistakes, each recorded in ``problems``."""
    before = len(problems)
    units = _Units(problems)
    street_table = problems.read(table, data, "street") or {}
    only_keys(street_table, "street", {"id", "name", "chat_id"}, problems)
    street = units.declare(street_table, "street", UnitKind.STREET)
    communities = problems.read(tables, data, "communities")
    if communities == []:
        problems.add("communities", "at least one community with its grids is needed")
    for i, community in enumerate(communities or []):
        _community(community, join("communities", i), street, units)
    for i, department in enumerate(problems.read(tables, data, "departments") or []):
        _department(department, join("departments", i), units)
    _check_places(units.read, problems)
    people = _people(problems.read(tables, data, "people") or [], units)
    if len(problems) > before:
        return None
    return Org([unit for unit, _ in units.read], people)


def declared_grids(data: Mapping[str, Any]) -> set[str]:
    """Every grid id the config writes, right or wrong: what a notice may be addressed to
    without a second report of a grid that is wrong already."""
    found = set()
    communities = data.get("communities")
    for community in communities if isinstance(communities, list) else []:
        grids = community.get("grids") if isinstance(community, dict) else None
        for grid in grids if isinstance(grids, list) else []:
            if isinstance(grid, dict) and isinstance(grid.get("id"), str):
                found.add(grid["id"].strip())
    return found


class _Units:
    """The units read so far, with their keys, and every id declared (rightly or not)."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems
        self.read: list[tuple[Unit, str]] = []
        self.declared: set[UnitRef] = set()
        self.owners: dict[Category, str] = {}
        """Which department (by id as written) owns a category."""
        self._keys: dict[UnitRef, str] = {}
        self._chats: dict[str, str] = {}

    def declare(
        self,
        entry: Mapping[str, Any],
        key: str,
        kind: UnitKind,
        parent: UnitRef | None = None,
        *,
        places: Sequence[str] = (),
        categories: frozenset[Category] = frozenset(),
    ) -> UnitRef | None:
        """Read a unit's id, name and chat; its ref when the id is right (the rest may not be)."""
        if isinstance(raw := entry.get("id"), str):
            self.declared.add(UnitRef(kind, raw.strip()))
        read = self.problems.read
        unit_id, name = read(_unit_id, entry, key), read(string, entry, "name", key)
        chat_id = read(channel_address, entry, "chat_id", key)
        ref = None if unit_id is None else UnitRef(kind, unit_id)
        if ref is not None and (first := self._keys.setdefault(ref, key)) != key:
            twice = f"{kind.value} id {ref.id!r} is used twice (first at {first})"
            self.problems.add(join(key, "id"), twice)
        label = str(ref or key)
        if chat_id is not None and (user := self._chats.setdefault(chat_id, label)) != label:
            both = f"chat_id {chat_id} is used by both {user} and {label}"
            self.problems.add(join(key, "chat_id"), both)
        if ref is None or name is None or chat_id is None:
            return ref
        spots = tuple(_place(spec, ref.id) for spec in places)
        self.read.append((Unit(ref, name, chat_id, parent, spots, categories), key))
        return ref

    def known(self, kind: UnitKind) -> list[str]:
        """The right ids of this kind, for suggestions."""
        return sorted(r.id for r in self.declared if r.kind is kind and _UNIT_ID.match(r.id))


def _unit_id(data: Mapping[str, Any], key: str) -> str:
    """Ids travel in button data (64 bytes at most), so they are short ASCII."""
    unit_id = string(data, "id", key)
    if not _UNIT_ID.match(unit_id):
        raise Mistake(join(key, "id"), f"{unit_id!r} must be 1-24 letters, digits, '-' or '_'")
    return unit_id


def _community(community: Mapping[str, Any], key: str, street: UnitRef | None,
               units: _Units) -> None:  # fmt: skip
    problems = units.problems
    only_keys(community, key, {"id", "name", "chat_id", "grids"}, problems)
    ref = units.declare(community, key, UnitKind.COMMUNITY, street)
    for j, grid in enumerate(problems.read(tables, community, "grids", key) or []):
        gkey = join(join(key, "grids"), j)
        only_keys(grid, gkey, {"id", "name", "chat_id", "places"}, problems)
        places = problems.read(strings, grid, "places", gkey) or []
        units.declare(grid, gkey, UnitKind.GRID, ref, places=places)


def _place(spec: str, grid_id: str) -> Place:
    """``"电影制片厂小区|电影厂小区"``: the name, then its aliases."""
    name, *aliases = (part.strip() for part in spec.split("|"))
    return Place(name, grid_id, tuple(alias for alias in aliases if alias))


def _check_places(units: Sequence[tuple[Unit, str]], problems: Problems) -> None:
    """Two grids must not claim one place name; each grid that does is named by its key.

    The whole gazetteer is built once; only when it fails is it rebuilt grid by grid, to find
    which grids conflict.
    """
    try:
        Gazetteer(place for unit, _ in units for place in unit.places)
    except GazetteerError:
        placed: list[Place] = []
        for unit, key in units:
            try:
                Gazetteer([*placed, *unit.places])
            except GazetteerError as exc:
                problems.add(join(key, "places"), str(exc))
                continue
            placed += unit.places


def _department(department: Mapping[str, Any], key: str, units: _Units) -> None:
    problems = units.problems
    only_keys(department, key, {"id", "name", "chat_id", "categories"}, problems)
    owner = str(department.get("id", key)).strip()
    categories = set()
    known = [category.value for category in Category]
    for j, value in enumerate(problems.read(strings, department, "categories", key) or []):
        where = join(join(key, "categories"), j)
        if value not in known:
            problems.add(where, f"unknown category id {value!r}{did_you_mean(value, known)}")
        elif (first := units.owners.setdefault(Category(value), owner)) != owner:
            problems.add(where, f"{value} already belongs to department {first!r}")
        else:
            categories.add(Category(value))
    units.declare(department, key, UnitKind.DEPARTMENT, categories=frozenset(categories))


def _people(entries: Iterable[Mapping[str, Any]], units: _Units) -> list[Person]:
    problems = units.problems
    people = []
    seen: set[str] = set()
    for i, entry in enumerate(entries):
        key = join("people", i)
        only_keys(entry, key, {"user_id", "name", "role", "units"}, problems)
        user_id = problems.read(channel_address, entry, "user_id", key)
        if user_id is not None and user_id in seen:
            problems.add(join(key, "user_id"), f"{user_id} is listed twice")
        elif user_id is not None:
            seen.add(user_id)
        name = problems.read(string, entry, "name", key)
        role = problems.read(_role, entry, key)
        refs = None if role is None else _members_units(entry, key, role, units)
        if user_id is not None and name is not None and role is not None and refs is not None:
            people.append(Person(user_id, name, role, refs))
    return people


def _role(entry: Mapping[str, Any], key: str) -> Role:
    value = string(entry, "role", key)
    try:
        return Role(value)
    except ValueError:
        roles = [role.value for role in Role]
        hint = did_you_mean(value, roles)
        raise Mistake(join(key, "role"), f"must be one of {', '.join(roles)}{hint}") from None


def _members_units(
    entry: Mapping[str, Any], key: str, role: Role, units: _Units
) -> tuple[UnitRef, ...] | None:
    """The units a person belongs to, by their role's kind; None when one is wrong."""
    where = join(key, "units")
    unit_ids = units.problems.read(strings, entry, "units", key)
    if unit_ids is None:
        return None
    if role is Role.ADMIN:
        if unit_ids:
            units.problems.add(join(where, 0), "admins belong to the whole street; leave units out")
            return None
        return ()
    if not unit_ids:
        units.problems.add(where, f"a {role.value} needs at least one unit")
        return None
    kind = _ROLE_UNIT[role]
    refs = tuple(UnitRef(kind, unit_id) for unit_id in unit_ids)
    unknown = [(j, ref) for j, ref in enumerate(refs) if ref not in units.declared]
    for j, ref in unknown:
        hint = did_you_mean(ref.id, units.known(kind))
        units.problems.add(join(where, j), f"unknown {kind.value} {ref.id!r}{hint}")
    return None if unknown else refs
