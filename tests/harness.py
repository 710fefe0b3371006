"""The end-to-end world: the real bot, a Bot API stand-in, the example org and a fake clock.

Tests act as residents and workers through :class:`World` and read what the bot sent; every
step waits for the bot to process the update and for the outbox to settle — events, not sleeps.

The one piece of state this module keeps: :func:`shared_language`'s cache, one built language
core per classifier setting per test process. Loading jieba's dictionary takes over a second;
every world would otherwise pay it again for the same immutable rules and tokenizer.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.app import RunningBot, running_bot
from bot.channels import telegram_id
from bot.config.org import Org
from bot.config.settings import (
    ClassifierSettings,
    DigestSettings,
    HttpSettings,
    Settings,
    TelegramSettings,
    load_settings,
)
from bot.config.wechat import WeChatSecrets
from bot.config.wecom import WeComSecrets
from bot.desk.cards import Presenter
from bot.domain import UnitKind
from bot.language import Language, build_language
from standins.balancer import free_port
from standins.telegram import BotApiStandIn, BotMessage, CallbackAnswer, User
from tests.clock import FakeClock, nine_am

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
TOKEN = "123456:STAND-IN"
WEBHOOK_SECRET = "stand-in_webhook-secret"
STEP_TIMEOUT = 10.0
PRESENTER = Presenter(load_settings(EXAMPLE).require_org(), ZoneInfo("Asia/Shanghai"))
"""Cards of the example organisation, for an outbox dispatcher built outside a running bot."""


@dataclass
class World:
    """One running bot and the people around it."""

    standin: BotApiStandIn
    bot: RunningBot
    clock: FakeClock
    org: Org
    people: dict[str, User]

    def resident(self, user_id: int = 1001, name: str = "王阿姨") -> User:
        return self.standin.add_user(user_id, name)

    def group(self, grid_or_unit_id: str) -> int:
        """The Telegram chat id of a unit by its id."""
        for kind in UnitKind:
            for unit in self.org.units(kind):
                if unit.ref.id == grid_or_unit_id:
                    return telegram_id(unit.chat_id)
        raise KeyError(grid_or_unit_id)

    async def say(self, user: User, text: str, chat_id: int | None = None) -> list[BotMessage]:
        """``user`` writes; returns the bot messages sent or edited in reply, in any chat."""
        before = self._snapshot()
        update_id = self.standin.send_text(user, text, chat_id=chat_id)
        await self._settle(update_id)
        return self._changed_since(before)

    async def send_photo(self, user: User, caption: str | None = None) -> list[BotMessage]:
        before = self._snapshot()
        await self._settle(self.standin.send_photo(user, caption=caption))
        return self._changed_since(before)

    async def press(self, user: User, message: BotMessage, label: str) -> CallbackAnswer:
        """``user`` taps the button labelled ``label`` on ``message``; returns the toast."""
        current = self.latest(message)
        data = next((d for row in current.buttons for text, d in row if text == label), None)
        assert data is not None, f"no button {label!r} on: {current.content}"
        return await self.press_data(user, current, data)

    async def press_data(self, user: User, message: BotMessage, data: str) -> CallbackAnswer:
        """Press arbitrary callback data (stale, forged or replayed) on ``message``."""
        query_id = self.standin.press(user, message, data, strict=False)
        await self._settle(self.standin.last_update_id)
        return next(a for a in self.standin.callback_answers if a.callback_query_id == query_id)

    async def resolve(
        self, worker: User, card: BotMessage, note: str, photo: bool = False
    ) -> list[BotMessage]:
        """``worker`` presses 办结 on ``card``, writes ``note`` (as a photo's caption when
        ``photo``) and presses 确认 on the preview; returns what changed after 确认."""
        await self.press(worker, card, "办结")
        if photo:
            await self.send_photo(worker, caption=note)
        else:
            await self.say(worker, note)
        preview = self.last(worker.id)
        assert preview.buttons, f"no preview of the result: {preview.content}"
        before = self._snapshot()
        await self.press(worker, preview, "确认")
        return self._changed_since(before)

    def chat(self, chat_id: int) -> list[BotMessage]:
        return self.standin.chat(chat_id)

    def last(self, chat_id: int) -> BotMessage:
        messages = self.chat(chat_id)
        assert messages, f"the bot sent nothing to {chat_id}"
        return messages[-1]

    def card(self, chat_id: int, number: str) -> BotMessage:
        """The task card for ``number`` in ``chat_id``, as it is now."""
        cards = [m for m in self.chat(chat_id) if f"工单 {number}｜" in m.content]
        assert len(cards) == 1, f"{len(cards)} cards for {number} in {chat_id}"
        return cards[0]

    def latest(self, message: BotMessage) -> BotMessage:
        return next(m for m in self.chat(message.chat_id) if m.message_id == message.message_id)

    async def _settle(self, update_id: int) -> None:
        telegram = self.bot.telegram
        await _within(telegram.inbox.processed(update_id))
        await _within(telegram.outbox.settled())

    def _snapshot(self) -> dict[tuple[int, int], str]:
        return {
            (m.chat_id, m.message_id): f"{m.content}|{m.buttons}"
            for chat in self.standin._chats
            for m in self.standin.chat(chat)
        }

    def _changed_since(self, before: dict[tuple[int, int], str]) -> list[BotMessage]:
        now = self._snapshot()
        changed = [key for key, value in now.items() if before.get(key) != value]
        return [m for chat in {k[0] for k in changed} for m in self.standin.chat(chat)
                if (m.chat_id, m.message_id) in changed]  # fmt: skip


async def _within(awaitable: Awaitable[None]) -> None:
    async with asyncio.timeout(STEP_TIMEOUT):
        await awaitable


@functools.cache
def shared_language(classifier: ClassifierSettings) -> Language:
    """The language core for ``classifier``, built on first use and shared by later worlds.

    Classification is a pure function of the text (bot/language.py), so one core serves every
    bot a test process starts, as one serves every handler in production.
    """
    return build_language(classifier)


def example_settings(database_url: str, cache_dir: Path, base_url: str) -> Settings:
    """The example config on ``database_url``, talking to the stand-in at ``base_url``."""
    return replace(
        load_settings(EXAMPLE),
        database_url=database_url,
        telegram=TelegramSettings(base_url, poll_timeout=1),
        classifier=ClassifierSettings(cache_dir=cache_dir),
        # after the worlds' 09:00 start, so start-up does not catch up on today's digests
        digests=DigestSettings(morning=time(9, 30), weekly_time=time(9, 30)),
    )


def webhook_mode(settings: Settings) -> Settings:
    """``settings`` receiving updates by webhook on a free local port (:func:`free_port`)."""
    port = free_port()
    telegram = replace(
        settings.telegram, mode="webhook", webhook_url=f"http://127.0.0.1:{port}/telegram"
    )
    return replace(settings, telegram=telegram, http=HttpSettings(("127.0.0.1", port)))


def populate(standin: BotApiStandIn, org: Org) -> dict[str, User]:
    """Every configured person as a user, every unit's group chat; people by name."""
    people = {p.name: standin.add_user(telegram_id(p.user_id), p.name) for p in org.people.values()}
    for kind in UnitKind:
        for unit in org.units(kind):
            standin.add_group(telegram_id(unit.chat_id), unit.name)
    return people


@asynccontextmanager
async def world(
    database_url: str,
    cache_dir: Path,
    *,
    standin: BotApiStandIn | None = None,
    people: dict[str, User] | None = None,
    clock: FakeClock | None = None,
    change: Callable[[Settings], Settings] | None = None,
    webhook: bool = False,
    wechat_secrets: WeChatSecrets | None = None,
    wecom_secrets: WeComSecrets | None = None,
) -> AsyncIterator[World]:
    """The example org's bot on ``database_url`` against a stand-in (a fresh one by default).

    Pass the ``standin``, ``people`` and ``clock`` of a previous world to restart the bot on
    the same database and the same Telegram; ``change`` adjusts the example settings (other
    limits, a shorter send timeout). ``webhook``: updates arrive by webhook (the stand-in
    POSTs them to the bot's HTTP server) instead of long polling. ``wechat_secrets`` and
    ``wecom_secrets``: for a ``change`` that sets ``[wechat]`` or ``[wecom]`` up
    (tests/wechat_world.py).
    """
    async with contextlib.AsyncExitStack() as stack:
        clock = clock or nine_am()
        if standin is None:
            at = clock  # messages are dated by the same fake clock the bot runs on
            standin = await stack.enter_async_context(
                BotApiStandIn(
                    token=TOKEN, bot_username="griddesk_bot", clock=lambda: at().timestamp()
                )
            )
        settings = example_settings(database_url, cache_dir, standin.base_url)
        if change is not None:
            settings = change(settings)
        if webhook:
            settings = webhook_mode(settings)
        org = settings.require_org()
        people = people if people is not None else populate(standin, org)
        bot = await stack.enter_async_context(
            running_bot(
                settings,
                TOKEN,
                clock,
                rate_limited=False,
                language=shared_language(settings.classifier),
                webhook_secret=WEBHOOK_SECRET if webhook else None,
                wechat_secrets=wechat_secrets,
                wecom_secrets=wecom_secrets,
            )
        )
        if not webhook and settings.telegram.mode != "off":  # a webhook is set before it returns
            await standin.until_polling()
        yield World(standin, bot, clock, org, people)
