"""griddesk's WeChat API client and the access token all instances share, against the stand-in
(:mod:`standins.wechat`) over real HTTP and a real database (SQLite and PostgreSQL).

The stand-in runs on the test's fake clock, so moving the clock closes WeChat's windows and
ages the tokens alike; every await that could hang is bounded by ``LIMIT`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta

import aiohttp
import pytest
import pytest_asyncio

from bot.errors import ChatUnreachable, RetryLater, TransientDeliveryError, Undeliverable
from handlers.tencent.client import AccessRefused, Throttled
from handlers.tencent.tokens import MARGIN
from handlers.wechat.api import (
    CUSTOM_SEND,
    MEDIA_GET,
    STABLE_TOKEN,
    SUBSCRIBE_SEND,
    TEMPLATE_SEND,
    NoSubscription,
    NotFollowing,
    OutsideWindow,
    QuotaUsed,
    Refused,
    UnknownMedia,
    WeChatApi,
)
from standins.wechat import Call, MenuItem, WeChatStandIn
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock

pytestmark = pytest.mark.asyncio

APPID = "wx5eed0000c0ffee01"
SECRET = "0123456789abcdef0123456789abcdef"
NAME = f"wechat:{APPID}"
TEMPLATE = "tpl-progress-0001"
NOTICE = "sub-done-0001"
ALICE = "oAlice000000000000000000001"
BOB = "oBob00000000000000000000002"
LIMIT = 5.0
HOUR = timedelta(hours=1)


@pytest_asyncio.fixture
async def wx(clock: FakeClock) -> AsyncIterator[WeChatStandIn]:
    """A verified service account with one template of each kind, on the test's clock."""

    def seconds() -> float:  # read at each call: the clock's ``now`` is replaced as it moves
        return clock.now.timestamp()

    standin = WeChatStandIn(
        APPID, SECRET, templates=[TEMPLATE], subscription_templates=[NOTICE], clock=seconds
    )
    async with standin:
        yield standin


@pytest_asyncio.fixture
async def stores(database_url: str, clock: FakeClock) -> AsyncIterator[list[SqlStore]]:
    """Two stores on the test's one database, as two instances would open it."""
    async with AsyncExitStack() as stack:
        yield [await stack.enter_async_context(open_store(database_url, clock=clock))
               for _ in range(2)]  # fmt: skip


def client(wx: WeChatStandIn, store: SqlStore, clock: FakeClock, instance: str) -> WeChatApi:
    return WeChatApi(
        APPID, SECRET, store, base_url=wx.base_url, timeout=LIMIT, clock=clock, instance=instance
    )


@pytest_asyncio.fixture
async def api(
    wx: WeChatStandIn, stores: list[SqlStore], clock: FakeClock
) -> AsyncIterator[WeChatApi]:
    """The client of instance ``a``, open."""
    async with client(wx, stores[0], clock, "a") as opened:
        yield opened


@pytest_asyncio.fixture
async def other(
    wx: WeChatStandIn, stores: list[SqlStore], clock: FakeClock
) -> AsyncIterator[WeChatApi]:
    """The client of instance ``b``: its own store and memory, the same database."""
    async with client(wx, stores[1], clock, "b") as opened:
        yield opened


def calls(wx: WeChatStandIn, path: str) -> list[Call]:
    return [call for call in wx.calls if call.path == path]


def tokens_used(wx: WeChatStandIn, path: str) -> list[str]:
    return [call.query["access_token"] for call in calls(wx, path)]


def resident(wx: WeChatStandIn, openid: str = ALICE) -> None:
    """``openid`` followed long ago and has just written: 5 sends within 48 hours."""
    wx.subscribe(openid, long_ago=True)
    wx.user_message(openid)


# ---- sending ----------------------------------------------------------------------------------


async def test_text_menu_template_and_subscribe_notice_arrive(
    wx: WeChatStandIn, api: WeChatApi
) -> None:
    """Each kind of message reaches the resident as they would see it."""
    resident(wx)
    wx.grant_subscription(ALICE, NOTICE)
    await api.send_text(ALICE, "已收到，工单号 20261122-0001")
    await api.send_menu(ALICE, "您对本次服务是否满意？", [("101", "满意"), ("102", "不满意")],
                        "欢迎再次反映")  # fmt: skip
    msgid = await api.send_template(ALICE, TEMPLATE, {"thing1": "已认领"}, url="https://e.org/t")
    await api.send_subscribe(ALICE, NOTICE, {"thing1": "已办结"}, page="https://e.org/rate")

    text, menu, template, notice = wx.sent_to(ALICE)
    assert (text.kind, text.text) == ("text", "已收到，工单号 20261122-0001")
    assert (menu.kind, menu.text, menu.tail) == (
        "msgmenu", "您对本次服务是否满意？", "欢迎再次反映",
    )  # fmt: skip
    assert menu.menu == (MenuItem("101", "满意"), MenuItem("102", "不满意"))
    assert (template.kind, template.template_id, template.link) == (
        "template", TEMPLATE, "https://e.org/t",
    )  # fmt: skip
    assert (template.data, template.msgid) == ({"thing1": "已认领"}, msgid)
    assert (notice.kind, notice.template_id, notice.link) == (
        "subscribe", NOTICE, "https://e.org/rate",
    )  # fmt: skip
    assert notice.data == {"thing1": "已办结"}


async def test_chinese_goes_out_unescaped(wx: WeChatStandIn, api: WeChatApi) -> None:
    """Bodies are raw UTF-8: the stand-in refuses ``\\uXXXX`` escapes with 40033 (shown here
    with a body sent as aiohttp's ``json=`` sends it), and ours arrive whole."""
    resident(wx)
    words = "审计厅小区3号楼下水堵了 🚰「急」"
    token = await api.tokens.token()
    escaped = {"touser": ALICE, "msgtype": "text", "text": {"content": words}}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{wx.base_url}{CUSTOM_SEND}", params={"access_token": token}, json=escaped)
        as refused,
    ):  # fmt: skip
        assert (await refused.json(content_type=None))["errcode"] == 40033

    await api.send_text(ALICE, words)
    await api.send_template(ALICE, TEMPLATE, {"thing1": words[:20]})
    assert [m.content for m in wx.sent_to(ALICE)] == [words, words[:20]]


async def test_the_sixth_message_in_a_window_raises_quota_used(
    wx: WeChatStandIn, api: WeChatApi
) -> None:
    """Five customer-service messages per resident message; the sixth is QuotaUsed (45047),
    which the outbox alone would treat as an unreachable chat."""
    resident(wx)
    for n in range(5):
        await api.send_text(ALICE, f"第{n + 1}条")
    with pytest.raises(QuotaUsed, match="45047") as refused:
        await api.send_text(ALICE, "第6条")
    assert isinstance(refused.value, ChatUnreachable)
    assert len(wx.sent_to(ALICE)) == 5


async def test_after_48_hours_outside_window_and_a_template_still_goes(
    wx: WeChatStandIn, api: WeChatApi, clock: FakeClock
) -> None:
    """48 h after the resident's last message a customer-service send is OutsideWindow
    (45015); a template message, the fallback, still reaches them."""
    resident(wx)
    await api.send_text(ALICE, "已受理")
    clock.advance(48 * HOUR)
    with pytest.raises(OutsideWindow, match="45015"):
        await api.send_text(ALICE, "已办结")
    await api.send_template(ALICE, TEMPLATE, {"thing1": "已办结"})
    assert [m.kind for m in wx.sent_to(ALICE)] == ["text", "template"]


async def test_unfollowed_unconsented_and_unknown_residents_are_unreachable(
    wx: WeChatStandIn, api: WeChatApi
) -> None:
    """43004 (templates need a follower), 43101 (no subscribe consent left) and 40003 (an
    OpenID the account never saw) mean the chat, not the message."""
    resident(wx)
    wx.unsubscribe(ALICE)
    with pytest.raises(NotFollowing, match="43004"):
        await api.send_template(ALICE, TEMPLATE, {"thing1": "已认领"})
    wx.grant_subscription(ALICE, NOTICE)
    await api.send_subscribe(ALICE, NOTICE, {"thing1": "已办结"})  # non-followers get notices
    with pytest.raises(NoSubscription, match="43101"):
        await api.send_subscribe(ALICE, NOTICE, {"thing1": "已办结"})  # the consent is spent
    with pytest.raises(ChatUnreachable, match="40003"):
        await api.send_text(BOB, "你好")
    assert [m.kind for m in wx.sent_to(ALICE)] == ["subscribe"]


async def test_a_refused_request_is_undeliverable_with_its_code(
    wx: WeChatStandIn, api: WeChatApi
) -> None:
    """A code about the request itself (40037: no such template) gives up on the message."""
    resident(wx)
    with pytest.raises(Refused, match="40037") as refused:
        await api.send_template(ALICE, "tpl-nope", {"thing1": "已认领"})
    assert refused.value.errcode == 40037
    assert not isinstance(refused.value, ChatUnreachable)


@pytest.mark.parametrize(
    ("errcode", "expected", "wait"),
    [
        (-1, TransientDeliveryError, None),
        (45009, Throttled, 3600.0),
        (45011, Throttled, 60.0),
        (None, TransientDeliveryError, None),  # the connection closes unanswered
    ],
)
async def test_trouble_on_wechats_side_is_transient(
    wx: WeChatStandIn,
    api: WeChatApi,
    errcode: int | None,
    expected: type[Exception],
    wait: float | None,
) -> None:
    """System busy (-1) and a lost connection are transient, spent call quotas a wait; the
    message is not lost to them: the next try goes through."""
    resident(wx)
    await api.tokens.token()
    if errcode is None:
        wx.drop_next(CUSTOM_SEND)
    else:
        wx.fail_next(CUSTOM_SEND, errcode)
    with pytest.raises(expected) as trouble:
        await api.send_text(ALICE, "收到")
    assert not isinstance(trouble.value, AccessRefused | Undeliverable)
    if wait is not None:
        assert isinstance(trouble.value, RetryLater)
        assert trouble.value.seconds == wait
    await api.send_text(ALICE, "收到")
    assert [m.text for m in wx.sent_to(ALICE)] == ["收到"]
    assert len(calls(wx, STABLE_TOKEN)) == 1  # nothing about the token


# ---- the access token -------------------------------------------------------------------------


async def test_an_expired_token_is_replaced_once_and_the_send_goes_through(
    wx: WeChatStandIn, api: WeChatApi, stores: list[SqlStore]
) -> None:
    """WeChat answers 42001: the stored token is force-refreshed, stored, and the call made
    again with it, once."""
    resident(wx)
    await api.send_text(ALICE, "一")
    wx.expire_tokens()
    await api.send_text(ALICE, "二")

    first, expired, fresh = tokens_used(wx, CUSTOM_SEND)
    assert first == expired != fresh
    assert [call.body["force_refresh"] for call in calls(wx, STABLE_TOKEN)] == [False, True]
    async with stores[1].transaction() as tx:
        stored = await tx.platform_token(NAME)
    assert stored is not None
    assert stored[0] == fresh
    assert [m.text for m in wx.sent_to(ALICE)] == ["一", "二"]


async def test_a_second_refusal_of_the_token_is_not_retried_for_ever(
    wx: WeChatStandIn, api: WeChatApi
) -> None:
    """40001 twice in a row: one refresh, one more try, then AccessRefused (transient: the
    message waits for an operator); the next send uses the new token without fetching."""
    resident(wx)
    await api.send_text(ALICE, "一")
    wx.fail_next(CUSTOM_SEND, 40001, times=2)
    with pytest.raises(AccessRefused, match="40001") as refused:
        await api.send_text(ALICE, "二")
    assert isinstance(refused.value, TransientDeliveryError)
    assert len(calls(wx, CUSTOM_SEND)) == 3
    assert len(calls(wx, STABLE_TOKEN)) == 2

    await api.send_text(ALICE, "二")
    assert len(calls(wx, STABLE_TOKEN)) == 2
    assert [m.text for m in wx.sent_to(ALICE)] == ["一", "二"]


async def test_two_instances_asking_at_once_fetch_one_token(
    wx: WeChatStandIn, api: WeChatApi, other: WeChatApi, stores: list[SqlStore]
) -> None:
    """Two instances (each its own store and memory, one database) and several sends each,
    all at once: one ``stable_token`` fetch, and every send carries that token."""
    resident(wx, ALICE)
    resident(wx, BOB)
    sends = [api.send_text(ALICE, "甲") for _ in range(3)]
    sends += [other.send_text(BOB, "乙") for _ in range(3)]
    async with asyncio.timeout(LIMIT * 3):
        await asyncio.gather(*sends)

    assert len(calls(wx, STABLE_TOKEN)) == 1
    used = set(tokens_used(wx, CUSTOM_SEND))
    assert len(used) == 1
    async with stores[0].transaction() as tx:
        stored = await tx.platform_token(NAME)
    assert stored is not None
    assert stored[0] in used
    assert len(wx.sent_to(ALICE)) == len(wx.sent_to(BOB)) == 3


async def test_a_stored_token_with_under_five_minutes_left_is_replaced(
    wx: WeChatStandIn, api: WeChatApi, other: WeChatApi, clock: FakeClock, stores: list[SqlStore]
) -> None:
    """Instance a stored a token; 4 minutes before it expires, instance b fetches the next one
    (unforced) and stores it, and instance a then reads it from the database."""
    old = await api.tokens.token()
    clock.advance(timedelta(hours=2) - timedelta(minutes=4))
    assert timedelta(minutes=4) < MARGIN

    new = await other.tokens.token()
    assert new != old
    assert [call.body["force_refresh"] for call in calls(wx, STABLE_TOKEN)] == [False, False]
    async with stores[0].transaction() as tx:
        assert await tx.platform_token(NAME) == (new, clock.now + timedelta(hours=2))

    assert await api.tokens.token() == new
    assert len(calls(wx, STABLE_TOKEN)) == 2


async def test_a_token_another_instance_replaced_is_taken_from_the_database(
    wx: WeChatStandIn, api: WeChatApi, other: WeChatApi
) -> None:
    """Instance b's forced refresh retires a's token at once; a's next call is refused (40001)
    and a takes b's token from the database instead of forcing again."""
    resident(wx)
    await api.send_text(ALICE, "一")
    old = await other.tokens.token()
    new = await other.tokens.refresh(old)
    assert new != old

    await api.send_text(ALICE, "二")
    assert tokens_used(wx, CUSTOM_SEND) == [old, old, new]
    assert [call.body["force_refresh"] for call in calls(wx, STABLE_TOKEN)] == [False, True]


# ---- media ------------------------------------------------------------------------------------


async def test_media_is_downloaded_with_its_type_and_unknown_media_is_refused(
    wx: WeChatStandIn, api: WeChatApi
) -> None:
    """A resident's photo comes back byte for byte with its Content-Type; an unknown or
    expired media id is UnknownMedia (40007)."""
    photo = bytes(range(256)) * 1000
    wx.add_media("MEDIA_1", photo, "image/jpeg")
    assert await api.media("MEDIA_1") == (photo, "image/jpeg")
    with pytest.raises(UnknownMedia, match="40007"):
        await api.media("MEDIA_404")
    assert len(calls(wx, MEDIA_GET)) == 2


# ---- secrets ----------------------------------------------------------------------------------


async def test_neither_token_nor_secret_is_logged_or_raised(
    wx: WeChatStandIn, api: WeChatApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Through a refresh, a lost connection and refusals, no log line and no error names the
    access token or the app secret (URLs carry the token)."""
    caplog.set_level(logging.DEBUG)
    resident(wx)
    await api.send_text(ALICE, "一")
    wx.expire_tokens()
    await api.send_text(ALICE, "二")
    errors: list[Exception] = []
    wx.drop_next(CUSTOM_SEND)
    wx.fail_next(CUSTOM_SEND, 40001, times=2)
    wx.fail_next(TEMPLATE_SEND, 40164, "invalid ip 10.0.0.7, not in whitelist")
    for send in [api.send_text(ALICE, "三"), api.send_text(ALICE, "三"),
                 api.send_template(ALICE, TEMPLATE, {"thing1": "x"})]:  # fmt: skip
        with pytest.raises(TransientDeliveryError) as raised:
            await send
        errors.append(raised.value)
    wx.fail_next(SUBSCRIBE_SEND, 40037)
    with pytest.raises(Refused) as refused:
        await api.send_subscribe(ALICE, NOTICE, {"thing1": "x"})
    errors.append(refused.value)

    issued = {call.query["access_token"] for call in wx.calls if "access_token" in call.query}
    assert len(issued) == 2
    said = caplog.text + "\n".join(f"{e!s} {e!r}" for e in errors) + repr(api)
    assert "refused the access token" in caplog.text  # the refresh was logged
    for secret in [*issued, SECRET]:
        assert secret not in said


async def test_calls_through_a_closed_client_are_a_mistake(
    wx: WeChatStandIn, stores: list[SqlStore], clock: FakeClock
) -> None:
    """The client owns its HTTP session: outside ``async with`` it refuses to work."""
    closed = client(wx, stores[0], clock, "a")
    with pytest.raises(RuntimeError, match="async with"):
        await closed.send_text(ALICE, "你好")
    async with closed:
        pass
    with pytest.raises(RuntimeError, match="async with"):
        await closed.media("MEDIA_1")
    assert wx.calls == []


async def test_the_stored_token_is_read_back_as_stored(
    stores: list[SqlStore], clock: FakeClock
) -> None:
    """The two port methods: nothing before the first save, then the last one saved, its
    expiry aware UTC, seen from another store on the database."""
    async with stores[0].transaction() as tx:
        assert await tx.platform_token(NAME) is None
        await tx.save_platform_token(NAME, "t1", clock.now + HOUR, "a")
        await tx.save_platform_token(NAME, "t2", clock.now + 2 * HOUR, "b")
    async with stores[1].transaction() as tx:
        assert await tx.platform_token(NAME) == ("t2", clock.now + 2 * HOUR)
        assert await tx.platform_token("wechat:other") is None
