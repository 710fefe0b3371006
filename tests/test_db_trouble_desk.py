"""Database trouble in the middle of a worker's state change: all of it happens once, or none.

A claim, a transfer, an escalation (上报) and a resolution (办结 with its note) each change the
task, append its event, queue every message that announces it (the card, the resident's notice,
the claimer's contact, the new group's card) and mark the update that caused it processed, in
one transaction. Here that transaction meets real trouble and is redone as the inbox redoes an
update: :func:`bot.retry.retrying` around the desk call, with a recording ``sleep``.

- PostgreSQL: the desk's backend is killed (``pg_terminate_backend``) while it waits for a table
  the test holds locked: ``task_events``, just after the conditional UPDATE changed the task, or
  ``inbox``, the last statement before COMMIT, when everything else is written.
- SQLite: another connection holds the write lock. A desk transaction takes that lock at BEGIN
  (``BEGIN IMMEDIATE``, :mod:`storage.engine`), so that is the only place a lock can meet it:
  once begun, nothing can come between a SQLite transaction and its commit.

Either the trouble passes after one try, and every row and message is there exactly once, or it
lasts past the last try, and the task, its trail, the outbox and the update are as they were.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import event

from bot import texts
from bot.config.settings import Settings
from bot.desk.actions import Verb, person_key
from bot.desk.context import Answer, Context
from bot.desk.desk import Desk
from bot.desk.resolution import fingerprint
from bot.domain import EventKind, Outgoing, ResultNote, Task, TaskEvent, TaskStatus, UnitRef
from bot.errors import StoreBusy
from bot.language import Language
from bot.retry import retrying
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.db_trouble_support import (
    await_lock_wait,
    half_written,
    pg_admin,
    short_lock_wait,
    sqlite_writer,
)
from tests.desk_support import (
    COMMUNITY,
    COMMUNITY_CHAT,
    GRID1_CHAT,
    LI,
    RESIDENT,
    WATER_TEXT,
    ZHANG,
    act,
    claimed,
    latest_task,
    private,
    report,
    said,
    to,
)

__all__ = ["short_lock_wait"]  # the fixture, imported so that pytest finds it here

pytestmark = pytest.mark.asyncio

UPDATE = 42
"""The update that carries the change (stored in the inbox, marked processed with it)."""
TRIES = 3
"""Tries per unit of work here (the inbox makes six): enough to fail, back off and succeed."""
NOTE = "已联系供水公司，管道修好了"


@pytest_asyncio.fixture
async def store(
    database_url: str, clock: FakeClock, short_lock_wait: None
) -> AsyncIterator[SqlStore]:
    """The desk's store; on SQLite its connections give up on a held lock in a blink."""
    async with open_store(database_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def desk(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> Desk:
    org = settings.require_org()
    return Desk(Context(store, org, language, settings.deadlines, settings.timezone, clock))


# --- the changes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """What a change left behind: the task, its new events, its messages, its update."""

    task: Task
    events: list[TaskEvent]
    messages: list[Outgoing]
    processed: bool
    awaited_note: int | None


@dataclass(frozen=True)
class Change:
    """A worker's state change: the task before it, the update that makes it, what it writes."""

    before: Callable[[Desk, SqlStore], Awaitable[Task]]
    update: Callable[[Desk, Task], Awaitable[object]]
    answer: Answer | None
    check: Callable[[Task, Written], None]


async def awaiting_note(desk: Desk, store: SqlStore) -> Task:
    """Claimed by 张三, who pressed 办结: the bot waits for his result note."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.RESOLVE, task.id), None)
    await said(store)
    return task


def claim_written(before: Task, after: Written) -> None:
    assert (after.task.status, after.task.claimer_id) == (TaskStatus.CLAIMED, ZHANG.user_id)
    assert [e.kind for e in after.events] == [EventKind.CLAIMED]
    assert len(after.messages) == 3, after.messages
    [card] = to(after.messages, GRID1_CHAT)
    assert card.edit_card_of == before.id
    [notice] = to(after.messages, RESIDENT.chat_id)
    assert notice.text.startswith(f"您反映的问题（{before.number}）已由张三接单")
    [contact] = to(after.messages, ZHANG.user_id)
    assert "13804711234" in contact.text


def transfer_written(before: Task, after: Written) -> None:
    assert (after.task.status, after.task.claimer_id) == (TaskStatus.CLAIMED, LI.user_id)
    assert [(e.kind, e.note) for e in after.events] == [(EventKind.TRANSFERRED, "李四")]
    assert len(after.messages) == 3, after.messages
    [card] = to(after.messages, GRID1_CHAT)
    assert card.edit_card_of == before.id
    [notice] = to(after.messages, RESIDENT.chat_id)
    assert notice.text.startswith(f"您反映的问题（{before.number}）已转交给李四")
    [contact] = to(after.messages, LI.user_id)
    assert "13804711234" in contact.text


def escalate_written(before: Task, after: Written) -> None:
    community = UnitRef.parse("community:xingannanlu")
    assert (after.task.status, after.task.holder, after.task.level, after.task.claimer_id) == (
        TaskStatus.OPEN,
        community,
        1,
        None,
    )
    assert [(e.kind, e.holder) for e in after.events] == [(EventKind.ESCALATED, community)]
    assert len(after.messages) == 3, after.messages
    [new_card] = to(after.messages, COMMUNITY_CHAT)
    assert new_card.card_of == before.id
    [away] = to(after.messages, GRID1_CHAT)
    assert away.edit_card_of == before.id
    assert texts.STATUS_ESCALATED_AWAY.format(unit=COMMUNITY) in away.text
    [notice] = to(after.messages, RESIDENT.chat_id)
    assert notice.text.startswith(f"您反映的问题（{before.number}）需要{COMMUNITY}协调解决")


async def previewed(desk: Desk, store: SqlStore) -> Task:
    """Claimed by 张三, who pressed 办结 and wrote his note: the preview waits for 确认."""
    task = await awaiting_note(desk, store)
    await desk.private_message(private(ZHANG), NOTE, None, None)
    await said(store)
    return task


def resolve_written(before: Task, after: Written) -> None:
    assert (after.task.status, after.task.result) == (TaskStatus.RESOLVED, NOTE)
    assert [(e.kind, e.note) for e in after.events] == [(EventKind.RESOLVED, NOTE)]
    assert after.awaited_note is None
    assert len(after.messages) == 3, after.messages
    [card] = to(after.messages, GRID1_CHAT)
    assert card.edit_card_of == before.id
    [rating] = to(after.messages, RESIDENT.chat_id)
    assert rating.text == texts.NOTICE_RESOLVED.format(number=before.number, result=NOTE)
    [saved] = to(after.messages, ZHANG.user_id)
    assert saved.text == texts.RESULT_SAVED.format(number=before.number)


CHANGES = {
    "claim": Change(
        report,
        lambda desk, task: desk.press(ZHANG, act(Verb.CLAIM, task.id), UPDATE),
        Answer(texts.ANSWER_CLAIMED),
        claim_written,
    ),
    "transfer": Change(
        claimed,
        lambda desk, task: desk.press(
            ZHANG, act(Verb.TRANSFER_TO, task.id, person_key(LI.user_id)), UPDATE
        ),
        Answer(texts.ANSWER_TRANSFERRED.format(worker="李四")),
        transfer_written,
    ),
    "escalate": Change(
        claimed,
        lambda desk, task: desk.press(ZHANG, act(Verb.ESCALATE, task.id), UPDATE),
        Answer(texts.ANSWER_ESCALATED.format(unit=COMMUNITY)),
        escalate_written,
    ),
    "resolve": Change(
        previewed,
        lambda desk, task: desk.press(
            private(ZHANG),
            act(Verb.RESULT_CONFIRM, task.id, fingerprint(ResultNote(task.id, NOTE))),
            UPDATE,
        ),
        Answer(texts.ANSWER_RESULT_SENT),
        resolve_written,
    ),
}


async def prepared(change: Change, desk: Desk, store: SqlStore) -> tuple[Task, Written]:
    """The task just before ``change``, and the update that will carry it, stored unprocessed."""
    task = await change.before(desk, store)
    async with store.transaction() as tx:
        await tx.store_updates([(UPDATE, "{}")])
    return task, await written(store, task)


async def written(store: SqlStore, before: Task) -> Written:
    """What is committed now beyond ``before``: events after its trail, messages not yet read."""
    async with store.transaction() as tx:
        task = await tx.task(before.id)
        events = list(await tx.events(before.id))
        unprocessed = await tx.unprocessed_updates(10)
        note = await tx.awaited_note(ZHANG.user_id)
    assert task is not None
    return Written(task, events, await said(store), (UPDATE, "{}") not in unprocessed, note)


def new_events(start: Written, end: Written) -> Written:
    """``end`` with only the events appended since ``start``."""
    assert end.events[: len(start.events)] == start.events
    return Written(
        end.task, end.events[len(start.events) :], end.messages, end.processed, end.awaited_note
    )


# --- the trouble ---------------------------------------------------------------------------------


@dataclass
class Trouble:
    """How the unit of work met the database: the waits it asked for, what each killed try
    had written (PostgreSQL: tables it held a row-exclusive lock on)."""

    waits: list[float]
    written_when_killed: list[set[str]]


async def through_sqlite_lock(
    url: str, work: Callable[[], Awaitable[object]], *, lasts: bool
) -> tuple[object, Trouble]:
    """``work`` retried while another connection holds the write lock (for one try, or all)."""
    trouble = Trouble([], [])
    with sqlite_writer(url) as other:

        async def wait(seconds: float) -> None:
            trouble.waits.append(seconds)
            if not lasts and other.in_transaction:
                other.execute("ROLLBACK")  # the other writer commits nothing and lets go

        result = await retrying(work, f"update {UPDATE}", attempts=TRIES, sleep=wait)
    return result, trouble


async def through_killed_backend(
    url: str, work: Callable[[], Awaitable[object]], *, table: str, lasts: bool
) -> tuple[object, Trouble]:
    """``work`` retried while its backend is killed as it waits for ``table`` (once, or always)."""
    database = url.rsplit("/", 1)[1]
    trouble = Trouble([], [])
    async with pg_admin(url) as locker, pg_admin(url) as admin:
        await locker.execute("BEGIN")
        await locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")

        async def wait(seconds: float) -> None:
            trouble.waits.append(seconds)
            if not lasts and locker.is_in_transaction():
                await locker.execute("ROLLBACK")  # the table is free for the next try

        trying = asyncio.ensure_future(
            retrying(work, f"update {UPDATE}", attempts=TRIES, sleep=wait)
        )
        try:
            for _ in range(TRIES if lasts else 1):
                pid = await await_lock_wait(admin, database, table, trying)
                trouble.written_when_killed.append(await tables_written(admin, pid))
                # the second argument waits until the backend is gone, so the next try's
                # backend is the next one found waiting
                assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
            result = await trying
        finally:
            trying.cancel()
    return result, trouble


async def tables_written(admin: asyncpg.Connection, pid: int) -> set[str]:
    """The tables backend ``pid`` has written in its open transaction (row-exclusive locks)."""
    rows = await admin.fetch(
        "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
        " WHERE l.pid = $1 AND l.granted AND l.mode = 'RowExclusiveLock' AND c.relkind = 'r'",
        pid,
    )
    return {row["relname"] for row in rows}


ONCE, ONCE_LATE, ALWAYS = "busy-once", "busy-once-late", "busy-always"
"""The first try fails (SQLite: the lock, at BEGIN; PostgreSQL: killed just after the task
changed), or the first fails at its last statement (PostgreSQL only), or every try fails."""
_PG_TABLE = {ONCE: "task_events", ONCE_LATE: "inbox", ALWAYS: "inbox"}
_PG_WRITTEN = {"task_events": {"tasks"}, "inbox": {"tasks", "task_events", "outbox"}}


async def through(
    fault: str, url: str, work: Callable[[], Awaitable[object]]
) -> tuple[object, Trouble]:
    """``work`` retried through ``fault`` on the database at ``url``."""
    if url.startswith("sqlite"):
        if fault == ONCE_LATE:
            pytest.skip(
                "SQLite's lock meets a transaction only at its BEGIN IMMEDIATE; see"
                " test_each_change_is_one_transaction"
            )
        return await through_sqlite_lock(url, work, lasts=fault == ALWAYS)
    table = _PG_TABLE[fault]
    result, trouble = await through_killed_backend(url, work, table=table, lasts=fault == ALWAYS)
    for tables in trouble.written_when_killed:  # the fault really came mid-transaction
        assert tables >= _PG_WRITTEN[table], tables
    return result, trouble


# --- the tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("fault", [ONCE, ONCE_LATE])
async def test_a_change_redone_after_trouble_is_written_whole_and_once(
    desk: Desk, store: SqlStore, database_url: str, change: str, fault: str
) -> None:
    """The first try dies mid-transaction: the redo writes status, event, every message, once."""
    step = CHANGES[change]
    task, start = await prepared(step, desk, store)
    answer, trouble = await through(fault, database_url, lambda: step.update(desk, task))

    assert answer == step.answer
    assert trouble.waits == [0.05]
    end = await written(store, task)
    step.check(task, new_events(start, end))
    assert end.processed
    assert await half_written(database_url) == {}


@pytest.mark.parametrize("change", CHANGES)
async def test_a_change_that_never_gets_through_leaves_no_trace(
    desk: Desk, store: SqlStore, database_url: str, change: str
) -> None:
    """Trouble on every try: StoreBusy, and the task, trail, outbox and update are untouched."""
    step = CHANGES[change]
    task, start = await prepared(step, desk, store)
    with pytest.raises(StoreBusy):
        await through(ALWAYS, database_url, lambda: step.update(desk, task))

    assert await written(store, task) == start
    assert not start.processed
    assert await half_written(database_url) == {}


@pytest.mark.parametrize("change", CHANGES)
async def test_each_change_is_one_transaction(desk: Desk, store: SqlStore, change: str) -> None:
    """Each change takes one connection for one transaction: a SQLite lock, which can meet a
    transaction only at its BEGIN, can never fall between the parts of a change."""
    step = CHANGES[change]
    task, _ = await prepared(step, desk, store)
    checkouts: list[object] = []

    def checkout(*connection: object) -> None:
        checkouts.append(connection)

    pool = store._engine.sync_engine  # the test reaches in to count the connections taken
    event.listen(pool, "checkout", checkout)
    try:
        assert await step.update(desk, task) == step.answer
    finally:
        event.remove(pool, "checkout", checkout)
    assert len(checkouts) == 1


async def test_the_change_can_still_be_made_after_trouble_that_lasted(
    desk: Desk, store: SqlStore, database_url: str
) -> None:
    """After a claim that never got through, pressing 认领 again claims it, exactly once."""
    step = CHANGES["claim"]
    task, start = await prepared(step, desk, store)
    with pytest.raises(StoreBusy):
        await through(ALWAYS, database_url, lambda: step.update(desk, task))

    assert await step.update(desk, task) == step.answer
    end = await written(store, task)
    step.check(task, new_events(start, end))
    assert end.processed


async def test_a_message_redone_while_the_database_is_busy_is_not_taken_for_a_flood(
    tmp_path: Path,
    short_lock_wait: None,
    settings: Settings,
    language: Language,
    clock: FakeClock,
) -> None:
    """One message, redone as the inbox redoes it through two busy rounds, still becomes a task."""
    url = f"sqlite:///{tmp_path / 'flood.db'}"
    async with open_store(url, clock=clock) as opened:
        org = settings.require_org()
        context = Context(opened, org, language, settings.deadlines, settings.timezone, clock)
        desk = Desk(context, settings.limits)
        busy_tries = settings.limits.resident_burst  # as many as a resident may send at once
        tries: list[int] = []
        with sqlite_writer(url) as other:

            async def handle() -> None:
                tries.append(len(tries) + 1)
                if len(tries) > busy_tries and other.in_transaction:
                    other.execute("ROLLBACK")  # the database is back
                await desk.private_message(RESIDENT, WATER_TEXT, None, UPDATE, clock.now)

            async def backoff(_: float) -> None:
                pass  # the waits are another test's business

            for _round in range(3):  # the inbox: six tries a round, rounds until one succeeds
                try:
                    await retrying(handle, f"update {UPDATE}", sleep=backoff)
                    break
                except StoreBusy:
                    continue
        assert len(tries) == busy_tries + 1
        assert await latest_task(opened) is not None, await said(opened)
