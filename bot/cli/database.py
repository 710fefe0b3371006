"""Opening the configured database for one command, with every way it can fail said in one line.

``stats``, ``doctor``, ``claims``, ``corrections``, ``export`` and ``hotline`` all read or write
the database a running bot uses. A URL that does not parse, a SQLite file that is not there
(opening it would create an empty one and report nothing), a server that does not answer, a
database too busy to take a transaction: each is a :class:`~bot.cli.arguments.UsageError`
naming the URL with its password blanked, never a traceback that leaves the operator guessing
which URL was tried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.arguments import UsageError
from bot.config.environment import blank_password
from bot.errors import StoreBusy

if TYPE_CHECKING:  # the concrete store: it serves bot.ports and bot.hotline's ports alike
    from storage.sql_store import SqlStore


def require_database(url: str) -> None:
    """Refuse a URL that does not parse, and a SQLite file that is not there."""
    from storage.engine import async_url  # noqa: PLC0415 - SQL loads only when a command needs it

    try:
        parsed = async_url(url)
    except ValueError as exc:
        raise UsageError(f"database: {blank_password(url)}: {exc}") from None
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        raise UsageError(f"database.url: there is no database at {file}")


@asynccontextmanager
async def opened(
    url: str, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> AsyncIterator[SqlStore]:
    """The store at ``url`` for one command (brought up to this version's tables, as every
    start-up does); ``clock``: a test's fake one."""
    from storage.engine import UNAVAILABLE, driver_reason, open_store  # noqa: PLC0415

    require_database(url)
    trouble: tuple[type[Exception], ...] = (*UNAVAILABLE, StoreBusy)
    try:
        async with open_store(url, clock=clock) as store:
            yield store
    except trouble as exc:
        raise UsageError(
            f"database: cannot use {blank_password(url)}: {driver_reason(exc)}"
        ) from None
