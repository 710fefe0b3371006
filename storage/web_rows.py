"""The web desk's reads and writes (:class:`bot.webdesk.ports.WebTransaction`).

Sign-in links live in ``web_sign_ins`` (:class:`storage.tables.SignInRow`); tasks are found by
the filters of the desk's list within the viewer's scope. :class:`WebSqlStore` opens the same
transactions as :class:`~storage.sql_store.SqlStore`, with these queries added, so the web desk
and the chat desk share one store and one engine.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true, update
from sqlmodel import col, select

from bot.domain import Task, TaskStatus
from storage import task_rows
from storage.queues import Queues
from storage.tables import SignInRow, TaskRow


class TaskScope(Protocol):
    """The viewer's scope as :class:`bot.webdesk.ports.TaskScope` gives it (storage knows
    no more of bot/ than its ports and domain values, so the shape is restated here)."""

    @property
    def grid_ids(self) -> Collection[str]: ...
    @property
    def holders(self) -> Collection[str]: ...


class TaskQuery(Protocol):
    """The filters as :class:`bot.webdesk.ports.TaskQuery` gives them."""

    @property
    def scope(self) -> TaskScope | None: ...
    @property
    def statuses(self) -> Collection[TaskStatus]: ...
    @property
    def category(self) -> str | None: ...
    @property
    def grid_ids(self) -> Collection[str] | None: ...
    @property
    def overdue_at(self) -> datetime | None: ...
    @property
    def urgent(self) -> bool: ...
    @property
    def created_from(self) -> datetime | None: ...
    @property
    def created_until(self) -> datetime | None: ...
    @property
    def words(self) -> str: ...


class WebQueries(Queues):
    """Sign-in links and the filtered task list."""

    async def add_sign_in(
        self, token_hash: str, user_id: str, created_at: datetime, expires_at: datetime
    ) -> None:
        self._session.add(
            SignInRow(
                token_hash=token_hash,
                user_id=user_id,
                created_at=created_at,
                expires_at=expires_at,
            )
        )
        await self._session.flush()

    async def redeem_sign_in(self, token_hash: str, now: datetime) -> str | None:
        statement = (
            update(SignInRow)
            .where(
                col(SignInRow.token_hash) == token_hash,
                col(SignInRow.used_at).is_(None),
                col(SignInRow.expires_at) > now,
            )
            .values(used_at=now)
            .returning(col(SignInRow.user_id))
        )
        return (await self._session.exec(statement)).scalar_one_or_none()

    async def find_tasks(self, query: TaskQuery, limit: int) -> Sequence[Task]:
        statement = select(TaskRow).where(*_conditions(query)).order_by(col(TaskRow.id).desc())
        rows = await self._rows(statement.limit(limit))
        return [task_rows.task(row) for row in rows]


def _conditions(query: TaskQuery) -> list[ColumnElement[bool]]:
    """The WHERE clauses of ``query``: one per filter given."""
    found: list[ColumnElement[bool]] = [_in_scope(query.scope)]
    if query.statuses:
        found.append(col(TaskRow.status).in_(sorted(s.value for s in query.statuses)))
    if query.category is not None:
        found.append(col(TaskRow.category) == str(query.category))
    if query.grid_ids is not None:
        found.append(col(TaskRow.grid_id).in_(sorted(query.grid_ids)))
    if query.overdue_at is not None:
        found.append(_overdue(query.overdue_at))
    if query.urgent:
        found.append(col(TaskRow.urgent).is_(True))
    if query.created_from is not None:
        found.append(col(TaskRow.created_at) >= query.created_from)
    if query.created_until is not None:
        found.append(col(TaskRow.created_at) < query.created_until)
    if query.words:
        found.append(_words(query.words))
    return found


def _in_scope(scope: TaskScope | None) -> ColumnElement[bool]:
    if scope is None:
        return true()
    if not scope.grid_ids and not scope.holders:
        return false()
    return or_(
        col(TaskRow.grid_id).in_(sorted(scope.grid_ids)),
        col(TaskRow.holder).in_(sorted(scope.holders)),
    )


def _overdue(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(TaskRow.status) == TaskStatus.OPEN.value, col(TaskRow.claim_due_at) < now),
        and_(col(TaskRow.status) == TaskStatus.CLAIMED.value, col(TaskRow.resolve_due_at) < now),
    )


def _words(words: str) -> ColumnElement[bool]:
    """A task number exactly, or the words anywhere in the resident's text (``%`` and ``_``
    typed by the viewer are matched as themselves)."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(
        col(TaskRow.number) == words,
        col(TaskRow.text).like(f"%{escaped}%", escape="\\"),
    )
