"""What ``griddesk check-config`` prints: the org tree as configured, for a human to check."""

from __future__ import annotations

from datetime import timedelta

from bot.config.org import Org, Role
from bot.config.settings import Deadline, Settings
from bot.domain import UnitKind, UnitRef


def org_tree(settings: Settings) -> str:
    """The street, its communities and grids with places and people, departments, deadlines."""
    org = settings.require_org()
    lines = [f"{org.street.name}  [street {org.street.ref.id}, chat {org.street.chat_id}]"]
    admins = [p.name for p in org.people.values() if p.role is Role.ADMIN]
    if admins:
        lines.append(f"│  管理员: {', '.join(admins)}")
    communities = org.units(UnitKind.COMMUNITY)
    for i, community in enumerate(communities):
        last = i == len(communities) - 1
        lines.append(f"{'└' if last else '├'}─ {_unit(org, community.ref)}")
        grids = org.children(community.ref)
        for j, grid in enumerate(grids):
            stem = "   " if last else "│  "
            branch = "└" if j == len(grids) - 1 else "├"
            lines.append(f"{stem}{branch}─ {_unit(org, grid.ref)}")
            for place in grid.places:
                aliases = f" ({', '.join(place.aliases)})" if place.aliases else ""
                lines.append(f"{stem}{'   ' if branch == '└' else '│  '}  · {place.name}{aliases}")
    departments = org.units(UnitKind.DEPARTMENT)
    if departments:
        lines.append("departments:")
        for department in departments:
            categories = ", ".join(sorted(c.value for c in department.categories))
            lines.append(f"  {_unit(org, department.ref)}  ← {categories}")
    deadlines = settings.deadlines
    lines.append(f"deadlines: {_pair(deadlines.normal)}; urgent {_pair(deadlines.urgent)}")
    for (category, urgent), deadline in sorted(deadlines.by_category.items()):
        lines.append(f"  {category.value}: {'urgent ' if urgent else ''}{_pair(deadline)}")
    lines.append(f"database: {settings.database_url}   timezone: {settings.timezone.key}")
    return "\n".join(lines)


def _unit(org: Org, ref: UnitRef) -> str:
    unit = org.unit(ref)
    members = ", ".join(p.name for p in org.members(ref)) or "nobody yet"
    return f"{unit.name}  [{ref.kind.value} {ref.id}, chat {unit.chat_id}]  — {members}"


def _pair(deadline: Deadline) -> str:
    return f"claim {_span(deadline.claim)}, resolve {_span(deadline.resolve)}"


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"
