"""Platform access tokens, one row per account, shared by every instance on the database.

WeChat retires an account's previous access token a few minutes after a new one is fetched
(``/cgi-bin/token``), and ``force_refresh`` of the stable token retires it at once, so instances
that each fetched their own would keep breaking each other's calls. The token lives here
instead (:mod:`handlers.tencent.tokens` decides when to fetch): every instance reads the one row,
and one of them at a time may replace it. Reading takes that turn: on PostgreSQL a
transaction-level advisory lock on the token's name (a row lock could not be taken on a row that
does not exist yet, the first time), on SQLite the write lock that ``BEGIN IMMEDIATE``
(:mod:`storage.engine`) takes before the read. Both are released when the transaction ends.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Text, bindparam, func
from sqlmodel import Field, SQLModel, select

from storage.queues import Queues
from storage.tables import UtcDateTime, table_of


class PlatformTokenRow(SQLModel, table=True):
    """An access token a platform issued, and which instance fetched it when."""

    __tablename__ = "platform_tokens"

    name: str = Field(sa_type=Text, primary_key=True)
    """Which account: ``wechat:<appid>``."""
    token: str = Field(sa_type=Text)
    """Text, not a short string: WeChat asks clients to keep at least 512 characters."""
    expires_at: datetime = Field(sa_type=UtcDateTime)
    fetched_at: datetime = Field(sa_type=UtcDateTime)
    fetched_by: str = Field(sa_type=Text)


_TOKENS = table_of(PlatformTokenRow)
_READ = select(_TOKENS.c.token, _TOKENS.c.expires_at).where(_TOKENS.c.name == bindparam("name"))
_LOCK = select(func.pg_advisory_xact_lock(bindparam("lock_key")))


def lock_key(name: str) -> int:
    """The PostgreSQL advisory lock key (a signed bigint) of token ``name``: the same in every
    process, unlike ``hash()``, and apart from the other keys (``gd-inbox``, ``griddesk``)."""
    digest = hashlib.sha256(f"platform_tokens:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class TokenQueries(Queues):
    """The platform-token methods of :class:`bot.ports.Transaction`."""

    async def platform_token(self, name: str) -> tuple[str, datetime] | None:
        """The stored token and its expiry, held for this transaction (see the module doc)."""
        if self._dialect == "postgresql":
            await self._run(_LOCK, {"lock_key": lock_key(name)})
        row = (await self._run(_READ, {"name": name})).first()
        return None if row is None else (row.token, row.expires_at)

    async def save_platform_token(
        self, name: str, token: str, expires_at: datetime, fetched_by: str
    ) -> None:
        """Store the token fetched by ``fetched_by``, replacing the one before it."""
        values = {
            "name": name,
            "token": token,
            "expires_at": expires_at,
            "fetched_at": self._clock(),
            "fetched_by": fetched_by,
        }
        await self._upsert(PlatformTokenRow, values, keys=("name",))
