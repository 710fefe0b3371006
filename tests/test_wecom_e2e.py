"""Grid workers on WeCom, end to end (issue 14, point 3): cards to each member of a unit,
changed for all by ``update_template_card``, presses back through the encrypted callback,
escalations up the chain across units, pages of buttons, and what happens once a card's code is
spent or too old. Residents write on WeChat (tests/wechat_world.py). Runs on SQLite and, when it
answers, PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot import texts
from bot.desk.actions import Action, Verb, parse_action, person_key
from tests.wechat_world import WeChatWorld, wechat_world

pytestmark = pytest.mark.asyncio

NUMBER = "20261122-0001"


@pytest_asyncio.fixture
async def both(database_url: str, cache_dir: Path) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(database_url, cache_dir, workers_on_wecom=True) as running:
        yield running


async def _report(ww: WeChatWorld) -> str:
    resident = ww.follower()
    await ww.says(resident, "审计厅小区3号楼2单元又停水了")
    return resident


async def _tick(ww: WeChatWorld) -> None:
    await ww.w.bot.followup.tick(ww.w.clock())
    await ww.settle()


async def test_unclaimed_it_climbs_to_the_community_whose_staff_get_the_card(
    both: WeChatWorld,
) -> None:
    """Nobody claims: the grid's members are reminded, then the community's staff get the
    card; the grid's card says where it went."""
    await _report(both)
    both.w.clock.advance(timedelta(hours=2))
    await _tick(both)
    assert any("已超过认领时限" in text for text in both.texts_to("u2001"))
    assert "超时未认领" in both.card("u2001", NUMBER).face.title + str(
        both.card("u2001", NUMBER).face
    )
    both.w.clock.advance(timedelta(hours=1))
    await _tick(both)
    staff = both.card("u3001", NUMBER)  # 刘书记, 兴安南路社区
    assert "认领" in [b.text for b in staff.face.buttons]
    assert "已上报至" in str(both.card("u2001", NUMBER).face)
    await both.press("u3001", NUMBER, "认领")
    assert "刘书记 于" in str(both.card("u3001", NUMBER).face)


async def test_more_than_six_buttons_are_paged_on_the_card(both: WeChatWorld) -> None:
    """改类别 offers every category; WeCom shows six buttons, so five and 更多…, which turns
    the page without the desk; a category picked on a later page is taken."""
    await _report(both)
    await both.press("u2001", NUMBER, "认领")
    await both.press("u2001", NUMBER, "改类别")
    first = [b.text for b in both.card("u2001", NUMBER).face.buttons]
    assert len(first) == 6
    assert first[-1] == "更多…"
    await both.press("u2001", NUMBER, "更多…")
    second = [b.text for b in both.card("u2001", NUMBER).face.buttons]
    assert second[-1] == "更多…"
    assert not set(second[:-1]) & set(first[:-1])
    assert both.card("u2002", NUMBER).face.buttons == both.card("u2001", NUMBER).face.buttons
    await both.press("u2001", NUMBER, second[0])
    assert both.card("u2001", NUMBER).face.title.endswith(f"｜{second[0]}")


async def test_a_card_whose_code_is_spent_is_sent_anew(both: WeChatWorld) -> None:
    """A card changed twice with no press between has no code left for the second change:
    it goes out again as a new card, showing the task as it stands, to every member."""
    await _report(both)
    assert both.wecom is not None
    before = len(both.wecom.cards("u2002"))
    both.w.clock.advance(timedelta(hours=2))
    await _tick(both)  # overdue: the card changes (the send's code)
    both.w.clock.advance(timedelta(hours=1))
    await _tick(both)  # escalated: the card changes again (no code left): a new card
    cards = [c for c in both.wecom.cards("u2002") if NUMBER in c.face.title]
    assert len(both.wecom.cards("u2002")) > before
    assert "已上报至" in str(cards[-1].face)


async def test_a_member_outside_the_apps_range_misses_the_card_the_others_get_it(
    database_url: str, cache_dir: Path
) -> None:
    """A member outside the app's visible range does not get the card; the others do, and the
    bot says which member was missed in its log."""
    async with wechat_world(database_url, cache_dir, workers_on_wecom=True) as ww:
        assert ww.wecom is not None
        ww.wecom.set_visible("u2002", False)
        await _report(ww)
        assert ww.card("u2001", NUMBER)
        assert not [c for c in ww.wecom.cards("u2002") if NUMBER in c.face.title]


async def test_a_deployment_without_telegram(database_url: str, cache_dir: Path) -> None:
    """[telegram] mode = "off": residents on WeChat, workers on WeCom, and not one call to
    the Bot API — the scheduler, the inbox and the outbox run all the same."""
    async with wechat_world(
        database_url, cache_dir, workers_on_wecom=True, telegram_off=True
    ) as ww:
        resident = await _report(ww)
        await ww.press("u2001", NUMBER, "认领")
        assert "已由张三接单" in ww.texts(resident)[-1]
        ww.w.clock.advance(timedelta(days=3))
        await _tick(ww)  # the follow-up engine runs without Telegram
        assert any("已超过办结时限" in text for text in ww.texts_to("u2001"))
        assert ww.w.standin.calls == []


async def test_a_broadcast_from_wecom_reaches_wechat_residents_within_the_rules(
    both: WeChatWorld,
) -> None:
    """The street's admin drafts a notice in the app and confirms it on the preview card; a
    resident of the grid whose window is open gets it, one whose window closed long ago is not
    sent a template (WeChat's rules forbid templates as broadcasts): it is recorded as not
    sent, for ``griddesk doctor``."""
    near, far = "oNEAR", "oFAR"
    for resident in (near, far):
        await both.event(resident, "subscribe")
        await both.says(resident, "1")
        await both.says(resident, "2")  # 审计厅小区, in xingan-1
    both.w.clock.advance(timedelta(hours=47))
    await both.says(near, "/my")  # she writes again: her window is open
    both.w.clock.advance(timedelta(hours=2))  # far's window closed an hour ago
    await both.member_says("u9001", "/broadcast 现在 | 居民:xingan-1 | 今晚停电检修")
    assert both.wecom is not None
    preview = both.wecom.cards("u9001")[-1]
    await both.press_on("u9001", preview, "确认发送")
    await both.w.bot.desk.broadcasts.tick(both.w.clock())
    await both.settle()
    assert any("今晚停电检修" in text for text in both.texts(near))
    assert not any("今晚停电检修" in text for text in both.texts(far))
    assert all(sent.kind != "template" for sent in both.wx.sent_to(far))
    async with both.w.bot.store.transaction() as tx:
        health = await tx.outbox_health(both.w.clock() - timedelta(days=1), both.w.clock())
    assert any("45015" in reason for reason, _ in health.failed)


async def test_transfer_on_wecom_names_the_member_by_key(both: WeChatWorld) -> None:
    """转交 shows the unit's other members; pressing one hands the task over (the button names
    the member by a short key: a WeCom UserID may be longer than a button holds)."""
    resident = await _report(both)
    await both.press("u2001", NUMBER, "认领")
    await both.press("u2001", NUMBER, "转交")
    assert [b.text for b in both.card("u2001", NUMBER).face.buttons] == ["李四", "取消"]
    await both.press("u2001", NUMBER, "李四")
    assert "李四 于" in str(both.card("u2002", NUMBER).face)
    assert "李四" in both.texts(resident)[-1]


async def test_login_on_wechat_and_wecom_reaches_the_desk(both: WeChatWorld) -> None:
    """/login typed in WeChat or in the WeCom app is the desk's command there too: without a
    web desk it is an unknown command (on WeCom not a worker's note to sort)."""
    resident = both.follower()
    assert await both.says(resident, "/login") == [texts.UNKNOWN_COMMAND]
    assert await both.member_says("u2001", "/login") == [texts.UNKNOWN_COMMAND]


async def test_a_long_wecom_userid_fits_a_button() -> None:
    """A 64-character UserID with an @ (WeCom allows both) still makes a 转交 button."""
    user = "wecom:" + "zhang.san-" * 6 + "@gov"
    data = Action(Verb.TRANSFER_TO, 12345, person_key(user)).encode()
    assert parse_action(data) == Action(Verb.TRANSFER_TO, 12345, person_key(user))
    assert person_key(user) != person_key(user + "x")
