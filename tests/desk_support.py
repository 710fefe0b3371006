"""The desk on its own, for tests: a real Desk on a real SQLite store, the example org, a
fake clock and no Telegram; with the people of the example org and helpers that read what the
desk committed (the task, its audit trail, the messages it wrote to the outbox) and that get a
task to a given state.

Test modules take the fixtures by importing them (``from tests.desk_support import desk,
store``); the helpers are plain functions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from bot import texts
from bot.config.settings import Settings, load_settings
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context
from bot.desk.desk import Desk
from bot.domain import Draft, EventKind, Outgoing, Task, TaskEvent, TaskStatus
from bot.language import Language
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
NINE_IN_HOHHOT = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)

# The example org's group chats (config.example.toml).
STREET_CHAT = "telegram:-1001000000001"  # 大学西路街道
COMMUNITY_CHAT = "telegram:-1001000000010"  # 兴安南路社区
GRID1_CHAT = "telegram:-1001000000011"  # 兴安南路第一网格: 电影制片厂小区, 审计厅小区
GRID2_CHAT = "telegram:-1001000000012"  # 兴安南路第二网格: 华建小区, 林业厅小区, 乌兰牧骑小区
SIQIANMI_CHAT = "telegram:-1001000000020"  # 四千米社区
SIQIANMI_GRID_CHAT = "telegram:-1001000000021"  # 四千米第一网格: 乳品厂小区, 储运小区
WATER_CHAT = "telegram:-1001000000101"  # 首府供水公司
HEAT_CHAT = "telegram:-1001000000102"  # 热力公司
GRID1 = "兴安南路第一网格"
COMMUNITY = "兴安南路社区"

# People: residents write privately; staff press buttons in a group chat.
RESIDENT = Actor("telegram:1001", "telegram:1001", "王阿姨", "wangayi")
NEIGHBOUR = Actor("telegram:1002", "telegram:1002", "李大爷")
ZHANG = Actor("telegram:2001", GRID1_CHAT, "张三")  # grid worker, 兴安南路第一网格
LI = Actor("telegram:2002", GRID1_CHAT, "李四")  # grid worker, 兴安南路第一网格
WANG = Actor("telegram:2003", GRID1_CHAT, "王芳")  # grid worker of 兴安南路第二网格
ZHAO = Actor("telegram:2004", SIQIANMI_GRID_CHAT, "赵玉琴")  # the only worker of 四千米第一网格
LIU = Actor("telegram:3001", COMMUNITY_CHAT, "刘书记")  # community staff, 兴安南路社区
CHEN = Actor("telegram:3002", SIQIANMI_CHAT, "陈主任")  # community staff, 四千米社区
ZHOU = Actor("telegram:4001", WATER_CHAT, "供水公司老周")  # department liaison, water
ADMIN = Actor("telegram:9001", STREET_CHAT, "街道值班员")
STRANGER = Actor("telegram:5555", GRID1_CHAT, "路人甲")

WATER_TEXT = "审计厅小区3号楼2单元502室又停水了，电话13804711234"
PHONE = "13804711234"  # in WATER_TEXT, with 502室
NUMBER = "20261122-0001"  # the day's first task
# Notices an admin drafts with /broadcast: one to go now, one scheduled for the next morning.
NOTICE = "现在 | 群:全部 | 明天停水"
LATER = "2026-11-23 08:00 | 群:全部 | 明天9:00-17:00停水"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(EXAMPLE)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NINE_IN_HOHHOT)


@pytest_asyncio.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SqlStore]:
    async with open_store(f"sqlite:///{tmp_path}/d.db", clock=clock) as opened:
        yield opened


@pytest.fixture
def desk(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> Desk:
    org = settings.require_org()
    return Desk(Context(store, org, language, settings.deadlines, settings.timezone, clock))


# --- reading what the desk did -----------------------------------------------------------------


async def said(store: SqlStore) -> list[Outgoing]:
    """The messages written to the outbox since the last call (marked sent, so read once)."""
    async with store.transaction() as tx:
        items = await tx.pending_outbox(1000)
        for item in items:
            await tx.outbox_sent(item.id, None)
    return [item.message for item in items]


def to(messages: list[Outgoing], chat_id: str) -> list[Outgoing]:
    return [m for m in messages if m.chat_id == chat_id]


def labels(message: Outgoing) -> list[str]:
    return [button.text for row in message.buttons for button in row]


def actions(message: Outgoing) -> list[str]:
    return [button.action for row in message.buttons for button in row]


async def task_of(store: SqlStore, task_id: int) -> Task:
    async with store.transaction() as tx:
        task = await tx.task(task_id)
    assert task is not None
    return task


async def latest_task(store: SqlStore, actor: Actor = RESIDENT) -> Task | None:
    async with store.transaction() as tx:
        tasks = await tx.tasks_of_resident(actor.user_id, 1)
    return tasks[0] if tasks else None


async def events_of(store: SqlStore, task_id: int) -> list[TaskEvent]:
    async with store.transaction() as tx:
        return list(await tx.events(task_id))


async def kinds(store: SqlStore, task_id: int) -> list[EventKind]:
    return [event.kind for event in await events_of(store, task_id)]


async def draft_of(store: SqlStore, actor: Actor = RESIDENT) -> Draft | None:
    async with store.transaction() as tx:
        return await tx.draft(actor.user_id)


async def snapshot(
    store: SqlStore, task_id: int
) -> tuple[Task | None, list[TaskEvent], list[Outgoing], Draft | None]:
    """Everything a refused press must leave alone."""
    async with store.transaction() as tx:
        return (
            await tx.task(task_id),
            list(await tx.events(task_id)),
            [item.message for item in await tx.pending_outbox(1000)],
            await tx.draft(RESIDENT.user_id),
        )


def act(verb: Verb, task_id: int = 0, arg: str = "") -> str:
    return Action(verb, task_id, arg).encode()


def private(actor: Actor) -> Actor:
    """The same person writing in their private chat with the bot."""
    return replace(actor, chat_id=actor.user_id)


def pressed_in(actor: Actor, chat_id: str) -> Actor:
    return replace(actor, chat_id=chat_id)


# --- getting a task to a state -----------------------------------------------------------------


async def report(
    desk: Desk, store: SqlStore, text: str = WATER_TEXT, actor: Actor = RESIDENT
) -> Task:
    """``actor`` reports ``text``; the outbox is read, so later reads show only what follows."""
    await desk.private_message(actor, text, None, None)
    task = await latest_task(store, actor)
    assert task is not None, await said(store)
    await said(store)
    return task


async def claimed(
    desk: Desk, store: SqlStore, text: str = WATER_TEXT, worker: Actor = ZHANG
) -> Task:
    task = await report(desk, store, text)
    assert await desk.press(worker, act(Verb.CLAIM, task.id), None) == Answer(texts.ANSWER_CLAIMED)
    await said(store)
    return await task_of(store, task.id)


async def resolved(desk: Desk, store: SqlStore, text: str = WATER_TEXT) -> Task:
    task = await claimed(desk, store, text)
    await resolve(desk, store, task.id)
    task = await task_of(store, task.id)
    assert task.status is TaskStatus.RESOLVED
    return task


async def resolve(
    desk: Desk,
    store: SqlStore,
    task_id: int,
    note: str = "已联系供水公司，管道修好了",
    worker: Actor = ZHANG,
    photo: str | None = None,
) -> list[Outgoing]:
    """``worker`` presses 办结 on the card, writes ``note`` privately and presses 确认 on the
    preview; returns what the desk said after 确认 (the resident's result, the card …)."""
    await desk.press(worker, act(Verb.RESOLVE, task_id), None)
    await desk.private_message(private(worker), note, photo, None)
    preview = next(m for m in reversed(await said(store)) if m.buttons)
    assert preview.chat_id == worker.user_id, preview
    answer = await desk.press(private(worker), actions(preview)[0], None)
    assert answer == Answer(texts.ANSWER_RESULT_SENT), answer
    return await said(store)


async def bind(desk: Desk, store: SqlStore, grid_id: str, index: int) -> None:
    """The resident picks their home place from the buttons."""
    assert await desk.press(RESIDENT, act(Verb.PICK_PLACE, 0, f"{grid_id}:{index}"), None) == (
        Answer("")
    )
    await said(store)
