"""Many rows in one statement: the follow-up tick writes thousands per batch.

SQLAlchemy's ``executemany`` costs about 20 µs of Python per row (building and processing each
row's parameters) and, on PostgreSQL, one statement execution per row on the server. These
helpers skip both: each column's values are converted once by a plain function — the column's
own bind processing, or :func:`~storage.tables.utc_writer` for timestamps — and sent as driver
SQL inside the caller's transaction. On PostgreSQL that is one statement with one array per
column (``INSERT … SELECT FROM unnest(…)``, ``UPDATE … FROM unnest(…)``), whose text never
changes, so it is prepared once; on SQLite, which runs in-process, the driver's executemany.

Columns left out get their Python-side scalar defaults, as with Core's INSERT.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Dialect, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import UtcDateTime, utc_writer


async def insert_rows(
    connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (all with the same keys) into ``table``, in order."""
    if not rows:
        return
    dialect = connection.dialect
    columns = _columns_with_defaults(table, rows[0].keys())
    names = ", ".join(c.name for c in columns)
    values = _column_values(dialect, columns, rows)
    if dialect.name == "postgresql":
        arrays = ", ".join(_arrays(dialect, columns))
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays})"
        await connection.exec_driver_sql(sql, tuple(values))
        return
    marks = ", ".join(placeholders(dialect, len(columns)))
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
    await connection.exec_driver_sql(sql, list(zip(*values, strict=True)))


async def update_rows(
    connection: AsyncConnection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Set each row's other columns on the row of ``table`` whose ``key`` column matches."""
    if not rows:
        return
    dialect = connection.dialect
    names = [name for name in rows[0] if name != key]
    columns = [table.c[key], *(table.c[name] for name in names)]
    values = _column_values(dialect, columns, rows)
    if dialect.name == "postgresql":
        assignments = ", ".join(f"{name} = changed.{name}" for name in names)
        aliases = ", ".join(c.name for c in columns)
        arrays = _arrays(dialect, columns)
        sql = (
            f"UPDATE {table.name} SET {assignments} "
            f"FROM unnest({', '.join(arrays)}) AS changed({aliases}) "
            f"WHERE {table.name}.{key} = changed.{key} "
            # the same keys again, as a condition the planner can look up in the key's index
            # (joined against the function scan alone it may hash the whole table)
            f"AND {table.name}.{key} = ANY({arrays[0]})"
        )
        await connection.exec_driver_sql(sql, tuple(values))
        return
    *marks, key_mark = placeholders(dialect, len(columns))
    assignments = ", ".join(f"{name} = {mark}" for name, mark in zip(names, marks, strict=True))
    sql = f"UPDATE {table.name} SET {assignments} WHERE {key} = {key_mark}"
    keys, *changed = values
    await connection.exec_driver_sql(sql, list(zip(*changed, keys, strict=True)))


def _columns_with_defaults(table: Table, given: Any) -> list[Column[Any]]:
    """The given columns, and every other column with a Python-side scalar default."""
    extra = [
        column
        for column in table.columns
        if column.name not in given and column.default is not None and column.default.is_scalar
    ]
    return [table.c[name] for name in given] + extra


def placeholders(dialect: Dialect, count: int) -> list[str]:
    """Positional parameter marks in the driver's own style: ``$1 …`` (asyncpg), ``? …``."""
    if dialect.paramstyle == "numeric_dollar":
        return [f"${n}" for n in range(1, count + 1)]
    if dialect.paramstyle == "qmark":
        return ["?"] * count
    raise NotImplementedError(f"parameter style {dialect.paramstyle}")


def _arrays(dialect: Dialect, columns: Sequence[Column[Any]]) -> list[str]:
    """``$n::type[]`` per column: ``unnest`` needs to know each array's type."""
    marks = placeholders(dialect, len(columns))
    return [
        f"{mark}::{column.type.compile(dialect=dialect)}[]"
        for mark, column in zip(marks, columns, strict=True)
    ]


def _column_values(
    dialect: Dialect, columns: Sequence[Column[Any]], rows: Sequence[Mapping[str, Any]]
) -> list[list[Any]]:
    """One list per column, in row order, defaults filled in, as the database stores them."""
    result = []
    for column in columns:
        default = column.default.arg if column.default is not None else None  # type: ignore[attr-defined]
        name = column.name
        raw = [row.get(name, default) for row in rows]
        write = _writer(dialect, column)
        result.append(raw if write is None else [write(value) for value in raw])
    return result


def _writer(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any] | None:
    """How a value of ``column`` is stored; None when the driver takes it as it is."""
    if isinstance(column.type, UtcDateTime):
        return utc_writer(dialect)
    return column.type.dialect_impl(dialect).bind_processor(dialect)
