"""Which database errors mean "nothing was committed, the whole transaction may run again".

Only these become :class:`bot.errors.StoreBusy`; every other error is a bug or a bad statement
and is raised as it is. The line is drawn on the side of safety:

- SQLite ``database is locked`` / ``busy``: another connection held the write lock past the
  busy timeout. SQLite refuses the statement (or the ``COMMIT``) and keeps nothing.
- A connection that died (``connection_invalidated``: PostgreSQL terminated the backend, the
  network dropped) *before* ``COMMIT``: an uncommitted transaction dies with its connection.
  During ``COMMIT`` it is not retried, because the server may have committed before the
  connection went.
- PostgreSQL serialization failure (40001) and deadlock (40P01), and "terminated by an
  administrator" (57P01) or "cannot connect now" (57P03): the server rolled back.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

_RETRY_SQLSTATES = frozenset({"40001", "40P01", "57P01", "57P03"})
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def nothing_committed(error: DBAPIError, *, committing: bool) -> bool:
    """True when ``error`` guarantees the transaction left no trace and may be redone."""
    if isinstance(error, OperationalError) and any(
        phrase in str(error.orig).lower() for phrase in _SQLITE_BUSY
    ):
        return True
    if committing:
        return False
    if error.connection_invalidated:
        return True
    return _sqlstate(error) in _RETRY_SQLSTATES


def describe(error: DBAPIError) -> str:
    """A one-line account of ``error`` for the log (no statement, no parameters)."""
    name = type(error.orig).__name__ if error.orig is not None else type(error).__name__
    first = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    return f"{name}: {first}" if first else name


def _sqlstate(error: DBAPIError) -> str | None:
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None
