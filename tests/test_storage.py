"""The SQL store against real SQLite and PostgreSQL: round-trips, atomicity, numbering, races."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, StatementError

from bot.channels import telegram
from bot.domain import (
    Button,
    Draft,
    DraftReason,
    EventKind,
    NewTask,
    Outgoing,
    Rating,
    Stage,
    Task,
    TaskEvent,
    TaskStatus,
    UnitKind,
    UnitRef,
)
from bot.ports import TaskChange
from nlp.places import Place
from nlp.taxonomy import Category
from storage.engine import async_url
from storage.sql_store import SqlStore
from tests.databases import database_url, store
from tests.store_support import ALICE, DAY, GRID, NOW, new_task

__all__ = ["database_url", "store"]  # the fixtures, imported so that pytest finds them here

BEIJING = timezone(timedelta(hours=8))
COMMUNITY = UnitRef(UnitKind.COMMUNITY, "xingan")
WORKER, OTHER_WORKER = telegram(7_000_000_001), telegram(7_000_000_002)
OPEN_ONLY = frozenset({TaskStatus.OPEN})


async def add_tasks(store: SqlStore, *news: NewTask, day: str = DAY) -> list[Task]:
    """Save ALICE and add ``news`` in one committed transaction."""
    async with store.transaction() as tx:
        await tx.save_resident(ALICE)
        return [await tx.add_task(new, day) for new in news]


def claim(worker: str = WORKER) -> TaskChange:
    return TaskChange(status=TaskStatus.CLAIMED, claimer_id=worker, claimed_at=NOW)


@pytest.mark.asyncio
async def test_resident_round_trip_and_replace(store: SqlStore) -> None:
    """A saved resident reads back equal; saving again replaces every field."""
    async with store.transaction() as tx:
        assert await tx.resident(ALICE.user_id) is None
        await tx.save_resident(ALICE)
    moved = replace(ALICE, username="zhang", grid_id="xingan-2", place="电影厂小区")
    async with store.transaction() as tx:
        assert await tx.resident(ALICE.user_id) == ALICE
        await tx.save_resident(moved)
    async with store.transaction() as tx:
        assert await tx.resident(ALICE.user_id) == moved


@pytest.mark.asyncio
async def test_draft_is_one_per_resident(store: SqlStore) -> None:
    """A draft reads back with an aware UTC time; a second replaces it; delete removes it."""
    first = Draft(ALICE.user_id, "漏水了", (), DraftReason.NEED_PLACE, NOW.astimezone(BEIJING))
    second = Draft(
        ALICE.user_id, "", ("photo-1",), DraftReason.NEED_TEXT, NOW + timedelta(minutes=1)
    )
    async with store.transaction() as tx:
        assert await tx.draft(ALICE.user_id) is None
        await tx.save_draft(first)
    async with store.transaction() as tx:
        read = await tx.draft(ALICE.user_id)
        assert read == first
        assert read is not None
        assert read.created_at.tzinfo is UTC
        await tx.save_draft(second)
    async with store.transaction() as tx:
        assert await tx.draft(ALICE.user_id) == second
        await tx.delete_draft(ALICE.user_id)
        await tx.delete_draft(ALICE.user_id)  # deleting nothing is not an error
    async with store.transaction() as tx:
        assert await tx.draft(ALICE.user_id) is None


@pytest.mark.asyncio
async def test_awaited_note_is_one_per_worker(store: SqlStore) -> None:
    """A worker awaits a note for one task at a time; clearing forgets it."""
    first, second = await add_tasks(store, new_task(), new_task())
    async with store.transaction() as tx:
        assert await tx.awaited_note(WORKER) is None
        await tx.await_note(WORKER, first.id)
        await tx.await_note(WORKER, second.id)
        await tx.await_note(OTHER_WORKER, first.id)
    async with store.transaction() as tx:
        assert await tx.awaited_note(WORKER) == second.id
        assert await tx.awaited_note(OTHER_WORKER) == first.id
        await tx.clear_awaited_note(WORKER)
    async with store.transaction() as tx:
        assert await tx.awaited_note(WORKER) is None
        assert await tx.awaited_note(OTHER_WORKER) == first.id


@pytest.mark.asyncio
async def test_sync_places_makes_the_table_equal(store: SqlStore) -> None:
    """Places are added, changed and removed to match the configuration."""
    shenjiting = Place("审计厅小区", "xingan-1", ("审计厅家属院",))
    dianyingchang = Place("电影厂小区", "xingan-2")
    async with store.transaction() as tx:
        await tx.sync_places([shenjiting, dianyingchang])
    async with store.transaction() as tx:
        assert set(await tx.places()) == {shenjiting, dianyingchang}
        moved = Place("审计厅小区", "xingan-3")
        await tx.sync_places([moved])
    async with store.transaction() as tx:
        assert await tx.places() == [moved]
        await tx.sync_places([])
        assert await tx.places() == []


@pytest.mark.asyncio
async def test_sync_places_refuses_a_name_twice(store: SqlStore) -> None:
    """Two places with one name would make the table depend on their order."""
    async with store.transaction() as tx:
        with pytest.raises(ValueError, match="twice"):
            await tx.sync_places([Place("审计厅小区", "xingan-1"), Place("审计厅小区", "xingan-2")])


@pytest.mark.asyncio
async def test_task_round_trip(store: SqlStore) -> None:
    """Every field of a new task reads back, by id and by number, with times in aware UTC."""
    new = new_task(
        photo="file-1",
        urgent=True,
        matched=("煤气", "味道"),
        created_at=NOW.astimezone(BEIJING),
    )
    (added,) = await add_tasks(store, new)
    assert added.number == f"{DAY}-0001"
    assert (added.status, added.level, added.claimer_id, added.rating) == (
        TaskStatus.OPEN,
        0,
        None,
        None,
    )
    async with store.transaction() as tx:
        by_id = await tx.task(added.id)
        by_number = await tx.task_by_number(added.number)
        assert await tx.task(added.id + 1000) is None
        assert await tx.task_by_number(f"{DAY}-9999") is None
    assert by_id == by_number == added
    assert by_id is not None
    assert by_id.matched == ("煤气", "味道")
    assert by_id.created_at == NOW
    assert by_id.created_at.tzinfo is UTC
    assert by_id.holder == GRID
    assert by_id.category is Category.DRAINAGE


@pytest.mark.asyncio
async def test_due_tasks_read_as_plain_rows_equal_the_tasks(store: SqlStore) -> None:
    """The follow-up tick's raw read gives the same tasks as the model read, every field
    (urgent flags, claims, results, ratings, times in aware UTC), earliest due first, and
    nothing that is not due."""
    urgent, claimed, later, never = await add_tasks(
        store,
        new_task("燃气味很大", urgent=True, next_followup_at=NOW + timedelta(minutes=15)),
        new_task("路灯不亮", next_followup_at=NOW + timedelta(minutes=5)),
        new_task("楼道堆物", next_followup_at=NOW + timedelta(hours=5)),
        new_task("已经办结", next_followup_at=None),
    )
    async with store.transaction() as tx:
        await tx.change_task(claimed.id, claim())
        await tx.change_task(
            claimed.id, TaskChange(result="已修好", rating=Rating.SATISFIED, reopen_count=2)
        )
    at = NOW + timedelta(hours=1)
    async with store.transaction() as tx:
        due = await tx.due_tasks(at, 10)
        expected = [await tx.task(claimed.id), await tx.task(urgent.id)]
    assert due == expected
    assert due[1].urgent is True
    assert due[0].claimed_at == NOW
    assert due[0].claimed_at.tzinfo is UTC
    assert {t.id for t in due}.isdisjoint({later.id, never.id})


def test_a_task_built_from_its_fields_equals_the_constructed_one() -> None:
    """The fast path storage uses is exactly the constructor; a missing field is refused."""
    values = {
        **new_task().__dict__,
        "id": 7, "number": f"{DAY}-0007", "level": 1, "status": TaskStatus.CLAIMED,
        "claimer_id": WORKER, "claimed_at": NOW, "result": None, "result_photo": None,
        "rating": None, "reopen_count": 0, "merged_into": None,
    }  # fmt: skip
    assert Task.of_fields(**values) == Task(**values)
    assert hash(Task.of_fields(**values)) == hash(Task(**values))
    del values["level"]
    with pytest.raises(TypeError, match="level"):
        Task.of_fields(**values)


@pytest.mark.asyncio
async def test_task_needs_a_saved_resident(store: SqlStore) -> None:
    """A task for an unknown resident is refused: nobody could be told about it."""
    with pytest.raises(IntegrityError):
        async with store.transaction() as tx:
            await tx.add_task(new_task(), DAY)


@pytest.mark.asyncio
async def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    """A time without a zone is ambiguous, so it is never stored."""
    with pytest.raises(StatementError, match="naive datetime"):
        async with store.transaction() as tx:
            await tx.save_draft(
                Draft(telegram(1), "x", (), DraftReason.NEED_PLACE, datetime(2026, 1, 1))
            )


@pytest.mark.asyncio
async def test_numbers_count_per_day(store: SqlStore) -> None:
    """Numbers run 0001, 0002 within a day, restart on another, and continue after."""
    first = await add_tasks(store, new_task(), new_task())
    other_day = await add_tasks(store, new_task(), day="20261123")
    later = await add_tasks(store, new_task())
    numbers = [task.number for task in (*first, *other_day, *later)]
    assert numbers == ["20261122-0001", "20261122-0002", "20261123-0001", "20261122-0003"]


@pytest.mark.asyncio
async def test_concurrent_tasks_get_distinct_numbers(store: SqlStore) -> None:
    """Five transactions adding at once each take their own number."""
    await add_tasks(store)

    async def add() -> Task:
        async with store.transaction() as tx:
            return await tx.add_task(new_task(), DAY)

    async with asyncio.timeout(30):
        tasks = await asyncio.gather(*(add() for _ in range(5)))
    assert sorted(task.number for task in tasks) == [f"{DAY}-{n:04d}" for n in range(1, 6)]


@pytest.mark.asyncio
async def test_change_task_conditions(store: SqlStore) -> None:
    """The change applies only in the given statuses and, when asked, for the given claimer."""
    (task,) = await add_tasks(store, new_task())
    async with store.transaction() as tx:
        assert await tx.task(task.id) == task  # loaded before the change: must not go stale
        claimed = await tx.change_task(task.id, claim(), only_if=OPEN_ONLY)
        assert claimed is not None
        assert (claimed.status, claimed.claimer_id, claimed.claimed_at) == (
            TaskStatus.CLAIMED,
            WORKER,
            NOW,
        )
        assert await tx.task(task.id) == claimed  # the same transaction reads its own change
        assert await tx.change_task(task.id, claim(OTHER_WORKER), only_if=OPEN_ONLY) is None
        resolve = TaskChange(status=TaskStatus.RESOLVED, result="已疏通", result_photo="file-2")
        active = frozenset({TaskStatus.CLAIMED})
        assert (
            await tx.change_task(task.id, resolve, only_if=active, only_if_claimer=OTHER_WORKER)
            is None
        )
        resolved = await tx.change_task(task.id, resolve, only_if=active, only_if_claimer=WORKER)
        assert await tx.change_task(task.id + 1000, resolve) is None
    assert resolved is not None
    assert (resolved.status, resolved.result, resolved.result_photo) == (
        TaskStatus.RESOLVED,
        "已疏通",
        "file-2",
    )
    assert resolved.claimer_id == WORKER  # fields not named in the change stay as they were
    async with store.transaction() as tx:
        assert await tx.task(task.id) == resolved


@pytest.mark.asyncio
async def test_change_task_sets_every_field_and_clears_the_claimer(store: SqlStore) -> None:
    """Reopening sets status, holder, level, rating and count, and clears the claim."""
    (task,) = await add_tasks(store, new_task())
    reopen = TaskChange(
        status=TaskStatus.OPEN,
        holder=COMMUNITY,
        level=1,
        clear_claimer=True,
        rating=Rating.UNSATISFIED,
        reopen_count=1,
    )
    async with store.transaction() as tx:
        await tx.change_task(task.id, claim())
        reopened = await tx.change_task(task.id, reopen)
        unchanged = await tx.change_task(task.id, TaskChange(), only_if=OPEN_ONLY)
    assert reopened is not None
    assert (reopened.status, reopened.holder, reopened.level) == (TaskStatus.OPEN, COMMUNITY, 1)
    assert (reopened.claimer_id, reopened.claimed_at) == (None, None)
    assert (reopened.rating, reopened.reopen_count) == (Rating.UNSATISFIED, 1)
    assert unchanged == reopened


@pytest.mark.asyncio
async def test_change_cannot_set_and_clear_the_claimer(store: SqlStore) -> None:
    """A contradictory change is a programming error, not a silent choice."""
    (task,) = await add_tasks(store, new_task())
    async with store.transaction() as tx:
        with pytest.raises(ValueError, match="claimer"):
            await tx.change_task(task.id, TaskChange(claimer_id=WORKER, clear_claimer=True))


@pytest.mark.asyncio
async def test_racing_claims_have_one_winner(store: SqlStore, database_url: str) -> None:
    """Two transactions claiming one open task at once: exactly one gets the task.

    On PostgreSQL both transactions first read the task as open on their own connections, and
    only then both claim it. SQLite takes the write lock at BEGIN, so there the second
    transaction waits for the first and must see its claim.
    """
    (task,) = await add_tasks(store, new_task())
    both_read = asyncio.Barrier(2) if database_url.startswith("postgresql") else None

    async def try_claim(worker: str) -> Task | None:
        async with store.transaction() as tx:
            if both_read is not None:
                seen = await tx.task(task.id)
                assert seen is not None
                assert seen.status is TaskStatus.OPEN
                await both_read.wait()
            return await tx.change_task(task.id, claim(worker), only_if=OPEN_ONLY)

    async with asyncio.timeout(30):
        results = await asyncio.gather(try_claim(WORKER), try_claim(OTHER_WORKER))
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    async with store.transaction() as tx:
        final = await tx.task(task.id)
    assert final is not None
    assert final.claimer_id == winners[0].claimer_id


@pytest.mark.asyncio
async def test_events_round_trip_in_order(store: SqlStore) -> None:
    """The audit trail reads back in the order written, only for its task."""
    first, second = await add_tasks(store, new_task(), new_task())
    trail = [
        TaskEvent(first.id, EventKind.CREATED, None, NOW, holder=GRID),
        TaskEvent(first.id, EventKind.CLAIMED, WORKER, NOW + timedelta(minutes=5)),
        TaskEvent(first.id, EventKind.ESCALATED, WORKER, NOW, "需要社区协调", COMMUNITY),
    ]
    async with store.transaction() as tx:
        for event in trail:
            await tx.add_event(event)
        await tx.add_event(TaskEvent(second.id, EventKind.CREATED, None, NOW))
    async with store.transaction() as tx:
        assert list(await tx.events(first.id)) == trail
        assert len(await tx.events(second.id)) == 1
        assert list(await tx.events(second.id + 1000)) == []


@pytest.mark.asyncio
async def test_task_lists(store: SqlStore) -> None:
    """Residents see newest first; units and claimers oldest first; limits and filters hold."""
    tasks = await add_tasks(store, *(new_task(f"问题{n}") for n in range(4)))
    await add_tasks(store, new_task("社区的", holder=COMMUNITY))
    a, b, c, d = tasks
    async with store.transaction() as tx:
        await tx.change_task(b.id, claim())
        await tx.change_task(d.id, claim())
        await tx.change_task(c.id, TaskChange(status=TaskStatus.RESOLVED, claimer_id=WORKER))
        mine = [t.id for t in await tx.tasks_of_resident(ALICE.user_id, 3)]
        open_ = [t.id for t in await tx.tasks_held_by(GRID, OPEN_ONLY, 10)]
        active = [t.id for t in await tx.tasks_held_by(GRID, OPEN_ONLY | {TaskStatus.CLAIMED}, 2)]
        claimed = [t.id for t in await tx.tasks_claimed_by(WORKER, 10)]
        assert await tx.tasks_held_by(GRID, frozenset(), 10) == []
        assert await tx.tasks_of_resident(telegram(5_000_000_002), 10) == []
        assert [t.id for t in await tx.tasks_claimed_by(WORKER, 1)] == [b.id]
    assert mine == [tasks[-1].id + 1, d.id, c.id]
    assert open_ == [a.id]
    assert active == [a.id, b.id]
    assert claimed == [b.id, d.id]


@pytest.mark.asyncio
async def test_a_card_being_posted_is_remembered_as_maybe_posted(store: SqlStore) -> None:
    """The posting note survives in the row (a crash after it means "maybe in the chat"),
    and can be taken back when the attempt surely failed."""
    (task,) = await add_tasks(store, new_task())
    async with store.transaction() as tx:
        await tx.enqueue(Outgoing(telegram(-100_123_456_789), "卡片", card_of=task.id))
    async with store.transaction() as tx:
        (item,) = await tx.pending_outbox(10)
        assert not item.maybe_posted
        await tx.outbox_posting(item.id, NOW)
    async with store.transaction() as tx:
        (item,) = await tx.pending_outbox(10)
        assert item.maybe_posted
        await tx.outbox_posting(item.id, None)
    async with store.transaction() as tx:
        (item,) = await tx.pending_outbox(10)
        assert not item.maybe_posted


@pytest.mark.asyncio
async def test_outbox_round_trip(store: SqlStore) -> None:
    """Messages come back in order, due at once; sent and failed ones leave the queue."""
    (task,) = await add_tasks(store, new_task())
    card = Outgoing(
        chat_id=telegram(-100_123_456_789),
        text="【排水】3号楼下水堵了",
        buttons=(
            (Button("认领", f"claim:{task.id}"), Button("转交", "transfer:1")),
            (Button("详情", "show"),),
        ),
        photo="file-1",
        card_of=task.id,
    )
    ack = Outgoing(chat_id=ALICE.chat_id, text="已收到，工单号 20261122-0001")
    edit = Outgoing(chat_id=card.chat_id, text="已认领", edit_card_of=task.id)
    async with store.transaction() as tx:
        for message in (card, ack, edit):
            await tx.enqueue(message)
    async with store.transaction() as tx:
        pending = list(await tx.pending_outbox(10))
        assert [item.message for item in pending] == [card, ack, edit]
        assert [item.attempts for item in pending] == [0, 0, 0]
        assert all(item.next_attempt_at <= NOW - timedelta(days=365) for item in pending)
        assert [item.message for item in await tx.pending_outbox(2)] == [card, ack]
        card_item, ack_item, edit_item = pending
        assert await tx.card_message_id(task.id, card.chat_id) is None
        await tx.outbox_sent(card_item.id, 4242)
        await tx.outbox_sent(ack_item.id, 4243)
        await tx.outbox_retry(edit_item.id, "429 retry_after 3", NOW + timedelta(seconds=3))
    async with store.transaction() as tx:
        (retried,) = await tx.pending_outbox(10)
        assert (retried.id, retried.attempts) == (edit_item.id, 1)
        assert retried.next_attempt_at == NOW + timedelta(seconds=3)
        assert await tx.card_message_id(task.id, card.chat_id) == 4242
        assert await tx.card_message_id(task.id, ALICE.chat_id) is None
        await tx.outbox_failed(edit_item.id, "400 message to edit not found")
    async with store.transaction() as tx:
        assert await tx.pending_outbox(10) == []


@pytest.mark.asyncio
async def test_card_sent_again_replaces_its_message_id(store: SqlStore) -> None:
    """A card posted anew in the same chat is the one later edits go to."""
    (task,) = await add_tasks(store, new_task())
    card = Outgoing(chat_id=telegram(-100_1), text="卡片", card_of=task.id)
    async with store.transaction() as tx:
        await tx.enqueue(card)
        await tx.enqueue(card)
        first, second = await tx.pending_outbox(10)
        await tx.outbox_sent(first.id, 10)
        await tx.outbox_sent(second.id, 11)
        assert await tx.card_message_id(task.id, card.chat_id) == 11


@pytest.mark.asyncio
async def test_remember_card(store: SqlStore) -> None:
    """A card recorded directly (an edit that had to be sent as a new card) is found, per chat."""
    (task,) = await add_tasks(store, new_task())
    async with store.transaction() as tx:
        await tx.remember_card(task.id, telegram(-100_1), 20)
        await tx.remember_card(task.id, telegram(-100_2), 30)
        await tx.remember_card(task.id, telegram(-100_1), 21)
    async with store.transaction() as tx:
        assert await tx.card_message_id(task.id, telegram(-100_1)) == 21
        assert await tx.card_message_id(task.id, telegram(-100_2)) == 30


@pytest.mark.asyncio
async def test_inbox_deduplicates_and_keeps_order(store: SqlStore) -> None:
    """Updates are stored once, handed out oldest first, and leave when processed."""
    async with store.transaction() as tx:
        assert await tx.last_update_id() is None
        assert await tx.unprocessed_updates(10) == []
        await tx.store_updates([])
        await tx.store_updates([(902, '{"update_id": 902}'), (901, '{"update_id": 901}')])
    async with store.transaction() as tx:
        await tx.mark_update_processed(901)
        await tx.store_updates([(901, "again"), (903, '{"update_id": 903}'), (903, "twice")])
    async with store.transaction() as tx:
        assert await tx.unprocessed_updates(10) == [
            (902, '{"update_id": 902}'),
            (903, '{"update_id": 903}'),
        ]
        assert await tx.unprocessed_updates(1) == [(902, '{"update_id": 902}')]
        assert await tx.last_update_id() == 903


@pytest.mark.asyncio
async def test_exception_rolls_everything_back(store: SqlStore) -> None:
    """A unit of work that raises leaves no task, number, event, message or update behind."""
    await add_tasks(store)
    written: list[Task] = []

    async def write_then_fail() -> None:
        async with store.transaction() as tx:
            task = await tx.add_task(new_task(), DAY)
            written.append(task)
            await tx.add_event(TaskEvent(task.id, EventKind.CREATED, None, NOW))
            await tx.enqueue(Outgoing(chat_id=ALICE.chat_id, text="已收到"))
            await tx.store_updates([(1, "{}")])
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await write_then_fail()
    (task,) = written
    async with store.transaction() as tx:
        assert await tx.task(task.id) is None
        assert await tx.events(task.id) == []
        assert await tx.pending_outbox(10) == []
        assert await tx.last_update_id() is None
        assert (await tx.add_task(new_task(), DAY)).number == f"{DAY}-0001"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///griddesk.db", "sqlite+aiosqlite:///griddesk.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_urls_get_the_async_driver(url: str, expected: str) -> None:
    """Plain URLs from the configuration are given the async driver; explicit ones are kept."""
    assert async_url(url).render_as_string(hide_password=False) == expected


@pytest.mark.asyncio
async def test_reads_after_writes_in_one_transaction_are_fresh(store: SqlStore) -> None:
    """A row read, then replaced or deleted, reads back as it is now within the transaction."""
    (task,) = await add_tasks(store, new_task())
    moved = replace(ALICE, grid_id="xingan-2")
    draft = Draft(ALICE.user_id, "漏水了", (), DraftReason.NEED_PLACE, NOW)
    place = Place("审计厅小区", "xingan-1")
    async with store.transaction() as tx:
        assert await tx.resident(ALICE.user_id) == ALICE
        await tx.save_resident(moved)
        assert await tx.resident(ALICE.user_id) == moved
        await tx.save_draft(draft)
        assert await tx.draft(ALICE.user_id) == draft
        await tx.save_draft(replace(draft, text="厨房漏水"))
        assert (await tx.draft(ALICE.user_id)) == replace(draft, text="厨房漏水")
        await tx.delete_draft(ALICE.user_id)
        assert await tx.draft(ALICE.user_id) is None
        await tx.sync_places([place])
        assert await tx.places() == [place]
        await tx.sync_places([replace(place, grid_id="xingan-3")])
        assert await tx.places() == [replace(place, grid_id="xingan-3")]
        await tx.enqueue(Outgoing(chat_id=ALICE.chat_id, text="已收到"))
        (item,) = await tx.pending_outbox(10)
        await tx.outbox_retry(item.id, "timeout", NOW)
        (retried,) = await tx.pending_outbox(10)
        assert (retried.attempts, retried.next_attempt_at) == (1, NOW)
        await tx.await_note(WORKER, task.id)
        assert await tx.awaited_note(WORKER) == task.id
        await tx.clear_awaited_note(WORKER)
        assert await tx.awaited_note(WORKER) is None


@pytest.mark.asyncio
async def test_a_residents_tasks_are_read_once_per_transaction_until_one_is_written(
    store: SqlStore,
) -> None:
    """Intake asks for a resident's newest tasks up to four times per message: one query
    serves them, and every write to a task makes the next ask read again."""
    selects: list[str] = []

    def count(_c: object, _cur: object, sql: str, *_: object) -> None:
        if sql.startswith("SELECT tasks."):
            selects.append(sql)

    engine = store._engine.sync_engine  # the test reaches in to count statements
    event.listen(engine, "after_cursor_execute", count)
    try:
        async with store.transaction() as tx:
            await tx.save_resident(ALICE)
            assert await tx.tasks_of_resident(ALICE.user_id, 5) == []
            assert await tx.tasks_of_resident(ALICE.user_id, 1) == []
            assert await tx.tasks_of_resident(ALICE.user_id, 20) == []  # there are no more
            assert len(selects) == 1
            first = await tx.add_task(new_task(), DAY)
            assert [t.id for t in await tx.tasks_of_resident(ALICE.user_id, 5)] == [first.id]
            second = await tx.add_task(new_task("还是堵"), DAY)
            recent = await tx.tasks_of_resident(ALICE.user_id, 1)
            assert [t.id for t in recent] == [second.id]
            assert [t.id for t in await tx.tasks_of_resident(ALICE.user_id, 5)] == [
                second.id,
                first.id,
            ]
            await tx.change_task(first.id, claim())
            mine = await tx.tasks_of_resident(ALICE.user_id, 5)
            assert [t.status for t in mine] == [TaskStatus.OPEN, TaskStatus.CLAIMED]
            await tx.move_schedules([(first.id, Stage.RESOLVE_DUE, NOW + timedelta(days=1))])
            moved = (await tx.tasks_of_resident(ALICE.user_id, 5))[1]
            assert (moved.stage, moved.next_followup_at) == (
                Stage.RESOLVE_DUE,
                NOW + timedelta(days=1),
            )
    finally:
        event.remove(engine, "after_cursor_execute", count)
