"""WeChat's and WeCom's messages share the inbox with Telegram's updates, and numbered choices
offered where there are no buttons are remembered, on SQLite and PostgreSQL.

A callback channel's message has no update id of ours: ``store_message`` deduplicates it by the
channel's own key and numbers it from :data:`bot.ports.CHANNEL_UPDATE_IDS` on, so it is claimed
and marked like any update, while Telegram's poll offset sees only Telegram.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.channels import telegram
from bot.domain import Resident
from bot.errors import AlreadyProcessed
from bot.ports import CHANNEL_UPDATE_IDS
from storage.engine import create_engine, open_store
from storage.sql_store import SqlStore
from tests.databases import database_url, store
from tests.store_support import NOW

__all__ = ["database_url", "store"]  # the fixtures, imported so that pytest finds them here

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

WANG = "wechat:o6_wang"
LI = "wechat:o6_li"
RATINGS = (("满意", "rate:12:good"), ("一般", "rate:12:fair"), ("不满意", "rate:12:poor"))


async def _store(store: SqlStore, channel: str, key: str, lane: str, raw: str = "{}") -> int | None:
    async with store.transaction() as tx:
        return await tx.store_message(channel, key, raw, lane)


async def _query(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(sql))]
    finally:
        await engine.dispose()


async def test_messages_are_numbered_from_two_to_the_fortieth_one_by_one(store: SqlStore) -> None:
    """The first message gets 2**40, each next one the next id, in one transaction or many."""
    assert CHANNEL_UPDATE_IDS == 2**40
    first = await _store(store, "wechat", "m1", WANG)
    async with store.transaction() as tx:
        second = await tx.store_message("wecom", "zhangsan:1700000000", "{}", "wecom:zhangsan")
        third = await tx.store_message("wechat", "m2", "{}", LI)
    assert [first, second, third] == [2**40, 2**40 + 1, 2**40 + 2]


async def test_a_retried_message_is_stored_once(store: SqlStore) -> None:
    """The same (channel, key) again — a platform's retry — returns None and changes nothing."""
    stored = await _store(store, "wechat", "m1", WANG, raw='{"Content": "停水了"}')
    assert await _store(store, "wechat", "m1", WANG, raw='{"Content": "again"}') is None
    async with store.transaction() as tx:
        assert await tx.store_message("wechat", "m1", "{}", LI) is None
        assert await tx.unprocessed_updates(10) == [(stored, '{"Content": "停水了"}')]


async def test_one_key_on_two_channels_is_two_messages(store: SqlStore) -> None:
    """Keys are the channel's own: a WeChat MsgId and a WeCom MsgId may be the same digits."""
    on_wechat = await _store(store, "wechat", "7001", WANG)
    on_wecom = await _store(store, "wecom", "7001", "wecom:zhangsan")
    assert on_wechat is not None
    assert on_wecom is not None
    assert on_wechat != on_wecom
    async with store.transaction() as tx:
        assert [uid for uid, _ in await tx.unprocessed_updates(10)] == [on_wechat, on_wecom]


async def test_ids_are_never_given_twice_even_after_their_rows_are_gone(store: SqlStore) -> None:
    """Processed messages dropped by the retention sweep leave their ids spent."""
    first = await _store(store, "wechat", "m1", WANG)
    assert first is not None
    async with store.transaction() as tx:
        await tx.mark_update_processed(first)
    async with store.transaction() as tx:
        assert await tx.drop_old_messages(NOW + timedelta(days=3650)) == 1
        assert await tx.unprocessed_updates(10) == []
    assert await _store(store, "wechat", "m2", WANG) == first + 1


async def test_callback_messages_are_claimed_in_order_per_lane(store: SqlStore) -> None:
    """Claims hand WeChat messages out with their lanes; a lane's next message waits while its
    earlier one is held by another instance; marking works on them as on Telegram's."""
    wang_1 = await _store(store, "wechat", "w1", WANG, raw="wang 1")
    wang_2 = await _store(store, "wechat", "w2", WANG, raw="wang 2")
    li_1 = await _store(store, "wechat", "l1", LI, raw="li 1")
    assert wang_1 is not None
    assert wang_2 is not None
    until = NOW + timedelta(minutes=1)
    async with store.transaction() as tx:
        assert await tx.claim_updates("one", until, NOW, 1) == [(wang_1, "wang 1", WANG)]
    async with store.transaction() as tx:
        assert await tx.claim_updates("two", until, NOW, 10) == [(li_1, "li 1", LI)]
    async with store.transaction() as tx:
        await tx.mark_update_processed(wang_1)
    async with store.transaction() as tx:
        assert await tx.claim_updates("two", until, NOW, 10) == [
            (wang_2, "wang 2", WANG),
            (li_1, "li 1", LI),
        ]
        await tx.mark_update_processed(wang_2)
    with pytest.raises(AlreadyProcessed):
        async with store.transaction() as tx:
            await tx.mark_update_processed(wang_2)


async def test_the_poll_offset_is_telegrams_alone(store: SqlStore) -> None:
    """WeChat's ids (2**40 on) never become Telegram's getUpdates offset, nor keep the sweep
    from keeping Telegram's newest update, which the offset is read from."""
    await _store(store, "wechat", "m1", WANG)
    async with store.transaction() as tx:
        assert await tx.last_update_id() is None
        await tx.store_updates([(905, "{}"), (904, "{}")], {905: telegram(1001)})
    wechat = await _store(store, "wechat", "m2", WANG)
    assert wechat is not None
    async with store.transaction() as tx:
        assert await tx.last_update_id() == 905
        await tx.mark_updates_done([904, 905, wechat])
    async with store.transaction() as tx:
        assert await tx.drop_old_messages(NOW + timedelta(days=3650)) == 2
        assert await tx.last_update_id() == 905


async def _store_at_once(store: SqlStore, database_url: str, keys: list[str]) -> list[int]:
    """Store a message of each of ``keys`` at once, from two instances (stores) in turn. On
    PostgreSQL every transaction has begun before any stores; SQLite's write lock makes them
    take turns."""
    both_began = asyncio.Barrier(len(keys)) if database_url.startswith("postgresql") else None

    async def store_on(instance: SqlStore, key: str) -> int:
        async with instance.transaction() as tx:
            if both_began is not None:
                await tx.last_update_id()
                await both_began.wait()
            stored = await tx.store_message("wechat", key, "{}", LI)
        assert stored is not None
        return stored

    async with open_store(database_url) as other:
        return list(await asyncio.gather(*map(store_on, itertools.cycle((store, other)), keys)))


async def test_concurrent_messages_get_distinct_ids(store: SqlStore, database_url: str) -> None:
    """Instances storing at once each get their own id, counting on from the last."""
    await _store(store, "wechat", "first", WANG)
    ids = await _store_at_once(store, database_url, ["a", "b", "c", "d"])
    assert sorted(ids) == [2**40 + n for n in range(1, 5)]


async def test_concurrent_first_messages_get_distinct_ids(
    store: SqlStore, database_url: str
) -> None:
    """The very first messages at once, while the counter has no row yet: one inserts it, the
    others count on from it."""
    ids = await _store_at_once(store, database_url, ["a", "b"])
    assert sorted(ids) == [2**40, 2**40 + 1]


async def test_offered_choices_round_trip_replace_and_clear(
    store: SqlStore, database_url: str
) -> None:
    """Chinese labels come back as offered, in order, and are stored as themselves; a new offer
    replaces the last, an empty one clears it; each chat keeps its own."""
    async with store.transaction() as tx:
        assert await tx.offered_choices(WANG) == ()
        await tx.offer_choices(WANG, RATINGS, NOW)
        await tx.offer_choices(LI, [("确认", "confirm:7")], NOW)
    async with store.transaction() as tx:
        assert list(await tx.offered_choices(WANG)) == list(RATINGS)
    stored = await _query(
        database_url, f"SELECT choices FROM offered_choices WHERE chat_id = '{WANG}'"
    )
    assert "不满意" in stored[0][0]
    async with store.transaction() as tx:
        await tx.offer_choices(WANG, [("撤回", "withdraw:12")], NOW + timedelta(minutes=5))
    async with store.transaction() as tx:
        assert list(await tx.offered_choices(WANG)) == [("撤回", "withdraw:12")]
        await tx.offer_choices(WANG, [], NOW + timedelta(minutes=6))
    async with store.transaction() as tx:
        assert await tx.offered_choices(WANG) == ()
        assert list(await tx.offered_choices(LI)) == [("确认", "confirm:7")]
    assert await _query(database_url, "SELECT chat_id FROM offered_choices") == [(LI,)]


async def test_a_residents_erasure_forgets_the_choices_offered_to_them(store: SqlStore) -> None:
    """/forget leaves nothing keyed by the resident's address, the choices offered included."""
    async with store.transaction() as tx:
        await tx.save_resident(Resident(WANG, WANG, "王阿姨"))
        await tx.offer_choices(WANG, RATINGS, NOW)
        await tx.offer_choices(LI, RATINGS, NOW)
    async with store.transaction() as tx:
        await tx.forget_resident(WANG)
    async with store.transaction() as tx:
        assert await tx.offered_choices(WANG) == ()
        assert list(await tx.offered_choices(LI)) == list(RATINGS)


async def test_choices_offered_long_ago_go_with_the_old_messages(store: SqlStore) -> None:
    """The retention sweep drops the choices offered before its cutoff, as it drops the
    messages that offered them: a resident's address is kept no longer than its messages."""
    async with store.transaction() as tx:
        await tx.offer_choices(WANG, RATINGS, NOW)
        await tx.offer_choices(LI, RATINGS, NOW + timedelta(days=30))
    async with store.transaction() as tx:
        assert await tx.drop_old_messages(NOW + timedelta(days=1)) == 1
    async with store.transaction() as tx:
        assert await tx.offered_choices(WANG) == ()
        assert list(await tx.offered_choices(LI)) == list(RATINGS)
