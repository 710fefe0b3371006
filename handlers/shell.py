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

``griddesk shell --wecom`` makes the organisation's people members of the WeCom self-built app
instead (:mod:`handlers.shell_wecom`): after ``/as 张三`` what the app sent 张三 — texts, and
cards as they look now, their buttons numbered — prints under his app chat's header, a card he
got prints again, marked （更新）, when it changes (another member claimed, the task climbed),
a number presses that button through WeCom's encrypted callback, other lines are his messages
to the app. Only the current person's chat with the app is printed; ``/as 李四`` shows his.
With ``--wechat --wecom`` Telegram is off altogether (``[telegram] mode = "off"``: no Telegram
stand-in is started), the setting of a street office in mainland China; with ``--wecom`` alone
the resident stays on Telegram.

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
from bot.config.org import Org
from bot.config.serving import NO_TELEGRAM_TOKEN, OFF
from bot.config.settings import Settings, TelegramSettings
from bot.domain import UnitKind
from handlers import shell_wechat, shell_wecom
from handlers.shell_wechat import WeChatResident, wechat_resident
from handlers.shell_wecom import WeComButton, WeComMembers, wecom_members
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
    wecom: bool = False,
) -> None:
    """Run the bot against stand-ins and chat with it from ``lines`` (default: the terminal);
    ``start``: the moment the shell's clock starts at (default: now); ``wechat``: the resident
    is on WeChat (:mod:`handlers.shell_wechat`), not on Telegram; ``wecom``: the
    organisation's people are members of the WeCom app (:mod:`handlers.shell_wecom`). With
    both, Telegram is off and no Telegram stand-in runs."""
    with tempfile.TemporaryDirectory(prefix="griddesk-shell-") as scratch:
        url = database or f"sqlite:///{Path(scratch) / 'shell.db'}"
        async with contextlib.AsyncExitStack() as stack:
            clock = ShellClock(start)
            standin, token = None, NO_TELEGRAM_TOKEN
            telegram = TelegramSettings(mode=OFF)
            if not (wechat and wecom):  # somebody is on Telegram
                standin = await stack.enter_async_context(
                    BotApiStandIn(token=TOKEN, bot_username="griddesk_bot")
                )
                token, telegram = TOKEN, TelegramSettings(standin.base_url, 1)
            shell_settings = replace(settings, database_url=url, telegram=telegram)
            resident, wechat_secrets = None, None
            if wechat:
                shell_settings, resident = await stack.enter_async_context(
                    wechat_resident(shell_settings, clock, RESIDENT_NAME)
                )
                wechat_secrets = shell_wechat.SECRETS
            else:  # the config's account is not the shell's: its resident is on Telegram
                shell_settings = replace(shell_settings, wechat=None)
            members, wecom_secrets = None, None
            if wecom:  # on the WeChat callback's server, if there is one
                listen = shell_settings.http.listen if wechat else None
                shell_settings, members = await stack.enter_async_context(
                    wecom_members(shell_settings, clock, listen)
                )
                wecom_secrets = shell_wecom.SECRETS
            else:  # the config's app is not the shell's: its people are on Telegram
                shell_settings = replace(shell_settings, wecom=None)
            session = _Session(standin, shell_settings, clock, write, resident, wecom=members)
            async with running_bot(
                shell_settings,
                token,
                clock,
                rate_limited=False,
                wechat_secrets=wechat_secrets,
                wecom_secrets=wecom_secrets,
            ) as bot:
                if standin is not None:
                    await standin.until_polling()
                await session.loop(bot, lines or _terminal_lines(session))


class _Session:
    def __init__(
        self,
        standin: BotApiStandIn | None,
        settings: Settings,
        clock: ShellClock,
        write: Callable[[str], None],
        wechat: WeChatResident | None = None,
        *,
        wecom: WeComMembers | None = None,
    ) -> None:
        """``standin``: Telegram's, None when nobody is on Telegram; ``wechat``: the resident
        on WeChat, None: on Telegram; ``wecom``: the organisation's people on WeCom, None: on
        Telegram."""
        org = settings.require_org()
        self.standin = standin
        self.clock = clock
        self.timezone = settings.timezone
        self.quiet_hours = settings.quiet_hours
        self.write = write
        self.wechat = wechat
        self.wecom = wecom
        self.names: dict[int, str] = {}
        """The Telegram chats by id: the units' groups and everyone's private chat."""
        self.people: dict[str, User] = {}
        """Everyone on Telegram, by name."""
        self.groups: dict[int, tuple[int, ...]] = {}
        """The group chats each person is in: those of their units (the street's if none)."""
        if standin is not None:
            if wechat is None:
                self.people[RESIDENT_NAME] = standin.add_user(RESIDENT_ID, RESIDENT_NAME)
            if wecom is None:  # the org on the Telegram stand-in, so its ids are Telegram's
                self._on_telegram_standin(standin, org)
            for user in self.people.values():
                self.names[user.id] = PRIVATE_NAME.format(name=user.first_name)
        self.me: User | None = None if wechat else self.people[RESIDENT_NAME]
        """The current person on Telegram; None: the resident on WeChat, or a WeCom member."""
        self.member: str | None = None
        """The current person, when on WeCom: their name."""
        self.chat_id: int | None = self.me.id if self.me else None
        """The current person's Telegram chat; None on WeChat and WeCom."""
        self.buttons: list[_Button | WeComButton] = []
        """The buttons of the last printout: number N is ``buttons[N - 1]``."""
        self.seen: dict[tuple[int, int], str] = {}

    def _on_telegram_standin(self, standin: BotApiStandIn, org: Org) -> None:
        """The units' groups and the people, on Telegram."""
        self.names |= {
            telegram_id(unit.chat_id): GROUP_NAME.format(name=unit.name)
            for kind in UnitKind
            for unit in org.units(kind)
        }
        for chat_id, title in self.names.items():
            standin.add_group(chat_id, title)
        for person in org.people.values():
            user_id = telegram_id(person.user_id)
            self.people[person.name] = standin.add_user(user_id, person.name)
            chats = tuple(telegram_id(org.unit(ref).chat_id) for ref in person.units)
            self.groups[user_id] = chats or (telegram_id(org.street.chat_id),)

    @property
    def prompt(self) -> str:
        return f"[{self._who()} @ {self._where()}] > "

    def _who(self) -> str:
        if self.member is not None:
            return self.member
        return self.me.first_name if self.me else RESIDENT_NAME

    def _where(self) -> str:
        if self.member is not None and self.wecom is not None:
            return self.wecom.chat_name(self.member)
        if self.chat_id is None:
            return self.wechat.chat_name if self.wechat else ""
        return self.names[self.chat_id]

    async def loop(self, bot: RunningBot, lines: AsyncIterator[str]) -> None:
        self.write(self._welcome().format(name=RESIDENT_NAME))
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

    def _welcome(self) -> str:
        if self.wecom is not None:
            return shell_wecom.WELCOME_WECHAT if self.wechat else shell_wecom.WELCOME
        return shell_wechat.WELCOME if self.wechat else WELCOME

    def _help(self) -> str:
        parts = [HELP]
        if self.wechat is not None:
            parts.append(shell_wechat.HELP.format(name=RESIDENT_NAME))
        if self.wecom is not None:
            parts.append(shell_wecom.HELP)
        return "\n".join(parts)

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
            self.write(self._help())
        elif line == "/as" or line.startswith("/as "):
            self._become(line[3:].strip())
        elif line == "/time":
            self.write(NOW_IS.format(when=self._now()))
        elif line == "/wait" or line.startswith("/wait "):
            await self._wait(bot, line[5:].strip())
        elif line.isascii() and line.isdigit() and self._presses():
            await self._press(bot, int(line))
        elif self.member is not None and self.wecom is not None:
            await self._on_wecom(bot, self.wecom, self.member, line)
        elif self.me is not None:
            await self._on_telegram(bot, self.me, line)
        elif self.wechat is not None:
            await self._on_wechat(bot, self.wechat, line)

    def _presses(self) -> bool:
        """Whether a number is the current person's press: on WeChat it is her message
        (WeChat's choices are numbered lines answered by typing the number)."""
        return self.me is not None or self.member is not None

    async def _on_telegram(self, bot: RunningBot, me: User, line: str) -> None:
        """A line of ``me``'s on Telegram: /chat or a message."""
        if line == "/chat":
            home = self._home(me)
            self.chat_id = home if self.chat_id == me.id else me.id
            self.write(NOW_IN.format(chat=self.names[self.chat_id]))
        elif line:
            assert self.standin is not None  # someone is on Telegram
            update_id = self.standin.send_text(me, line, chat_id=self._chat_for_send(me))
            await self._settle(bot, update_id)

    async def _on_wechat(self, bot: RunningBot, resident: WeChatResident, line: str) -> None:
        """A line of the resident's on WeChat: every line but /chat is her message, a number
        too (WeChat's choices are numbered lines answered by typing the number)."""
        if line == "/chat":
            self.write(shell_wechat.ONLY_CHAT.format(name=resident.name, chat=resident.chat_name))
        elif line:
            await self._delivered(resident.says(bot, line))

    async def _on_wecom(self, bot: RunningBot, members: WeComMembers, name: str, line: str) -> None:
        """A line of WeCom member ``name``'s: /chat, /cards, or a message to the app."""
        chat = members.chat_name(name)
        if line == "/chat":
            self.write(shell_wecom.ONLY_CHAT.format(name=name, chat=chat))
        elif line == "/cards":
            self._print_cards(members, name)
        elif line:
            await self._delivered(members.says(bot, name, line))

    async def _delivered(self, delivery: Awaitable[str | None]) -> None:
        """Await a WeChat or WeCom delivery; print why it failed, if it did, then what
        changed."""
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
            self.me, self.member, self.chat_id = None, None, None
        elif name in self.people:
            self.me, self.member = self.people[name], None
            self.chat_id = self._home(self.me)
        elif self.wecom is not None and name in self.wecom.names:
            self.me, self.member, self.chat_id = None, name, None
        else:
            names = ([RESIDENT_NAME] if self.wechat else []) + list(self.people)
            names += self.wecom.names if self.wecom else []
            self.write(NO_SUCH_PERSON.format(names="、".join(names)))
            return
        self.write(NOW_AS.format(name=name, chat=self._where()))
        if self.member is not None and self.wecom is not None and not self._print_changes():
            self._print_cards(self.wecom, self.member, shell_wecom.CARDS_NOW)

    def _print_cards(self, members: WeComMembers, name: str, intro: str | None = None) -> None:
        """``name``'s cards with buttons to press, as they look now, after ``intro``."""
        chat = members.chat_name(name)
        cards = members.pressable(name)
        if not cards:
            self.write(shell_wecom.NO_CARDS.format(chat=chat))
            return
        if intro is not None:
            self.write(intro.format(chat=chat, name=name))
        buttons: list[_Button | WeComButton] = []
        for card in cards:
            self._print_wecom_message(chat, card, buttons)
        self.buttons = buttons

    def _button(self, number: int) -> _Button | WeComButton | None:
        """Button ``number`` of the last printout; None, having said why, if there is none."""
        if not self.buttons:
            self.write(NO_BUTTONS)
            return None
        if not 1 <= number <= len(self.buttons):
            self.write(NO_SUCH_BUTTON.format(number=number, count=len(self.buttons)))
            return None
        return self.buttons[number - 1]

    async def _press(self, bot: RunningBot, number: int) -> None:
        """The current person presses button ``number`` of the last printout."""
        button = self._button(number)
        if button is None:
            return
        if isinstance(button, WeComButton):
            await self._press_wecom(bot, button)
            return
        chat_id = button.message.chat_id
        me = self.me
        if me is None or (chat_id != me.id and chat_id not in self.groups.get(me.id, ())):
            self.write(NOT_YOUR_CHAT.format(name=self._who(), chat=self.names[chat_id]))
            return
        await self._press_telegram(bot, me, button)

    async def _press_wecom(self, bot: RunningBot, button: WeComButton) -> None:
        members = self.wecom
        assert members is not None  # WeCom's buttons are printed only with WeCom on
        if self.member != button.member:
            chat = members.chat_name(button.member)
            self.write(NOT_YOUR_CHAT.format(name=self._who(), chat=chat))
            return
        if not members.can_press(button):
            self.write(shell_wecom.CARD_CHANGED.format(label=button.label))
            return
        self.write(PRESSED.format(name=button.member, label=button.label))
        await self._delivered(members.press(bot, button))

    async def _press_telegram(self, bot: RunningBot, me: User, button: _Button) -> None:
        assert self.standin is not None  # Telegram's buttons are printed only with it on
        chat_id = button.message.chat_id
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

    def _print_changes(self) -> bool:
        """What changed anywhere the shell shows, the current person's chats first (what the
        person sees first); whether anything was printed. WeCom's chats are shown for the
        current person only: the resident's WeChat chat first while she is the one, else last.

        A printout numbers its buttons from [1]; once something is printed, the numbers refer
        to its buttons only, so a script can rely on them (WeChat's messages have none).
        """
        buttons: list[_Button | WeComButton] = []
        printed = False
        if self.member is not None:
            printed = self._print_wecom(self.member, buttons)
        elif self.me is None:
            printed = self._print_wechat()
        printed = self._print_telegram(buttons) or printed
        if self.me is not None or self.member is not None:
            printed = self._print_wechat() or printed
        if printed:
            self.buttons = buttons
        return printed

    def _print_telegram(self, buttons: list[_Button | WeComButton]) -> bool:
        """What changed in the Telegram chats since the last printout; whether anything."""
        if self.standin is None:
            return False
        printed = False
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
        return printed

    def _print_wecom(self, name: str, buttons: list[_Button | WeComButton]) -> bool:
        """What changed in ``name``'s chat with the WeCom app; whether anything."""
        if self.wecom is None:
            return False
        chat = self.wecom.chat_name(name)
        shown = self.wecom.unseen(name)
        for message in shown:
            self._print_wecom_message(chat, message, buttons)
        return bool(shown)

    def _print_wecom_message(
        self, chat: str, message: shell_wecom.Shown, buttons: list[_Button | WeComButton]
    ) -> None:
        self.write((HEADER_EDITED if message.updated else HEADER).format(chat=chat))
        self.write(message.text)
        for button in message.buttons:
            buttons.append(button)
            self.write(BUTTON.format(number=len(buttons), label=button.label))

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
