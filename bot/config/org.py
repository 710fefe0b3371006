"""The organisation: street → communities → grids, departments, and the people in them.

It answers the questions the desk asks about people and places: which group chat belongs to a
unit, who may claim a task held there, where 上报 goes next (DESIGN.md §5: grid → community →
the department that owns the category → street), which grid a chat or a place belongs to.
It is built once from the config (:func:`parse_org`), which reports every mistake by key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.config.tomlcheck import (
    SettingsError,
    integer,
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


class Role(StrEnum):
    """What a person does; decides which units they belong to."""

    GRID_WORKER = "grid_worker"
    COMMUNITY_STAFF = "community_staff"
    DEPARTMENT_LIAISON = "department_liaison"
    ADMIN = "admin"


_ROLE_UNIT = {
    Role.GRID_WORKER: UnitKind.GRID,
    Role.COMMUNITY_STAFF: UnitKind.COMMUNITY,
    Role.DEPARTMENT_LIAISON: UnitKind.DEPARTMENT,
}


@dataclass(frozen=True)
class Unit:
    """A grid, community, department or the street, with its group chat."""

    ref: UnitRef
    name: str
    chat_id: int
    parent: UnitRef | None = None
    places: tuple[Place, ...] = ()
    categories: frozenset[Category] = frozenset()


@dataclass(frozen=True)
class Person:
    """A grid worker, community staff member, department liaison or admin."""

    user_id: int
    name: str
    role: Role
    units: tuple[UnitRef, ...]


class Org:
    """Look-ups over the configured organisation; immutable after construction."""

    def __init__(self, units: Sequence[Unit], people: Sequence[Person]) -> None:
        self._units = {unit.ref: unit for unit in units}
        self._by_chat = {unit.chat_id: unit for unit in units}
        self.people: Mapping[int, Person] = {person.user_id: person for person in people}
        self._members = {unit.ref: self._find_members(unit.ref) for unit in units}
        streets = [unit for unit in units if unit.ref.kind is UnitKind.STREET]
        self.street = streets[0]
        self.gazetteer = Gazetteer(place for unit in units for place in unit.places)

    def unit(self, ref: UnitRef) -> Unit:
        return self._units[ref]

    def unit_by_chat(self, chat_id: int) -> Unit | None:
        return self._by_chat.get(chat_id)

    def units(self, kind: UnitKind) -> list[Unit]:
        return [unit for unit in self._units.values() if unit.ref.kind is kind]

    def children(self, parent: UnitRef) -> list[Unit]:
        return [unit for unit in self._units.values() if unit.parent == parent]

    def grids(self) -> list[Unit]:
        return self.units(UnitKind.GRID)

    def grid(self, grid_id: str) -> Unit | None:
        return self._units.get(UnitRef(UnitKind.GRID, grid_id))

    def members(self, ref: UnitRef) -> list[Person]:
        """Who belongs to the unit; admins belong to the street."""
        found = self._members.get(ref)
        return list(found if found is not None else self._find_members(ref))

    def _find_members(self, ref: UnitRef) -> tuple[Person, ...]:
        return tuple(
            person
            for person in self.people.values()
            if ref in person.units or (person.role is Role.ADMIN and ref.kind is UnitKind.STREET)
        )

    def may_act(self, user_id: int, ref: UnitRef) -> bool:
        """Whether the user may claim and work tasks held by ``ref`` (admins may everywhere)."""
        person = self.people.get(user_id)
        return person is not None and (person.role is Role.ADMIN or ref in person.units)

    def escalation_target(self, ref: UnitRef, category: Category) -> UnitRef | None:
        """Where 上报 goes from ``ref``: the next level up, or None at the top."""
        department = next(
            (u.ref for u in self.units(UnitKind.DEPARTMENT) if category in u.categories), None
        )
        if ref.kind is UnitKind.GRID:
            return self._units[ref].parent
        if ref.kind is UnitKind.COMMUNITY:
            return department or self.street.ref
        if ref.kind is UnitKind.DEPARTMENT:
            return self.street.ref
        return None

    def community_of(self, grid_id: str | None) -> UnitRef | None:
        grid = self.grid(grid_id) if grid_id else None
        return grid.parent if grid else None

    def name(self, user_id: int) -> str:
        person = self.people.get(user_id)
        return person.name if person else str(user_id)


_UNIT_ID = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


def _unit_id(data: Mapping[str, Any], key: str) -> str:
    """Ids travel in button data (64 bytes at most), so they are short ASCII."""
    unit_id = string(data, "id", key)
    if not _UNIT_ID.match(unit_id):
        raise SettingsError(
            f"{join(key, 'id')}: {unit_id!r} must be 1-24 letters, digits, '-' or '_'"
        )
    return unit_id


def parse_org(data: Mapping[str, Any]) -> Org:
    """Build the org from the config's ``street``, ``communities``, ``departments``, ``people``."""
    street_table = table(data, "street")
    only_keys(street_table, "street", {"id", "name", "chat_id"})
    street = Unit(
        UnitRef(UnitKind.STREET, _unit_id(street_table, "street")),
        string(street_table, "name", "street"),
        integer(street_table, "chat_id", "street"),
    )
    units = [street, *_communities_and_grids(data, street.ref), *_departments(data)]
    _refuse_duplicates(units)
    people = _people(data, {unit.ref for unit in units})
    try:
        return Org(units, people)
    except GazetteerError as exc:
        raise SettingsError(f"communities: {exc}") from None


def _communities_and_grids(data: Mapping[str, Any], street: UnitRef) -> list[Unit]:
    units: list[Unit] = []
    for i, community in enumerate(tables(data, "communities")):
        key = join("communities", i)
        only_keys(community, key, {"id", "name", "chat_id", "grids"})
        ref = UnitRef(UnitKind.COMMUNITY, _unit_id(community, key))
        units.append(
            Unit(ref, string(community, "name", key), integer(community, "chat_id", key), street)
        )
        for j, grid in enumerate(tables(community, "grids", key)):
            gkey = join(join(key, "grids"), j)
            only_keys(grid, gkey, {"id", "name", "chat_id", "places"})
            grid_id = _unit_id(grid, gkey)
            places = tuple(_place(spec, grid_id) for spec in strings(grid, "places", gkey))
            units.append(
                Unit(
                    UnitRef(UnitKind.GRID, grid_id),
                    string(grid, "name", gkey),
                    integer(grid, "chat_id", gkey),
                    ref,
                    places,
                )
            )
    if not units:
        raise SettingsError("communities: at least one community with its grids is needed")
    return units


def _place(spec: str, grid_id: str) -> Place:
    """``"电影制片厂小区|电影厂小区"``: the name, then its aliases."""
    name, *aliases = (part.strip() for part in spec.split("|"))
    return Place(name, grid_id, tuple(alias for alias in aliases if alias))


def _departments(data: Mapping[str, Any]) -> list[Unit]:
    units = []
    owner: dict[Category, str] = {}
    for i, department in enumerate(tables(data, "departments")):
        key = join("departments", i)
        only_keys(department, key, {"id", "name", "chat_id", "categories"})
        categories = set()
        for j, value in enumerate(strings(department, "categories", key)):
            try:
                category = Category(value)
            except ValueError:
                raise SettingsError(
                    f"{join(join(key, 'categories'), j)}: unknown category id {value!r}"
                ) from None
            if category in owner:
                where = join(join(key, "categories"), j)
                raise SettingsError(
                    f"{where}: {value} already belongs to department {owner[category]!r}"
                )
            owner[category] = _unit_id(department, key)
            categories.add(category)
        units.append(
            Unit(
                UnitRef(UnitKind.DEPARTMENT, _unit_id(department, key)),
                string(department, "name", key),
                integer(department, "chat_id", key),
                categories=frozenset(categories),
            )
        )
    return units


def _refuse_duplicates(units: Sequence[Unit]) -> None:
    seen_refs: set[UnitRef] = set()
    seen_chats: dict[int, UnitRef] = {}
    for unit in units:
        if unit.ref in seen_refs:
            raise SettingsError(f"{unit.ref.kind.value} id {unit.ref.id!r} is used twice")
        seen_refs.add(unit.ref)
        if unit.chat_id in seen_chats:
            raise SettingsError(
                f"chat_id {unit.chat_id} is used by both {seen_chats[unit.chat_id]} and {unit.ref}"
            )
        seen_chats[unit.chat_id] = unit.ref


def _people(data: Mapping[str, Any], known: set[UnitRef]) -> list[Person]:
    people = []
    seen: set[int] = set()
    for i, entry in enumerate(tables(data, "people")):
        key = join("people", i)
        only_keys(entry, key, {"user_id", "name", "role", "units"})
        user_id = integer(entry, "user_id", key)
        if user_id in seen:
            raise SettingsError(f"{join(key, 'user_id')}: {user_id} is listed twice")
        seen.add(user_id)
        try:
            role = Role(string(entry, "role", key))
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise SettingsError(f"{join(key, 'role')}: must be one of {roles}") from None
        refs = []
        for j, unit_id in enumerate(strings(entry, "units", key)):
            if role is Role.ADMIN:
                where = join(join(key, "units"), j)
                raise SettingsError(f"{where}: admins belong to the whole street; leave units out")
            ref = UnitRef(_ROLE_UNIT[role], unit_id)
            if ref not in known:
                raise SettingsError(
                    f"{join(join(key, 'units'), j)}: unknown {ref.kind.value} {unit_id!r}"
                )
            refs.append(ref)
        if role is not Role.ADMIN and not refs:
            raise SettingsError(f"{join(key, 'units')}: a {role.value} needs at least one unit")
        people.append(Person(user_id, string(entry, "name", key), role, tuple(refs)))
    return people
