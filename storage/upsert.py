"""``INSERT … ON CONFLICT``, which SQLAlchemy spells per dialect.

Replacing a row (a draft, a card's message id, a day's counter) must be one statement: a read
followed by an insert or an update lets two concurrent writers both insert, and one of them
fails on the key. SQLite (≥ 3.24) and PostgreSQL share the ``ON CONFLICT`` syntax, but
SQLAlchemy keeps one construct per dialect; this picks the right one for a session.
"""

from __future__ import annotations

from typing import Any

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


def upsert(
    session: AsyncSession, table: Any, values: dict[str, Any], keys: tuple[str, ...]
) -> Insert:
    """Insert ``values``, or overwrite the row with the same ``keys`` with them."""
    update = {name: value for name, value in values.items() if name not in keys}
    statement = insert(session, table).values(values)
    return statement.on_conflict_do_update(index_elements=list(keys), set_=update)
