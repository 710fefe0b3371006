"""The one access token every instance uses, kept in the database (DESIGN.md §9).

Every WeChat API call carries the account's access token, and the account has one at a time
that is worth holding: a fetch from ``/cgi-bin/token`` retires the previous token five minutes
later, and a forced ``/cgi-bin/stable_token`` retires it at once, so instances that fetched
their own would keep breaking each other's calls. So the token is fetched through
``stable_token`` (which, unforced, hands out the same token while it is valid) and stored
through :meth:`bot.ports.Transaction.save_platform_token`; every instance reads it from there.

:class:`TokenKeeper` serves a token from memory while it has more than its margin left
(:data:`MARGIN` for WeChat). Otherwise it reads the stored one, taken if it has more than the
margin left; else one instance fetches a new one: it takes a short lease (``token:<name>``,
:data:`FETCH_LEASE`) in the transaction that found the stored token wanting, fetches outside
any transaction — on SQLite a transaction holds the one write lock, and a platform slow to
answer must not hold up every other write — then stores the token and ends the lease. An
instance that finds the lease taken reads the database again every :data:`_WAIT_STEP` until the
new token is there (or the lease has run out, when it fetches itself). Two instances asking at
once therefore end with one fetch.

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
from typing import TypeGuard

from bot.errors import StoreBusy, TransientDeliveryError
from bot.ports import Store

log = logging.getLogger(__name__)

MARGIN = timedelta(minutes=5)
"""A token with less than this left is replaced: WeChat renews its stable token five minutes
before expiry, and an instance's clock may run a little ahead of WeChat's."""
FORCE_SPACING = timedelta(seconds=30)
"""WeChat refreshes a forced stable token at most once in this time; a refresh sooner than this
after the keeper's last force asks unforced (WeChat would answer the current token anyway)."""

FETCH_LEASE = timedelta(seconds=15)
"""How long one instance's fetch keeps the others waiting for its token (longer than a fetch
may take: the API client's timeout is 10 s)."""
_WAIT_STEP = 0.1
"""Seconds between looks at the database while another instance fetches."""

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
        margin: timedelta = MARGIN,
    ) -> None:
        """``margin``: a token with less than this left is replaced (a platform that hands
        out the same token until it expires, like WeCom, wants a small one: each fetch in the
        margin would bring the same token back)."""
        self._store = store
        self._margin = margin
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
        """Which token: ``wechat:<appid>``, ``wecom:<corpid>:<agentid>``."""
        return self._name

    async def token(self) -> str:
        """A token with more than the margin left, from memory, the database or the platform."""
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
        if held is None or held[1] - self._clock() <= self._margin:
            return None
        return held[0]

    async def _settle(self, stale: str | None) -> str:
        """The stored token if it will do, else a new one fetched and stored, by one instance
        at a time (see the module docstring)."""
        # as many looks as the lease lasts, by count too: a test's clock may stand still
        for _ in range(int(FETCH_LEASE.total_seconds() / _WAIT_STEP)):
            now = self._clock()
            stored, mine = await self._stored_or_lease(stale, now)
            if stored is not None:
                self._held = stored
                return stored[0]
            if mine:
                return await self._fetch_and_store(stale, now)
            await asyncio.sleep(_WAIT_STEP)  # another instance is fetching: read its token
        return await self._fetch_and_store(stale, self._clock())  # it never stored one

    async def _stored_or_lease(
        self, stale: str | None, now: datetime
    ) -> tuple[tuple[str, datetime] | None, bool]:
        """The stored token if it will do; else whether this instance took the fetch lease.

        The token is read again once the lease is taken: the instance that fetched before
        stored its token and ended its lease in one commit, so whoever takes the lease after
        it sees that token and fetches nothing."""
        lease = f"token:{self._name}"
        try:
            async with self._store.transaction() as tx:
                stored = await tx.platform_token(self._name)
                if self._will_do(stored, stale, now):
                    return stored, False
                if not await tx.take_lease(lease, self._instance, now + FETCH_LEASE, now):
                    return None, False
                stored = await tx.platform_token(self._name)
                if self._will_do(stored, stale, now):
                    await tx.release_lease(lease, self._instance)
                    return stored, False
                return None, True
        except StoreBusy as exc:
            raise TransientDeliveryError(f"the {self._name} token is out of reach: {exc}") from exc

    def _will_do(
        self, stored: tuple[str, datetime] | None, stale: str | None, now: datetime
    ) -> TypeGuard[tuple[str, datetime]]:
        return stored is not None and stored[0] != stale and stored[1] - now > self._margin

    async def _fetch_and_store(self, stale: str | None, now: datetime) -> str:
        """Fetch a token, outside any transaction, then store it and end the fetch lease in
        one commit."""
        force = stale is not None and not self._forced_since(now - FORCE_SPACING)
        try:
            token, expires_in = await self._fetch(force)
        except BaseException:
            await self._end_lease()
            raise
        if force:
            self._last_forced = now
        expires_at = self._clock() + timedelta(seconds=expires_in)
        try:
            async with self._store.transaction() as tx:
                await tx.save_platform_token(self._name, token, expires_at, self._instance)
                await tx.release_lease(f"token:{self._name}", self._instance)
        except StoreBusy as exc:
            raise TransientDeliveryError(f"the {self._name} token is out of reach: {exc}") from exc
        self._held = (token, expires_at)
        log.info("fetched a new %s access token%s, valid until %s", self._name,
                 " (forced)" if force else "", expires_at.isoformat())  # fmt: skip
        return token

    async def _end_lease(self) -> None:
        """Let another instance fetch at once should this one have failed (best effort: the
        lease runs out by itself)."""
        try:
            async with self._store.transaction() as tx:
                await tx.release_lease(f"token:{self._name}", self._instance)
        except StoreBusy:
            log.info("the %s fetch lease was not released; it runs out by itself", self._name)

    def _forced_since(self, since: datetime) -> bool:
        return self._last_forced is not None and self._last_forced > since
