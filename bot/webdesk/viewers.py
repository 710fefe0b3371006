"""Who is looking at the web desk, and what they may see (DESIGN.md §8, §11).

The org config decides, as it does in chat: a grid's workers see their grid, community staff
their community (its grids, and what is held by the community), a department's liaison what
is held by the department, street admins everything. Whoever is in no unit gets no link.

Unmasked contact details (the resident's name, phone, the words as written) go to those the chat
already gives them to — the claimer, privately — and to community staff and admins over their
scope, behind an explicit button whose every press is recorded in the task's trail.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.org import Org, Person, Role
from bot.domain import Task, UnitKind, UnitRef
from bot.webdesk.ports import TaskScope

CONTACT_ROLES = frozenset({Role.COMMUNITY_STAFF, Role.ADMIN})
"""Roles that may see residents' contact details over their whole scope (audited)."""


@dataclass(frozen=True)
class Viewer:
    """A signed-in person and the tasks they may see (``scope`` None: all of them)."""

    person: Person
    scope: TaskScope | None

    @property
    def user_id(self) -> str:
        return self.person.user_id

    def sees(self, task: Task) -> bool:
        """Whether ``task`` is in the viewer's scope (a page asked for by URL is checked too)."""
        if self.scope is None:
            return True
        return task.grid_id in self.scope.grid_ids or str(task.holder) in self.scope.holders

    def sees_contact(self, task: Task) -> bool:
        """Whether the viewer may reveal the resident's unmasked contact details on ``task``."""
        if not self.sees(task):
            return False
        return self.person.role in CONTACT_ROLES or task.claimer_id == self.user_id

    def grid_ids(self, org: Org) -> list[str]:
        """The grids whose figures the viewer sees, in the config's order."""
        return [grid.ref.id for grid in org.grids() if self._sees_grid(grid.ref.id)]

    def _sees_grid(self, grid_id: str) -> bool:
        return self.scope is None or grid_id in self.scope.grid_ids


def viewer_of(org: Org, user_id: str) -> Viewer | None:
    """The viewer ``user_id`` is, or None for someone the config does not list in any unit."""
    person = org.people.get(user_id)
    if person is None:
        return None
    if person.role is Role.ADMIN:
        return Viewer(person, None)
    if not person.units:
        return None
    grids: set[str] = set()
    holders: set[str] = set()
    for ref in person.units:
        holders.add(str(ref))
        if ref.kind is UnitKind.GRID:
            grids.add(ref.id)
        elif ref.kind is UnitKind.COMMUNITY:
            children = [u.ref for u in org.children(ref) if u.ref.kind is UnitKind.GRID]
            grids.update(child.id for child in children)
            holders.update(str(child) for child in children)
    return Viewer(person, TaskScope(frozenset(grids), frozenset(holders)))


def unit_choices(org: Org, viewer: Viewer) -> list[tuple[UnitRef, str]]:
    """The grids and communities the viewer may filter by, with their names."""
    found: list[tuple[UnitRef, str]] = []
    for community in org.units(UnitKind.COMMUNITY):
        grids = [g for g in org.children(community.ref) if g.ref.kind is UnitKind.GRID]
        visible = [g for g in grids if viewer.scope is None or g.ref.id in viewer.scope.grid_ids]
        if visible and (viewer.scope is None or str(community.ref) in viewer.scope.holders):
            found.append((community.ref, community.name))
        found.extend((grid.ref, grid.name) for grid in visible)
    return found
