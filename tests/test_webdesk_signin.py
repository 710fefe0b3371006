"""Signing in to the web desk: /login's one-time link, the session cookie, CSRF, the guard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot import texts
from bot.desk.context import Actor
from tests.webdesk_world import DeskWorld, browser, desk_world

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]


@pytest_asyncio.fixture
async def dw(database_url: str, cache_dir: Path) -> AsyncIterator[DeskWorld]:
    async with desk_world(database_url, cache_dir) as running:
        yield running


async def test_link_signs_in_once_and_sets_a_safe_cookie(dw: DeskWorld) -> None:
    """The link from /login signs its person in with an HttpOnly, SameSite=Lax cookie; used
    again, it is refused."""
    link = await dw.link(dw.person("刘书记"))
    async with browser(dw.base_url) as b:
        async with b.session.post(link, allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/desk/tasks"
            cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # the desk is reached over http here
        status, page = await b.get("/desk/tasks")
        assert status == 200
        assert "刘书记" in page
    async with browser(dw.base_url) as again:
        status, page = await again.sign_in(link)
        assert status == 403
        assert "链接无效或已过期" in page


async def test_expired_and_forged_links_are_refused(dw: DeskWorld) -> None:
    """A link past its minutes, or a token nobody was sent, signs nobody in."""
    link = await dw.link(dw.person("张三"))
    dw.world.clock.advance(timedelta(minutes=11))
    async with browser(dw.base_url) as b:
        status, _ = await b.sign_in(link)
        assert status == 403
        status, _ = await b.sign_in(f"{dw.base_url}/login/forged-token-abcdefghijklmnop")
        assert status == 403
        status, page = await b.get("/desk/tasks")
        assert status == 401
        assert "/login" in page


async def test_a_link_preview_does_not_use_the_link(dw: DeskWorld) -> None:
    """Opening the link (GET, as a chat app's preview does) shows a button and uses nothing."""
    link = await dw.link(dw.person("张三"))
    async with browser(dw.base_url) as preview:
        status, page = await preview.get(link)
        assert status == 200
        assert 'id="sign-in"' in page
    async with browser(dw.base_url) as b:
        status, _ = await b.sign_in(link)
        assert status == 200


async def test_someone_outside_every_unit_gets_no_link(dw: DeskWorld) -> None:
    """A resident's /login is answered kindly, without a link; in a group, the link is refused."""
    resident = dw.world.resident(1001, "王阿姨")
    await dw.sign_in.login(Actor("telegram:1001", "telegram:1001", "王阿姨"), None)
    zhang = dw.person("张三")
    group = dw.world.group("xingan-1")
    await dw.sign_in.login(Actor(f"telegram:{zhang.id}", f"telegram:{group}", "张三"), None)
    await dw.world.bot.telegram.outbox.settled()
    assert dw.world.last(resident.id).content == texts.LOGIN_NOT_STAFF
    assert dw.world.last(group).content == texts.LOGIN_PRIVATE_ONLY


async def test_forms_without_the_csrf_token_do_nothing(dw: DeskWorld) -> None:
    """A POST with a missing or foreign CSRF token is refused and changes nothing."""
    task = await dw.report("审计厅小区3号楼2单元又停水了，电话13804711234")
    async with browser(dw.base_url) as b:
        await b.sign_in(await dw.link(dw.person("张三")))
        b.csrf = ""
        status, _ = await b.post(f"/desk/tasks/{task.number}/escalate")
        assert status == 403
        b.csrf = "forged"
        status, _ = await b.post(f"/desk/tasks/{task.number}/contact")
        assert status == 403
    after, events = await dw.task(task.number)
    assert after.holder == task.holder
    assert [e.kind.value for e in events] == ["created"]


async def test_failed_sign_ins_are_limited_per_address(dw: DeskWorld) -> None:
    """After five failed links from one address even a good link waits."""
    async with browser(dw.base_url) as b:
        for attempt in range(5):
            status, _ = await b.sign_in(f"{dw.base_url}/login/wrong-{attempt}")
            assert status == 403
        status, page = await b.sign_in(await dw.link(dw.person("张三")))
        assert status == 429
        assert "尝试次数太多" in page


async def test_logout_ends_the_session(dw: DeskWorld) -> None:
    """退出 clears the cookie: the desk asks to sign in again."""
    async with browser(dw.base_url) as b:
        await b.sign_in(await dw.link(dw.person("张三")))
        status, _ = await b.post("/logout")
        assert status == 200
        status, _ = await b.get("/desk/tasks")
        assert status == 401
