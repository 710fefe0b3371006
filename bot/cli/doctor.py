"""``griddesk doctor``: how the outbox is faring, for operators.

Every message the outbox gives up on is logged when it happens; this is the count afterwards,
so a blocked resident or a vanished group shows up in a morning check rather than only in a
log nobody read. Likewise the last time Telegram refused our poll because someone else takes
the bot's updates (a 409 Conflict: a stray copy polling with the token, or a webhook set).
Pure formatting of :class:`~bot.ports.OutboxHealth` and :class:`~bot.ports.PollConflict`; the
CLI reads them. The report names the database it read, its password blanked, so an operator
with several sees which.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

from bot.config.environment import blank_password
from bot.ports import OutboxHealth, PollConflict

FAILURE_WINDOW = timedelta(days=7)
"""By default, failed messages written within this long before now are counted."""


def render(
    health: OutboxHealth,
    since: str,
    database_url: str,
    *,
    conflict: PollConflict | None = None,
    zone: tzinfo = UTC,
) -> str:
    """The report as lines of plain text (operators' language: English, like ``check-config``).

    ``since`` says where the count of failures starts, e.g. ``"the last 7 days"`` or
    ``"2026-11-15"``; ``database_url`` is the database read, shown without its password;
    ``conflict``, the last 409 to report (the caller leaves out one older than ``since``),
    at its local time in ``zone``.
    """
    given_up = sum(count for _, count in health.failed)
    lines = [
        f"database: {blank_password(database_url)}",
        f"outbox pending: {health.pending} (waiting for a retry: {health.retrying})",
        f"outbox failed since {since}: {given_up}",
    ]
    lines += [f"  {count:>5}  {reason}" for reason, count in health.failed]
    if conflict is not None:
        lines.append(conflict_line(conflict, zone))
    return "\n".join(lines)


def conflict_line(conflict: PollConflict, zone: tzinfo) -> str:
    """What Telegram's last 409 meant, when, and what to do about it."""
    at = _local(conflict.at, zone)
    if conflict.webhook:
        return (
            f"Telegram said a webhook is set for this token (409) at {at}: "
            "another deployment in webhook mode? stop it, or run this one in webhook mode"
        )
    return (
        f"Telegram said another client is polling with this token (409) at {at}: "
        "a stray copy of the bot? stop it, or give it its own token"
    )


def _local(at: datetime, zone: tzinfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %z")
