"""Nothing is lost across restarts and Telegram trouble (DESIGN.md §7).

Inbound: an update committed but not processed before a crash is processed after the restart,
and an update id delivered twice changes nothing. Outbound: 429s and network errors are retried
when due, and a resident who blocked the bot holds nobody else up.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from standins.telegram import BotApiStandIn
from storage.engine import open_store
from tests.clock import nine_am
from tests.harness import TOKEN, World, example_settings, populate, world

pytestmark = pytest.mark.asyncio


def _receipts(w: World, chat_id: int) -> list[str]:
    return [m.content for m in w.chat(chat_id) if "工单号" in m.content]


def _private_update(update_id: int, user_id: int, name: str, text: str) -> str:
    """A private text message exactly as Telegram's getUpdates returns it."""
    user = {"id": user_id, "is_bot": False, "first_name": name}
    message = {
        "message_id": 70 + update_id,
        "date": 1795395600,
        "chat": {"id": user_id, "type": "private", "first_name": name},
        "from": user,
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}, ensure_ascii=False)


async def test_an_update_committed_before_a_crash_is_processed_after_restart(
    database_url: str, cache_dir: Path
) -> None:
    """Stored-but-unprocessed updates become exactly one task each when the bot starts again."""
    async with BotApiStandIn(token=TOKEN) as standin:
        settings = example_settings(database_url, cache_dir, standin.base_url)
        people = populate(standin, settings.require_org())
        resident = standin.add_user(1001, "王阿姨")
        clock = nine_am()
        async with world(
            database_url, cache_dir, standin=standin, people=people, clock=clock
        ) as first:
            await first.say(resident, "审计厅小区3号楼停水了")
            last_id = max(
                int(str(c.params.get("offset", 0)))
                for c in standin.calls
                if c.method == "getUpdates"
            )
        # the bot died after committing this update to its inbox, before processing it
        crashed_id = int(str(last_id)) + 5
        async with open_store(database_url) as store, store.transaction() as tx:
            raw = _private_update(crashed_id, resident.id, "王阿姨", "审计厅小区门口路灯不亮")
            await tx.store_updates([(crashed_id, raw)])
        async with world(
            database_url, cache_dir, standin=standin, people=people, clock=clock
        ) as second:
            await second.bot.telegram.inbox.processed(crashed_id)
            await second.bot.telegram.outbox.settled()
            receipts = _receipts(second, resident.id)
            assert len(receipts) == 2
            assert "20261122-0002" in receipts[1]
            assert "类别：路灯照明" in receipts[1]
            # Telegram delivers the same update again (the offset was never confirmed)
            async with second.bot.store.transaction() as tx:
                await tx.store_updates([(crashed_id, raw)])
            assert await second.bot.telegram.inbox.process_stored()
            await second.bot.telegram.outbox.settled()
            assert _receipts(second, resident.id) == receipts


async def test_outbox_waits_out_429_and_network_errors(w: World) -> None:
    """A 429 is retried after retry_after, a dropped connection after a backoff; both arrive."""
    resident = w.resident()
    w.standin.fail_next("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)
    await w.say(resident, "审计厅小区3号楼停水了")
    assert _receipts(w, resident.id) == []  # the receipt waits for its retry…
    assert len(w.chat(w.group("xingan-1"))) == 1  # …and holds up no other chat
    w.clock.advance(timedelta(seconds=31))
    await w.bot.telegram.outbox.settled()
    assert len(_receipts(w, resident.id)) == 1
    w.standin.drop_next("sendMessage")
    await w.say(resident, "审计厅小区门口路灯不亮")
    assert len(_receipts(w, resident.id)) == 1
    w.clock.advance(timedelta(seconds=2))
    await w.bot.telegram.outbox.settled()
    assert len(_receipts(w, resident.id)) == 2


async def test_a_blocked_resident_holds_nobody_up(w: World) -> None:
    """Notices to a resident who blocked the bot are given up; the card and others still go."""
    blocked, other = w.resident(1001, "王阿姨"), w.resident(1002, "李大爷")
    grid = w.group("xingan-1")
    await w.say(blocked, "审计厅小区3号楼停水了")
    w.standin.block_bot(blocked)
    await w.press(w.people["张三"], w.card(grid, "20261122-0001"), "认领")
    await w.say(other, "审计厅小区门口路灯不亮")
    assert "张三 于" in w.card(grid, "20261122-0001").content
    assert len(_receipts(w, other.id)) == 1
    assert not any("接单，正在处理" in m.content for m in w.chat(blocked.id))
    async with w.bot.store.transaction() as tx:
        assert await tx.pending_outbox(10) == []
