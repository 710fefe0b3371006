"""Live cards: the outbox renders a card from the task as it stands when it sends it.

The follow-up tick marks thousands of cards overdue in one go; it writes each as a live card
(``Outgoing.live``, no text) and the dispatcher renders it when it goes out. The desk and the
dispatcher run on a real database; the channel is a recording fake of the ``Sender`` port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest
import pytest_asyncio

from bot.channels import telegram
from bot.config.settings import Settings
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Context
from bot.desk.desk import Desk
from bot.domain import Outgoing, Task
from bot.followup.engine import FollowUp
from bot.language import Language
from bot.sending.outbox import OutboxDispatcher
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import COMMUNITY_CHAT, GRID1_CHAT, ZHANG

pytestmark = pytest.mark.asyncio
RESIDENT = Actor(telegram(1001), telegram(1001), "王阿姨")
GRID, COMMUNITY = GRID1_CHAT, COMMUNITY_CHAT


class RecordingChannel:
    """Takes every message; each new one gets the next message id."""

    def __init__(self) -> None:
        self.sent: list[tuple[Outgoing, int | None]] = []

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        if before_request is not None:  # the request is written at once
            await before_request()
        self.sent.append((message, edit_message_id))
        return edit_message_id if edit_message_id is not None else 700 + len(self.sent)

    def take(self) -> list[tuple[Outgoing, int | None]]:
        taken, self.sent = self.sent, []
        return taken


@pytest_asyncio.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[SqlStore]:
    async with open_store(database_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def desk(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> Desk:
    org = settings.require_org()
    context = Context(
        store, org, language, settings.deadlines, settings.timezone, clock, settings.followup
    )
    return Desk(context)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def outbox(
    store: SqlStore, desk: Desk, channel: RecordingChannel, clock: FakeClock
) -> OutboxDispatcher:
    return OutboxDispatcher(store, channel, clock, desk.context.presenter)


async def reported(desk: Desk, outbox: OutboxDispatcher, channel: RecordingChannel) -> Task:
    """A resident's task with its card posted (and everything else sent)."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼停水了", None, None)
    async with desk.context.store.transaction() as tx:
        [task] = await tx.tasks_of_resident(RESIDENT.user_id, 1)
    await outbox.drain()
    channel.take()
    return task


async def test_the_tick_writes_live_cards_without_text(
    desk: Desk, outbox: OutboxDispatcher, channel: RecordingChannel, clock: FakeClock
) -> None:
    """An overdue step's card edit is queued live: no text until the outbox renders it."""
    task = await reported(desk, outbox, channel)
    clock.advance(timedelta(hours=2))
    assert await FollowUp(desk.context, desk.work).tick(clock()) == 1
    async with desk.context.store.transaction() as tx:
        pending = [item.message for item in await tx.pending_outbox(10)]
    [card] = [m for m in pending if m.edit_card_of == task.id]
    assert (card.live, card.text, card.chat_id) == (True, "", GRID)
    await outbox.drain()
    [(sent, edited)] = [(m, e) for m, e in channel.take() if m.edit_card_of == task.id]
    assert edited is not None
    assert "⚠️ 超时未认领" in sent.text
    assert [b.text for row in sent.buttons for b in row] == ["认领", "合并", "改类别"]


async def test_a_live_card_shows_the_task_as_it_stands_when_sent(
    desk: Desk, outbox: OutboxDispatcher, channel: RecordingChannel
) -> None:
    """Queued while open, sent after 张三 claimed: it shows the claim, not the old state."""
    task = await reported(desk, outbox, channel)
    async with desk.context.store.transaction() as tx:
        await tx.enqueue(desk.context.presenter.live_card_later(task))
    await desk.press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    await outbox.drain()
    cards = [m for m, _ in channel.take() if m.edit_card_of == task.id and m.chat_id == GRID]
    assert len(cards) == 2  # the live one, then the claim's own edit
    assert all("张三 于" in card.text for card in cards)
    assert "认领" not in [b.text for row in cards[0].buttons for b in row]


async def test_a_live_card_of_a_task_that_moved_on_is_skipped(
    desk: Desk, outbox: OutboxDispatcher, channel: RecordingChannel
) -> None:
    """Escalated before the live card went out: the old group gets only the move's own card
    ("已上报至…"), never a live card with buttons for a task it no longer holds."""
    task = await reported(desk, outbox, channel)
    await desk.press(ZHANG, Action(Verb.CLAIM, task.id).encode(), None)
    await outbox.drain()
    channel.take()
    async with desk.context.store.transaction() as tx:
        await tx.enqueue(desk.context.presenter.live_card_later(task))
    await desk.press(ZHANG, Action(Verb.ESCALATE, task.id).encode(), None)
    assert await outbox.drain() > 0
    in_grid = [m for m, _ in channel.take() if m.chat_id == GRID and m.edit_card_of == task.id]
    assert len(in_grid) == 1
    assert "上报" in in_grid[0].text
    assert not in_grid[0].buttons
    async with desk.context.store.transaction() as tx:
        assert await tx.pending_outbox(10) == []


async def test_a_live_card_never_posted_is_posted_as_the_card(
    desk: Desk, outbox: OutboxDispatcher, channel: RecordingChannel
) -> None:
    """No card message to edit (the first post was given up): the live card becomes the card,
    and later edits edit it."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼停水了", None, None)
    async with desk.context.store.transaction() as tx:
        [task] = await tx.tasks_of_resident(RESIDENT.user_id, 1)
        for item in await tx.pending_outbox(10):
            if item.message.card_of == task.id:
                await tx.outbox_failed(item.id, "Chat not found")
        await tx.enqueue(desk.context.presenter.live_card_later(task))
    await outbox.drain()
    [(card, edited)] = [(m, e) for m, e in channel.take() if m.card_of == task.id]
    assert edited is None
    assert card.chat_id == GRID
    assert "审计厅小区" in card.text
    async with desk.context.store.transaction() as tx:
        assert await tx.card_message_id(task.id, GRID) is not None
