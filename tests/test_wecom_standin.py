"""The WeCom stand-in, driven over real HTTP by a plain aiohttp client, as griddesk drives it.

Time is the stand-in's own clock, moved with ``advance``; every await that could hang is
bounded by ``LIMIT`` seconds; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import io
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from standins.wecom import FAULTS, Button, Dropped, WeComStandIn

pytestmark = pytest.mark.asyncio

CORPID, SECRET, AGENTID = "wwgriddesk0001", "grid-secret", 1000002
START = datetime(2026, 11, 22, 1, 0, tzinfo=UTC).timestamp()  # 09:00 in Beijing
LIMIT = 5.0
HOUR = 3600
Json = dict[str, Any]


@pytest_asyncio.fixture
async def wecom() -> AsyncIterator[WeComStandIn]:
    """A started stand-in at 09:00 Beijing time, with three grid workers and an outsider."""
    async with WeComStandIn(CORPID, SECRET, AGENTID, clock=lambda: START) as server:
        server.add_department(2, "兴安南路社区")
        server.add_department(3, "兴安南路1网格", parent=2)
        server.add_member("zhangsan", "张三", departments=[2])
        server.add_member("lisi", "李四", departments=[3])
        server.add_member("wangwu", "王五")
        server.add_member("outsider", "外人", visible=False)
        yield server


@pytest_asyncio.fixture
async def http(wecom: WeComStandIn) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTP client pointed at the stand-in, as griddesk's WeCom client would be."""
    timeout = aiohttp.ClientTimeout(total=LIMIT)
    async with aiohttp.ClientSession(wecom.base_url, timeout=timeout) as session:
        yield session


@pytest_asyncio.fixture
async def api(http: aiohttp.ClientSession) -> Api:
    """A client holding a fresh access_token."""
    client = Api(http)
    await client.refresh()
    return client


class Api:
    """The few lines of a WeCom client the tests need: a token, and POSTs that carry it."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.token = ""

    async def refresh(self) -> Json:
        params = {"corpid": CORPID, "corpsecret": SECRET}
        async with self.http.get("/cgi-bin/gettoken", params=params) as response:
            answer: Json = await response.json()
        self.token = answer["access_token"]
        return answer

    async def post(self, path: str, body: Json) -> Json:
        url = f"/cgi-bin/{path}"
        async with self.http.post(url, params={"access_token": self.token}, json=body) as r:
            assert r.status == 200
            answer: Json = await r.json()
            assert r.headers["Error-Code"] == str(answer["errcode"])
            return answer

    async def send_card(self, touser: str, task_id: str, *keys: str, **extra: Any) -> Json:
        body = {"touser": touser, "msgtype": "template_card", "agentid": AGENTID}
        return await self.post(
            "message/send", body | {"template_card": card(task_id, *keys)} | extra
        )

    async def send_text(self, touser: str, content: str, **extra: Any) -> Json:
        body = {
            "touser": touser,
            "msgtype": "text",
            "agentid": AGENTID,
            "text": {"content": content},
        }
        return await self.post("message/send", body | extra)

    async def update(self, response_code: str, **fields: Any) -> Json:
        body = {"agentid": AGENTID, "response_code": response_code} | fields
        return await self.post("message/update_template_card", body)

    async def upload(
        self,
        content: bytes,
        *,
        kind: str | None = "image",
        field: str = "media",
        filename: str | None = "photo.jpg",
        content_type: str = "image/jpeg",
    ) -> Json:
        """``media/upload`` as WeCom's docs show it: the file in a multipart part."""
        form = aiohttp.FormData()
        if filename is None:  # a plain field, not a file: aiohttp names every bytes part
            form.add_field(field, content.decode("latin-1"), content_type=content_type)
        else:
            body = io.BytesIO(content)  # raw bytes over 1 MB make aiohttp warn
            form.add_field(field, body, filename=filename, content_type=content_type)
        params = {"access_token": self.token} | ({"type": kind} if kind else {})
        async with self.http.post("/cgi-bin/media/upload", params=params, data=form) as r:
            assert r.status == 200
            answer: Json = await r.json()
            assert r.headers["Error-Code"] == str(answer["errcode"])
            return answer

    async def send_image(self, touser: str, media_id: str | None) -> Json:
        image = {} if media_id is None else {"media_id": media_id}
        body = {"touser": touser, "msgtype": "image", "agentid": AGENTID, "image": image}
        return await self.post("message/send", body)


def card(task_id: str, *keys: str) -> Json:
    """A button_interaction card as griddesk sends one: a title, two rows, a button per key."""
    return {
        "card_type": "button_interaction",
        "task_id": task_id,
        "main_title": {"title": "3号楼停水", "desc": "兴安南路1网格"},
        "horizontal_content_list": [
            {"keyname": "地址", "value": "3号楼2单元"},
            {"keyname": "上报", "value": "09:00"},
        ],
        "button_list": [{"text": key.split(":")[0], "style": 1, "key": key} for key in keys],
    }


def fields(xml: str) -> list[tuple[str, str]]:
    """A callback's elements, in order, as (name, text)."""
    return [(element.tag, element.text or "") for element in ET.fromstring(xml)]


# ---- access_token -------------------------------------------------------------------------


async def test_gettoken_answers_one_token_per_lifetime(
    wecom: WeComStandIn, http: aiohttp.ClientSession
) -> None:
    """gettoken answers WeCom's shape, the same token while valid, a new one after 7200 s."""
    api = Api(http)
    first = await api.refresh()
    assert first == {
        "errcode": 0,
        "errmsg": "ok",
        "access_token": first["access_token"],
        "expires_in": 7200,
    }
    wecom.advance(1000)
    again = await api.refresh()
    assert (again["access_token"], again["expires_in"]) == (first["access_token"], 6200)
    wecom.advance(6200)
    assert (await api.refresh())["access_token"] != first["access_token"]


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        pytest.param({"corpid": CORPID}, 41004, id="no-secret"),
        pytest.param({}, 41004, id="nothing"),
        pytest.param({"corpsecret": SECRET}, 41002, id="no-corpid"),
        pytest.param({"corpid": "wwother", "corpsecret": "wrong"}, 40013, id="wrong-corpid"),
        pytest.param({"corpid": CORPID, "corpsecret": "wrong"}, 40001, id="wrong-secret"),
    ],
)
async def test_gettoken_refusals(
    http: aiohttp.ClientSession, params: dict[str, str], errcode: int
) -> None:
    """A bad gettoken answers HTTP 200 with WeCom's errcode, and a devtool link in errmsg."""
    async with http.get("/cgi-bin/gettoken", params=params) as response:
        assert response.status == 200
        answer = await response.json()
    assert answer["errcode"] == errcode
    assert answer["errmsg"].endswith(f"devtool/query?e={errcode}")
    assert "access_token" not in answer


async def test_every_call_checks_its_token(wecom: WeComStandIn, api: Api) -> None:
    """No token is 41001, an unknown or revoked one 40014, an expired one 42001."""
    valid = api.token
    text = {"touser": "zhangsan", "msgtype": "text", "agentid": AGENTID, "text": {"content": "x"}}
    async with api.http.post("/cgi-bin/message/send", json=text | {"access_token": valid}) as r:
        assert (await r.json())["errcode"] == 41001  # only the query string carries it
    api.token = "forged"
    assert await api.post("message/send", text) == {
        "errcode": 40014,
        "errmsg": "invalid access_token",
    }
    api.token = valid
    wecom.advance(7200)
    assert (await api.post("message/send", text))["errmsg"].startswith("access_token expired")
    await api.refresh()
    assert (await api.post("message/send", text))["errcode"] == 0
    wecom.revoke_token()
    assert (await api.post("message/send", text))["errcode"] == 40014
    assert wecom.messages("zhangsan")[0].content == "x"


async def test_unknown_paths_answer_404_without_a_body(http: aiohttp.ClientSession) -> None:
    """A path WeCom does not serve is a bare 404, not an errcode."""
    for path in ("/cgi-bin/no_such_api?access_token=x", "/elsewhere"):
        async with http.get(path) as response:
            assert (response.status, await response.read()) == (404, b"")


# ---- sending ------------------------------------------------------------------------------


async def test_card_reaches_valid_members_and_lists_the_invalid(
    wecom: WeComStandIn, api: Api
) -> None:
    """A card to three userids reaches the two members (case ignored) and names the third."""
    answer = await api.send_card("ZhangSan|lisi|Ghost", "t17", "认领:claim:17", "转交:pass:17")
    assert answer["errcode"] == 0
    assert answer["invaliduser"] == "ghost"
    assert answer["msgid"]
    assert answer["response_code"]
    for userid in ("zhangsan", "lisi"):
        [message] = wecom.messages(userid)
        assert (message.msgtype, message.task_id, message.msgid) == (
            "template_card",
            "t17",
            answer["msgid"],
        )
        face = wecom.card(userid, "t17").face
        assert (face.title, face.rows) == ("3号楼停水", (("地址", "3号楼2单元"), ("上报", "09:00")))
        assert face.buttons == (Button("认领", "认领:claim:17"), Button("转交", "转交:pass:17"))
    assert wecom.messages("wangwu") == []


async def test_recipients_resolve_as_wecom_resolves_them(wecom: WeComStandIn, api: Api) -> None:
    """@all and departments (with sub-departments) reach visible members only; no one valid
    is 81013, no one at all 82001."""
    everyone = await api.send_text("@all", "全员通知")
    assert (everyone["errcode"], everyone["invaliduser"]) == (0, "")
    assert [len(wecom.messages(u)) for u in ("zhangsan", "lisi", "wangwu")] == [1, 1, 1]
    assert wecom.messages("outsider") == []
    by_party = await api.send_text("", "社区通知", toparty="2|99", totag="5")
    assert (by_party["invalidparty"], by_party["invalidtag"]) == ("99", "5")
    assert [len(wecom.messages(u)) for u in ("zhangsan", "lisi", "wangwu")] == [2, 2, 1]
    nobody = await api.send_text("Outsider|ghost", "x")
    assert (nobody["errcode"], nobody["invaliduser"]) == (81013, "outsider|ghost")
    assert (await api.send_text("", "x", toparty=""))["errcode"] == 82001
    too_many = "|".join(f"u{n}" for n in range(1001))
    assert (await api.send_text(too_many, "x"))["errcode"] == 40032


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        pytest.param({"agentid": None}, 41011, id="no-agentid"),
        pytest.param({"agentid": 1000003}, 40056, id="other-agentid"),
        pytest.param({"agentid": "1000002"}, 40056, id="agentid-as-string"),
        pytest.param({"msgtype": "fax"}, 40008, id="unknown-msgtype"),
        pytest.param({"msgtype": "voice"}, 40008, id="unmodelled-msgtype"),
        pytest.param({"msgtype": "voice"}, "not modelled by the stand-in", id="says-unmodelled"),
        pytest.param({"text": {"content": ""}}, 44004, id="empty-text"),
        pytest.param({"touser": ["zhangsan"]}, 40058, id="touser-as-list"),
    ],
)
async def test_send_refusals(api: Api, body: Json, errcode: int | str) -> None:
    """A malformed send is refused with WeCom's code (an unmodelled one says so in errmsg)."""
    base = {"touser": "zhangsan", "msgtype": "text", "agentid": AGENTID, "text": {"content": "x"}}
    answer = await api.post(
        "message/send", {k: v for k, v in (base | body).items() if v is not None}
    )
    if isinstance(errcode, str):
        assert errcode in answer["errmsg"]
    else:
        assert answer["errcode"] == errcode


async def test_text_is_cut_and_markdown_refused_beyond_2048_bytes(
    wecom: WeComStandIn, api: Api
) -> None:
    """Text over 2048 bytes arrives cut on a character boundary; markdown is refused 45002."""
    long = "停" * 700  # 2100 bytes of UTF-8
    assert (await api.send_text("zhangsan", long))["errcode"] == 0
    assert wecom.messages("zhangsan")[0].content == "停" * 682
    markdown = {"touser": "zhangsan", "msgtype": "markdown", "agentid": AGENTID}
    refused = await api.post("message/send", markdown | {"markdown": {"content": long}})
    assert refused["errcode"] == 45002
    sent = await api.post("message/send", markdown | {"markdown": {"content": "**ok**"}})
    assert sent["errcode"] == 0
    assert [m.msgtype for m in wecom.messages("zhangsan")] == ["text", "markdown"]


async def test_unparseable_body_is_40058(api: Api) -> None:
    """A body that is not a JSON object is refused 40058 with WeCom's json warning."""
    url = "/cgi-bin/message/send"
    async with api.http.post(url, params={"access_token": api.token}, data=b"{not json") as r:
        answer = await r.json()
    assert answer["errcode"] == 40058
    assert answer["errmsg"].startswith("Warning: wrong json format")


# ---- cards --------------------------------------------------------------------------------


async def test_duplicate_or_malformed_task_id_is_42014(wecom: WeComStandIn, api: Api) -> None:
    """task_id is unique per app, forever, and 1-128 bytes of [0-9A-Za-z_-@]."""
    assert (await api.send_card("zhangsan", "t17", "claim"))["errcode"] == 0
    wecom.advance(30 * 24 * HOUR)
    await api.refresh()
    again = await api.send_card("lisi", "t17", "claim")
    assert again["errcode"] == 42014
    assert again["errmsg"].startswith("taskid has existed or empty or exceed max len")
    for bad in ("", "任务17", "t" * 129, "t 17"):
        assert (await api.send_card("lisi", bad, "claim"))["errcode"] == 42014
    assert (await api.send_card("lisi", "t-18_@x" + "9" * 121, "claim"))["errcode"] == 0
    assert wecom.messages("lisi")[0].task_id == "t-18_@x" + "9" * 121


def _button(text: str | None = "认领", key: str | None = "claim") -> Json:
    return {k: v for k, v in {"text": text, "key": key}.items() if v is not None}


@pytest.mark.parametrize(
    ("change", "errcode"),
    [
        pytest.param(
            {"button_list": [_button(key=f"k{n}") for n in range(7)]}, 40058, id="7-buttons"
        ),
        pytest.param({"button_list": []}, 40058, id="no-buttons"),
        pytest.param({"button_list": [_button(key=None)]}, 42039, id="no-key"),
        pytest.param({"button_list": [_button(), _button()]}, 42039, id="same-key-twice"),
        pytest.param({"button_list": [_button(key="k" * 1025)]}, 42039, id="key-1025-bytes"),
        pytest.param({"button_list": [_button(text=None)]}, 42038, id="no-text"),
        pytest.param({"button_list": [{"type": 1, "text": "看"}]}, 42028, id="link-without-url"),
        pytest.param({"horizontal_content_list": [{"keyname": "k"}] * 7}, 42035, id="7-rows"),
        pytest.param({"horizontal_content_list": [{"value": "v"}]}, 42027, id="row-no-keyname"),
        pytest.param(
            {"horizontal_content_list": [{"type": 1, "keyname": "链接"}]}, 42028, id="row-no-url"
        ),
        pytest.param({"main_title": {"desc": "只有描述"}}, 40058, id="no-title"),
        pytest.param({"card_type": "text_notice"}, 40058, id="unmodelled-card-type"),
        pytest.param({"card_type": "button"}, 42031, id="unknown-card-type"),
    ],
)
async def test_card_refusals(wecom: WeComStandIn, api: Api, change: Json, errcode: int) -> None:
    """A card WeCom would refuse is refused with its code, and nothing is sent."""
    body = {"touser": "zhangsan", "msgtype": "template_card", "agentid": AGENTID}
    answer = await api.post("message/send", body | {"template_card": card("t1", "claim") | change})
    assert answer["errcode"] == errcode
    assert wecom.messages("zhangsan") == []


async def test_card_limits_are_inclusive(wecom: WeComStandIn, api: Api) -> None:
    """Six buttons, six rows, a 1024-byte key and a bad style (shown as 1) are all accepted."""
    body = {"touser": "zhangsan", "msgtype": "template_card", "agentid": AGENTID}
    keys = ["k" * 1024, *(f"k{n}" for n in range(5))]
    template = card("t1", *keys) | {"horizontal_content_list": [{"keyname": "k"}] * 6}
    template["button_list"][0]["style"] = 9
    assert (await api.post("message/send", body | {"template_card": template}))["errcode"] == 0
    face = wecom.card("zhangsan", "t1").face
    assert (len(face.buttons), len(face.rows), face.buttons[0].style) == (6, 6, 1)


async def test_cards_need_a_callback_url() -> None:
    """An app without a callback URL cannot send callback cards: 43012."""
    async with WeComStandIn(CORPID, SECRET, AGENTID, callback_configured=False) as bare:
        bare.add_member("zhangsan", "张三")
        async with aiohttp.ClientSession(bare.base_url) as session:
            api = Api(session)
            await api.refresh()
            assert (await api.send_card("zhangsan", "t1", "claim"))["errcode"] == 43012
            assert (await api.send_text("zhangsan", "文字可以"))["errcode"] == 0


# ---- presses and updates ------------------------------------------------------------------


async def test_press_returns_the_event_wecom_would_call_back_with(
    wecom: WeComStandIn, api: Api
) -> None:
    """press gives the template_card_event XML, in Doc 90240's order, with a fresh code."""
    sent = await api.send_card("zhangsan|lisi", "t17", "claim:17", "pass:17")
    wecom.advance(90)
    xml = wecom.press("zhangsan", "t17", "claim:17")
    assert "<EventKey><![CDATA[claim:17]]></EventKey>" in xml
    event = fields(xml)
    code = event[8][1]
    assert event == [
        ("ToUserName", CORPID),
        ("FromUserName", "zhangsan"),
        ("CreateTime", str(int(START) + 90)),
        ("MsgType", "event"),
        ("Event", "template_card_event"),
        ("EventKey", "claim:17"),
        ("TaskId", "t17"),
        ("CardType", "button_interaction"),
        ("ResponseCode", code),
        ("AgentID", str(AGENTID)),
    ]
    assert code not in {"", sent["response_code"]}
    [press] = wecom.presses
    assert (press.userid, press.key, press.response_code) == ("zhangsan", "claim:17", code)
    assert wecom.callbacks == [xml]


async def test_press_escapes_cdata_in_keys(wecom: WeComStandIn, api: Api) -> None:
    """A key containing ]]> survives the CDATA section intact."""
    await api.send_card("zhangsan", "t1", "a]]>b")
    assert dict(fields(wecom.press("zhangsan", "t1", "a]]>b")))["EventKey"] == "a]]>b"


async def test_pressing_what_no_client_shows_is_a_test_error(wecom: WeComStandIn, api: Api) -> None:
    """A missing key, someone else's card or a stranger raise ValueError, not an event."""
    await api.send_card("zhangsan", "t17", "claim:17")
    with pytest.raises(ValueError, match="no pressable button"):
        wecom.press("zhangsan", "t17", "pass:17")
    with pytest.raises(ValueError, match="has no card"):
        wecom.press("lisi", "t17", "claim:17")
    with pytest.raises(ValueError, match="unknown member"):
        wecom.press("ghost", "t17", "claim:17")
    assert wecom.presses == []


async def test_update_atall_changes_every_recipients_card(wecom: WeComStandIn, api: Api) -> None:
    """update_template_card with atall greys every recipient's buttons, keeping history."""
    await api.send_card("zhangsan|lisi|wangwu", "t17", "claim:17")
    code = dict(fields(wecom.press("lisi", "t17", "claim:17")))["ResponseCode"]
    wecom.advance(5)
    answer = await api.update(code, atall=1, button={"replace_name": "已被李四认领"})
    assert answer == {"errcode": 0, "errmsg": "ok", "invaliduser": []}
    for userid in ("zhangsan", "lisi", "wangwu"):
        now = wecom.card(userid, "t17")
        assert (now.face.replace_text, now.face.keys, now.updated_at) == (
            "已被李四认领",
            frozenset(),
            int(START) + 5,
        )
        assert [face.keys for face in now.history] == [frozenset({"claim:17"})]
    with pytest.raises(ValueError, match="no pressable button"):
        wecom.press("zhangsan", "t17", "claim:17")


async def test_update_with_a_new_card_for_named_users(wecom: WeComStandIn, api: Api) -> None:
    """A full template_card replaces only the named recipients' cards; others are listed."""
    sent = await api.send_card("zhangsan|lisi", "t17", "claim:17")
    new = card("ignored", "done:17", "back:17") | {"main_title": {"title": "已认领：张三"}}
    answer = await api.update(
        sent["response_code"], userids=["ZhangSan", "wangwu", "ghost"], template_card=new
    )
    assert answer["invaliduser"] == ["wangwu", "ghost"]
    mine = wecom.card("zhangsan", "t17")
    assert (mine.face.title, mine.face.keys) == ("已认领：张三", frozenset({"done:17", "back:17"}))
    assert wecom.card("lisi", "t17").face.title == "3号楼停水"
    code = dict(fields(wecom.press("zhangsan", "t17", "done:17")))["ResponseCode"]
    done = new | {"replace_text": "已办结"}
    assert (await api.update(code, userids=["zhangsan"], template_card=done))["errcode"] == 0
    assert wecom.card("zhangsan", "t17").face.keys == frozenset()
    assert [f.title for f in wecom.card("zhangsan", "t17").history] == ["3号楼停水", "已认领：张三"]


async def test_response_code_is_single_use(wecom: WeComStandIn, api: Api) -> None:
    """A response_code updates once; again, or an invented one, is 60140."""
    sent = await api.send_card("zhangsan", "t17", "claim:17")
    name = {"button": {"replace_name": "已处理"}}
    assert (await api.update(sent["response_code"], atall=1, **name))["errcode"] == 0
    assert (await api.update(sent["response_code"], atall=1, **name))["errcode"] == 60140
    assert (await api.update("invented", atall=1, **name))["errcode"] == 60140


async def test_response_code_lives_72_hours(wecom: WeComStandIn, api: Api) -> None:
    """A code works one second before 72 hours and is 60140 at 72 hours."""
    sent = await api.send_card("zhangsan", "t17", "claim:17")
    pressed = dict(fields(wecom.press("zhangsan", "t17", "claim:17")))["ResponseCode"]
    wecom.advance(72 * HOUR - 1)
    await api.refresh()
    name = {"button": {"replace_name": "已处理"}}
    assert (await api.update(pressed, atall=1, **name))["errcode"] == 0
    wecom.advance(1)
    expired = await api.update(sent["response_code"], atall=1, **name)
    assert expired["errcode"] == 60140


async def test_a_refused_update_keeps_its_code(wecom: WeComStandIn, api: Api) -> None:
    """An update naming no one (82001) or no button text (40058) does not spend the code."""
    sent = await api.send_card("zhangsan", "t17", "claim:17")
    code = sent["response_code"]
    assert (await api.update(code, button={"replace_name": "x"}))["errcode"] == 82001
    assert (await api.update(code, atall=1, button={}))["errcode"] == 40058
    assert (await api.update(code, atall=1, button={"replace_name": "x"}))["errcode"] == 0


# ---- limits -------------------------------------------------------------------------------


async def test_per_member_minute_limit_drops_silently(wecom: WeComStandIn, api: Api) -> None:
    """The 31st message to a member within a minute answers ok but never arrives."""
    answers = [await api.send_text("zhangsan|lisi", f"第{n}条") for n in range(30)]
    wecom.advance(30)
    answers += [await api.send_text("zhangsan", "第31条")]
    assert {(a["errcode"], a["invaliduser"]) for a in answers} == {(0, "")}
    assert len(wecom.messages("zhangsan")) == 30
    assert wecom.dropped == [
        Dropped("zhangsan", answers[-1]["msgid"], "30/minute", int(START) + 30)
    ]
    wecom.advance(30)
    await api.send_text("zhangsan", "一分钟后")
    assert wecom.messages("zhangsan")[-1].content == "一分钟后"


async def test_per_member_hour_limit_drops_silently(wecom: WeComStandIn, api: Api) -> None:
    """Past 1000 messages to a member within an hour, more are dropped until it passes."""
    for n in range(1000):
        await api.send_text("zhangsan", f"{n}")
        wecom.advance(3)
    await api.send_text("zhangsan", "第1001条")
    assert len(wecom.messages("zhangsan")) == 1000
    assert [d.limit for d in wecom.dropped] == ["1000/hour"]
    wecom.advance(HOUR - 2999)
    await api.refresh()
    await api.send_text("zhangsan", "下一小时")
    assert wecom.messages("zhangsan")[-1].content == "下一小时"


async def test_daily_quota_refuses_until_beijing_midnight() -> None:
    """seats × 200 person-times a day; the send that would cross it, and every send after it
    that day, is 45009; the next Beijing day starts afresh."""
    async with WeComStandIn(CORPID, SECRET, AGENTID, seats=1, clock=lambda: START) as small:
        crew = [small.add_member(f"worker{n}", f"网格员{n}").userid for n in range(11)]
        ten = "|".join(crew[:10])
        async with aiohttp.ClientSession(small.base_url) as session:
            api = Api(session)
            await api.refresh()
            for n in range(19):
                assert (await api.send_text(ten, f"{n}"))["errcode"] == 0
                small.advance(10)
            refused = await api.send_text("|".join(crew), "190 + 11 > 200")
            assert refused["errcode"] == 45009
            assert refused["errmsg"].startswith("api freq out of limit")
            assert small.messages("worker10") == []
            assert (await api.send_text("worker10", "191 would fit"))["errcode"] == 45009
            small.advance(15 * HOUR - 190)  # 16:00 UTC: midnight in Beijing
            await api.refresh()
            for n in range(20):
                assert (await api.send_text(ten, f"{n}"))["errcode"] == 0
                small.advance(10)
            assert (await api.send_text("worker10", "201"))["errcode"] == 45009
            assert len(small.messages("worker0")) == 39


async def test_duplicate_check_swallows_a_repeat(wecom: WeComStandIn, api: Api) -> None:
    """With enable_duplicate_check the same JSON within the interval delivers nothing."""
    check = {"enable_duplicate_check": 1, "duplicate_check_interval": 600}
    first = await api.send_text("zhangsan", "停水通知", **check)
    wecom.advance(599)
    assert (await api.send_text("zhangsan", "停水通知", **check))["msgid"] == first["msgid"]
    assert len(wecom.messages("zhangsan")) == 1
    wecom.advance(1)
    assert (await api.send_text("zhangsan", "停水通知", **check))["msgid"] != first["msgid"]
    assert len(wecom.messages("zhangsan")) == 2
    over = {"enable_duplicate_check": 1, "duplicate_check_interval": 4 * HOUR + 1}
    assert (await api.send_text("zhangsan", "x", **over))["errcode"] == 40058


# ---- members, faults, waiting -------------------------------------------------------------


async def test_member_says_gives_the_text_callback(wecom: WeComStandIn) -> None:
    """member_says gives Doc 90239's text XML; an outsider cannot open the app."""
    xml = wecom.member_says("lisi", "已到现场，水管已修好")
    event = dict(fields(xml))
    assert {k: event[k] for k in ("ToUserName", "FromUserName", "MsgType", "Content")} == {
        "ToUserName": CORPID,
        "FromUserName": "lisi",
        "MsgType": "text",
        "Content": "已到现场，水管已修好",
    }
    assert (int(event["CreateTime"]), int(event["AgentID"])) == (int(START), AGENTID)
    assert int(event["MsgId"]) != int(dict(fields(wecom.member_says("lisi", "再一条")))["MsgId"])
    with pytest.raises(ValueError, match="visible range"):
        wecom.member_says("outsider", "你好")


async def test_injected_faults_answer_then_pass(wecom: WeComStandIn, api: Api) -> None:
    """fail_next answers the given error once; drop_next closes the connection once."""
    wecom.fail_next("message/send", *FAULTS["busy"])
    assert await api.send_text("zhangsan", "x") == {"errcode": -1, "errmsg": "system busy"}
    wecom.drop_next("/cgi-bin/message/send")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.send_text("zhangsan", "x")
    assert wecom.messages("zhangsan") == []
    assert (await api.send_text("zhangsan", "x"))["errcode"] == 0
    paths = ["gettoken", "message/send", "message/send", "message/send"]
    assert [call.path for call in wecom.calls] == paths
    assert wecom.calls[-1].body == {
        "touser": "zhangsan",
        "msgtype": "text",
        "agentid": AGENTID,
        "text": {"content": "x"},
    }
    with pytest.raises(ValueError, match="serves"):
        wecom.fail_next("message/recall", 0, "ok")


async def test_wait_for_card_wakes_on_update(wecom: WeComStandIn, api: Api) -> None:
    """wait_for_card returns the moment an update makes the predicate true."""
    sent = await api.send_card("zhangsan", "t17", "claim:17")
    waiting = asyncio.create_task(wecom.wait_for_card(lambda c: c.face.replace_text == "已认领"))
    await api.update(sent["response_code"], atall=1, button={"replace_name": "已认领"})
    async with asyncio.timeout(LIMIT):
        found = await waiting
    assert (found.userid, found.task_id) == ("zhangsan", "t17")
    with pytest.raises(TimeoutError, match="t17"):
        await wecom.wait_for(lambda m: m.msgtype == "markdown", timeout=0.01)


# ---- temporary media and image messages ---------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


async def test_an_uploaded_image_reaches_members_as_an_image(wecom: WeComStandIn, api: Api) -> None:
    """media/upload answers as Doc 90253 shows (errmsg "", created_at a string); an image
    message naming the media_id reaches each member with the very bytes uploaded."""
    uploaded = await api.upload(JPEG)
    assert set(uploaded) == {"errcode", "errmsg", "type", "media_id", "created_at"}
    assert (uploaded["errcode"], uploaded["errmsg"], uploaded["type"]) == (0, "", "image")
    assert uploaded["created_at"] == str(int(START))
    call = wecom.calls[-1]
    assert (call.path, call.query["type"]) == ("media/upload", "image")
    sent = await api.send_image("zhangsan|LiSi|ghost", uploaded["media_id"])
    assert (sent["errcode"], sent["invaliduser"]) == (0, "ghost")
    for userid in ("zhangsan", "lisi"):
        [message] = wecom.messages(userid)
        assert (message.msgtype, message.media_id, message.image) == (
            "image",
            uploaded["media_id"],
            JPEG,
        )
    media = wecom.media(uploaded["media_id"])
    assert (media.content, media.filename, media.content_type) == (JPEG, "photo.jpg", "image/jpeg")
    assert (await api.upload(PNG, filename="p.png", content_type="image/png"))["errcode"] == 0


@pytest.mark.parametrize(
    ("upload", "errcode"),
    [
        pytest.param({"kind": None}, 40005, id="no-type"),
        pytest.param({"kind": "gif"}, 40005, id="unknown-type"),
        pytest.param({"kind": "voice"}, "not modelled by the stand-in", id="says-unmodelled"),
        pytest.param({"field": "file"}, 44001, id="not-in-media"),
        pytest.param({"filename": None}, 44001, id="no-filename"),
        pytest.param({"content": b""}, 44001, id="empty"),
        pytest.param({"content": JPEG[:5]}, 40006, id="five-bytes"),
        pytest.param({"content": b"GIF89a" + bytes(32)}, 40004, id="not-jpg-or-png"),
        pytest.param({"content": JPEG[:3] + bytes(10 * 1024 * 1024 - 2)}, 40009, id="over-10-mb"),
    ],
)
async def test_upload_refusals(
    wecom: WeComStandIn, api: Api, upload: Json, errcode: int | str
) -> None:
    """An upload WeCom would not take is refused with its code, and issues no media_id."""
    arguments: Json = {"content": JPEG, **upload}
    answer = await api.upload(**arguments)
    assert "media_id" not in answer
    if isinstance(errcode, str):
        assert errcode in answer["errmsg"]
    else:
        assert answer["errcode"] == errcode


async def test_upload_limits_are_inclusive(api: Api) -> None:
    """Six bytes and exactly 10 MB are taken ("大于5个字节", "10MB")."""
    assert (await api.upload(JPEG[:6]))["errcode"] == 0
    assert (await api.upload(JPEG[:3] + bytes(10 * 1024 * 1024 - 3)))["errcode"] == 0


async def test_upload_needs_multipart_and_a_token(
    wecom: WeComStandIn, api: Api, http: aiohttp.ClientSession
) -> None:
    """A JSON body holds no file (44001); the token is checked first, as for every call."""
    assert (await api.post("media/upload?type=image", {"media": "x"}))["errcode"] == 44001
    form = aiohttp.FormData()
    form.add_field("media", JPEG, filename="a.jpg", content_type="image/jpeg")
    params = {"access_token": "stale", "type": "image"}
    async with http.post("/cgi-bin/media/upload", params=params, data=form) as response:
        assert (await response.json())["errcode"] == 40014


@pytest.mark.parametrize(
    ("media_id", "errcode"),
    [
        pytest.param(None, 41006, id="missing"),
        pytest.param("1G6nrLmr5EC3MMb_-zK1dDdzmd0p7cNliYu9V5w7o8K0", 40007, id="never-issued"),
    ],
)
async def test_an_image_needs_a_media_id_the_app_uploaded(
    wecom: WeComStandIn, api: Api, media_id: str | None, errcode: int
) -> None:
    """No media_id is 41006; one WeCom never issued is 40007; nothing is delivered."""
    assert (await api.send_image("zhangsan", media_id))["errcode"] == errcode
    assert wecom.messages("zhangsan") == []


async def test_a_media_id_lives_three_days(wecom: WeComStandIn, api: Api) -> None:
    """An image's media_id is good for 3 days ("仅三天内有效"); after that it is 40007."""
    media_id = (await api.upload(JPEG))["media_id"]
    wecom.advance(3 * 24 * HOUR - 1)
    await api.refresh()  # the token expired meanwhile
    assert (await api.send_image("zhangsan", media_id))["errcode"] == 0
    wecom.advance(1)
    assert (await api.send_image("lisi", media_id))["errcode"] == 40007
    assert wecom.messages("lisi") == []


async def test_faults_can_be_injected_into_uploads(wecom: WeComStandIn, api: Api) -> None:
    """fail_next and drop_next take media/upload too; the upload is not served then."""
    wecom.fail_next("media/upload", *FAULTS["busy"])
    assert (await api.upload(JPEG))["errcode"] == -1
    wecom.drop_next("media/upload")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.upload(JPEG)
    assert (await api.upload(JPEG))["media_id"] == "standin-media-000001-" + str(int(START))
