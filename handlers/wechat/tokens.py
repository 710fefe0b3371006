"""The one access token every instance uses, kept in the database (DESIGN.md §9).

Every WeChat API call carries the account's access token, and the account has one at a time
that is worth holding: a fetch from ``/cgi-bin/token`` retires the previous token five minutes
later, and a forced ``/cgi-bin/stable_token`` retires it at once, so instances that fetched
their own would keep breaking each other's calls. So the token is fetched through
``stable_token`` (which, unforced, hands out the same token while it is valid) and stored
through :meth:`bot.ports.Transaction.save_platform_token`; every instance reads it from there.

:class:`TokenKeeper` serves a token from memory while it has more than :data:`MARGIN` left.
Otherwise it opens a transaction and reads the stored one, which makes it the only instance
deciding for that token until the transaction ends (:meth:`bot.ports.Transaction.platform_token`
holds it); the stored token is taken if it has more than :data:`MARGIN` left, else a new one
is fetched and stored in the same transaction. Two instances asking at once therefore end
with one fetch: the second waits for the first's commit and reads its token. The transaction
stays open across the fetch, one short HTTP call about every two hours.

When WeChat refuses a token (40001, 40014, 42001), :meth:`TokenKeeper.refresh` is asked for
another: if the database holds a different one (another instance refreshed), that is taken;
if it holds the refused one, it is force-refreshed, once per :data:`FORCE_SPACING` per
instance (WeChat ignores a second force within 30 s and allows 20 a day).

Nothing here knows HTTP: the keeper is given the platform's fetch as a function, so a WeCom
self-built app's ``gettoken`` can be kept the same way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.errors import StoreBusy, TransientDeliveryError
from bot.ports import Store

log = logging.getLogger(__name__)

MARGIN = timedelta(minutes=5)
"""A token with less than this left is replaced: WeChat renews its stable token five minutes
before expiry, and an instance's clock may run a little ahead of WeChat's."""
FORCE_SPACING = timedelta(seconds=30)
"""WeChat refreshes a forced stable token at most once in this time; a refresh sooner than this
after the keeper's last force asks unforced (WeChat would answer the current token anyway)."""

Fetch = Callable[[bool], Awaitable[tuple[str, int]]]
"""Fetches a token from the platform: ``force_refresh`` in, ``(token, seconds valid)`` out;
raises :mod:`bot.errors` delivery errors."""


def utc_now() -> datetime:
    """The wall clock in UTC: the keeper's default clock."""
    return datetime.now(UTC)


def this_instance() -> str:
    """Who fetched a token, for operators reading ``platform_tokens``: host and process."""
    return f"{socket.gethostname()}/{os.getpid()}"


class TokenKeeper:
    """Hands out the access token stored under ``name``, fetching it with ``fetch`` when the
    stored one is missing, nearly expired or refused (see the module docstring).

    Holds the last token it saw in memory: its one piece of state, owned by this instance."""

    def __init__(
        self,
        store: Store,
        name: str,
        fetch: Fetch,
        *,
        clock: Callable[[], datetime] = utc_now,
        instance: str | None = None,
    ) -> None:
        self._store = store
        self._name = name
        self._fetch = fetch
        self._clock = clock
        self._instance = instance or this_instance()
        self._held: tuple[str, datetime] | None = None
        self._turn = asyncio.Lock()
        """One trip to the database at a time per instance: concurrent sends wait for it."""
        self._last_forced: datetime | None = None

    @property
    def name(self) -> str:
        """Which token: ``wechat:<appid>``."""
        return self._name

    async def token(self) -> str:
        """A token with more than :data:`MARGIN` left, from memory, the database or WeChat."""
        held = self._fresh()
        if held is not None:
            return held
        async with self._turn:
            held = self._fresh()  # another send of this instance may have fetched meanwhile
            return held if held is not None else await self._settle(stale=None)

    async def refresh(self, stale: str) -> str:
        """A token to use instead of ``stale``, which WeChat refused: another instance's newer
        one from the database, or a new one fetched (forced, when ``stale`` is the stored one)."""
        async with self._turn:
            held = self._fresh()
            if held is not None and held != stale:
                return held  # another send of this instance refreshed already
            return await self._settle(stale)

    def _fresh(self) -> str | None:
        held = self._held
        if held is None or held[1] - self._clock() <= MARGIN:
            return None
        return held[0]

    async def _settle(self, stale: str | None) -> str:
        """Read the stored token, fetching and storing a new one if it will not do, in one
        transaction (see the module docstring)."""
        try:
            async with self._store.transaction() as tx:
                stored = await tx.platform_token(self._name)
                now = self._clock()
                if stored is not None and stored[0] != stale and stored[1] - now > MARGIN:
                    self._held = stored
                    return stored[0]
                force = stale is not None and not self._forced_since(now - FORCE_SPACING)
                token, expires_in = await self._fetch(force)
                expires_at = now + timedelta(seconds=expires_in)
                await tx.save_platform_token(self._name, token, expires_at, self._instance)
        except StoreBusy as exc:
            raise TransientDeliveryError(f"the {self._name} token is out of reach: {exc}") from exc
        if force:
            self._last_forced = now
        self._held = (token, expires_at)
        log.info("fetched a new %s access token%s, valid until %s", self._name,
                 " (forced)" if force else "", expires_at.isoformat())  # fmt: skip
        return token

    def _forced_since(self, since: datetime) -> bool:
        return self._last_forced is not None and self._last_forced > since
