"""The Telegram handlers through PTB's own ``Application.process_update``, one update at a time.

The runtime is built against a started Bot API stand-in but never entered, so neither the inbox
poller nor the outbox dispatcher runs: the test hands PTB real Telegram JSON, PTB routes it to our
handlers, and the test reads what the handlers made the desk write (the outbox) and what
``answerCallbackQuery`` reached the stand-in.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from telegram import Update

from bot import texts
from bot.channels import telegram
from bot.config.settings import Settings, TelegramSettings, load_settings
from bot.desk.context import Context
from bot.desk.desk import Desk
from bot.domain import Outgoing, TaskStatus
from bot.language import Language
from bot.ports import Store
from handlers.telegram.runtime import TelegramRuntime
from standins.telegram import BotApiStandIn, CallbackAnswer, User
from storage.engine import create_engine, open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.harness import EXAMPLE, TOKEN

pytestmark = pytest.mark.asyncio

BOT_USERNAME = "griddesk_bot"
DATE = 1795309200  # 2026-11-22 09:00 in Hohhot
# Telegram's own ids, as in its JSON; the desk knows them as addresses (telegram(...)).
GRID1_CHAT = -1001000000011
UNKNOWN_GROUP = -1009999999999

Json = dict[str, Any]
RESIDENT: Json = {"id": 1001, "is_bot": False, "first_name": "王阿姨", "language_code": "zh-hans"}
ZHANG: Json = {"id": 2001, "is_bot": False, "first_name": "张三", "username": "zhangsan"}
STRANGER: Json = {"id": 5555, "is_bot": False, "first_name": "路人甲"}
OTHER_BOT: Json = {"id": 777000, "is_bot": True, "first_name": "广告机器人", "username": "ad_bot"}
WATER_TEXT = "审计厅小区3号楼2单元又停水了，电话13804711234"


def private_chat(user: Json) -> Json:
    return {"id": user["id"], "type": "private", "first_name": user["first_name"]}


def group_chat(chat_id: int, title: str = "兴安南路第一网格") -> Json:
    return {"id": chat_id, "type": "group", "title": title}


def message(update_id: int, user: Json, chat: Json | None = None, **fields: Any) -> Json:
    """A ``message`` update as Telegram sends it; a text starting with / gets its entity."""
    body: Json = {
        "message_id": update_id,
        "from": dict(user),
        "chat": chat or private_chat(user),
        "date": DATE,
        **fields,
    }
    text = fields.get("text", "")
    if text.startswith("/"):
        command = text.split()[0]
        body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": body}


def photo_sizes(prefix: str) -> list[Json]:
    """One photo in the sizes Telegram sends, smallest first, each with its own file id."""
    return [
        {"file_id": f"{prefix}-s", "file_unique_id": "AQADs", "width": 90, "height": 67},
        {"file_id": f"{prefix}-m", "file_unique_id": "AQADm", "width": 320, "height": 240},
        {"file_id": f"{prefix}-x", "file_unique_id": "AQADx", "width": 1280, "height": 960},
    ]


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(EXAMPLE)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 22, 1, 0, tzinfo=UTC))


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    async with BotApiStandIn(token=TOKEN, bot_username=BOT_USERNAME) as running:
        yield running


@pytest_asyncio.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[SqlStore]:
    async with open_store(f"sqlite:///{tmp_path}/d.db", clock=clock) as opened:
        yield opened


@asynccontextmanager
async def initialised_runtime(
    standin: BotApiStandIn,
    store: Store,
    settings: Settings,
    language: Language,
    clock: FakeClock,
) -> AsyncIterator[TelegramRuntime]:
    """The runtime's Application, initialised (getMe) but not started: no polling, no sending."""
    org = settings.require_org()
    desk = Desk(Context(store, org, language, settings.deadlines, settings.timezone, clock))
    runtime = TelegramRuntime(
        TOKEN,
        TelegramSettings(standin.base_url, poll_timeout=1),
        desk,
        store,
        clock,
        rate_limited=False,
    )
    await runtime.application.initialize()
    try:
        yield runtime
    finally:
        await runtime.application.shutdown()


@pytest_asyncio.fixture
async def runtime(
    standin: BotApiStandIn,
    store: SqlStore,
    settings: Settings,
    language: Language,
    clock: FakeClock,
) -> AsyncIterator[TelegramRuntime]:
    async with initialised_runtime(standin, store, settings, language, clock) as running:
        yield running


async def feed(runtime: TelegramRuntime, update: Json) -> None:
    """Hand one update to PTB exactly as the inbox does."""
    application = runtime.application
    await application.process_update(Update.de_json(update, application.bot))


async def said(store: SqlStore) -> list[Outgoing]:
    """The messages written to the outbox since the last call (marked sent, so read once)."""
    async with store.transaction() as tx:
        items = await tx.pending_outbox(1000)
        for item in items:
            await tx.outbox_sent(item.id, None)
    return [item.message for item in items]


async def texts_to(store: SqlStore, chat_id: int) -> list[str]:
    """The texts written since the last call to the chat whose Telegram id is ``chat_id``."""
    return [m.text for m in await said(store) if m.chat_id == telegram(chat_id)]


async def report(runtime: TelegramRuntime, store: SqlStore, update_id: int = 1) -> None:
    await feed(runtime, message(update_id, RESIDENT, text=WATER_TEXT))
    await said(store)


# --- resident commands -------------------------------------------------------------------------


async def test_start_greets_with_community_buttons(
    runtime: TelegramRuntime, store: SqlStore
) -> None:
    """/start in private: the welcome with one button per community."""
    await feed(runtime, message(1, RESIDENT, text="/start"))
    [welcome] = await said(store)
    assert (welcome.chat_id, welcome.text) == ("telegram:1001", texts.WELCOME)
    assert [b.action for row in welcome.buttons for b in row] == [
        "pc:0:xingannanlu",
        "pc:0:siqianmi",
    ]


async def test_help_sends_the_help_text(runtime: TelegramRuntime, store: SqlStore) -> None:
    """/help in private: the usage text."""
    await feed(runtime, message(1, RESIDENT, text="/help"))
    assert await texts_to(store, 1001) == [texts.HELP]


async def test_my_lists_the_residents_tasks(runtime: TelegramRuntime, store: SqlStore) -> None:
    """/my: none at first, then the task just reported."""
    await feed(runtime, message(1, RESIDENT, text="/my"))
    assert await texts_to(store, 1001) == [texts.NO_TASKS]
    await report(runtime, store, 2)
    await feed(runtime, message(3, RESIDENT, text="/my"))
    [listing] = await texts_to(store, 1001)
    assert listing.startswith(texts.MY_TASKS_HEADER.format(count=1))
    assert "20261122-0001｜供水｜待认领" in listing


@pytest.mark.parametrize(
    "command", ["/cancel 20261122-0001", "/cancel@griddesk_bot 20261122-0001", "/cancel   1"]
)
async def test_cancel_passes_its_argument(
    runtime: TelegramRuntime, store: SqlStore, command: str
) -> None:
    """/cancel N (also addressed to the bot by name) withdraws the task N."""
    await report(runtime, store)
    await feed(runtime, message(2, RESIDENT, text=command))
    assert await texts_to(store, 1001) == [texts.CANCELLED.format(number="20261122-0001")]
    async with store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    assert task.status is TaskStatus.CANCELLED


async def test_cancel_without_argument_offers_the_task(
    runtime: TelegramRuntime, store: SqlStore
) -> None:
    """/cancel alone: offers to withdraw the one task, asking why; nothing withdrawn yet."""
    await report(runtime, store)
    await feed(runtime, message(2, RESIDENT, text="/cancel"))
    [offer] = await texts_to(store, 1001)
    assert offer.startswith("要撤回工单 20261122-0001")
    async with store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    assert task.status is TaskStatus.OPEN


async def test_command_addressed_to_another_bot_is_ignored(
    runtime: TelegramRuntime, store: SqlStore
) -> None:
    """/help@some_other_bot is not for us: nothing written."""
    await feed(runtime, message(1, RESIDENT, text="/help@some_other_bot"))
    assert await said(store) == []


# --- resident messages -------------------------------------------------------------------------


async def test_private_text_becomes_a_task(runtime: TelegramRuntime, store: SqlStore) -> None:
    """A private text: a receipt to the resident and a card in the grid's group."""
    await feed(runtime, message(1, RESIDENT, text=WATER_TEXT))
    messages = await said(store)
    assert [m.chat_id for m in messages] == ["telegram:1001", telegram(GRID1_CHAT)]
    assert "工单号：20261122-0001" in messages[0].text
    assert messages[1].card_of is not None
    async with store.transaction() as tx:
        resident = await tx.resident("telegram:1001")
    assert resident is not None
    assert (resident.chat_id, resident.name) == ("telegram:1001", "王阿姨")


async def test_photo_with_caption_keeps_the_largest_size(
    runtime: TelegramRuntime, store: SqlStore
) -> None:
    """A photo with a caption: the caption is the text, the largest size's file id is kept."""
    update = message(1, RESIDENT, photo=photo_sizes("AgACAgUAAxk"), caption=WATER_TEXT)
    await feed(runtime, update)
    async with store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    assert (task.text, task.photo) == (WATER_TEXT, "AgACAgUAAxk-x")
    [card] = [m for m in await said(store) if m.chat_id == telegram(GRID1_CHAT)]
    assert card.photo == "AgACAgUAAxk-x"


async def test_photo_without_caption_asks_what_it_shows(
    runtime: TelegramRuntime, store: SqlStore
) -> None:
    """A bare photo: the bot asks for a description and keeps the photo as a draft."""
    await feed(runtime, message(1, RESIDENT, photo=photo_sizes("AgACAgUAAxk")))
    assert await texts_to(store, 1001) == [texts.ASK_TEXT]
    async with store.transaction() as tx:
        draft = await tx.draft("telegram:1001")
    assert draft is not None
    assert draft.photos == ("AgACAgUAAxk-x",)


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "CAACAgIAAxkBAAE",
                "file_unique_id": "AgADsticker",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        },
        {"location": {"latitude": 40.8105, "longitude": 111.6581}},
    ],
    ids=["sticker", "location"],
)
async def test_message_without_text_or_photo_gets_the_no_content_hint(
    runtime: TelegramRuntime, store: SqlStore, content: Json
) -> None:
    """A sticker or a location alone: the "no content" hint, no task, no draft."""
    await feed(runtime, message(1, RESIDENT, **content))
    assert await texts_to(store, 1001) == [texts.EMPTY_MESSAGE]
    async with store.transaction() as tx:
        assert await tx.tasks_of_resident("telegram:1001", 5) == []
        assert await tx.draft("telegram:1001") is None


async def test_edited_message_is_ignored(runtime: TelegramRuntime, store: SqlStore) -> None:
    """Editing a message already sent does not report it again."""
    edited = message(1, RESIDENT, text=WATER_TEXT)
    update = {"update_id": 1, "edited_message": edited["message"] | {"edit_date": DATE + 60}}
    await feed(runtime, update)
    assert await said(store) == []


async def test_message_from_a_bot_is_ignored(runtime: TelegramRuntime, store: SqlStore) -> None:
    """Another bot's message (private or in a group) is not a resident's: nothing written."""
    await feed(runtime, message(1, OTHER_BOT, text=WATER_TEXT))
    await feed(runtime, message(2, OTHER_BOT, group_chat(GRID1_CHAT), text="/tasks"))
    assert await said(store) == []
    async with store.transaction() as tx:
        assert await tx.resident(telegram(OTHER_BOT["id"])) is None


async def test_unknown_private_command_is_answered_or_logged(
    runtime: TelegramRuntime, store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    """An unknown command from a resident gets an answer (or at least a log line of ours)."""
    with caplog.at_level(logging.INFO):
        await feed(runtime, message(1, RESIDENT, text="/foo"))
    ours = [r for r in caplog.records if r.name.startswith(("bot", "handlers"))]
    assert await said(store) != [] or ours != []


# --- group commands ----------------------------------------------------------------------------


async def test_group_text_that_is_not_a_command_is_ignored(
    runtime: TelegramRuntime, store: SqlStore
) -> None:
    """Chatter in a grid's group is not a request: nothing written, no task."""
    await feed(runtime, message(1, ZHANG, group_chat(GRID1_CHAT), text=WATER_TEXT))
    assert await said(store) == []
    async with store.transaction() as tx:
        assert await tx.tasks_of_resident(telegram(ZHANG["id"]), 5) == []


async def test_tasks_in_known_and_unknown_groups(runtime: TelegramRuntime, store: SqlStore) -> None:
    """/tasks in a grid's group lists its tasks; in a group nobody registered, nothing."""
    await report(runtime, store)
    await feed(runtime, message(2, ZHANG, group_chat(GRID1_CHAT), text="/tasks"))
    [listing] = await texts_to(store, GRID1_CHAT)
    assert listing.startswith(texts.OPEN_TASKS_HEADER.format(unit="兴安南路第一网格", count=1))
    assert "20261122-0001" in listing

    await feed(runtime, message(3, ZHANG, group_chat(UNKNOWN_GROUP, "闲聊群"), text="/tasks"))
    assert await texts_to(store, UNKNOWN_GROUP) == []


async def test_mine_for_workers_and_others(runtime: TelegramRuntime, store: SqlStore) -> None:
    """/mine: a worker's claimed tasks (none yet), and a refusal for someone not on staff."""
    await feed(runtime, message(1, ZHANG, group_chat(GRID1_CHAT), text="/mine@griddesk_bot"))
    assert await texts_to(store, GRID1_CHAT) == [texts.NO_MINE]
    await feed(runtime, message(2, RESIDENT, text="/mine"))
    assert await texts_to(store, 1001) == [texts.NOT_STAFF]


# --- button presses ----------------------------------------------------------------------------


async def press(
    runtime: TelegramRuntime, standin: BotApiStandIn, user: User, data: str
) -> CallbackAnswer:
    """``user`` presses ``data`` on the card the bot sent to the grid's group.

    The callback query comes from the stand-in, so that its id is one the stand-in accepts an
    answer for, as Telegram would; PTB gets its JSON exactly as getUpdates would return it.
    """
    [card] = standin.chat(GRID1_CHAT)
    query_id = standin.press(user, card, data, strict=False)
    [update] = [
        u for u in standin.pending_updates if u.get("callback_query", {}).get("id") == query_id
    ]
    await feed(runtime, update)
    return next(a for a in standin.callback_answers if a.callback_query_id == query_id)


async def test_press_answers_reach_telegram(
    runtime: TelegramRuntime, standin: BotApiStandIn, store: SqlStore
) -> None:
    """A press is answered through answerCallbackQuery: a toast on success, an alert on refusal."""
    zhang, stranger = (standin.add_user(u["id"], u["first_name"]) for u in (ZHANG, STRANGER))
    standin.add_user(RESIDENT["id"], RESIDENT["first_name"])  # the receipt goes to her chat
    standin.add_group(GRID1_CHAT, "兴安南路第一网格")
    await feed(runtime, message(1, RESIDENT, text=WATER_TEXT))
    assert await runtime.outbox.drain() == 2  # the receipt and the card reach the stand-in
    [card] = standin.chat(GRID1_CHAT)
    [(label, data), _merge, _recategorise] = [button for row in card.buttons for button in row]
    assert label == "认领"
    assert data is not None

    refused = await press(runtime, standin, stranger, data)
    assert refused.text == texts.ANSWER_NOT_MEMBER.format(unit="兴安南路第一网格")
    assert refused.show_alert is True

    claimed = await press(runtime, standin, zhang, data)
    assert (claimed.text, claimed.show_alert) == (texts.ANSWER_CLAIMED, False)
    async with store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    assert (task.status, task.claimer_id) == (TaskStatus.CLAIMED, telegram(ZHANG["id"]))

    forged = await press(runtime, standin, zhang, "zz:1:x")
    assert (forged.text, forged.show_alert) == (texts.ANSWER_EXPIRED, False)


# --- failures ----------------------------------------------------------------------------------


async def test_handler_failure_goes_to_the_error_handler(
    standin: BotApiStandIn,
    settings: Settings,
    language: Language,
    clock: FakeClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A handler that raises (database unreachable) is recorded as failed, not crashed through."""
    engine = create_engine(f"sqlite:///{tmp_path}/no/such/folder/d.db")
    unreachable = SqlStore(engine, clock)
    try:
        async with initialised_runtime(standin, unreachable, settings, language, clock) as rt:
            with caplog.at_level(logging.ERROR, logger="handlers.telegram.runtime"):
                await feed(rt, message(77, RESIDENT, text=WATER_TEXT))
            assert rt.inbox.failed == {77}
            assert any("77" in r.getMessage() and r.exc_info for r in caplog.records)
    finally:
        await engine.dispose()
