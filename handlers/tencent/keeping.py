"""A checked callback's message, committed to the inbox before Tencent hears ``success``.

Shared by the 公众号 and WeCom callbacks: the message is stored once whatever Tencent retries
(:meth:`~bot.ports.InboxTransaction.store_message`, keyed by the channel's own id for it), the
inbox is woken for a new one, and only after the commit is the call answered ``success``; a
commit that keeps failing is 500, and Tencent tries again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.channels import Channel
from bot.ports import Store
from bot.retry import StoreBusy, retrying

STORE_ATTEMPTS = 3
"""Tries at the commit within one call before 500 hands the retry to Tencent."""
SUCCESS = "success"
"""The answer that tells Tencent the message arrived and nothing is said back."""


async def keep(
    store: Store,
    channel: Channel,
    key: str,
    fields: Mapping[str, str],
    *,
    lane: str,
    wake: Callable[[], None],
) -> web.Response:
    """Store ``fields`` under ``key`` in ``lane``, wake the inbox if new, and answer."""
    raw = json.dumps(fields, ensure_ascii=False)

    async def store_it() -> int | None:
        async with store.transaction() as tx:
            return await tx.store_message(channel, key, raw, lane)

    try:
        stored = await retrying(store_it, f"{channel} callback", attempts=STORE_ATTEMPTS)
    except StoreBusy:
        return web.Response(status=500, text="not stored; send it again")
    if stored is not None:
        wake()
    return web.Response(text=SUCCESS)
