"""``griddesk doctor``: how the outbox is faring, for operators.

Every message the outbox gives up on is logged when it happens; this is the count afterwards,
so a blocked resident or a vanished group shows up in a morning check rather than only in a
log nobody read. Pure formatting of :class:`~bot.ports.OutboxHealth`; the CLI reads it. The
report names the database it read, its password blanked, so an operator with several sees which.
"""

from __future__ import annotations

from datetime import timedelta

from bot.config.environment import blank_password
from bot.ports import OutboxHealth

FAILURE_WINDOW = timedelta(days=7)
"""By default, failed messages written within this long before now are counted."""


def render(health: OutboxHealth, since: str, database_url: str) -> str:
    """The report as lines of plain text (operators' language: English, like ``check-config``).

    ``since`` says where the count of failures starts, e.g. ``"the last 7 days"`` or
    ``"2026-11-15"``; ``database_url`` is the database read, shown without its password.
    """
    given_up = sum(count for _, count in health.failed)
    lines = [
        f"database: {blank_password(database_url)}",
        f"outbox pending: {health.pending} (waiting for a retry: {health.retrying})",
        f"outbox failed since {since}: {given_up}",
    ]
    lines += [f"  {count:>5}  {reason}" for reason, count in health.failed]
    return "\n".join(lines)
