"""The web desk's test world: the real bot with ``[web]`` on, and a browser-like HTTP client.

The example organisation's bot runs against the Telegram stand-in (:mod:`tests.harness`) with
its HTTP server on a free port and the web desk enabled; :class:`Browser` is an aiohttp client
with its own cookie jar, speaking to that server as a person's browser would.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp

from bot.app import running_bot
from bot.config.serving import HttpSettings
from bot.config.web import WebSettings
from bot.domain import Task, TaskEvent
from bot.webdesk.signin import SignIn
from standins.balancer import free_port
from standins.telegram import BotApiStandIn, User
from tests.clock import FakeClock, nine_am
from tests.harness import TOKEN, World, example_settings, populate, shared_language

WEB_SECRET = "test-signing-key-of-the-web-desk-0123456789"
LINK = re.compile(r"https?://\S+/login/[A-Za-z0-9_-]+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class DeskWorld:
    """A running bot with the web desk, and where the desk is."""

    world: World
    base_url: str

    @property
    def sign_in(self) -> SignIn:
        web = self.world.bot.web
        assert web is not None, "the web desk is not running"
        return web.sign_in

    async def link(self, user: User) -> str:
        """``user`` types /login in their private chat with the bot (through the Telegram
        stand-in, as a person would); the link the bot answered with."""
        await self.world.say(user, "/login")
        await self.world.bot.telegram.outbox.settled()
        found = LINK.search(self.world.last(user.id).content)
        assert found, self.world.last(user.id).content
        return found.group(0)

    async def report(self, text: str, resident_id: int = 1001) -> Task:
        """A resident reports ``text``; the task it became."""
        resident = self.world.resident(resident_id, f"居民{resident_id}")
        await self.world.say(resident, text)
        async with self.world.bot.store.transaction() as tx:
            tasks = await tx.tasks_of_resident(f"telegram:{resident_id}", 1)
        assert tasks, "no task was filed"
        return tasks[0]

    async def task(self, number: str) -> tuple[Task, list[TaskEvent]]:
        async with self.world.bot.store.transaction() as tx:
            task = await tx.task_by_number(number)
            assert task is not None
            return task, list(await tx.events(task.id))

    def person(self, name: str) -> User:
        return self.world.people[name]


@asynccontextmanager
async def desk_world(
    database_url: str, cache_dir: Path, clock: FakeClock | None = None
) -> AsyncIterator[DeskWorld]:
    """The example org's bot with the web desk on a free local port, at 09:00 by default."""
    clock = clock or nine_am()
    async with AsyncExitStack() as stack:
        standin = await stack.enter_async_context(
            BotApiStandIn(
                token=TOKEN, bot_username="griddesk_bot", clock=lambda: clock().timestamp()
            )
        )
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        settings = replace(
            example_settings(database_url, cache_dir, standin.base_url),
            http=HttpSettings(("127.0.0.1", port)),
            web=WebSettings(base_url),
        )
        org = settings.require_org()
        people = populate(standin, org)
        bot = await stack.enter_async_context(
            running_bot(
                settings,
                TOKEN,
                clock,
                rate_limited=False,
                language=shared_language(settings.classifier),
                web_secret=WEB_SECRET,
            )
        )
        await standin.until_polling()
        yield DeskWorld(World(standin, bot, clock, org, people), base_url)


class Browser:
    """One person's browser: a cookie jar and the CSRF token of the last page it read."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(self._url(path)) as response:
            return response.status, self._read(await response.text())

    async def post(self, path: str, **form: str) -> tuple[int, str]:
        data = {"csrf": self.csrf, **form}
        async with self.session.post(self._url(path), data=data) as response:
            return response.status, self._read(await response.text())

    async def sign_in(self, link: str) -> tuple[int, str]:
        """Follow a sign-in link and press 登录 on its page."""
        status, _ = await self.get(link)
        assert status == 200
        return await self.post(link)

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else f"{self.base_url}{path}"

    def _read(self, html: str) -> str:
        found = CSRF.search(html)
        if found:
            self.csrf = found.group(1)
        return html


@asynccontextmanager
async def browser(base_url: str) -> AsyncIterator[Browser]:
    """A fresh browser (no cookies) for the desk at ``base_url``."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies of an IP address host, as 127.0.0.1 is
    async with aiohttp.ClientSession(cookie_jar=jar) as session:
        yield Browser(session, base_url)
