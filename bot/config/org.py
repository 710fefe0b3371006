"""The organisation: street → communities → grids, departments, and the people in them.

It answers the questions the desk asks about people and places: which group chat belongs to a
unit, who may claim a task held there, where 上报 goes next (DESIGN.md §5: grid → community →
the department that owns the category → street), which grid a chat or a place belongs to.
It is built once from the config by :func:`bot.config.org_reader.parse_org`, which reports
every mistake by key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.domain import UnitKind, UnitRef
from nlp.places import Gazetteer, Place
from nlp.taxonomy import Category


class Role(StrEnum):
    """What a person does; decides which units they belong to."""

    GRID_WORKER = "grid_worker"
    COMMUNITY_STAFF = "community_staff"
    DEPARTMENT_LIAISON = "department_liaison"
    ADMIN = "admin"


@dataclass(frozen=True)
class Unit:
    """A grid, community, department or the street, with its group chat."""

    ref: UnitRef
    name: str
    chat_id: str
    parent: UnitRef | None = None
    places: tuple[Place, ...] = ()
    categories: frozenset[Category] = frozenset()


@dataclass(frozen=True)
class Person:
    """A grid worker, community staff member, department liaison or admin."""

    user_id: str
    name: str
    role: Role
    units: tuple[UnitRef, ...]


class Org:
    """Look-ups over the configured organisation; immutable after construction."""

    def __init__(self, units: Sequence[Unit], people: Sequence[Person]) -> None:
        self._units = {unit.ref: unit for unit in units}
        self._by_chat = {unit.chat_id: unit for unit in units}
        self.people: Mapping[str, Person] = {person.user_id: person for person in people}
        self._members = {unit.ref: self._find_members(unit.ref) for unit in units}
        streets = [unit for unit in units if unit.ref.kind is UnitKind.STREET]
        self.street = streets[0]
        self.gazetteer = Gazetteer(place for unit in units for place in unit.places)

    def unit(self, ref: UnitRef) -> Unit:
        return self._units[ref]

    def unit_by_chat(self, chat_id: str) -> Unit | None:
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

    def may_act(self, user_id: str, ref: UnitRef) -> bool:
        """Whether the user may claim and work tasks held by ``ref`` (admins may everywhere)."""
        person = self.people.get(user_id)
        return person is not None and (person.role is Role.ADMIN or ref in person.units)

    def oversees(self, user_id: str, ref: UnitRef) -> bool:
        """Whether the user may reassign a task held by ``ref`` that someone else claimed
        (DESIGN.md §8): the staff of the unit above it, as a community's over its grids, and
        admins everywhere. The unit's own members may not: only the claimer hands it on."""
        person = self.people.get(user_id)
        unit = self._units.get(ref)
        if person is None or unit is None:
            return False
        return person.role is Role.ADMIN or (
            unit.parent is not None and unit.parent in person.units
        )

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

    def name(self, user_id: str) -> str:
        person = self.people.get(user_id)
        return person.name if person else str(user_id)
