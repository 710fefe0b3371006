"""``griddesk shell``: the real bot, chatted with in the terminal, without a token or network.

The whole bot runs as in production — PTB Application, inbox, desk, database, outbox — against
the local Bot API stand-in. The terminal plays the people: a resident by default, any configured
worker after ``/as 张三``. Whatever the bot sends or edits, in any chat, is printed with its
buttons numbered; typing a number presses that button as the current person.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

from bot.app import RunningBot, running_bot
from bot.config.settings import Settings, TelegramSettings
from bot.domain import UnitKind
from standins.telegram import BotApiStandIn, BotMessage

TOKEN = "0:SHELL"
RESIDENT_ID, RESIDENT_NAME = 1001, "王阿姨"
HELP = """\
shell commands (everything else is sent to the bot as the current person):
  /as NAME     act as a configured person (e.g. /as 张三) or the resident (/as 王阿姨)
  /chat        switch between the private chat with the bot and your group
  N            press button number N from what was printed last
  /quit        leave (Ctrl+D too)"""


async def run_shell(
    settings: Settings,
    database: str | None,
    lines: AsyncIterator[str] | None = None,
    write: Callable[[str], None] = print,
) -> None:
    """Run the bot against a stand-in and chat with it from ``lines`` (default: the terminal)."""
    with tempfile.TemporaryDirectory(prefix="griddesk-shell-") as scratch:
        url = database or f"sqlite:///{Path(scratch) / 'shell.db'}"
        async with BotApiStandIn(token=TOKEN, bot_username="griddesk_bot") as standin:
            shell_settings = replace(
                settings, database_url=url, telegram=TelegramSettings(standin.base_url, 1)
            )
            session = _Session(standin, shell_settings, write)
            async with running_bot(shell_settings, TOKEN, rate_limited=False) as bot:
                await standin.until_polling()
                await session.loop(bot, lines or _terminal_lines(session))


class _Session:
    def __init__(self, standin: BotApiStandIn, settings: Settings, write: Callable[[str], None]):
        self.standin = standin
        self.write = write
        org = settings.require_org()
        self.names = {
            unit.chat_id: f"{unit.name}（群）" for kind in UnitKind for unit in org.units(kind)
        }
        for chat_id, title in self.names.items():
            standin.add_group(chat_id, title)
        self.people = {RESIDENT_NAME: standin.add_user(RESIDENT_ID, RESIDENT_NAME)}
        self.home: dict[int, int] = {}
        for person in org.people.values():
            self.people[person.name] = standin.add_user(person.user_id, person.name)
            chat = org.unit(person.units[0]).chat_id if person.units else org.street.chat_id
            self.home[person.user_id] = chat
        for user in self.people.values():
            self.names[user.id] = f"{user.first_name}的私聊"
        self.me = self.people[RESIDENT_NAME]
        self.chat_id = self.me.id
        self.buttons: list[tuple[BotMessage, str, str]] = []
        self.seen: dict[tuple[int, int], str] = {}

    @property
    def prompt(self) -> str:
        return f"[{self.me.first_name} @ {self.names[self.chat_id]}] > "

    async def loop(self, bot: RunningBot, lines: AsyncIterator[str]) -> None:
        self.write(
            f"网格通 shell — 你现在是居民{RESIDENT_NAME}，直接输入问题试试。/shell 查看说明。"
        )
        async for raw in lines:
            line = raw.strip()
            if line in {"/quit", "/exit"}:
                break
            if line == "/shell":
                self.write(HELP)
            elif line.startswith("/as"):
                self._become(line[3:].strip())
            elif line == "/chat":
                home = self.home.get(self.me.id)
                self.chat_id = home if self.chat_id == self.me.id and home else self.me.id
                self.write(f"（现在在：{self.names[self.chat_id]}）")
            elif line.isdigit():
                await self._press(bot, int(line))
            elif line:
                update_id = self.standin.send_text(self.me, line, chat_id=self._chat_for_send())
                await self._settle(bot, update_id)

    def _chat_for_send(self) -> int | None:
        return None if self.chat_id == self.me.id else self.chat_id

    def _become(self, name: str) -> None:
        if name not in self.people:
            self.write(f"（没有这个人。可以选：{'、'.join(self.people)}）")
            return
        self.me = self.people[name]
        self.chat_id = self.home.get(self.me.id, self.me.id)
        self.write(f"（现在你是{name}，在：{self.names[self.chat_id]}）")

    async def _press(self, bot: RunningBot, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.write("（没有这个按钮编号）")
            return
        message, label, data = self.buttons[number - 1]
        query_id = self.standin.press(self.me, message, data, strict=False)
        update_id = max(u["update_id"] for u in self.standin.pending_updates)
        self.write(f"（{self.me.first_name} 点了“{label}”）")
        await self._settle(bot, update_id)
        answer = next(a for a in self.standin.callback_answers if a.callback_query_id == query_id)
        if answer.text:
            self.write(f"（提示{'框' if answer.show_alert else ''}：{answer.text}）")

    async def _settle(self, bot: RunningBot, update_id: int) -> None:
        await bot.telegram.inbox.processed(update_id)
        await bot.telegram.outbox.settled()
        self._print_changes()

    def _print_changes(self) -> None:
        """What changed anywhere, the current chat first (what the person sees first)."""
        for chat_id in sorted(self.names, key=lambda chat: chat != self.chat_id):
            for message in self.standin.chat(chat_id):
                key = (message.chat_id, message.message_id)
                shown = f"{message.content}|{message.buttons}"
                if self.seen.get(key) == shown:
                    continue
                edited = key in self.seen
                self.seen[key] = shown
                self.write(f"── {self.names[chat_id]}{'（更新）' if edited else ''} ──")
                self.write(message.content + ("\n[照片]" if message.photo else ""))
                for row in message.buttons:
                    for label, data in row:
                        if data:
                            self.buttons.append((message, label, data))
                            self.write(f"  [{len(self.buttons)}] {label}")


async def _terminal_lines(session: _Session) -> AsyncIterator[str]:
    while True:
        try:
            yield await asyncio.to_thread(input, session.prompt)
        except EOFError:
            sys.stdout.write("\n")
            return
