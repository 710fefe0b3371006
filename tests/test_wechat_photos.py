"""A WeChat resident's photos reach the grid workers on Telegram (issue 14): fetched from WeChat
while the message is handled (WeChat keeps a photo 3 days), kept in the database and uploaded
from there to the card and to the claimer; retried when WeChat is busy, answered kindly when
WeChat no longer has it, and erased with the resident. Runs on SQLite and, when it answers,
PostgreSQL.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot import texts
from bot.channels import Channel, address
from bot.ports import kept_media_id
from handlers.tencent.xml import XmlValue
from standins.telegram import UploadedFile
from standins.wechat import FAULTS, MEDIA_GET
from tests.wechat_world import WeChatWorld, wechat_world

pytestmark = pytest.mark.asyncio

WATER = "审计厅小区3号楼2单元又停水了"
NUMBER = "20261122-0001"
PIPE = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00pipe" + bytes(range(256)) + b"\xff\xd9"
METER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00meter" + bytes(range(255, -1, -1)) + b"\xff\xd9"
_MSG_IDS = itertools.count(25_000_000_001)


@pytest_asyncio.fixture
async def ww(database_url: str, cache_dir: Path) -> AsyncIterator[WeChatWorld]:
    async with wechat_world(database_url, cache_dir) as running:
        yield running


async def _photo(ww: WeChatWorld, openid: str, media_id: str) -> list[str]:
    """``openid`` sends the photo WeChat knows as ``media_id``; the texts sent in reply."""
    fields: dict[str, XmlValue] = {
        "PicUrl": f"http://mmbiz.qpic.cn/mmbiz_jpg/{media_id}/0",
        "MediaId": media_id,
        "MsgId": next(_MSG_IDS),
    }
    return await ww.sends(openid, "image", fields)


def _uploads(ww: WeChatWorld, chat_id: int) -> list[bytes]:
    """The files uploaded as photos to ``chat_id``, in order."""
    sent = [call.params for call in ww.w.standin.calls if call.method == "sendPhoto"]
    files = [params.get("photo") for params in sent if params.get("chat_id") == chat_id]
    return [file.content for file in files if isinstance(file, UploadedFile)]


async def _kept_media(ww: WeChatWorld) -> int:
    """How many files the database keeps."""
    engine = ww.w.bot.store._engine  # type: ignore[attr-defined]
    async with engine.connect() as connection:
        return int((await connection.exec_driver_sql("SELECT count(*) FROM kept_media")).scalar())


async def test_photos_then_words_file_one_task_whose_card_and_claimer_get_the_photos(
    ww: WeChatWorld,
) -> None:
    """Two photos, then the words: one task carrying both; its Telegram card is posted with the
    first, uploaded with the very bytes WeChat served, and the claimer is sent the second."""
    w, resident = ww.w, ww.follower()
    ww.wx.add_media("MEDIA_PIPE", PIPE, "image/jpeg")
    ww.wx.add_media("MEDIA_METER", METER, "image/jpeg")
    assert await _photo(ww, resident, "MEDIA_PIPE") == [texts.ASK_TEXT]
    assert await _photo(ww, resident, "MEDIA_METER") == []  # an album's next photo: kept quietly
    [receipt] = await ww.says(resident, WATER)
    assert f"工单号：{NUMBER}" in receipt

    async with w.bot.store.transaction() as tx:
        [task] = await tx.tasks_of_resident(address(Channel.WECHAT, resident), 10)
        kept = [kept_media_id(photo) for photo in task.photos]
        assert task.photo == task.photos[0]
        assert None not in kept
        assert [await tx.media(m) for m in kept if m] == [
            (PIPE, "image/jpeg"),
            (METER, "image/jpeg"),
        ]
    grid = w.group("xingan-1")
    card = w.card(grid, NUMBER)
    assert card.photo is not None
    assert WATER in card.content
    assert _uploads(ww, grid) == [PIPE]

    zhang = w.people["张三"]
    await w.press(zhang, card, texts.CLAIM)
    assert _uploads(ww, zhang.id) == [METER]
    second = w.last(zhang.id)
    assert second.photo is not None
    assert texts.CLAIMER_PHOTO.format(number=NUMBER, index=1, count=1) in second.content
    assert texts.WECHAT_PHOTO_LOST not in ww.texts(resident)


async def test_words_then_a_photo_add_the_photo_to_the_task(ww: WeChatWorld) -> None:
    """A photo minutes after the report joins it: the task carries it, the claimer gets it."""
    w, resident = ww.w, ww.follower()
    ww.wx.add_media("MEDIA_PIPE", PIPE, "image/jpeg")
    await ww.says(resident, WATER)
    await _photo(ww, resident, "MEDIA_PIPE")
    async with w.bot.store.transaction() as tx:
        [task] = await tx.tasks_of_resident(address(Channel.WECHAT, resident), 10)
    assert len(task.photos) == 1
    assert task.photo is None  # the card was posted as text, and stays so
    await w.press(w.people["张三"], w.card(w.group("xingan-1"), NUMBER), texts.CLAIM)
    assert _uploads(ww, w.people["张三"].id) == [PIPE]


async def test_a_photo_wechat_no_longer_has_is_asked_for_again(ww: WeChatWorld) -> None:
    """An expired media id (40007): the resident is asked kindly to send it again; no task, no
    waiting report, nothing kept, and the message is done with (not retried)."""
    w, resident = ww.w, ww.follower()
    assert await _photo(ww, resident, "MEDIA_EXPIRED") == [texts.WECHAT_PHOTO_LOST]
    async with w.bot.store.transaction() as tx:
        assert await tx.unprocessed_updates(10) == []
        assert await tx.tasks_of_resident(address(Channel.WECHAT, resident), 10) == []
        assert await tx.draft(address(Channel.WECHAT, resident)) is None
    assert await _kept_media(ww) == 0
    assert len([call for call in ww.wx.calls if call.path == MEDIA_GET]) == 1


@pytest.mark.parametrize("fault", ["busy", "minute_quota"])
async def test_a_photo_whose_fetch_fails_for_now_is_fetched_again(
    ww: WeChatWorld, fault: str
) -> None:
    """WeChat busy (-1: transient) or its per-minute quota spent (45011: retry later): the
    handling fails and the inbox tries again, which fetches and keeps the photo once; the
    resident hears of it once."""
    resident = ww.follower()
    ww.wx.add_media("MEDIA_PIPE", PIPE, "image/jpeg")
    ww.wx.fail_next(MEDIA_GET, *FAULTS[fault])
    assert await _photo(ww, resident, "MEDIA_PIPE") == [texts.ASK_TEXT]
    assert len([call for call in ww.wx.calls if call.path == MEDIA_GET]) == 2
    async with ww.w.bot.store.transaction() as tx:
        draft = await tx.draft(address(Channel.WECHAT, resident))
    assert draft is not None
    assert len(draft.photos) == 1
    assert await _kept_media(ww) == 1


async def test_erasing_the_resident_deletes_their_kept_photos(ww: WeChatWorld) -> None:
    """/forget, 确认删除 on WeChat: the task forgotten, its kept photo gone from the database."""
    w, resident = ww.w, ww.follower()
    ww.wx.add_media("MEDIA_PIPE", PIPE, "image/jpeg")
    await _photo(ww, resident, "MEDIA_PIPE")
    await ww.says(resident, WATER)
    assert await _kept_media(ww) == 1

    [ask] = await ww.says(resident, "/forget")
    assert texts.ERASE_ASK in ask
    await ww.says(resident, texts.ERASE_CONFIRM)
    assert ww.texts(resident)[-1] == texts.ERASED_DONE.format(count=1)
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number(NUMBER)
    assert task is not None
    assert (task.photo, task.photos) == (None, ())
    assert await _kept_media(ww) == 0
