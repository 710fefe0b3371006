"""``INSERT … ON CONFLICT``, which SQLAlchemy spells per dialect.

Replacing a row (a draft, a card's message id, a day's counter) must be one statement: a read
followed by an insert or an update lets two concurrent writers both insert, and one of them
fails on the key. SQLite (≥ 3.24) and PostgreSQL share the ``ON CONFLICT`` syntax, but
SQLAlchemy keeps one construct per dialect; this picks the right one. A whole-row
replacement is :func:`replacing`, built once and run with the values as parameters
(:meth:`storage.queues.Queues._upsert`).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

Insert = sqlite.Insert | postgresql.Insert


def insert(session: AsyncSession, table: Any) -> Insert:
    """An INSERT into ``table`` that supports ``on_conflict_do_*`` on the session's database."""
    return dialect_insert(session.get_bind().dialect.name, table)


def dialect_insert(dialect: str, table: Any) -> Insert:
    """An INSERT into ``table`` that supports ``on_conflict_do_*`` on database ``dialect``."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for database {dialect!r}")


@functools.cache
def replacing(
    dialect: str, table: Table, columns: tuple[str, ...], keys: tuple[str, ...]
) -> Insert:
    """An INSERT of ``columns`` (passed as parameters of those names) that overwrites the other
    columns of the row with the same ``keys``: built once per dialect, table and columns."""
    statement = dialect_insert(dialect, table)
    replaced = {name: statement.excluded[name] for name in columns if name not in keys}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=replaced)
