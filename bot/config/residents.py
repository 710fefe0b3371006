"""How residents' messages are taken in: ``[limits]`` (the flood guard) and ``[intake]``.

Each ``read_…`` function takes its table and the :class:`~bot.config.tomlcheck.Problems` of the
load, records every mistake with its key and returns settings with the defaults standing in for
wrong values (the load fails at the end anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.config.tomlcheck import Problems, duration, integer, only_keys


@dataclass(frozen=True)
class LimitSettings:
    """``[limits]``: how fast one resident may write before the flood guard steps in."""

    resident_messages_per_minute: int = 20
    """Sustained rate per resident; 0 switches the guard off."""
    resident_burst: int = 10
    """How many messages a resident may send at once before the rate applies."""


@dataclass(frozen=True)
class IntakeSettings:
    """``[intake]``: how a resident's reports become tasks, and how long the bot waits for them."""

    merge_window: timedelta = timedelta(hours=24)
    """A resident's repeat report of the same problem within this time of their earlier one is
    merged into the existing task: a worried resident writing twice must not cost the grid two
    tasks (and two deadlines) for one leak."""
    tasks_per_day: int = 20
    """How many new tasks one resident may file per local day; 0: no cap. A stuck phone or a
    prank must not flood a grid's group, while a genuine resident never comes near it."""
    draft_reminder: timedelta = timedelta(minutes=30)
    """When a question the bot asked a resident (where? which kind?) is still unanswered after
    this long, it reminds them once: an unanswered question is a report that never arrives."""
    draft_expiry: timedelta = timedelta(hours=24)
    """After this long an unfinished report expires with a message, so a stale half-report does
    not turn a much later, unrelated message into its answer."""


@dataclass(frozen=True)
class PrivacySettings:
    """``[privacy]``: how long residents' personal data is kept (PIPL art. 19)."""

    retention: timedelta = timedelta(days=180)
    """After a task has been finished (closed, withdrawn or merged) this long, its words,
    photos and owner are erased; its figures stay. Messages sent and updates processed this
    long ago are deleted."""


def read_privacy(data: Mapping[str, Any], problems: Problems) -> PrivacySettings:
    only_keys(data, "privacy", {"retention"}, problems)
    defaults = PrivacySettings()
    retention = problems.read(duration, data, "retention", "privacy", defaults.retention)
    if retention is not None and retention < timedelta(days=1):
        problems.add("privacy.retention", "must be at least 1d (the follow-up needs the words)")
    return PrivacySettings(retention or defaults.retention)


def read_limits(data: Mapping[str, Any], problems: Problems) -> LimitSettings:
    only_keys(data, "limits", {"resident_messages_per_minute", "resident_burst"}, problems)
    defaults = LimitSettings()
    rate = problems.read(integer, data, "resident_messages_per_minute", "limits",
                         defaults.resident_messages_per_minute, least=0)  # fmt: skip
    burst = problems.read(integer, data, "resident_burst", "limits", defaults.resident_burst,
                          least=1)  # fmt: skip
    return LimitSettings(
        defaults.resident_messages_per_minute if rate is None else rate,
        defaults.resident_burst if burst is None else burst,
    )


def read_intake(data: Mapping[str, Any], problems: Problems) -> IntakeSettings:
    durations = ("merge_window", "draft_reminder", "draft_expiry")
    only_keys(data, "intake", {*durations, "tasks_per_day"}, problems)
    defaults = IntakeSettings()
    read = {name: problems.read(duration, data, name, "intake", getattr(defaults, name))
            for name in durations}  # fmt: skip
    cap = problems.read(integer, data, "tasks_per_day", "intake", defaults.tasks_per_day, least=0)
    reminder, expiry = read["draft_reminder"], read["draft_expiry"]
    if reminder is not None and expiry is not None and reminder >= expiry:
        problems.add("intake.draft_reminder", "must be shorter than draft_expiry")
    return IntakeSettings(
        read["merge_window"] or defaults.merge_window,
        defaults.tasks_per_day if cap is None else cap,
        reminder or defaults.draft_reminder,
        expiry or defaults.draft_expiry,
    )
