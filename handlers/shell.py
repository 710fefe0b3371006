"""``griddesk shell``: the real bot, chatted with in the terminal, without a token or network.

The whole bot runs as in production — PTB Application, inbox, desk, database, outbox — against
the local Bot API stand-in. The terminal plays the people: a resident by default, any configured
worker after ``/as 张三``. Whatever the bot sends or edits, in any chat, is printed with its
buttons numbered from [1] in each printout; typing a number presses that button of the last
printout as the current person, in a chat that person is in.

Time can be moved: ``/wait 2h`` moves the shell's clock on and runs the bot's repeating job
(follow-ups, held notices, unanswered questions, scheduled notices) hour by hour through the
wait, so reminders, escalations, 回访 and what waits for the morning show as they would;
``griddesk shell --at "2026-12-06 23:30"`` starts at a chosen local time.

``griddesk shell --wechat`` makes the resident a follower of the WeChat Official Account
instead (:mod:`handlers.shell_wechat`): she follows at the start, her lines (numbers too: WeChat
has no buttons) reach the bot as Tencent's calls, and what WeChat delivered to her is printed
under her WeChat chat's header; the workers stay on Telegram.

The shell never ends on a slip: a number that is not on screen, a button in a chat the person
is not in, or any step that fails answers in one line and the session goes on. Its own words
(not the bot's) are the constants below, the shell's UI in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import RunningBot, running_bot
from bot.channels import telegram_id
from bot.config.settings import Settings, TelegramSettings
from bot.domain import UnitKind
from handlers import shell_wechat
from handlers.shell_wechat import WeChatResident, wechat_resident
from standins.telegram import BotApiStandIn, BotMessage, User

log = logging.getLogger(__name__)

TOKEN = "0:SHELL"
RESIDENT_ID, RESIDENT_NAME = 1001, "王阿姨"

# --- what the shell itself says ---------------------------------------------------------------
WELCOME = "网格通试用台 — 你现在是居民{name}，直接输入问题试试。输入 /shell 查看说明。"
HELP = """\
试用台说明（其余输入都以当前身份发给机器人）：
  /as 姓名     换成配置里的某个人（如 /as 张三），或换回居民（/as 王阿姨）
  /chat        在和机器人的私聊与自己所在的群之间切换
  /wait 时长   让时间往后走（如 /wait 30m、/wait 2h、/wait 3d），期间的提醒、上报、回访照常发生
  /time        看试用台现在的时间
  数字 N       按下最近一次显示里编号为 [N] 的按钮（每次显示都从 [1] 编起）
  /quit        退出（也可以按 Ctrl+D）"""
GROUP_NAME = "{name}（群）"
PRIVATE_NAME = "{name}的私聊"
HEADER = "── {chat} ──"
HEADER_EDITED = "── {chat}（更新） ──"
PHOTO = "[照片]"
BUTTON = "  [{number}] {label}"
NOW_IN = "（现在在：{chat}）"
NOW_AS = "（现在你是{name}，在：{chat}）"
NO_SUCH_PERSON = "（没有这个人。可以选：{names}）"
PRESSED = "（{name} 点了“{label}”）"
TOAST = "（提示：{text}）"
ALERT = "（提示框：{text}）"
NO_BUTTONS = "（最近一次显示里没有按钮。）"
NO_SUCH_BUTTON = "（没有按钮 [{number}]：最近一次显示的按钮是 [1] 到 [{count}]。）"
NOT_YOUR_CHAT = "（{name}不在“{chat}”里，按不了那里的按钮。）"
MESSAGE_GONE = "（那条消息已经被删掉了，按钮按不了。）"
NO_ANSWER = "（机器人没有回应这次点击。）"
STEP_FAILED = "（这一步出错了：{error}。可以接着输入。）"
QUIET_NOW = (
    "（现在是 {when}，在夜间免打扰时段（{start}-{end}）里：给居民的通知（如办结结果、评价邀请）"
    "要到 {end} 才发出。想马上看到，输入 /wait 加时长，或用 --at 从白天开始。）"
)
NOW_IS = "（现在是 {when}）"
WAITED = "（过了 {span}，现在是 {when}）"
BAD_WAIT = "（请写要等多久，例如 /wait 30m、/wait 2h、/wait 3d。）"
# ------------------------------------------------------------------------------------------------

_QUIT = frozenset({"/quit", "/exit"})
_WAIT = re.compile(r"^(\d+)\s*(m|min|h|d|分钟|小时|天)$")
_UNITS = {"m": "minutes", "min": "minutes", "分钟": "minutes", "h": "hours", "小时": "hours",
          "d": "days", "天": "days"}  # fmt: skip
_WAIT_STEP = timedelta(hours=1)
"""The repeating job runs at least this often through a wait, so each step shows in order."""
_LONGEST_WAIT = timedelta(days=30)
_ERROR_SHOWN = 200
"""Characters of an unexpected error shown on its one line."""


@dataclass(frozen=True)
class _Button:
    """A button as printed: the message it is on (as it was then), its label and data."""

    message: BotMessage
    label: str
    data: str


class ShellClock:
    """The shell's clock: real time, started at ``--at`` and moved on by ``/wait``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.offset = start - datetime.now(UTC) if start else timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def run_shell(
    settings: Settings,
    database: str | None,
    lines: AsyncIterator[str] | None = None,
    write: Callable[[str], None] = print,
    start: datetime | None = None,
    *,
    wechat: bool = False,
) -> None:
    """Run the bot against a stand-in and chat with it from ``lines`` (default: the terminal);
    ``start``: the moment the shell's clock starts at (default: now); ``wechat``: the resident
    is on WeChat (:mod:`handlers.shell_wechat`), not on Telegram."""
    with tempfile.TemporaryDirectory(prefix="griddesk-shell-") as scratch:
        url = database or f"sqlite:///{Path(scratch) / 'shell.db'}"
        async with (
            BotApiStandIn(token=TOKEN, bot_username="griddesk_bot") as standin,
            contextlib.AsyncExitStack() as stack,
        ):
            clock = ShellClock(start)
            shell_settings = replace(
                settings, database_url=url, telegram=TelegramSettings(standin.base_url, 1)
            )
            resident, secrets = None, None
            if wechat:
                shell_settings, resident = await stack.enter_async_context(
                    wechat_resident(shell_settings, clock, RESIDENT_NAME)
                )
                secrets = shell_wechat.SECRETS
            else:  # the config's account is not the shell's: its resident is on Telegram
                shell_settings = replace(shell_settings, wechat=None)
            session = _Session(standin, shell_settings, clock, write, resident)
            async with running_bot(
                shell_settings, TOKEN, clock, rate_limited=False, wechat_secrets=secrets
            ) as bot:
                await standin.until_polling()
                await session.loop(bot, lines or _terminal_lines(session))


class _Session:
    def __init__(
        self,
        standin: BotApiStandIn,
        settings: Settings,
        clock: ShellClock,
        write: Callable[[str], None],
        wechat: WeChatResident | None = None,
    ) -> None:
        """``wechat``: the resident on WeChat; None: on Telegram, as everyone else."""
        org = settings.require_org()
        self.standin = standin
        self.clock = clock
        self.timezone = settings.timezone
        self.quiet_hours = settings.quiet_hours
        self.write = write
        # the shell plays everyone on the Telegram stand-in, so the org's ids are Telegram's
        self.names = {
            telegram_id(unit.chat_id): GROUP_NAME.format(name=unit.name)
            for kind in UnitKind
            for unit in org.units(kind)
        }
        for chat_id, title in self.names.items():
            standin.add_group(chat_id, title)
        self.wechat = wechat
        self.people: dict[str, User] = {}
        """Everyone on Telegram, by name."""
        if wechat is None:
            self.people[RESIDENT_NAME] = standin.add_user(RESIDENT_ID, RESIDENT_NAME)
        self.groups: dict[int, tuple[int, ...]] = {}
        """The group chats each person is in: those of their units (the street's if none)."""
        for person in org.people.values():
            user_id = telegram_id(person.user_id)
            self.people[person.name] = standin.add_user(user_id, person.name)
            chats = tuple(telegram_id(org.unit(ref).chat_id) for ref in person.units)
            self.groups[user_id] = chats or (telegram_id(org.street.chat_id),)
        for user in self.people.values():
            self.names[user.id] = PRIVATE_NAME.format(name=user.first_name)
        self.me: User | None = None if wechat else self.people[RESIDENT_NAME]
        """The current person; None: the resident on WeChat."""
        self.chat_id: int | None = self.me.id if self.me else None
        """The current person's Telegram chat; None on WeChat."""
        self.buttons: list[_Button] = []
        """The buttons of the last printout: number N is ``buttons[N - 1]``."""
        self.seen: dict[tuple[int, int], str] = {}

    @property
    def prompt(self) -> str:
        return f"[{self._who()} @ {self._where()}] > "

    def _who(self) -> str:
        return self.me.first_name if self.me else RESIDENT_NAME

    def _where(self) -> str:
        if self.chat_id is None:
            return self.wechat.chat_name if self.wechat else ""
        return self.names[self.chat_id]

    async def loop(self, bot: RunningBot, lines: AsyncIterator[str]) -> None:
        welcome = shell_wechat.WELCOME if self.wechat else WELCOME
        self.write(welcome.format(name=RESIDENT_NAME))
        now = self.clock()
        if self.quiet_hours.release(now, self.timezone) != now:
            start, end = self.quiet_hours.start, self.quiet_hours.end
            self.write(QUIET_NOW.format(when=self._now(), start=f"{start:%H:%M}",
                                        end=f"{end:%H:%M}"))  # fmt: skip
        if self.wechat is not None:  # she has just followed: the welcome a new follower gets
            await self._guarded(self._delivered(self.wechat.follow(bot)))
        async for raw in lines:
            line = raw.strip()
            if line in _QUIT:
                break
            await self._guarded(self._step(bot, line))

    async def _guarded(self, step: Awaitable[None]) -> None:
        """Run ``step``; if it fails, say so in one line and go on."""
        try:
            await step
        except Exception as exc:  # one failed step must not end the session
            log.warning("shell step failed: %s: %s", type(exc).__name__, exc)
            log.debug("shell step failed", exc_info=True)
            error = " ".join(f"{type(exc).__name__}: {exc}".split())[:_ERROR_SHOWN]
            self.write(STEP_FAILED.format(error=error))

    async def _step(self, bot: RunningBot, line: str) -> None:
        if line == "/shell":
            help_wechat = shell_wechat.HELP.format(name=RESIDENT_NAME)
            self.write(f"{HELP}\n{help_wechat}" if self.wechat else HELP)
        elif line == "/as" or line.startswith("/as "):
            self._become(line[3:].strip())
        elif line == "/time":
            self.write(NOW_IS.format(when=self._now()))
        elif line == "/wait" or line.startswith("/wait "):
            await self._wait(bot, line[5:].strip())
        elif self.me is not None:
            await self._on_telegram(bot, self.me, line)
        elif self.wechat is not None:
            await self._on_wechat(bot, self.wechat, line)

    async def _on_telegram(self, bot: RunningBot, me: User, line: str) -> None:
        """A line of ``me``'s on Telegram: /chat, a button's number, or a message."""
        if line == "/chat":
            home = self._home(me)
            self.chat_id = home if self.chat_id == me.id else me.id
            self.write(NOW_IN.format(chat=self.names[self.chat_id]))
        elif line.isascii() and line.isdigit():
            await self._press(bot, me, int(line))
        elif line:
            update_id = self.standin.send_text(me, line, chat_id=self._chat_for_send(me))
            await self._settle(bot, update_id)

    async def _on_wechat(self, bot: RunningBot, resident: WeChatResident, line: str) -> None:
        """A line of the resident's on WeChat: every line but /chat is her message, a number
        too (WeChat's choices are numbered lines answered by typing the number)."""
        if line == "/chat":
            self.write(shell_wechat.ONLY_CHAT.format(name=resident.name, chat=resident.chat_name))
        elif line:
            await self._delivered(resident.says(bot, line))

    async def _delivered(self, delivery: Awaitable[str | None]) -> None:
        """Await a WeChat delivery; print why it failed, if it did, then what changed."""
        if (slip := await delivery) is not None:
            self.write(slip)
        self._print_changes()

    def _now(self) -> str:
        return self.clock().astimezone(self.timezone).strftime("%Y-%m-%d %H:%M")

    async def _wait(self, bot: RunningBot, span: str) -> None:
        """Move the clock on by ``span``, running the repeating job hour by hour through it."""
        match = _WAIT.match(span)
        wait = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}) if match else None
        if wait is None or not timedelta(0) < wait <= _LONGEST_WAIT:
            self.write(BAD_WAIT)
            return
        application = bot.telegram.application
        assert application.job_queue is not None  # the runtime always has one
        [job] = application.job_queue.get_jobs_by_name("_on_tick")
        left = wait
        while left > timedelta(0):
            step = min(left, _WAIT_STEP)
            self.clock.offset += step
            left -= step
            await job.run(application)
        await bot.telegram.outbox.settled()
        self.write(WAITED.format(span=span, when=self._now()))
        self._print_changes()

    def _home(self, user: User) -> int:
        """Where ``/as`` puts a person: their first group, or the private chat (residents)."""
        return self.groups.get(user.id, (user.id,))[0]

    def _chat_for_send(self, me: User) -> int | None:
        return None if self.chat_id == me.id else self.chat_id

    def _become(self, name: str) -> None:
        if self.wechat is not None and name == RESIDENT_NAME:
            self.me, self.chat_id = None, None
        elif name in self.people:
            self.me = self.people[name]
            self.chat_id = self._home(self.me)
        else:
            names = ([RESIDENT_NAME] if self.wechat else []) + list(self.people)
            self.write(NO_SUCH_PERSON.format(names="、".join(names)))
            return
        self.write(NOW_AS.format(name=name, chat=self._where()))

    async def _press(self, bot: RunningBot, me: User, number: int) -> None:
        if not self.buttons:
            self.write(NO_BUTTONS)
            return
        if not 1 <= number <= len(self.buttons):
            self.write(NO_SUCH_BUTTON.format(number=number, count=len(self.buttons)))
            return
        button = self.buttons[number - 1]
        chat_id = button.message.chat_id
        if chat_id != me.id and chat_id not in self.groups.get(me.id, ()):
            self.write(NOT_YOUR_CHAT.format(name=me.first_name, chat=self.names[chat_id]))
            return
        if all(m.message_id != button.message.message_id for m in self.standin.chat(chat_id)):
            self.write(MESSAGE_GONE)
            return
        query_id = self.standin.press(me, button.message, button.data, strict=False)
        self.write(PRESSED.format(name=me.first_name, label=button.label))
        update_id = next(
            (
                u["update_id"]
                for u in self.standin.pending_updates
                if u.get("callback_query", {}).get("id") == query_id
            ),
            None,
        )
        if update_id is not None:
            await self._settle(bot, update_id)
        answers = self.standin.callback_answers
        answer = next((a for a in answers if a.callback_query_id == query_id), None)
        if answer is None:
            self.write(NO_ANSWER)
        elif answer.text:
            self.write((ALERT if answer.show_alert else TOAST).format(text=answer.text))

    async def _settle(self, bot: RunningBot, update_id: int) -> None:
        await bot.telegram.inbox.processed(update_id)
        await bot.telegram.outbox.settled()
        self._print_changes()

    def _print_changes(self) -> None:
        """What changed anywhere, the current chat first (what the person sees first): the
        resident's WeChat chat first while she is the one, else last.

        A printout numbers its buttons from [1]; once something is printed, the numbers refer
        to its buttons only, so a script can rely on them (WeChat's messages have none).
        """
        printed = self.me is None and self._print_wechat()
        buttons: list[_Button] = []
        for chat_id in sorted(self.names, key=lambda chat: chat != self.chat_id):
            for message in self.standin.chat(chat_id):
                key = (message.chat_id, message.message_id)
                shown = f"{message.content}|{message.buttons}"
                if self.seen.get(key) == shown:
                    continue
                header = HEADER_EDITED if key in self.seen else HEADER
                self.seen[key] = shown
                printed = True
                self.write(header.format(chat=self.names[chat_id]))
                self.write(message.content + (f"\n{PHOTO}" if message.photo else ""))
                for row in message.buttons:
                    for label, data in row:
                        if data:
                            buttons.append(_Button(message, label, data))
                            self.write(BUTTON.format(number=len(buttons), label=label))
        if self.me is not None:
            printed = self._print_wechat() or printed
        if printed:
            self.buttons = buttons

    def _print_wechat(self) -> bool:
        """What WeChat delivered to the resident since the last printout; whether any."""
        if self.wechat is None:
            return False
        delivered = self.wechat.unseen()
        for text in delivered:
            self.write(HEADER.format(chat=self.wechat.chat_name))
            self.write(text)
        return bool(delivered)


async def _terminal_lines(session: _Session) -> AsyncIterator[str]:
    while True:
        try:
            yield await asyncio.to_thread(input, session.prompt)
        except EOFError:
            sys.stdout.write("\n")
            return
