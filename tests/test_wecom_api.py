"""griddesk's WeCom API client and the access token all instances share, against the stand-in
(:mod:`standins.wecom`) over real HTTP and a real database (SQLite and PostgreSQL).

The stand-in reads the test's fake clock, so moving the clock ages the tokens, the response
codes and the Beijing day for both sides alike; ``wecom.advance`` moves WeCom's time alone, as a
clock running ahead would. Every await that could hang is bounded by ``LIMIT`` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.errors import ChatUnreachable, RetryLater, TransientDeliveryError, Undeliverable
from handlers.tencent.client import AccessRefused, Throttled
from handlers.wecom.api import (
    GETTOKEN,
    MESSAGE_SEND,
    UPDATE_CARD,
    CardExpired,
    NobodyToReach,
    Refused,
    SentCard,
    WeComApi,
)
from standins.wecom import FAULTS, Button, Call, WeComStandIn
from storage.sql_store import SqlStore
from tests.clock import FakeClock

pytestmark = pytest.mark.asyncio

CORP_ID = "ww5eed0000c0ffee"
SECRET = "grid-app-secret-0123456789abcdef"
AGENT_ID = 1000002
NAME = f"wecom:{CORP_ID}:{AGENT_ID}"
LIMIT = 5.0
HOUR = timedelta(hours=1)
Json = dict[str, Any]


@pytest_asyncio.fixture
async def wecom(clock: FakeClock) -> AsyncIterator[WeComStandIn]:
    """The app of a corp with three grid workers and one member outside its visible range, on
    the test's clock (09:00 in Beijing)."""
    async with standin(clock) as server:
        server.add_member("zhangsan", "张三")
        server.add_member("lisi", "李四")
        server.add_member("wangwu", "王五")
        server.add_member("outsider", "外人", visible=False)
        yield server


def standin(clock: FakeClock, *, seats: int = 500) -> WeComStandIn:
    def seconds() -> float:  # read at each call: the clock's ``now`` is replaced as it moves
        return clock.now.timestamp()

    return WeComStandIn(CORP_ID, SECRET, AGENT_ID, seats=seats, clock=seconds)


def client(
    base_url: str,
    store: SqlStore,
    clock: FakeClock,
    instance: str = "a",
    *,
    corp_id: str = CORP_ID,
    secret: str = SECRET,
    agent_id: int = AGENT_ID,
    timeout: float = LIMIT,
) -> WeComApi:
    return WeComApi(
        corp_id,
        secret,
        agent_id,
        store,
        base_url=base_url,
        timeout=timeout,
        clock=clock,
        instance=instance,
    )


@pytest_asyncio.fixture
async def api(wecom: WeComStandIn, store: SqlStore, clock: FakeClock) -> AsyncIterator[WeComApi]:
    """The client of instance ``a``, open."""
    async with client(wecom.base_url, store, clock) as opened:
        yield opened


def calls(wecom: WeComStandIn, path: str) -> list[Call]:
    name = path.removeprefix("/cgi-bin/")
    return [call for call in wecom.calls if call.path == name]


def tokens_used(wecom: WeComStandIn, path: str) -> list[str]:
    return [call.query["access_token"] for call in calls(wecom, path)]


def touser(call: Call) -> list[str]:
    """The recipients a send named."""
    assert isinstance(call.body, dict)
    return str(call.body["touser"]).split("|")


def card(task_id: str, title: str = "3号楼停水", **more: Any) -> Json:
    """A task's card as the sender builds one: a title, a row, 认领 and 转交 buttons."""
    return {
        "card_type": "button_interaction",
        "task_id": task_id,
        "main_title": {"title": title, "desc": "兴安南路1网格"},
        "horizontal_content_list": [{"keyname": "地址", "value": "3号楼2单元"}],
        "button_list": [
            {"text": "认领", "style": 1, "key": f"claim:{task_id}"},
            {"text": "转交", "style": 2, "key": f"pass:{task_id}"},
        ],
        **more,
    }


def claimed(task_id: str, by: str) -> Json:
    """The card after a claim: the same task, its buttons grey with who claimed it."""
    return card(task_id) | {"replace_text": f"已被{by}认领"}


def response_code(xml: str) -> str:
    """The ``ResponseCode`` of a press's callback XML."""
    code = ET.fromstring(xml).findtext("ResponseCode")
    assert code
    return code


async def stored_token(store: SqlStore) -> tuple[str, datetime] | None:
    async with store.transaction() as tx:
        return await tx.platform_token(NAME)


# ---- the access token -------------------------------------------------------------------------


async def test_two_clients_on_one_store_fetch_one_token(
    wecom: WeComStandIn, store: SqlStore, clock: FakeClock
) -> None:
    """Two clients (two instances: each its own memory) on one store, several sends each, all
    at once: one ``gettoken``, every send carries that token, and it is the stored one."""
    async with (
        client(wecom.base_url, store, clock, "a") as a,
        client(wecom.base_url, store, clock, "b") as b,
    ):
        sends = [a.send_text(["zhangsan"], "甲") for _ in range(3)]
        sends += [b.send_text(["lisi"], "乙") for _ in range(3)]
        async with asyncio.timeout(LIMIT * 3):
            await asyncio.gather(*sends)

    assert len(calls(wecom, GETTOKEN)) == 1
    used = set(tokens_used(wecom, MESSAGE_SEND))
    assert len(used) == 1
    stored = await stored_token(store)
    assert stored is not None
    assert stored[0] in used
    assert stored[1] == clock.now + timedelta(seconds=7200)
    assert len(wecom.messages("zhangsan")) == len(wecom.messages("lisi")) == 3


@pytest.mark.parametrize("how", ["revoked", "expired"])
async def test_a_refused_token_is_replaced_once_and_the_call_repeated(
    wecom: WeComStandIn, api: WeComApi, store: SqlStore, how: str
) -> None:
    """WeCom ends the token early (40014) or its clock runs ahead of ours (42001): the client
    fetches another once, stores it for the other instances, and makes the call again."""
    await api.send_text(["zhangsan"], "一")
    if how == "revoked":
        wecom.revoke_token()
    else:
        wecom.advance(7200)
    await api.send_text(["zhangsan"], "二")

    first, refused, fresh = tokens_used(wecom, MESSAGE_SEND)
    assert first == refused != fresh
    assert len(calls(wecom, GETTOKEN)) == 2
    stored = await stored_token(store)
    assert stored is not None
    assert stored[0] == fresh
    assert [m.content for m in wecom.messages("zhangsan")] == ["一", "二"]


async def test_a_fresh_token_refused_again_is_access_refused(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """40014 twice in a row: one fetch, one more try, then AccessRefused (transient: the
    message waits for an operator) rather than fetching for ever."""
    await api.send_text(["zhangsan"], "一")
    wecom.fail_next(MESSAGE_SEND, 40014, "invalid access_token", times=2)
    with pytest.raises(AccessRefused, match="refused a new access token too") as refused:
        await api.send_text(["zhangsan"], "二")
    assert isinstance(refused.value, TransientDeliveryError)
    assert len(calls(wecom, MESSAGE_SEND)) == 3
    assert len(calls(wecom, GETTOKEN)) == 2

    await api.send_text(["zhangsan"], "二")
    assert [m.content for m in wecom.messages("zhangsan")] == ["一", "二"]


@pytest.mark.parametrize(
    ("wrong", "errcode"),
    [
        ({"secret": "not-the-app-secret-4d1e"}, 40001),
        ({"secret": ""}, 41004),
        ({"corp_id": "wwsomeoneelse"}, 40013),
        ({"agent_id": 1000099}, 40056),
    ],
    ids=["secret", "no-secret", "corpid", "agentid"],
)
async def test_wrong_credentials_are_access_refused_without_the_secret(
    wecom: WeComStandIn,
    store: SqlStore,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    wrong: dict[str, Any],
    errcode: int,
) -> None:
    """A wrong secret, corpid or agentid is AccessRefused with WeCom's code, and neither the
    message, the log nor the client's repr quotes the secret; nothing is delivered."""
    caplog.set_level(logging.DEBUG)
    async with client(wecom.base_url, store, clock, **wrong) as api:
        with pytest.raises(AccessRefused, match=f"answered {errcode}:") as refused:
            await api.send_text(["zhangsan"], "你好")
        said = f"{refused.value!s} {refused.value!r} {api!r} {caplog.text}"
    for secret in {SECRET, wrong.get("secret") or SECRET}:
        assert secret not in said
    assert wecom.messages("zhangsan") == []


async def test_an_ip_outside_the_trusted_list_is_access_refused(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """60020 (the server's IP is not on the app's 企业可信IP) waits for an operator."""
    wecom.fail_next(MESSAGE_SEND, 60020, "not allow to access from your ip")
    with pytest.raises(AccessRefused, match="60020"):
        await api.send_card(["zhangsan"], card("t1"))
    assert len(calls(wecom, GETTOKEN)) == 1  # not a token problem: no refresh


# ---- texts ------------------------------------------------------------------------------------


Reply = tuple[int, str, bytes] | None
"""What a :class:`Tap` answers instead of WeCom: status, ``Content-Type`` and body; None
answers nothing until the tap closes."""


class Tap:
    """A proxy between the client and the stand-in. It keeps every request's raw body (the
    stand-in decodes JSON, so it cannot tell ``\\u6c34`` from 水), and answers the next requests
    with :attr:`replies` instead of passing them on, as a proxy in trouble would."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.bodies: list[bytes] = []
        self.replies: deque[Reply] = deque()
        self.base_url = ""
        self._runner: web.AppRunner | None = None
        self._release = asyncio.Event()

    async def __aenter__(self) -> Tap:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.bodies.append(raw)
        if self.replies:
            reply = self.replies.popleft()
            if reply is None:
                await self._release.wait()
                return web.Response(status=504)
            status, content_type, body = reply
            return web.Response(status=status, body=body, headers={"Content-Type": content_type})
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                request.method, self.target + request.path_qs, data=raw, headers=headers
            ) as answer,
        ):
            return web.Response(
                status=answer.status, body=await answer.read(), content_type="application/json"
            )


@asynccontextmanager
async def not_http() -> AsyncIterator[str]:
    """A server that answers every request with bytes that are not HTTP; its base URL."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HELLO THERE\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_a_chinese_text_reaches_two_members_unescaped(
    wecom: WeComStandIn, store: SqlStore, clock: FakeClock
) -> None:
    """The body goes out as raw UTF-8 (no ``\\uXXXX``), and both members get the text whole."""
    words = "兴安南路3号楼停水，请尽快核实「急」🚰"
    async with Tap(wecom.base_url) as tap, client(tap.base_url, store, clock) as api:
        invalid = await api.send_text(["zhangsan", "lisi"], words)

    assert invalid == ()
    assert [m.content for m in wecom.messages("zhangsan")] == [words]
    assert [m.content for m in wecom.messages("lisi")] == [words]
    (sent,) = [body for body in tap.bodies if body]
    assert words.encode() in sent
    assert b"\\u" not in sent
    assert calls(wecom, MESSAGE_SEND)[0].body == {
        "touser": "zhangsan|lisi",
        "agentid": AGENT_ID,
        "msgtype": "text",
        "text": {"content": words},
    }


async def test_a_text_to_more_than_1000_goes_in_several_calls(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """1500 members (one outside the visible range, one unknown) are two calls of at most 1000;
    the invalid ones of both come back together, everyone else gets the text once."""
    workers = [f"w{n:04d}" for n in range(1498)]
    for userid in workers:
        wecom.add_member(userid, userid)
    wecom.set_visible("w1200", False)

    invalid = await api.send_text([*workers, "zhangsan", "Ghost"], "今晚8点停电检修")

    assert invalid == ("w1200", "Ghost")  # as the caller spelled them, though WeCom lower-cases
    assert [len(touser(call)) for call in calls(wecom, MESSAGE_SEND)] == [1000, 500]
    assert len(wecom.messages("w0000")) == len(wecom.messages("w1497")) == 1
    assert wecom.messages("zhangsan")[0].content == "今晚8点停电检修"
    assert wecom.messages("w1200") == []


async def test_a_text_to_nobody_reachable_is_nobody_to_reach(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """Every recipient unknown or outside the visible range: 81013, a chat unreachable, not a
    refused request; the same when each of several calls reaches no one."""
    with pytest.raises(NobodyToReach, match="81013") as nobody:
        await api.send_text(["ghost", "outsider"], "你好")
    assert isinstance(nobody.value, ChatUnreachable)
    with pytest.raises(NobodyToReach, match="81013"):
        await api.send_text([f"ghost{n}" for n in range(1001)], "你好")
    assert len(calls(wecom, MESSAGE_SEND)) == 3


async def test_recipients_that_are_not_userids_are_a_mistake(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """No recipient, ``@all`` (everyone the app sees), a ``|`` (a second recipient smuggled in)
    or one string instead of a list is refused before anything is sent."""
    for users in ([], ["@all"], ["zhangsan|lisi"], [""]):
        with pytest.raises(ValueError, match=r"UserID|recipient"):
            await api.send_text(users, "你好")
    with pytest.raises(TypeError, match="not one string"):
        await api.send_text("zhangsan", "你好")
    assert wecom.calls == []


# ---- cards ------------------------------------------------------------------------------------


async def test_a_card_reaches_each_member_and_names_the_ones_it_did_not(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """The card arrives as sent to every valid recipient; an unknown member and one outside
    the visible range come back as not delivered, with a code for the next update."""
    users = ["zhangsan", "LiSi", "Ghost", "outsider", "ZhangSan"]  # WeCom ignores case
    sent = await api.send_card(users, card("task-17"))

    assert isinstance(sent, SentCard)
    assert sent.invalid_users == ("Ghost", "outsider")
    assert sent.response_code
    for userid in ("zhangsan", "lisi"):
        face = wecom.card(userid, "task-17").face
        assert (face.title, face.desc, face.rows) == ("3号楼停水", "兴安南路1网格",
                                                      (("地址", "3号楼2单元"),))  # fmt: skip
        assert face.buttons == (
            Button("认领", "claim:task-17", 1),
            Button("转交", "pass:task-17", 2),
        )
        assert face.replace_text is None
    assert wecom.cards("outsider") == []
    assert wecom.cards("wangwu") == []
    (call,) = calls(wecom, MESSAGE_SEND)
    assert call.body == {
        "touser": "zhangsan|LiSi|Ghost|outsider",
        "agentid": AGENT_ID,
        "msgtype": "template_card",
        "template_card": card("task-17"),
    }


async def test_a_card_to_nobody_reachable_is_nobody_to_reach(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """A card whose every recipient is invalid: NobodyToReach (81013), and no card exists."""
    with pytest.raises(NobodyToReach, match="81013"):
        await api.send_card(["ghost", "outsider"], card("task-18"))
    assert wecom.cards("outsider") == []


async def test_a_card_to_more_than_1000_is_refused_before_sending(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """A card to 1001 would need two task_ids: ValueError saying so, and nothing goes out;
    1000 is one send."""
    users = [f"w{n:04d}" for n in range(1001)]
    with pytest.raises(ValueError, match="task_id") as refused:
        await api.send_card(users, card("task-19"))
    assert "1001" in str(refused.value)
    assert wecom.calls == []
    with pytest.raises(NobodyToReach):  # the stand-in knows none of them, but takes the call
        await api.send_card(users[:1000], card("task-19"))
    assert len(calls(wecom, MESSAGE_SEND)) == 1


async def test_an_update_changes_the_card_for_every_recipient(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """``update_card`` with the send's code greys the buttons on both members' cards (atall);
    a press's code changes them again, each code once."""
    sent = await api.send_card(["zhangsan", "lisi"], card("task-20"))
    assert (
        await api.update_card(sent.response_code, card("task-20", title="3号楼停水（已派单）"))
        == ()
    )
    for userid in ("zhangsan", "lisi"):
        assert wecom.card(userid, "task-20").face.title == "3号楼停水（已派单）"

    pressed = response_code(wecom.press("lisi", "task-20", "claim:task-20"))
    assert await api.update_card(pressed, claimed("task-20", "李四")) == ()

    assert calls(wecom, UPDATE_CARD)[-1].body == {
        "agentid": AGENT_ID,
        "response_code": pressed,
        "atall": 1,
        "template_card": claimed("task-20", "李四"),
    }
    for userid in ("zhangsan", "lisi"):
        seen = wecom.card(userid, "task-20")
        assert seen.face.replace_text == "已被李四认领"
        assert seen.face.keys == frozenset()
        assert [face.title for face in seen.history] == ["3号楼停水", "3号楼停水（已派单）"]


async def test_a_response_code_used_twice_is_card_expired(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """A code changes the card once; again it is CardExpired (60140), not a refused request,
    and the card stays as the first update left it."""
    sent = await api.send_card(["zhangsan"], card("task-21"))
    await api.update_card(sent.response_code, claimed("task-21", "张三"))
    with pytest.raises(CardExpired, match="60140") as expired:
        await api.update_card(sent.response_code, claimed("task-21", "李四"))
    assert isinstance(expired.value, Undeliverable)
    assert not isinstance(expired.value, Refused)
    assert wecom.card("zhangsan", "task-21").face.replace_text == "已被张三认领"


async def test_a_response_code_older_than_72_hours_is_card_expired(
    wecom: WeComStandIn, api: WeComApi, clock: FakeClock
) -> None:
    """Two cards sent together: 71 hours on, the first still changes; 73 hours on, the
    second's code is CardExpired."""
    first = await api.send_card(["zhangsan"], card("task-22"))
    second = await api.send_card(["zhangsan"], card("task-23"))
    clock.advance(71 * HOUR)
    await api.update_card(first.response_code, claimed("task-22", "张三"))
    clock.advance(2 * HOUR)
    with pytest.raises(CardExpired, match="60140"):
        await api.update_card(second.response_code, claimed("task-23", "张三"))
    assert wecom.card("zhangsan", "task-23").face.replace_text is None


async def test_an_update_after_wecoms_clock_ran_past_72_hours_is_card_expired(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """WeCom's time alone moves 73 hours: the token it now finds expired is replaced, and the
    update is CardExpired, not an access problem."""
    sent = await api.send_card(["zhangsan"], card("task-24"))
    wecom.advance(73 * 3600)
    with pytest.raises(CardExpired, match="60140"):
        await api.update_card(sent.response_code, claimed("task-24", "张三"))


async def test_a_wrong_request_is_refused_naming_path_and_code(
    wecom: WeComStandIn, api: WeComApi
) -> None:
    """40058 (a card without its title), 42014 (a task_id used before) and 43012 (an app with
    no callback URL) are Refused with the path and code: sending again would not help."""
    no_title = card("task-25") | {"main_title": {"desc": "无标题"}}
    with pytest.raises(Refused, match=f"WeCom {MESSAGE_SEND} answered 40058: ") as refused:
        await api.send_card(["zhangsan"], no_title)
    assert (refused.value.path, refused.value.errcode) == (MESSAGE_SEND, 40058)
    assert "main_title.title missing" in refused.value.errmsg
    assert not isinstance(refused.value, ChatUnreachable | CardExpired)

    await api.send_card(["zhangsan"], card("task-26"))
    with pytest.raises(Refused, match="42014"):
        await api.send_card(["lisi"], card("task-26"))

    wecom.callback_configured = False
    with pytest.raises(Refused, match="43012"):
        await api.send_card(["lisi"], card("task-27"))
    assert wecom.cards("lisi") == []


# ---- trouble on WeCom's side ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected", "wait"),
    [
        ("busy", TransientDeliveryError, None),
        ("freq", Throttled, 3600.0),  # 09:00 in Beijing: an hour comes before midnight
        ("concurrent", Throttled, 5.0),
        ("drop", TransientDeliveryError, None),  # the connection closes unanswered
    ],
)
async def test_trouble_on_wecoms_side_is_transient(
    wecom: WeComStandIn,
    api: WeComApi,
    fault: str,
    expected: type[Exception],
    wait: float | None,
) -> None:
    """System busy (-1) and a lost connection are transient, call limits a wait; the message
    is not lost to them: the next try goes through, with the same token."""
    await api.tokens.token()
    if fault == "drop":
        wecom.drop_next(MESSAGE_SEND)
    else:
        wecom.fail_next(MESSAGE_SEND, *FAULTS[fault])
    with pytest.raises(expected) as trouble:
        await api.send_text(["zhangsan"], "收到")
    assert not isinstance(trouble.value, AccessRefused | Undeliverable)
    if wait is not None:
        assert isinstance(trouble.value, RetryLater)
        assert trouble.value.seconds == wait
    await api.send_text(["zhangsan"], "收到")
    assert [m.content for m in wecom.messages("zhangsan")] == ["收到"]
    assert len(calls(wecom, GETTOKEN)) == 1


@pytest.mark.parametrize(
    ("beijing", "wait"),
    [
        ("09:00:00", 3600.0),
        ("23:30:00", 1860.0),
        ("23:59:30", 90.0),
        ("00:30:00", 3600.0),  # the Beijing day has begun; in UTC it is still the day before
    ],
)
async def test_a_spent_quota_waits_until_past_beijing_midnight_or_an_hour(
    wecom: WeComStandIn, api: WeComApi, clock: FakeClock, beijing: str, wait: float
) -> None:
    """45009: a minute past the next Beijing midnight, an hour at most."""
    hour, minute, second = map(int, beijing.split(":"))
    local = datetime(2026, 11, 22, hour, minute, second, tzinfo=timezone(timedelta(hours=8)))
    clock.now = local.astimezone(UTC)
    wecom.fail_next(MESSAGE_SEND, *FAULTS["freq"])
    with pytest.raises(Throttled) as throttled:
        await api.send_text(["zhangsan"], "收到")
    assert throttled.value.seconds == wait
    assert str(throttled.value).endswith(f"retry after {wait:g} s")


async def test_the_daily_quota_waits_until_just_past_beijing_midnight(
    store: SqlStore, clock: FakeClock
) -> None:
    """A corp of one seat may send 200 person-times a Beijing day. The send that would cross
    it, at 23:30, is Throttled until just past midnight (an hour at most: at 09:00 the wait
    would be an hour), and after that wait the send goes through."""
    clock.now = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 23:30 in Beijing
    async with standin(clock, seats=1) as wecom, client(wecom.base_url, store, clock) as api:
        workers = [f"w{n:03d}" for n in range(150)]
        for userid in workers:
            wecom.add_member(userid, userid)
        await api.send_text(workers, "今晚停水")
        with pytest.raises(Throttled, match="45009") as throttled:
            await api.send_text(workers, "明早恢复")
        assert throttled.value.seconds == 30 * 60 + 60

        clock.advance(timedelta(seconds=throttled.value.seconds))
        await api.send_text(workers, "明早恢复")
        assert [m.content for m in wecom.messages("w149")] == ["今晚停水", "明早恢复"]


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ((502, "text/html", b"<html>502 Bad Gateway</html>"), "answered HTTP 502"),
        (
            (200, "text/html; charset=utf-8", "<html>请先登录上网认证</html>".encode()),
            "answered something that is not its JSON",
        ),
        ((200, "application/json", b'["ok"]'), "answered something that is not its JSON"),
        (None, "did not answer"),  # nothing within the client's timeout
    ],
    ids=["502", "html", "json-not-an-object", "timeout"],
)
async def test_answers_that_are_not_wecoms_are_transient(
    wecom: WeComStandIn, store: SqlStore, clock: FakeClock, reply: Reply, said: str
) -> None:
    """A gateway's error page, a captive portal, JSON that is not WeCom's object, or no answer
    in time: transient, and the next try goes through."""
    async with (
        Tap(wecom.base_url) as tap,
        # long enough for the token fetch before it on a loaded machine, short for the test
        client(tap.base_url, store, clock, timeout=1.5 if reply is None else LIMIT) as api,
    ):
        await api.tokens.token()
        tap.replies.append(reply)
        with pytest.raises(TransientDeliveryError, match=f"WeCom {MESSAGE_SEND} {said}") as trouble:
            await api.send_text(["zhangsan"], "收到")
        assert not isinstance(trouble.value, AccessRefused)
        await api.send_text(["zhangsan"], "收到")
    assert [m.content for m in wecom.messages("zhangsan")] == ["收到"]


async def test_an_answer_that_is_not_http_names_neither_secret_nor_token(
    wecom: WeComStandIn, store: SqlStore, clock: FakeClock
) -> None:
    """aiohttp's error for an answer that is not HTTP quotes the whole URL, with the secret
    (``gettoken``) or the token in it; the error raised names the path, and neither."""
    async with not_http() as broken_url:
        async with client(broken_url, store, clock, "a") as broken:
            with pytest.raises(TransientDeliveryError, match=GETTOKEN) as fetching:
                await broken.send_text(["zhangsan"], "收到")
        async with client(wecom.base_url, store, clock, "b") as working:
            token = await working.tokens.token()
        async with client(broken_url, store, clock, "c") as broken:
            with pytest.raises(TransientDeliveryError, match=MESSAGE_SEND) as sending:
                await broken.send_text(["zhangsan"], "收到")
    said = f"{fetching.value!s} {fetching.value!r} {sending.value!s} {sending.value!r}"
    assert "did not answer" in said
    assert SECRET not in said
    assert token not in said


async def test_a_token_fetch_in_trouble_is_transient(wecom: WeComStandIn, api: WeComApi) -> None:
    """WeCom busy on ``gettoken``: the send is transient, and the next one fetches and goes."""
    wecom.fail_next(GETTOKEN, *FAULTS["busy"])
    with pytest.raises(TransientDeliveryError, match=f"{GETTOKEN} answered -1") as busy:
        await api.send_text(["zhangsan"], "收到")
    assert not isinstance(busy.value, AccessRefused)
    await api.send_text(["zhangsan"], "收到")
    assert len(wecom.messages("zhangsan")) == 1


# ---- secrets and life -------------------------------------------------------------------------


async def test_neither_token_nor_secret_is_logged_or_raised(
    wecom: WeComStandIn, api: WeComApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Through a refresh, lost connections and refusals, no log line and no error names the
    access token or the app's secret (the URLs carry both)."""
    caplog.set_level(logging.DEBUG)
    await api.send_text(["zhangsan"], "一")
    wecom.revoke_token()
    await api.send_text(["zhangsan"], "二")
    errors: list[Exception] = []

    async def fails(trouble: Awaitable[object]) -> None:
        with pytest.raises((TransientDeliveryError, Undeliverable)) as raised:
            await trouble
        errors.append(raised.value)

    wecom.drop_next(MESSAGE_SEND)
    await fails(api.send_text(["zhangsan"], "三"))
    wecom.fail_next(MESSAGE_SEND, 40014, "invalid access_token", times=2)
    await fails(api.send_text(["zhangsan"], "三"))
    wecom.fail_next(UPDATE_CARD, 40058, "invalid Request Parameter")
    await fails(api.update_card("code", claimed("t", "张三")))
    wecom.revoke_token()
    wecom.drop_next(GETTOKEN, times=2)  # aiohttp tries an idempotent GET again once
    await fails(api.send_text(["zhangsan"], "三"))
    assert [type(error) for error in errors] == [
        TransientDeliveryError, AccessRefused, Refused, TransientDeliveryError,
    ]  # fmt: skip

    issued = {call.query["access_token"] for call in wecom.calls if "access_token" in call.query}
    assert len(issued) == 2
    said = caplog.text + "\n".join(f"{e!s} {e!r}" for e in errors) + repr(api)
    assert "refused the access token" in caplog.text  # the refresh was logged
    for secret in [*issued, SECRET]:
        assert secret not in said


async def test_calls_through_a_closed_client_are_a_mistake(
    wecom: WeComStandIn, store: SqlStore, clock: FakeClock
) -> None:
    """The client owns its HTTP session: outside ``async with`` it refuses to work."""
    closed = client(wecom.base_url, store, clock)
    with pytest.raises(RuntimeError, match="async with"):
        await closed.send_text(["zhangsan"], "你好")
    async with closed:
        pass
    with pytest.raises(RuntimeError, match="async with"):
        await closed.update_card("code", card("t"))
    assert wecom.calls == []
