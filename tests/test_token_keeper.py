"""The shared access token's keeper holds no database transaction while the platform answers.

On SQLite a transaction holds the one write lock: a keeper that fetched inside one (as it once
did) stopped every other write — a resident's message, the outbox — for as long as WeChat or
WeCom took to answer, up to the client's 10 s timeout.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from handlers.tencent.tokens import TokenKeeper
from storage.engine import open_store

pytestmark = pytest.mark.asyncio


async def test_a_slow_fetch_keeps_no_write_waiting(tmp_path: Path) -> None:
    async with open_store(f"sqlite:///{tmp_path / 'keeper.db'}") as store:
        asking, answer = asyncio.Event(), asyncio.Event()

        async def slow_platform(force: bool) -> tuple[str, int]:
            asking.set()
            await answer.wait()
            return "token-1", 7200

        keeper = TokenKeeper(store, "wechat:wx5eed0000c0ffee01", slow_platform)
        getting = asyncio.create_task(keeper.token())
        await asyncio.wait_for(asking.wait(), 5)
        async with asyncio.timeout(2), store.transaction() as tx:  # a write meanwhile
            await tx.offer_choices("wechat:oRES1", [("满意", "r:1:good")], datetime.now(UTC))
        answer.set()
        assert await asyncio.wait_for(getting, 5) == "token-1"
        async with store.transaction() as tx:
            stored = await tx.platform_token("wechat:wx5eed0000c0ffee01")
        assert stored is not None
        assert stored[0] == "token-1"
