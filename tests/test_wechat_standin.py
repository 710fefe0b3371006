"""The WeChat Official Account stand-in, driven over HTTP by a plain aiohttp client, as griddesk's
WeChat channel drives ``api.weixin.qq.com``.

Every await that could hang is bounded by ``LIMIT`` seconds; time moves only by ``advance``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from standins.wechat import FAULTS, Article, MenuItem, WeChatStandIn
from standins.wechat_quota import CustomQuota, Refusal

pytestmark = pytest.mark.asyncio

APPID = "wx5eed0000c0ffee01"
SECRET = "0123456789abcdef0123456789abcdef"
TEMPLATE = "tpl-progress-0001"
NOTICE = "sub-done-0001"
ALICE = "oAlice000000000000000000001"
BOB = "oBob00000000000000000000002"
LIMIT = 5.0
HOUR = 3600.0

CUSTOM = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
BIZSEND = "/cgi-bin/message/subscribe/bizsend"
MEDIA = "/cgi-bin/media/get"
Json = dict[str, Any]


@pytest_asyncio.fixture
async def wx() -> AsyncIterator[WeChatStandIn]:
    """A started stand-in for one verified service account with one template of each kind."""
    standin = WeChatStandIn(APPID, SECRET, templates=[TEMPLATE], subscription_templates=[NOTICE])
    async with standin:
        yield standin


@pytest_asyncio.fixture
async def http(wx: WeChatStandIn) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTP client pointed at the stand-in, as griddesk's would be."""
    timeout = aiohttp.ClientTimeout(total=LIMIT)
    async with aiohttp.ClientSession(wx.base_url, timeout=timeout) as session:
        yield session


@pytest_asyncio.fixture
async def token(http: aiohttp.ClientSession) -> str:
    """A fresh token from /cgi-bin/token."""
    answer = await get_token(http)
    return str(answer["access_token"])


async def get_token(http: aiohttp.ClientSession, appid: str = APPID, secret: str = SECRET) -> Json:
    params = {"grant_type": "client_credential", "appid": appid, "secret": secret}
    async with http.get("/cgi-bin/token", params=params) as response:
        assert response.status == 200
        answer: Json = await response.json()
        return answer


async def stable_token(http: aiohttp.ClientSession, *, force: bool = False, **body: str) -> Json:
    payload = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET} | body
    return await post(http, "/cgi-bin/stable_token", None, payload | {"force_refresh": force})


async def post(http: aiohttp.ClientSession, path: str, token: str | None, body: object) -> Json:
    """POST ``body`` as every WeChat SDK does: UTF-8 JSON, Chinese unescaped."""
    params = {} if token is None else {"access_token": token}
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    async with http.post(path, params=params, data=data, headers=headers) as response:
        assert response.status == 200, await response.text()
        answer: Json = await response.json()
        return answer


async def send_text(http: aiohttp.ClientSession, token: str, openid: str, text: str) -> Json:
    body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
    return await post(http, CUSTOM, token, body)


async def send_template(http: aiohttp.ClientSession, token: str, openid: str, **extra: Any) -> Json:
    body = {"touser": openid, "template_id": TEMPLATE, "data": {"thing1": {"value": "已认领"}}}
    return await post(http, TEMPLATE_SEND, token, body | extra)


async def bizsend(
    http: aiohttp.ClientSession, token: str, openid: str, template: str = NOTICE
) -> Json:
    body = {"touser": openid, "template_id": template, "data": {"thing1": {"value": "已办结"}}}
    return await post(http, BIZSEND, token, body | {"page": "https://example.org/rate"})


async def get_media(http: aiohttp.ClientSession, token: str | None) -> Json:
    """A media/get answered with JSON (an error), as the client parses it."""
    params = {} if token is None else {"access_token": token}
    async with http.get(MEDIA, params=params | {"media_id": "nope"}) as response:
        answer: Json = await response.json()
        return answer


def refused(answer: Json, errcode: int, errmsg: str) -> bool:
    """WeChat's error shape: the code, and the message followed by a request id."""
    text = str(answer.get("errmsg", ""))
    return answer.get("errcode") == errcode and text.startswith(f"{errmsg} rid: ")


def ok(answer: Json) -> bool:
    return answer.get("errcode") == 0 and answer.get("errmsg") == "ok"


# ---- access tokens ----------------------------------------------------------------------------


async def test_classic_token_retires_the_previous_one_after_five_minutes(
    wx: WeChatStandIn, http: aiohttp.ClientSession
) -> None:
    """A new /cgi-bin/token leaves the old one usable for 300 s, then it answers 40001."""
    first = await get_token(http)
    assert first["expires_in"] == 7200
    assert len(first["access_token"]) >= 100
    second = await get_token(http)
    assert second["access_token"] != first["access_token"]
    wx.advance(299)
    assert refused(await get_media(http, first["access_token"]), 40007, "invalid media_id")
    wx.advance(1)
    answer = await get_media(http, first["access_token"])
    assert refused(answer, 40001, "invalid credential, access_token is invalid or not latest")
    assert refused(await get_media(http, second["access_token"]), 40007, "invalid media_id")


async def test_wrong_credentials_are_refused_with_wechats_codes(
    http: aiohttp.ClientSession,
) -> None:
    """Wrong appid 40013, wrong secret 40125, on both token endpoints; bad grant_type 40002."""
    assert refused(await get_token(http, appid="wx0000000000000000"), 40013, "invalid appid")
    assert refused(await get_token(http, secret="wrong"), 40125, "invalid appsecret")
    assert refused(await stable_token(http, secret="wrong"), 40125, "invalid appsecret")
    assert refused(await stable_token(http, appid="wxnope"), 40013, "invalid appid")
    assert refused(await stable_token(http, secret=""), 41004, "appsecret missing")
    params = {"grant_type": "password", "appid": APPID, "secret": SECRET}
    async with http.get("/cgi-bin/token", params=params) as response:
        assert refused(await response.json(), 40002, "invalid grant_type")
    async with http.get("/cgi-bin/stable_token") as response:
        assert refused(await response.json(), 43002, "require POST method")


async def test_stable_token_is_the_same_until_its_last_five_minutes(
    wx: WeChatStandIn, http: aiohttp.ClientSession
) -> None:
    """Normal mode repeats the token with the seconds left; in its last 300 s a new one comes,
    and the old one works until its own expiry; /cgi-bin/token does not touch it."""
    first = await stable_token(http)
    assert first["expires_in"] == 7200
    wx.advance(100)
    await get_token(http)  # isolated from the stable token
    again = await stable_token(http)
    assert (again["access_token"], again["expires_in"]) == (first["access_token"], 7100)
    wx.advance(7100 - 300)
    renewed = await stable_token(http)
    assert (renewed["access_token"] != first["access_token"], renewed["expires_in"]) == (True, 7200)
    wx.advance(299)
    assert refused(await get_media(http, first["access_token"]), 40007, "invalid media_id")
    wx.advance(1)
    assert refused(await get_media(http, first["access_token"]), 42001, "access_token expired")


async def test_force_refresh_retires_the_old_token_at_once_but_not_twice_in_30_seconds(
    wx: WeChatStandIn, http: aiohttp.ClientSession
) -> None:
    """force_refresh gives a new token and the old answers 40001; another force within 30 s
    returns the same token; after 30 s it refreshes again."""
    old = (await stable_token(http))["access_token"]
    new = (await stable_token(http, force=True))["access_token"]
    assert new != old
    answer = await get_media(http, old)
    assert refused(answer, 40001, "invalid credential, access_token is invalid or not latest")
    wx.advance(29)
    assert (await stable_token(http, force=True))["access_token"] == new
    wx.advance(1)
    assert (await stable_token(http, force=True))["access_token"] != new


async def test_every_call_checks_the_token(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """No token 41001, an unknown one 40001, after two hours or expire_tokens() 42001."""
    assert refused(await get_media(http, None), 41001, "access_token missing")
    answer = await get_media(http, "86_forged")
    assert refused(answer, 40001, "invalid credential, access_token is invalid or not latest")
    wx.advance(7199)
    assert refused(await get_media(http, token), 40007, "invalid media_id")
    wx.advance(1)
    assert refused(await get_media(http, token), 42001, "access_token expired")
    fresh = (await get_token(http))["access_token"]
    wx.expire_tokens()
    assert refused(await get_media(http, fresh), 42001, "access_token expired")
    assert refused(await send_text(http, fresh, ALICE, "x"), 42001, "access_token expired")


# ---- customer-service messages ----------------------------------------------------------------


async def test_five_sends_per_user_message_the_sixth_is_refused(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """After a user message, five sends are accepted and recorded; the sixth answers 45047."""
    wx.subscribe(ALICE, long_ago=True)
    wx.user_message(ALICE)
    assert wx.quota_left(ALICE) == 5
    for n in range(5):
        assert ok(await send_text(http, token, ALICE, f"第{n + 1}条"))
    assert refused(
        await send_text(http, token, ALICE, "第6条"), 45047, "out of response count limit"
    )
    sent = wx.sent_to(ALICE)
    assert [(m.kind, m.text) for m in sent] == [("text", f"第{n}条") for n in range(1, 6)]
    assert wx.quota_left(ALICE) == 0


async def test_the_window_closes_48_hours_after_the_user_message(
    wx: WeChatStandIn, http: aiohttp.ClientSession
) -> None:
    """A send just inside 48 hours is accepted; at 48 hours it answers 45015."""
    wx.subscribe(ALICE, long_ago=True)
    wx.user_message(ALICE)
    wx.advance(48 * HOUR - 1)
    token = (await stable_token(http))["access_token"]
    assert ok(await send_text(http, token, ALICE, "还在窗口内"))
    wx.advance(1)
    answer = await send_text(http, token, ALICE, "窗口已关")
    assert refused(answer, 45015, "response out of time limit or subscription is canceled")
    assert [m.text for m in wx.sent_to(ALICE)] == ["还在窗口内"]


async def test_a_new_user_message_opens_a_fresh_quota(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """Five used, the user writes again: five more (not added to what was left), 48 h anew."""
    wx.subscribe(ALICE, long_ago=True)
    wx.user_message(ALICE)
    for _ in range(5):
        assert ok(await send_text(http, token, ALICE, "回复"))
    wx.advance(HOUR)
    wx.user_message(ALICE)
    assert wx.quota_left(ALICE) == 5
    wx.user_message(ALICE)
    assert wx.quota_left(ALICE) == 5
    wx.advance(47 * HOUR + 1)
    assert wx.quota_left(ALICE) == 5  # 48 h counted from the latest message
    assert len(wx.sent_to(ALICE)) == 5


async def test_follow_and_menu_click_give_three_sends_within_a_minute(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """A subscribe event opens 3 sends for 60 s; a menu click opens 3 more; then 45015."""
    wx.subscribe(BOB)
    for _ in range(3):
        assert ok(await send_text(http, token, BOB, "欢迎"))
    assert refused(await send_text(http, token, BOB, "多"), 45047, "out of response count limit")
    wx.menu_click(BOB)
    assert ok(await send_text(http, token, BOB, "菜单"))
    wx.advance(60)
    answer = await send_text(http, token, BOB, "晚了")
    assert refused(answer, 45015, "response out of time limit or subscription is canceled")
    assert len(wx.sent_to(BOB)) == 4


async def test_unfollowed_and_unknown_users_are_refused(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """After unsubscribe a customer-service send answers 45015 and a template 43004; an openid
    the account never saw answers 40003."""
    wx.subscribe(ALICE)
    wx.user_message(ALICE)
    wx.unsubscribe(ALICE)
    answer = await send_text(http, token, ALICE, "在吗")
    assert refused(answer, 45015, "response out of time limit or subscription is canceled")
    assert refused(await send_template(http, token, ALICE), 43004, "require subscribe")
    assert refused(await send_text(http, token, BOB, "你好"), 40003, "invalid openid")
    assert refused(await send_template(http, token, BOB), 40003, "invalid openid")
    assert wx.sent_to(ALICE) == []
    wx.subscribe(ALICE)  # following again: the subscribe event's window
    assert ok(await send_text(http, token, ALICE, "欢迎回来"))


async def test_image_news_and_menu_messages_are_checked_and_recorded(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """Each kind is recorded as the user sees it; malformed ones are refused with WeChat's
    code and spend no quota."""
    wx.subscribe(ALICE, long_ago=True)
    wx.user_message(ALICE)
    wx.add_media("MEDIA_1", b"\xff\xd8jpeg", "image/jpeg")
    image = {"touser": ALICE, "msgtype": "image", "image": {"media_id": "MEDIA_1"}}
    assert ok(await post(http, CUSTOM, token, image))
    image["image"] = {"media_id": "MEDIA_404"}
    assert refused(await post(http, CUSTOM, token, image), 40007, "invalid media_id")
    article = {"title": "停水通知", "description": "3号楼", "url": "https://e.org", "picurl": ""}
    news: Json = {"touser": ALICE, "msgtype": "news", "news": {"articles": [article] * 2}}
    assert refused(await post(http, CUSTOM, token, news), 45008, "article size out of limit")
    news["news"] = {"articles": [article]}
    assert ok(await post(http, CUSTOM, token, news))
    menu = {
        "head_content": "您对本次服务是否满意？",
        "list": [{"id": "101", "content": "满意"}, {"id": "102", "content": "不满意"}],
        "tail_content": "欢迎再次反映",
    }
    assert ok(
        await post(http, CUSTOM, token, {"touser": ALICE, "msgtype": "msgmenu", "msgmenu": menu})
    )
    bad = {"touser": ALICE, "msgtype": "sticker", "sticker": {}}
    assert refused(await post(http, CUSTOM, token, bad), 40008, "invalid message type")
    empty = {"touser": ALICE, "msgtype": "text", "text": {"content": ""}}
    assert refused(await post(http, CUSTOM, token, empty), 44004, "empty content")
    image_sent, news_sent, menu_sent = wx.sent_to(ALICE)
    assert (image_sent.kind, image_sent.media_id) == ("image", "MEDIA_1")
    assert news_sent.articles == (Article("停水通知", "3号楼", "https://e.org", ""),)
    assert menu_sent.menu == (MenuItem("101", "满意"), MenuItem("102", "不满意"))
    assert menu_sent.content == "您对本次服务是否满意？\n满意\n不满意\n欢迎再次反映"
    assert wx.quota_left(ALICE) == 2


async def test_menu_messages_need_a_verified_account() -> None:
    """An unverified (or test) account is refused msgmenu with 40200."""
    async with WeChatStandIn(APPID, SECRET, verified=False) as unverified:
        unverified.subscribe(ALICE)
        timeout = aiohttp.ClientTimeout(total=LIMIT)
        async with aiohttp.ClientSession(unverified.base_url, timeout=timeout) as other:
            token = (await get_token(other))["access_token"]
            menu = {"head_content": "满意吗", "list": [{"id": "1", "content": "满意"}]}
            body = {"touser": ALICE, "msgtype": "msgmenu", "msgmenu": menu}
            assert refused(await post(other, CUSTOM, token, body), 40200, "invalid account type")
            assert ok(await send_text(other, token, ALICE, "满意吗？回复1"))


async def test_escaped_chinese_and_broken_json_are_refused(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """aiohttp's json= escapes Chinese as \\uXXXX: 40033; a body that is not JSON: 47001."""
    wx.subscribe(ALICE)
    body = {"touser": ALICE, "msgtype": "text", "text": {"content": "停水"}}
    params = {"access_token": token}
    async with http.post(CUSTOM, params=params, json=body) as response:
        answer = await response.json()
    assert answer["errcode"] == 40033
    async with http.post(CUSTOM, params=params, data=b"{not json") as response:
        assert refused(await response.json(), 47001, "data format error")
    assert wx.sent_to(ALICE) == []
    assert wx.calls[-1].body == {}
    assert wx.calls[-2].body == body


# ---- template messages and subscribe notices --------------------------------------------------


async def test_template_messages_answer_a_msgid_and_are_recorded(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """A follower gets a template outside any window; unknown (or subscribe-notice) template
    ids answer 40037."""
    wx.subscribe(ALICE, long_ago=True)
    answer = await send_template(http, token, ALICE, url="https://example.org/task/17")
    assert ok(answer)
    assert isinstance(answer["msgid"], int)
    [sent] = wx.sent_to(ALICE)
    assert (sent.kind, sent.template_id, sent.msgid) == ("template", TEMPLATE, answer["msgid"])
    assert (dict(sent.data), sent.link) == ({"thing1": "已认领"}, "https://example.org/task/17")
    body = {"touser": ALICE, "template_id": NOTICE, "data": {"thing1": {"value": "x"}}}
    assert refused(await post(http, TEMPLATE_SEND, token, body), 40037, "invalid template_id")
    body["data"] = {"thing1": "no value object"}
    body["template_id"] = TEMPLATE
    assert refused(await post(http, TEMPLATE_SEND, token, body), 47001, "data format error")
    assert len(wx.sent_to(ALICE)) == 1


async def test_subscribe_notices_spend_one_time_consents(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """Each bizsend spends one consent; with none left 43101; non-followers receive them too."""
    wx.subscribe(ALICE, long_ago=True)
    assert refused(await bizsend(http, token, ALICE), 43101, "user refuse to accept the msg")
    wx.grant_subscription(ALICE, NOTICE)
    assert ok(await bizsend(http, token, ALICE))
    assert refused(await bizsend(http, token, ALICE), 43101, "user refuse to accept the msg")
    wx.grant_subscription(BOB, NOTICE, times=2)  # consented on an H5 page, never followed
    assert ok(await bizsend(http, token, BOB))
    assert ok(await bizsend(http, token, BOB))
    assert refused(await bizsend(http, token, BOB), 43101, "user refuse to accept the msg")
    assert refused(await bizsend(http, token, BOB, TEMPLATE), 40037, "invalid template_id")
    [sent] = wx.sent_to(ALICE)
    assert (sent.kind, sent.template_id, sent.content) == ("subscribe", NOTICE, "已办结")
    assert sent.link == "https://example.org/rate"
    assert len(wx.sent_to(BOB)) == 2


# ---- media ------------------------------------------------------------------------------------


async def test_media_download_returns_the_file_or_40007(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """media/get answers the bytes with their Content-Type and filename; unknown ids 40007."""
    photo = b"\xff\xd8\xff\xe0 a resident's photo"
    wx.add_media("MEDIA_PHOTO", photo, "image/jpeg")
    params = {"access_token": token, "media_id": "MEDIA_PHOTO"}
    async with http.get(MEDIA, params=params) as response:
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        assert response.headers["Content-disposition"] == ('attachment; filename="MEDIA_PHOTO.jpg"')
        assert await response.read() == photo
    async with http.get(MEDIA, params={"access_token": token}) as response:
        assert refused(await response.json(), 41006, "media_id missing")
    assert refused(await get_media(http, token), 40007, "invalid media_id")


# ---- faults and observation -------------------------------------------------------------------


async def test_injected_errors_answer_the_next_calls_only(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """fail_next answers WeChat's error instead of serving (no quota spent), then serves."""
    wx.subscribe(ALICE, long_ago=True)
    wx.user_message(ALICE)
    wx.fail_next(CUSTOM, *FAULTS["busy"], times=2)
    wx.fail_next(TEMPLATE_SEND, 45009)
    assert refused(await send_text(http, token, ALICE, "一"), -1, "system error")
    assert refused(await send_text(http, token, ALICE, "二"), -1, "system error")
    answer = await send_template(http, token, ALICE)
    assert refused(answer, 45009, "reach max api daily quota limit")
    assert ok(await send_text(http, token, ALICE, "三"))
    assert [m.text for m in wx.sent_to(ALICE)] == ["三"]
    assert wx.quota_left(ALICE) == 4
    with pytest.raises(ValueError, match="does not serve"):
        wx.fail_next("/cgi-bin/menu/create", -1)


async def test_dropped_connections_are_unanswered_and_recorded(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """drop_next closes the connection: the client raises, the call is recorded, nothing is
    delivered; the next call is served."""
    wx.subscribe(ALICE)
    wx.drop_next(CUSTOM)
    body = {"touser": ALICE, "msgtype": "text", "text": {"content": "丢了"}}
    data = json.dumps(body, ensure_ascii=False).encode()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await http.post(CUSTOM, params={"access_token": token}, data=data)
    assert wx.sent_to(ALICE) == []
    assert [c.path for c in wx.calls][-1] == CUSTOM
    assert ok(await send_text(http, token, ALICE, "到了"))


async def test_wait_for_wakes_on_delivery_and_explains_a_timeout(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """wait_for returns the first matching message once it is delivered; a timeout lists
    what was sent."""
    wx.subscribe(ALICE)
    waiting = asyncio.create_task(wx.wait_for(lambda m: m.openid == ALICE, timeout=LIMIT))
    assert ok(await send_text(http, token, ALICE, "收到，编号 20261122-0001"))
    found = await waiting
    assert (found.text, found.time) == ("收到，编号 20261122-0001", wx.now)
    with pytest.raises(TimeoutError, match="收到"):
        await wx.wait_for(lambda m: m.openid == BOB, timeout=0.05)


async def test_unknown_paths_and_wrong_methods(
    wx: WeChatStandIn, http: aiohttp.ClientSession, token: str
) -> None:
    """A path the stand-in does not serve is 404; a GET where WeChat wants POST is 43002."""
    async with http.get("/cgi-bin/menu/get", params={"access_token": token}) as response:
        assert response.status == 404
    async with http.get(CUSTOM, params={"access_token": token}) as response:
        assert refused(await response.json(), 43002, "require POST method")


async def test_test_mistakes_raise_at_once() -> None:
    """Acting as a user who cannot act, or moving a clock the stand-in does not own, raises."""
    standin = WeChatStandIn(subscription_templates=[NOTICE])
    with pytest.raises(ValueError, match="does not follow"):
        standin.user_message(ALICE)
    standin.subscribe(ALICE)
    with pytest.raises(ValueError, match="already follows"):
        standin.subscribe(ALICE)
    with pytest.raises(ValueError, match="subscription_templates"):
        standin.grant_subscription(ALICE, TEMPLATE)
    with pytest.raises(RuntimeError, match="clock"):
        WeChatStandIn(clock=lambda: 0.0).advance(1)
    with pytest.raises(RuntimeError, match="not started"):
        _ = standin.base_url


async def test_a_shared_clock_drives_the_windows() -> None:
    """With clock= given, the test's clock decides when windows close."""
    now = [1_800_000_000.0]
    standin = WeChatStandIn(clock=lambda: now[0])
    standin.subscribe(ALICE, long_ago=True)
    standin.user_message(ALICE)
    assert standin.quota_left(ALICE) == 5
    now[0] += 48 * HOUR
    assert standin.quota_left(ALICE) == 0


# ---- the quota rule, without HTTP -------------------------------------------------------------


async def test_an_events_sends_are_spent_before_the_48_hour_ones() -> None:
    """With both windows open, sends draw on the one-minute window first, then the other."""
    quota = CustomQuota()
    quota.user_message(0.0)
    quota.event(10.0)
    assert [quota.take(20.0) for _ in range(3)] == [None, None, None]
    assert quota.left(20.0) == 5
    assert quota.left(70.0) == 5  # the event window closed, the message window untouched
    assert [quota.take(80.0) for _ in range(6)] == [None] * 5 + [Refusal.OUT_OF_COUNT]
    quota.close()
    assert quota.take(90.0) is Refusal.OUT_OF_TIME
