"""SQLite runs on the event loop's thread (storage/sqlite_driver.py): waiting for another
writer's lock must still not hold the loop, and a wait that outlasts the busy timeout fails
as SQLite's own busy error, which the store reports as busy (nothing committed)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.domain import Outgoing
from bot.errors import StoreBusy
from storage import engine
from storage.engine import open_store

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]


async def test_a_held_lock_is_waited_for_while_the_loop_runs_on(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    async with open_store(f"sqlite:///{path}") as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
        ticks = 0

        async def ticking() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.005)
                ticks += 1

        async def writing() -> None:
            async with store.transaction() as tx:
                await tx.enqueue(Outgoing("telegram:1001", "通知"))

        ticker = asyncio.create_task(ticking())
        write = asyncio.create_task(writing())
        while ticks < 20:  # the loop goes on while the write waits for the lock
            await asyncio.sleep(0.005)
        assert not write.done()
        other.execute("ROLLBACK")
        await asyncio.wait_for(write, 5)
        ticker.cancel()
        other.close()
        async with store.transaction() as tx:
            assert [item.message.text for item in await tx.pending_outbox(10)] == ["通知"]


async def test_a_lock_held_past_the_busy_timeout_is_reported_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "g.db"
    async with open_store(f"sqlite:///{path}") as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreBusy, match="database is locked"):
                async with store.transaction() as tx:
                    await tx.enqueue(Outgoing("telegram:1001", "通知"))
        finally:
            other.execute("ROLLBACK")
            other.close()
        async with store.transaction() as tx:
            assert await tx.pending_outbox(10) == []
