"""The outbox's WeCom sender (handlers/wecom/sender.py) against the WeCom stand-in, over a real
store (SQLite and PostgreSQL) and the example organisation with everyone on WeCom.

Grid 兴安南路第一网格's chat is ``wecom:g1001000000011``; its members are 张三 (``u2001``) and
李四 (``u2002``), who get each of its messages in their own chat with the app. The stand-in has
a clock of its own (it starts where the sender's does and moves only by ``wecom.advance``), so
a test can age a response code for WeCom, for us, or for both.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.channels import Channel, parse
from bot.config.org import Org, Person, Role, Unit
from bot.domain import Button, Outgoing, UnitKind, UnitRef
from bot.errors import ChatUnreachable, Undeliverable
from bot.ports import PlatformCard
from handlers.wecom.api import MESSAGE_SEND, UPDATE_CARD, WeComApi
from handlers.wecom.cards import Drawn
from handlers.wecom.sender import WeComSender
from standins.wecom import Call, Card, WeComStandIn
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.wechat_world import WECOM_ORG

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

CORP_ID = "ww5eed0000c0ffee"
SECRET = "grid-app-secret-0123456789abcdef"
AGENT_ID = 1000002
GRID_CHAT = "wecom:g1001000000011"
"""兴安南路第一网格: 张三 (u2001) and 李四 (u2002)."""
OTHER_GRID_CHAT = "wecom:g1001000000012"
"""兴安南路第二网格: 王芳 (u2003)."""
GRID = ("u2001", "u2002")
HOUR = 3600

NEW = "0423-0017 审计厅小区3号楼停水\n地址：审计厅小区3号楼2单元\n居民说从早上起就没水了"
CLAIMED = "0423-0017 审计厅小区3号楼停水\n地址：审计厅小区3号楼2单元\n状态：张三已认领"
DONE = "0423-0017 审计厅小区3号楼停水\n地址：审计厅小区3号楼2单元\n状态：已完成"
OPEN_BUTTONS = ((Button("认领", "claim:17"), Button("转交", "pass:17")),)
WORK_BUTTONS = ((Button("完成", "done:17"), Button("上报", "escalate:17")),)


def card(text: str = NEW, buttons: tuple[tuple[Button, ...], ...] = OPEN_BUTTONS) -> Outgoing:
    """Task 17's card in the grid's chat."""
    return Outgoing(GRID_CHAT, text, buttons, card_of=17)


def edit(text: str, buttons: tuple[tuple[Button, ...], ...] = WORK_BUTTONS) -> Outgoing:
    """A change of task 17's card in the grid's chat."""
    return Outgoing(GRID_CHAT, text, buttons, edit_card_of=17)


def drawn(message: Outgoing) -> Drawn:
    return Drawn(message.text, tuple((b.text, b.action) for row in message.buttons for b in row))


@dataclass
class Sending:
    """The sender, the stand-in it sends to, the store and the sender's clock."""

    sender: WeComSender
    wecom: WeComStandIn
    store: SqlStore
    clock: FakeClock

    async def row(self, card_id: int) -> PlatformCard:
        async with self.store.transaction() as tx:
            found = await tx.platform_card(card_id)
        assert found is not None, f"no platform_cards row {card_id}"
        return found

    async def no_row(self, card_id: int) -> bool:
        async with self.store.transaction() as tx:
            return await tx.platform_card(card_id) is None

    async def face(self, userid: str, card_id: int) -> Card:
        """``userid``'s card of our row ``card_id``, as they see it now."""
        return self.wecom.card(userid, (await self.row(card_id)).task_key)

    def calls(self, path: str) -> list[Call]:
        name = path.removeprefix("/cgi-bin/")
        return [call for call in self.wecom.calls if call.path == name]

    def later(self, hours: float, *, ours: bool = True, wecom: bool = True) -> None:
        """Time passes for the sender (``ours``), for WeCom, or for both."""
        if ours:
            self.clock.advance(timedelta(hours=hours))
        if wecom:
            self.wecom.advance(hours * HOUR)


@asynccontextmanager
async def sending(
    store: SqlStore, clock: FakeClock, org: Org = WECOM_ORG
) -> AsyncIterator[Sending]:
    """The sender for ``org`` with the stand-in's app, every WeCom person of ``org`` a member
    in its visible range."""
    start = clock.now.timestamp()
    async with WeComStandIn(CORP_ID, SECRET, AGENT_ID, clock=lambda: start) as wecom:
        for person in org.people.values():
            channel, userid = parse(person.user_id)
            if channel is Channel.WECOM:
                wecom.add_member(userid, person.name)
        async with WeComApi(
            CORP_ID, SECRET, AGENT_ID, store, base_url=wecom.base_url, clock=clock
        ) as api:
            yield Sending(WeComSender(api, store, org, clock), wecom, store, clock)


def body(call: Call) -> dict[str, Any]:
    assert isinstance(call.body, dict)
    return call.body


def touser(call: Call) -> set[str]:
    return set(str(body(call)["touser"]).split("|"))


def response_code(xml: str) -> str:
    code = ET.fromstring(xml).findtext("ResponseCode")
    assert code
    return code


# ---- a new card ---------------------------------------------------------------------------------


async def test_a_units_card_reaches_each_member_and_is_known_by_its_row(
    store: SqlStore, clock: FakeClock
) -> None:
    """One template card to both grid members (nobody else), in one send; the message id is
    the platform_cards row, which keeps the chat, what the card shows and the send's code."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        row = await s.row(card_id)
        assert row.card_id == card_id
        assert (row.channel, row.chat_id) == ("wecom", GRID_CHAT)
        assert Drawn.loads(row.content) == drawn(card())
        assert row.response_code
        assert row.coded_at == clock.now
        [send] = s.calls(MESSAGE_SEND)
        assert touser(send) == set(GRID)
        for userid in GRID:
            face = (await s.face(userid, card_id)).face
            assert face.title == "0423-0017 审计厅小区3号楼停水"
            assert face.rows == (("地址", "审计厅小区3号楼2单元"),)
            assert face.desc == "居民说从早上起就没水了"
            assert face.keys == {"claim:17", "pass:17"}
            [message] = s.wecom.messages(userid)
            assert message.msgtype == "template_card"
        assert s.wecom.messages("u2003") == []  # the other grid's worker

        again = await s.sender.send(card(), None)  # another card: a row and a task_id of its own
        assert again != card_id
        assert (await s.row(again)).task_key != row.task_key
        assert len(s.wecom.cards("u2001")) == 2


async def test_a_card_with_no_buttons_goes_as_a_greyed_card(
    store: SqlStore, clock: FakeClock
) -> None:
    """A task's card with nothing to press is still a card (so it can change later), shown
    done."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(DONE, ()), None)
        assert card_id != 0
        for userid in GRID:
            face = (await s.face(userid, card_id)).face
            assert face.replace_text == "已处理"
            assert face.keys == frozenset()
        assert [body(call)["msgtype"] for call in s.calls(MESSAGE_SEND)] == ["template_card"]


async def test_the_request_is_announced_just_before_it_is_made(
    store: SqlStore, clock: FakeClock
) -> None:
    """``before_request`` is awaited once, after the row is written and before the send."""
    async with sending(store, clock) as s:
        seen: list[int] = []

        async def before() -> None:
            seen.append(len(s.calls(MESSAGE_SEND)))

        await s.sender.send(card(), None, before_request=before)
        assert seen == [0]
        assert len(s.calls(MESSAGE_SEND)) == 1


# ---- changing it --------------------------------------------------------------------------------


async def test_an_edit_changes_the_card_for_both_members(store: SqlStore, clock: FakeClock) -> None:
    """The send's code changes the card in place for everyone who got it: the same id, no new
    message, each member's card shows the new text and buttons. The code is spent."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        code = (await s.row(card_id)).response_code
        assert await s.sender.send(edit(CLAIMED), card_id) == card_id

        [update] = s.calls(UPDATE_CARD)
        assert body(update)["response_code"] == code
        assert body(update)["atall"] == 1
        assert len(s.calls(MESSAGE_SEND)) == 1
        for userid in GRID:
            shown = await s.face(userid, card_id)
            assert shown.face.rows == (("地址", "审计厅小区3号楼2单元"), ("状态", "张三已认领"))
            assert shown.face.keys == {"done:17", "escalate:17"}
            assert len(shown.history) == 1
            assert len(s.wecom.messages(userid)) == 1
        row = await s.row(card_id)
        assert row.response_code is None
        assert row.coded_at is None
        assert Drawn.loads(row.content) == drawn(edit(CLAIMED))


async def test_a_second_edit_without_a_press_goes_out_as_a_new_card(
    store: SqlStore, clock: FakeClock
) -> None:
    """The send's code was spent on the first edit and nobody pressed since: the second edit
    is a new card (a new id, with its own code) that both members get; the old card keeps the
    first edit's face. The new card's code then changes it in place."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        assert await s.sender.send(edit(CLAIMED), card_id) == card_id
        new_id = await s.sender.send(edit(DONE, ()), card_id)

        assert new_id != card_id
        assert len(s.calls(UPDATE_CARD)) == 1  # no call with a code known to be spent
        new_row = await s.row(new_id)
        assert new_row.response_code
        assert Drawn.loads(new_row.content) == Drawn(DONE, ())
        assert new_row.task_key != (await s.row(card_id)).task_key
        for userid in GRID:
            old, new = s.wecom.cards(userid)
            assert old.face.rows[-1] == ("状态", "张三已认领")
            assert new.task_id == new_row.task_key
            assert new.face.rows[-1] == ("状态", "已完成")
            assert new.face.replace_text == "已处理"

        assert await s.sender.send(edit(CLAIMED), new_id) == new_id
        for userid in GRID:
            assert (await s.face(userid, new_id)).face.rows[-1] == ("状态", "张三已认领")


async def test_a_press_gives_the_card_a_code_for_its_next_change(
    store: SqlStore, clock: FakeClock
) -> None:
    """After the first edit a member presses; the press's code, kept on the row as the inbound
    side keeps it, changes the card in place again."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        assert await s.sender.send(edit(CLAIMED), card_id) == card_id
        task_key = (await s.row(card_id)).task_key
        code = response_code(s.wecom.press("u2001", task_key, "done:17"))
        async with store.transaction() as tx:
            await tx.update_platform_card(card_id, response_code=code, coded_at=clock())

        assert await s.sender.send(edit(DONE, ()), card_id) == card_id
        assert body(s.calls(UPDATE_CARD)[-1])["response_code"] == code
        for userid in GRID:
            assert (await s.face(userid, card_id)).face.replace_text == "已处理"
            assert len(s.wecom.cards(userid)) == 1


async def test_an_edit_of_a_card_we_do_not_know_goes_out_as_a_new_card(
    store: SqlStore, clock: FakeClock
) -> None:
    async with sending(store, clock) as s:
        new_id = await s.sender.send(edit(CLAIMED), 4242)
        assert new_id != 4242
        assert s.calls(UPDATE_CARD) == []
        for userid in GRID:
            assert (await s.face(userid, new_id)).face.rows[-1] == ("状态", "张三已认领")


@pytest.mark.parametrize(
    ("ours", "wecom"),
    [
        pytest.param(True, True, id="both"),
        pytest.param(True, False, id="our-clock-only"),
        pytest.param(False, True, id="wecom-clock-only"),
    ],
)
async def test_after_72_hours_an_edit_goes_out_as_a_new_card(
    store: SqlStore, clock: FakeClock, ours: bool, wecom: bool
) -> None:
    """73 hours after the send its code can change nothing: the edit is a new card both
    members get. When our clock says so, no update is tried; when only WeCom's does, the
    update it refuses (60140) is followed by the new card."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        code = (await s.row(card_id)).response_code
        s.later(73, ours=ours, wecom=wecom)
        new_id = await s.sender.send(edit(CLAIMED), card_id)

        assert new_id != card_id
        updates = s.calls(UPDATE_CARD)  # (a refused token makes one attempt two calls)
        assert bool(updates) is not ours
        assert all(body(call)["response_code"] == code for call in updates)
        for userid in GRID:
            old, new = s.wecom.cards(userid)
            assert old.face.rows[-1] == ("地址", "审计厅小区3号楼2单元")  # unchanged
            assert new.task_id == (await s.row(new_id)).task_key
            assert new.face.rows[-1] == ("状态", "张三已认领")
        assert (await s.row(new_id)).coded_at == clock.now


async def test_a_minute_before_72_hours_an_edit_still_changes_the_card(
    store: SqlStore, clock: FakeClock
) -> None:
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        s.later(71 + 59 / 60)
        assert await s.sender.send(edit(CLAIMED), card_id) == card_id
        for userid in GRID:
            assert len(s.wecom.cards(userid)) == 1
            assert (await s.face(userid, card_id)).face.rows[-1] == ("状态", "张三已认领")


async def test_at_72_hours_the_code_is_not_tried(store: SqlStore, clock: FakeClock) -> None:
    """72 hours to the second: the code is dead for WeCom too, so it is not tried."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        s.later(72)
        assert await s.sender.send(edit(CLAIMED), card_id) != card_id
        assert s.calls(UPDATE_CARD) == []
        for userid in GRID:
            assert len(s.wecom.cards(userid)) == 2


# ---- who gets it --------------------------------------------------------------------------------


async def test_a_member_outside_the_visible_range_misses_it_and_is_logged(
    store: SqlStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """李四 is outside the app's visible range: 张三 gets the card and the text, 李四 neither,
    and each time a warning names 李四's address and the chat (not 张三)."""
    async with sending(store, clock) as s:
        s.wecom.set_visible("u2002", False)
        with caplog.at_level(logging.WARNING, logger="handlers.wecom.sender"):
            card_id = await s.sender.send(card(), None)
            assert await s.sender.send(Outgoing(GRID_CHAT, "明早8点开会"), None) == 0

        assert (await s.face("u2001", card_id)).face.keys == {"claim:17", "pass:17"}
        assert [m.content for m in s.wecom.messages("u2001") if m.msgtype == "text"] == [
            "明早8点开会"
        ]
        assert s.wecom.messages("u2002") == []
        warnings = [r.getMessage() for r in caplog.records if r.name == "handlers.wecom.sender"]
        assert len(warnings) == 2
        for warning in warnings:
            assert "wecom:u2002" in warning
            assert GRID_CHAT in warning
            assert "u2001" not in warning
        assert (await s.row(card_id)).response_code  # the card went out: it can change


async def test_nobody_logged_when_everyone_got_it(
    store: SqlStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with sending(store, clock) as s:
        with caplog.at_level(logging.INFO, logger="handlers.wecom.sender"):
            await s.sender.send(card(), None)
            await s.sender.send(Outgoing(GRID_CHAT, "明早8点开会"), None)
        assert [r for r in caplog.records if r.name == "handlers.wecom.sender"] == []


def _small_org(*people: tuple[str, str]) -> Org:
    """A street with one grid (chat ``wecom:gsmall``), ``people`` (user id, name) its workers."""
    street = UnitRef(UnitKind.STREET, "s")
    grid = UnitRef(UnitKind.GRID, "small")
    units = [
        Unit(street, "街道", "wecom:gstreet"),
        Unit(grid, "小网格", "wecom:gsmall", parent=street),
    ]
    return Org(units, [Person(uid, name, Role.GRID_WORKER, (grid,)) for uid, name in people])


async def test_a_unit_with_no_wecom_member_is_unreachable_and_nothing_is_sent(
    store: SqlStore, clock: FakeClock
) -> None:
    """Its members are all on Telegram: ChatUnreachable, for a card and a text, before any
    request and without a row."""
    org = _small_org(("telegram:2001", "张三"), ("telegram:2002", "李四"))
    async with sending(store, clock, org) as s:
        with pytest.raises(ChatUnreachable):
            s.sender.recipients("wecom:gsmall")
        with pytest.raises(ChatUnreachable):
            await s.sender.send(Outgoing("wecom:gsmall", NEW, OPEN_BUTTONS, card_of=17), None)
        with pytest.raises(ChatUnreachable):
            await s.sender.send(Outgoing("wecom:gsmall", "明早8点开会"), None)
        assert s.wecom.calls == []
        assert await s.no_row(1)


async def test_only_a_units_wecom_members_get_its_messages(
    store: SqlStore, clock: FakeClock
) -> None:
    org = _small_org(("telegram:2001", "张三"), ("wecom:lisi", "李四"), ("wecom:wangfang", "王芳"))
    async with sending(store, clock, org) as s:
        assert s.sender.recipients("wecom:gsmall") == ["lisi", "wangfang"]
        await s.sender.send(Outgoing("wecom:gsmall", "明早8点开会"), None)
        [send] = s.calls(MESSAGE_SEND)
        assert touser(send) == {"lisi", "wangfang"}


async def test_everyone_outside_the_visible_range_is_unreachable(
    store: SqlStore, clock: FakeClock
) -> None:
    """WeCom delivers to nobody (81013): the chat cannot be reached, as for a group the bot was
    removed from."""
    async with sending(store, clock) as s:
        for userid in GRID:
            s.wecom.set_visible(userid, False)
        with pytest.raises(ChatUnreachable):
            await s.sender.send(card(), None)
        with pytest.raises(ChatUnreachable):
            await s.sender.send(Outgoing(GRID_CHAT, "明早8点开会"), None)


async def test_a_text_to_a_persons_own_chat_reaches_them_alone(
    store: SqlStore, clock: FakeClock
) -> None:
    """A member's own address (a grid worker's, or a WeCom member not in the config) is that
    one member; a text has no id to change it by (0) and no row."""
    async with sending(store, clock) as s:
        s.wecom.add_member("zhaoliu", "赵六")
        assert s.sender.recipients("wecom:u2001") == ["u2001"]
        assert s.sender.recipients("wecom:zhaoliu") == ["zhaoliu"]
        assert await s.sender.send(Outgoing("wecom:u2001", "您认领的0423-0017已超时"), None) == 0
        assert await s.sender.send(Outgoing("wecom:zhaoliu", "你好"), None) == 0

        [text] = s.wecom.messages("u2001")
        assert (text.msgtype, text.content) == ("text", "您认领的0423-0017已超时")
        assert [m.content for m in s.wecom.messages("zhaoliu")] == ["你好"]
        assert s.wecom.messages("u2002") == []
        assert [touser(call) for call in s.calls(MESSAGE_SEND)] == [{"u2001"}, {"zhaoliu"}]
        assert await s.no_row(1)


async def test_a_text_to_a_unit_reaches_each_member(store: SqlStore, clock: FakeClock) -> None:
    async with sending(store, clock) as s:
        assert await s.sender.send(Outgoing(GRID_CHAT, "明早8点开会"), None) == 0
        for userid in GRID:
            assert [(m.msgtype, m.content) for m in s.wecom.messages(userid)] == [
                ("text", "明早8点开会")
            ]
        assert s.wecom.messages("u2003") == []


@pytest.mark.parametrize("chat", ["telegram:-1001000000011", "wechat:oRES_wang_ayi"])
async def test_a_chat_on_another_channel_is_undeliverable(
    store: SqlStore, clock: FakeClock, chat: str
) -> None:
    async with sending(store, clock) as s:
        with pytest.raises(Undeliverable) as raised:
            await s.sender.send(Outgoing(chat, "明早8点开会"), None)
        assert not isinstance(raised.value, ChatUnreachable)
        assert s.wecom.calls == []


# ---- taking it back -----------------------------------------------------------------------------


async def test_a_deletion_counts_as_done_and_calls_nothing(
    store: SqlStore, clock: FakeClock
) -> None:
    """Nothing an app sent can be taken back: 0, no request, the card as it was."""
    async with sending(store, clock) as s:
        card_id = await s.sender.send(card(), None)
        before = len(s.wecom.calls)
        row = await s.row(card_id)
        deletion = Outgoing(GRID_CHAT, "", delete_message_id=card_id)
        assert await s.sender.send(deletion, None) == 0
        assert len(s.wecom.calls) == before
        assert await s.row(card_id) == row
        for userid in GRID:
            assert (await s.face(userid, card_id)).face.keys == {"claim:17", "pass:17"}


async def test_a_deletion_before_anything_was_sent_calls_nothing(
    store: SqlStore, clock: FakeClock
) -> None:
    async with sending(store, clock) as s:
        assert await s.sender.send(Outgoing("wecom:u2001", "", delete_message_id=7), None) == 0
        assert s.wecom.calls == []


async def test_a_deletion_in_a_unit_with_no_wecom_member_counts_as_done(
    store: SqlStore, clock: FakeClock
) -> None:
    """A deletion sends nothing, so whom it would reach does not matter: 0, as anywhere."""
    org = _small_org(("telegram:2001", "张三"))
    async with sending(store, clock, org) as s:
        assert await s.sender.send(Outgoing("wecom:gsmall", "", delete_message_id=7), None) == 0
        assert s.wecom.calls == []
