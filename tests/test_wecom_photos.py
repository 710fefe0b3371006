"""A WeChat resident's photo reaches the grid workers on WeCom (issue 14): a template card
carries no photo, so the photo kept in the database goes as an image message (uploaded with
``media/upload``) to each member just before the card; a change of the card does not send it
again; a photo that cannot go (erased, a Telegram file id, refused by WeCom) leaves the card
to go alone; a transient failure is retried with nothing lost. Runs on SQLite and, when it
answers, PostgreSQL, against the WeCom stand-in over real HTTP.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot import texts
from bot.channels import parse
from bot.domain import Button, Outgoing
from bot.ports import kept_photo
from handlers.shell_wecom import WeComMembers
from handlers.tencent.xml import XmlValue
from handlers.wecom.api import MEDIA_UPLOAD, Refused, WeComApi
from handlers.wecom.sender import WeComSender
from standins.tencent_callbacks import CallbackDriver
from standins.wecom import FAULTS, Delivered, WeComStandIn
from standins.wecom_media import Form
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.wechat_world import WECOM, WECOM_ORG, WeChatWorld, wechat_world

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]

WATER = "审计厅小区3号楼2单元又停水了"
NUMBER = "20261122-0001"
PIPE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00pipe" + bytes(range(256)) + b"\xff\xd9"
GRID = ("u2001", "u2002")
"""兴安南路第一网格 (xingan-1): 张三 and 李四."""
GRID_CHAT = "wecom:g1001000000011"
UPLOAD = MEDIA_UPLOAD.removeprefix("/cgi-bin/")
LOGGER = "handlers.wecom.sender"
_MSG_IDS = itertools.count(26_000_000_001)


@pytest_asyncio.fixture
async def both(database_url: str, cache_dir: Path) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(database_url, cache_dir, workers_on_wecom=True) as running:
        yield running


def _wecom(ww: WeChatWorld) -> WeComStandIn:
    assert ww.wecom is not None
    return ww.wecom


async def _report_with_photo(ww: WeChatWorld) -> str:
    """A resident sends the photo WeChat knows as MEDIA_PIPE, then the words: one task."""
    resident = ww.follower()
    ww.wx.add_media("MEDIA_PIPE", PIPE, "image/jpeg")
    fields: dict[str, XmlValue] = {
        "PicUrl": "http://mmbiz.qpic.cn/mmbiz_jpg/MEDIA_PIPE/0",
        "MediaId": "MEDIA_PIPE",
        "MsgId": next(_MSG_IDS),
    }
    await ww.sends(resident, "image", fields)
    await ww.says(resident, WATER)
    return resident


def _images(wecom: WeComStandIn, userid: str) -> list[bytes]:
    return [m.image for m in wecom.messages(userid) if m.image is not None]


def _just_before_its_card(messages: list[Delivered], task_id: str) -> bytes | None:
    """The image right before the card ``task_id`` in a member's chat (None if none)."""
    at = next(i for i, m in enumerate(messages) if m.task_id == task_id)
    return messages[at - 1].image if at > 0 else None


async def _tick(ww: WeChatWorld) -> None:
    await ww.w.bot.followup.tick(ww.w.clock())
    await ww.settle()


# ---- end to end: a resident on WeChat, the grid on WeCom -----------------------------------


async def test_the_photo_reaches_each_grid_member_as_an_image_before_the_card(
    both: WeChatWorld,
) -> None:
    """Each member of the grid gets the photo, byte for byte as WeChat served it, as the
    message just above the task's card; it was uploaded once, as a named JPEG; members of
    other grids get nothing."""
    await _report_with_photo(both)
    wecom = _wecom(both)
    for userid in GRID:
        card = both.card(userid, NUMBER)
        assert _just_before_its_card(wecom.messages(userid), card.task_id) == PIPE
        assert _images(wecom, userid) == [PIPE]
    [upload] = [call for call in wecom.calls if call.path == UPLOAD]
    assert upload.query["type"] == "image"
    assert isinstance(upload.body, Form)
    part = upload.body.file()
    assert part is not None
    assert (part.content, part.content_type) == (PIPE, "image/jpeg")
    assert part.filename is not None
    assert part.filename.endswith(".jpg")
    assert wecom.messages("u2003") == []  # 王芳, 兴安南路第二网格


async def test_a_change_of_the_card_does_not_send_the_photo_again(both: WeChatWorld) -> None:
    """A press changes the card for everyone (update_template_card): no second upload, no
    second image."""
    await _report_with_photo(both)
    await both.press("u2001", NUMBER, texts.CLAIM)
    assert "张三" in str(both.card("u2002", NUMBER).face)
    wecom = _wecom(both)
    for userid in GRID:
        assert _images(wecom, userid) == [PIPE]
    assert len([call for call in wecom.calls if call.path == UPLOAD]) == 1


async def test_a_card_sent_anew_goes_without_the_photo_a_new_unit_gets_it(
    both: WeChatWorld,
) -> None:
    """Overdue, then escalated: the grid's card, its code spent, goes out anew without the
    photo (the members have it above the first card); the community's staff, new to the
    task, get the photo above their card."""
    await _report_with_photo(both)
    wecom = _wecom(both)
    both.w.clock.advance(timedelta(hours=2))
    await _tick(both)
    both.w.clock.advance(timedelta(hours=1))
    await _tick(both)
    for userid in GRID:
        assert len([c for c in wecom.cards(userid) if NUMBER in c.face.title]) >= 2
        assert _images(wecom, userid) == [PIPE]
    staff = both.card("u3001", NUMBER)  # 刘书记, 兴安南路社区
    assert _just_before_its_card(wecom.messages("u3001"), staff.task_id) == PIPE


@pytest.mark.parametrize("fault", ["busy", "drop"])
async def test_an_upload_that_fails_for_now_is_retried_and_nothing_is_lost(
    both: WeChatWorld, fault: str
) -> None:
    """WeCom busy (-1) or the connection lost on media/upload: nothing reaches the members,
    and the outbox's retry sends the photo and the card, once each."""
    wecom = _wecom(both)
    if fault == "busy":
        wecom.fail_next(UPLOAD, *FAULTS["busy"])
    else:
        wecom.drop_next(UPLOAD)
    await _report_with_photo(both)
    assert [m for userid in GRID for m in wecom.messages(userid)] == []
    both.w.clock.advance(timedelta(seconds=5))  # past the outbox's backoff
    await both.settle()
    for userid in GRID:
        card = both.card(userid, NUMBER)
        assert _just_before_its_card(wecom.messages(userid), card.task_id) == PIPE
        assert _images(wecom, userid) == [PIPE]
        assert len([m for m in wecom.messages(userid) if m.task_id is not None]) == 1
    assert len([call for call in wecom.calls if call.path == UPLOAD]) == 2


async def test_a_photo_erased_before_its_card_went_is_not_sent(both: WeChatWorld) -> None:
    """The card waits for a retry (WeCom busy on the upload) while the resident has their data
    erased: the members get the task's card and never the photo; nothing is uploaded again."""
    wecom = _wecom(both)
    wecom.fail_next(UPLOAD, *FAULTS["busy"])
    resident = await _report_with_photo(both)
    await both.says(resident, "/forget")
    await both.says(resident, texts.ERASE_CONFIRM)
    both.w.clock.advance(timedelta(seconds=5))
    await both.settle()
    for userid in GRID:
        assert both.card(userid, NUMBER)
        assert _images(wecom, userid) == []
    assert len([call for call in wecom.calls if call.path == UPLOAD]) == 1


# ---- the sender, over a store and the stand-in ---------------------------------------------

CORP_ID, SECRET, AGENT_ID = "ww5eed0000c0ffee", "grid-app-secret-0123456789abcdef", 1000002
CLAIM = ((Button("认领", "claim:17"),),)


@dataclass
class Sending:
    sender: WeComSender
    api: WeComApi
    wecom: WeComStandIn
    store: SqlStore
    clock: FakeClock

    async def keep(self, content: bytes, content_type: str = "image/jpeg") -> str:
        """``content`` kept in the database; its photo reference (``media:<id>``)."""
        async with self.store.transaction() as tx:
            return kept_photo(await tx.keep_media(content, content_type, self.clock()))

    def uploads(self) -> int:
        return len([call for call in self.wecom.calls if call.path == UPLOAD])


@asynccontextmanager
async def sending(store: SqlStore, clock: FakeClock) -> AsyncIterator[Sending]:
    """The sender for the example organisation on WeCom, every member in the app's range."""
    start = clock.now.timestamp()
    async with WeComStandIn(CORP_ID, SECRET, AGENT_ID, clock=lambda: start) as wecom:
        for person in WECOM_ORG.people.values():
            wecom.add_member(parse(person.user_id)[1], person.name)
        async with WeComApi(
            CORP_ID, SECRET, AGENT_ID, store, base_url=wecom.base_url, clock=clock
        ) as api:
            yield Sending(WeComSender(api, store, WECOM_ORG, clock), api, wecom, store, clock)


def _card(photo: str | None) -> Outgoing:
    return Outgoing(GRID_CHAT, "0423-0017 审计厅小区3号楼停水", CLAIM, photo=photo, card_of=17)


async def test_a_photo_that_is_a_telegram_file_id_is_left_out_and_said_so(
    store: SqlStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """A resident on Telegram, workers on WeCom: a Telegram file id cannot be fetched here,
    so the card goes alone, with an INFO line."""
    async with sending(store, clock) as s:
        with caplog.at_level(logging.INFO, logger=LOGGER):
            await s.sender.send(_card("AgACAgIAAxkBAAIBZ2Telegram-file-id"), None)
        for userid in GRID:
            assert [m.msgtype for m in s.wecom.messages(userid)] == ["template_card"]
        assert s.uploads() == 0
        [line] = [r for r in caplog.records if r.name == LOGGER]
        assert (line.levelno, "not kept here" in line.getMessage()) == (logging.INFO, True)


async def test_a_kept_photo_that_is_gone_leaves_the_card_to_go_alone(
    store: SqlStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The card names a kept photo the database no longer has (erased after the card was
    queued): the card goes alone, with an INFO line, and nothing is uploaded."""
    async with sending(store, clock) as s:
        kept = await s.keep(PIPE)
        gone = kept_photo(int(kept.removeprefix("media:")) + 1000)
        with caplog.at_level(logging.INFO, logger=LOGGER):
            await s.sender.send(_card(gone), None)
        for userid in GRID:
            assert [m.msgtype for m in s.wecom.messages(userid)] == ["template_card"]
        assert s.uploads() == 0
        [line] = [r for r in caplog.records if r.name == LOGGER]
        assert (line.levelno, "no longer kept" in line.getMessage()) == (logging.INFO, True)


@pytest.mark.parametrize(
    ("content", "errcode"),
    [
        pytest.param(b"GIF89a" + bytes(64), 40004, id="not-jpg-or-png"),
        pytest.param(PIPE[:5], 40006, id="five-bytes"),
    ],
)
async def test_a_photo_wecom_refuses_leaves_the_card_to_go_alone(
    store: SqlStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    content: bytes,
    errcode: int,
) -> None:
    """WeCom refuses the upload for good: the card still goes, with a WARNING naming the
    code, and the next card is not held back."""
    async with sending(store, clock) as s:
        photo = await s.keep(content, "image/gif")
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            await s.sender.send(_card(photo), None)
        for userid in GRID:
            assert [m.msgtype for m in s.wecom.messages(userid)] == ["template_card"]
        [warning] = [r.getMessage() for r in caplog.records if r.name == LOGGER]
        assert str(errcode) in warning


async def test_an_image_message_wecom_refuses_leaves_the_card_to_go_alone(
    store: SqlStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The upload went, but WeCom refuses the image message (its media_id, 40007): the card
    still goes, to everyone, with a WARNING."""
    async with sending(store, clock) as s:
        photo = await s.keep(PIPE)
        s.wecom.fail_next("message/send", 40007, "invalid media_id")
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            card_id = await s.sender.send(_card(photo), None)
        assert card_id
        for userid in GRID:
            assert [m.msgtype for m in s.wecom.messages(userid)] == ["template_card"]
        assert s.uploads() == 1
        assert any("40007" in r.getMessage() for r in caplog.records if r.name == LOGGER)


async def test_the_stand_in_refuses_a_media_id_it_never_issued_or_one_expired(
    store: SqlStore, clock: FakeClock
) -> None:
    """Through the client: an image naming an unknown media_id, or one uploaded three days
    ago, is WeCom's 40007 (Refused); the day before, it still goes. An upload whose token WeCom
    ended early gets another and goes."""
    async with sending(store, clock) as s:
        with pytest.raises(Refused) as unknown:
            await s.api.send_image(["u2001"], "1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0")
        assert unknown.value.errcode == 40007
        s.wecom.revoke_token()
        media_id = await s.api.upload_image(PIPE, "pipe.jpg", "image/jpeg")
        assert [c.path for c in s.wecom.calls][-3:] == [UPLOAD, "gettoken", UPLOAD]
        s.wecom.advance(2 * 86400)
        s.clock.advance(timedelta(days=2))  # the token is fetched anew, on both clocks
        assert await s.api.send_image(["u2001"], media_id) == ()
        s.wecom.advance(86400)
        s.clock.advance(timedelta(days=1))
        with pytest.raises(Refused) as expired:
            await s.api.send_image(["u2002"], media_id)
        assert expired.value.errcode == 40007
        assert _images(s.wecom, "u2001") == [PIPE]
        assert _images(s.wecom, "u2002") == []


async def test_the_shell_prints_the_photo_with_its_size_before_the_card(
    store: SqlStore, clock: FakeClock
) -> None:
    """griddesk shell --wecom: the member's chat shows 【图片】 and the photo's size, then the
    card."""
    async with sending(store, clock) as s:
        await s.sender.send(_card(await s.keep(PIPE)), None)
        caller = CallbackDriver(
            "http://127.0.0.1:9/wecom",
            token=WECOM.token,
            mode="wecom",
            encoding_aes_key=WECOM.encoding_aes_key,
            receive_id=CORP_ID,
        )
        members = WeComMembers(s.wecom, caller, {"张三": "u2001"})
        shown = members.unseen("张三")
        assert [item.text.splitlines()[0] for item in shown] == [
            f"【图片】{len(PIPE)} B",
            "【卡片】0423-0017 审计厅小区3号楼停水",
        ]


async def test_the_claimer_gets_the_cards_other_photos_as_images(both: WeChatWorld) -> None:
    """A card shows one photo; the claimer is sent the others in his own chat, each as the
    image itself above its caption (工单…的照片), not the caption alone."""
    resident = both.follower()
    second = PIPE.replace(b"pipe", b"leak")
    both.wx.add_media("MEDIA_PIPE", PIPE, "image/jpeg")
    both.wx.add_media("MEDIA_LEAK", second, "image/jpeg")
    for media in ("MEDIA_PIPE", "MEDIA_LEAK"):
        fields: dict[str, XmlValue] = {"MediaId": media, "MsgId": next(_MSG_IDS)}
        await both.sends(resident, "image", fields)
    await both.says(resident, WATER)
    wecom = _wecom(both)
    assert _images(wecom, "u2001") == [PIPE], "the card's photo only, before the claim"
    await both.press("u2001", NUMBER, texts.CLAIM)
    messages = wecom.messages("u2001")
    caption = next(i for i, m in enumerate(messages) if m.content == f"工单 {NUMBER} 的照片 1/1")
    assert messages[caption - 1].image == second
    assert _images(wecom, "u2002") == [PIPE], "the other members get no more"
