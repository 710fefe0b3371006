"""What the web desk needs from storage beyond the chat desk's transaction.

:class:`WebTransaction` is a :class:`bot.ports.Transaction` with the reads and writes only the
web desk makes: sign-in links, and tasks found by filters across a viewer's scope
(:mod:`storage.web_rows` implements both).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.domain import Task, TaskStatus
from bot.ports import Transaction
from nlp.taxonomy import Category


@dataclass(frozen=True)
class TaskScope:
    """The tasks a viewer may see: those in ``grid_ids`` (where the problem is) or held by
    one of ``holders`` (``grid:xingan-1``, ``community:siqianmi``)."""

    grid_ids: frozenset[str]
    holders: frozenset[str]


@dataclass(frozen=True)
class TaskQuery:
    """A filtered list of tasks; every field left empty filters nothing."""

    scope: TaskScope | None
    """None: every task (a street admin)."""
    statuses: frozenset[TaskStatus] = frozenset()
    category: Category | None = None
    grid_ids: frozenset[str] | None = None
    """Tasks in these grids only (a grid or a community picked in the filter)."""
    overdue_at: datetime | None = None
    """Only tasks past their claim (open) or resolve (claimed) deadline at this moment."""
    urgent: bool = False
    created_from: datetime | None = None
    created_until: datetime | None = None
    words: str = ""
    """A task number, or words the resident's text contains."""


class WebTransaction(Transaction, Protocol):
    """One unit of work of the web desk."""

    async def add_sign_in(
        self, token_hash: str, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None: ...

    async def redeem_sign_in(self, token_hash: str, now: datetime) -> str | None:
        """Mark the link used and return whose it is, when it exists, is unused and has not
        expired at ``now``; else None. One conditional UPDATE: of two instances redeeming one
        link at once, one wins."""
        ...

    async def find_tasks(self, query: TaskQuery, limit: int) -> Sequence[Task]:
        """The tasks ``query`` asks for, newest first, at most ``limit``."""
        ...


class WebStore(Protocol):
    """Opens the web desk's transactions."""

    def transaction(self) -> AbstractAsyncContextManager[WebTransaction]: ...
