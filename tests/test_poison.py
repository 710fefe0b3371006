"""Poison updates: an update whose handler keeps failing is skipped, and its sender hears once.

The real bot against the Bot API stand-in, with a bug injected into one desk method (it raises
for a marked input, quoting that input and a Bot API URL with the token, as careless code
does). Pinned: after ``max_failures`` tries the update is skipped, logged as poison once; the
sender gets exactly one kind message through the outbox — a button press a toast instead, a
group the bot does not serve nothing; nobody else is told; the next update is handled; no log
record holds the resident's numbers or the token; a restart does not answer it twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, TypeHandler

from bot import texts
from bot.channels import telegram, telegram_id
from bot.desk.desk import Desk
from bot.desk.intake import Intake
from bot.desk.listings import Listings
from bot.domain import Outgoing, UnitKind
from handlers.telegram.inbox import Inbox
from standins.telegram import BotApiStandIn, BotMessage
from storage.engine import open_store
from tests.clock import nine_am
from tests.harness import STEP_TIMEOUT, TOKEN, World, example_settings, populate, world

pytestmark = pytest.mark.asyncio

MARKER = "#fault"
PHONE = "13912345678"
ID_CARD = "110101199003071234"
ROOM = "3-2-502"
POISON = f"审计厅小区停水了{MARKER}，我的电话{PHONE}，身份证{ID_CARD}，住{ROOM}"
NOISY = ("httpx", "httpcore", "telegram", "aiohttp", "asyncio", "bot", "handlers", "storage")


@dataclass
class Fault:
    """A bug injected into one desk method; counts the calls it broke."""

    hits: int = 0
    hit: asyncio.Event = field(default_factory=asyncio.Event)


def inject(
    monkeypatch: pytest.MonkeyPatch,
    owner: type[Any],
    name: str,
    when: Callable[[tuple[Any, ...]], bool],
) -> Fault:
    """Make ``owner.name`` raise when ``when(args)`` holds; patched on the class, so a
    restarted bot's new desk has it too."""
    fault, original = Fault(), getattr(owner, name)

    async def failing(this: object, *args: Any) -> Any:
        if not when(args):
            return await original(this, *args)
        fault.hits += 1
        fault.hit.set()
        url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
        raise RuntimeError(f"cannot handle {args!r} (while posting to {url})")

    monkeypatch.setattr(owner, name, failing)
    return fault


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, httpx (its URLs hold the token) included."""
    caplog.set_level(logging.DEBUG)
    for name in NOISY:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _everything(w: World, *extra: int) -> list[tuple[int, int, str]]:
    """Every bot message in every chat of the world (and ``extra`` chats), as it is now."""
    chats = [user.id for user in w.people.values()]
    chats += [telegram_id(unit.chat_id) for kind in UnitKind for unit in w.org.units(kind)]
    return [
        (m.chat_id, m.message_id, f"{m.content}|{m.buttons}")
        for chat in (*chats, *extra)
        for m in w.chat(chat)
    ]


def _said(messages: list[BotMessage]) -> list[tuple[int, str]]:
    return [(m.chat_id, m.content) for m in messages]


async def test_a_poisoned_message_is_skipped_and_its_sender_told_once(
    w: World, monkeypatch: pytest.MonkeyPatch, all_logs: pytest.LogCaptureFixture
) -> None:
    """One kind message to the sender, nothing to anyone else, the next message handled."""
    fault = inject(monkeypatch, Intake, "message", lambda args: MARKER in args[2])
    resident = w.resident()

    update_id = w.standin.send_text(resident, POISON)
    async with asyncio.timeout(STEP_TIMEOUT):
        await w.bot.telegram.inbox.processed(update_id)
        await w.bot.telegram.outbox.settled()

    assert fault.hits == w.bot.telegram.inbox.max_failures == 3
    assert _said(w.chat(resident.id)) == [(resident.id, texts.NOT_HANDLED)]
    assert _everything(w) == []  # no task, no card, no word to any worker or group
    replies = await w.say(resident, "审计厅小区3号楼停水了")
    assert "工单号：20261122-0001" in w.last(resident.id).content
    assert [m.content for m in w.chat(resident.id)].count(texts.NOT_HANDLED) == 1
    assert any(m.chat_id == w.group("xingan-1") for m in replies)

    records = all_logs.records
    skipped = [r for r in records if r.levelno >= logging.ERROR and "skipped" in r.getMessage()]
    assert [r.getMessage() for r in skipped] == [f"update {update_id} failed 3 times; skipped"]
    failures = [r for r in records if r.getMessage() == f"handling update {update_id} failed"]
    assert len(failures) == 3
    for record in failures:  # the traceback still explains the bug, numbers masked
        assert record.exc_text is not None
        assert "RuntimeError: cannot handle" in record.exc_text
        assert "139****5678" in record.exc_text
    assert any(r.name.startswith("httpx") for r in records), "httpx did not log: nothing proven"
    for record in records:
        shown = f"{record.getMessage()}\n{record.exc_text or ''}\n{record.stack_info or ''}"
        for secret in (PHONE, ID_CARD, ROOM, TOKEN):
            assert secret not in shown, f"{record.name}: {shown[:300]}"
    for secret in (PHONE, ID_CARD, ROOM, TOKEN):
        assert secret not in all_logs.text


async def test_a_poisoned_press_gets_a_toast_and_no_message(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A skipped button press is answered once with a toast; no chat gets a message."""
    data = f"zz:{MARKER}"
    fault = inject(monkeypatch, Desk, "press", lambda args: args[1] == data)
    resident = w.resident()
    [welcome] = await w.say(resident, "/start")
    before = _everything(w, resident.id)

    answer = await w.press_data(resident, welcome, data)

    assert fault.hits == 3
    assert (answer.text, answer.show_alert) == (texts.ANSWER_NOT_HANDLED, False)
    answers = [
        a for a in w.standin.callback_answers if a.callback_query_id == answer.callback_query_id
    ]
    assert answers == [answer]
    assert _everything(w, resident.id) == before
    await w.press(resident, welcome, "兴安南路社区")  # the next press is handled
    assert "审计厅小区" in str(w.last(resident.id).buttons)


async def test_a_poisoned_group_command_is_answered_only_in_a_group_the_bot_serves(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The grid's group hears one kind message; a group the bot does not know hears nothing."""
    fault = inject(monkeypatch, Listings, "open_tasks", lambda _: True)
    zhang, grid = w.people["张三"], w.group("xingan-1")
    stranger = w.standin.add_group(-1009999999, "小区业主群").id

    replies = await w.say(zhang, "/tasks", chat_id=grid)
    assert _said(replies) == [(grid, texts.NOT_HANDLED)]

    before = _everything(w, stranger)
    assert await w.say(zhang, "/tasks", chat_id=stranger) == []
    assert _everything(w, stranger) == before
    assert fault.hits == 3  # a group the bot does not serve never reaches a handler


async def test_a_poisoned_update_is_answered_once_across_restarts(
    database_url: str, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopped after a first failure, the update is retried on restart, skipped and answered;
    later restarts neither handle nor answer it again."""
    fault = inject(monkeypatch, Intake, "message", lambda args: MARKER in args[2])
    async with BotApiStandIn(token=TOKEN) as standin:
        settings = example_settings(database_url, cache_dir, standin.base_url)
        people = populate(standin, settings.require_org())
        resident = standin.add_user(1001, "王阿姨")
        clock = nine_am()

        def restarted() -> AbstractAsyncContextManager[World]:
            return world(database_url, cache_dir, standin=standin, people=people, clock=clock)

        async with restarted() as first:
            update_id = standin.send_text(resident, POISON)
            async with asyncio.timeout(STEP_TIMEOUT):
                await fault.hit.wait()
        assert fault.hits == 1  # stopped before the second try: still unprocessed, untold
        assert first.chat(resident.id) == []

        async with restarted() as second:
            telegram = second.bot.telegram
            async with asyncio.timeout(STEP_TIMEOUT):
                await telegram.inbox.processed(update_id)
                await telegram.outbox.settled()
            assert fault.hits == 1 + telegram.inbox.max_failures
            assert _said(second.chat(resident.id)) == [(resident.id, texts.NOT_HANDLED)]

        async with restarted() as third:
            await third.say(resident, "审计厅小区3号楼停水了")
            said = [m.content for m in third.chat(resident.id)]
            assert said[0] == texts.NOT_HANDLED
            assert said.count(texts.NOT_HANDLED) == 1
            assert "工单号：20261122-0001" in said[-1]
        assert fault.hits == 1 + 3


async def test_an_update_whose_last_try_did_its_work_gets_no_apology(database_url: str) -> None:
    """The last try committed the work (the update marked processed with it) and then raised:
    the update is skipped, and its sender, already answered by that work, hears no apology."""
    async with BotApiStandIn(token=TOKEN) as standin, open_store(database_url) as store:
        resident = standin.add_user(1001, "王阿姨")
        application = ApplicationBuilder().token(TOKEN).base_url(standin.base_url).build()
        inbox = Inbox(application, store, poll_timeout=1, after_update=lambda: None)
        tries = 0

        async def flaky(update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
            nonlocal tries
            tries += 1
            if tries == inbox.max_failures:
                async with store.transaction() as tx:
                    await tx.enqueue(Outgoing(telegram(resident.id), "已收到"))
                    await tx.mark_update_processed(update.update_id)
            raise RuntimeError(f"try {tries} broken")

        async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert isinstance(update, Update)
            assert context.error is not None
            inbox.record_failure(update.update_id, context.error, telegram(resident.id))

        application.add_handler(TypeHandler(Update, flaky))
        application.add_error_handler(on_error)
        standin.send_text(resident, "3号楼停水了")
        async with application:
            [update] = await application.bot.get_updates()
            async with store.transaction() as tx:
                await tx.store_updates([(update.update_id, json.dumps(update.to_dict()))])
            assert [await inbox.process_stored() for _ in range(3)] == [False, False, True]
        async with store.transaction() as tx:
            pending = await tx.pending_outbox(10)
            assert await tx.unprocessed_updates(10) == []
        assert [item.message.text for item in pending] == ["已收到"]
