"""The WeCom app's callback (handlers/wecom/callback.py) on a real HTTP server over a real store.

WeCom's calls are made by :class:`~standins.tencent_callbacks.CallbackDriver` in its ``wecom``
mode (always encrypted, signed with ``msg_signature``), retried as WeCom retries them; presses
are the plaintext the WeCom stand-in makes for a real card (:meth:`WeComStandIn.press`). What
WeCom would never send (a DTD, a body past the limit, a tampered signature) goes with plain
aiohttp. Every test runs on SQLite and on PostgreSQL. The callback's clock is fixed, so a
timestamp is stale only when a test makes it so.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import text

from bot.ports import Transaction
from handlers.http.health import Health, Heard
from handlers.http.metrics import Metrics
from handlers.http.server import HttpServer
from handlers.tencent.crypto import MessageCrypto, signature
from handlers.tencent.keeping import SUCCESS
from handlers.tencent.xml import MAX_BODY, XmlValue, build_xml
from handlers.wecom.api import WeComApi
from handlers.wecom.callback import WeComCallback, message_key
from standins.tencent_callbacks import CallbackDriver
from standins.wecom import WeComStandIn
from storage.engine import create_engine
from storage.sql_store import SqlStore
from tests.clock import nine_am

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

TOKEN = "griddeskWeComToken"
KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
CORP_ID = "ww5eed0000c0ffee"
SECRET = "grid-app-secret-0123456789abcdef"
AGENT_ID = 1000002
PATH = "/wecom"
NOW = 1_764_000_000.0
"""The callback's clock and, unless a test moves it, WeCom's: 2025-11-24 16:00 UTC."""
CREATED = 1_763_999_999
CLAIM_NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
MEMBER = "zhangsan"

TEXT: dict[str, XmlValue] = {
    "ToUserName": CORP_ID,
    "FromUserName": MEMBER,
    "CreateTime": CREATED,
    "MsgType": "text",
    "Content": "审计厅小区3号楼的水已经通了，<阀门> & “水表”都换了",
    "MsgId": 7_000_000_000_000_000_001,
    "AgentID": AGENT_ID,
}


def _as_stored(message: Mapping[str, XmlValue]) -> dict[str, str]:
    """A message's fields as the callback stores them: every value the text WeCom sent."""
    return {name: str(value) for name, value in message.items()}


def _event(event: str, key: str = "", *, at: int = CREATED) -> dict[str, XmlValue]:
    fields: dict[str, XmlValue] = {
        "ToUserName": CORP_ID,
        "FromUserName": MEMBER,
        "CreateTime": at,
        "MsgType": "event",
        "Event": event,
        "AgentID": AGENT_ID,
    }
    if key:
        fields["EventKey"] = key
    return fields


def _fields(xml: str) -> dict[str, str]:
    return {child.tag: child.text or "" for child in ET.fromstring(xml)}


class LateStore:
    """The real store, whose next transactions end ``late`` seconds after their commit: the
    message is stored, but the answer comes after WeCom stopped waiting for it."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.late: list[float] = []
        self._open = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        late = self.late.pop(0) if self.late else 0.0
        self._open += 1
        self._idle.clear()
        try:
            async with self.store.transaction() as tx:
                yield tx
            await asyncio.sleep(late)  # the server's slowness, after the commit
        finally:
            self._open -= 1
            if not self._open:
                self._idle.set()

    async def reclaim(self) -> None:
        await self.store.reclaim()

    async def idle(self) -> None:
        """Until no call's transaction is open (calls the driver gave up on included)."""
        await asyncio.wait_for(self._idle.wait(), 10)


@dataclass
class Served:
    """A :class:`WeComCallback` on its own HTTP server, and how often it woke the inbox."""

    store: LateStore
    database_url: str
    url: str = ""
    wakes: int = 0

    def wake(self) -> None:
        self.wakes += 1

    def driver(
        self,
        *,
        token: str = TOKEN,
        key: str = KEY,
        receive_id: str = CORP_ID,
        off_by: float = 0.0,
        tries: int = 1,
        timeout: float = 5.0,
    ) -> CallbackDriver:
        """WeCom, calling ``off_by`` seconds from our clock. One try unless told."""
        return CallbackDriver(
            self.url,
            token=token,
            mode="wecom",
            encoding_aes_key=key,
            receive_id=receive_id,
            timeout=timeout,
            tries=tries,
            retry_interval=0.01,
            clock=lambda: NOW + off_by,
        )

    async def deliver(self, message: Mapping[str, XmlValue] | str) -> str:
        """One call as WeCom makes it; its outcome."""
        async with self.driver() as wecom:
            return (await wecom.post(message)).outcome

    async def post(
        self, query: Mapping[str, str], body: bytes | aiohttp.AsyncIterablePayload
    ) -> tuple[int, str]:
        """A POST WeCom would never make: ``body`` as it is."""
        headers = {"Content-Type": "text/xml"}
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, params=dict(query), data=body, headers=headers) as response,
        ):
            return response.status, await response.text()

    async def get(self, query: Mapping[str, str]) -> tuple[int, str]:
        async with (
            aiohttp.ClientSession() as session,
            session.get(self.url, params=dict(query)) as response,
        ):
            return response.status, await response.text()

    async def messages(self) -> list[dict[str, str]]:
        """The inbox's messages, oldest first, as JSON decoded."""
        async with self.store.store.transaction() as tx:
            return [json.loads(raw) for _, raw in await tx.unprocessed_updates(100)]

    async def rows(self) -> list[tuple[str, str, str]]:
        """(channel, message_key, lane) of every inbox row, oldest first."""
        engine = create_engine(self.database_url)
        try:
            async with engine.connect() as connection:
                result = await connection.execute(
                    text("SELECT channel, message_key, lane FROM inbox ORDER BY update_id")
                )
                return [(str(a), str(b), str(c)) for a, b, c in result]
        finally:
            await engine.dispose()

    async def lanes(self) -> list[str]:
        """The lane of each stored message (claiming them, as the inbox would)."""
        async with self.store.store.transaction() as tx:
            claimed = await tx.claim_updates(
                "test", CLAIM_NOW + timedelta(minutes=1), CLAIM_NOW, 100
            )
        return [lane for _, _, lane in claimed]


@asynccontextmanager
async def served(store: SqlStore, database_url: str) -> AsyncIterator[Served]:
    """The callback of app ``AGENT_ID`` of corp ``CORP_ID``, serving."""
    made = Served(LateStore(store), database_url)
    callback = WeComCallback(
        made.store,
        PATH,
        crypto=MessageCrypto(TOKEN, KEY, CORP_ID),
        agent_id=AGENT_ID,
        wake=made.wake,
        clock=lambda: NOW,
    )
    health = Health(store, nine_am(), lambda: Heard("webhook", None, None))
    server = HttpServer(
        "127.0.0.1", 0, health=health, metrics=Metrics(), store=store, clock=nine_am(),
        routes=callback.routes(),
    )  # fmt: skip
    async with server:
        made.url = f"http://127.0.0.1:{server.port}{PATH}"
        yield made
        await made.store.idle()


def sealed(
    plaintext: str,
    *,
    msg_signature: str | None = None,
    agent_id: int | None = AGENT_ID,
    envelope_pad: int = 0,
) -> tuple[dict[str, str], bytes]:
    """A call carrying ``plaintext`` encrypted for our corp, as WeCom makes one: its query
    (``msg_signature`` right unless given) and envelope body (``envelope_pad`` spaces before
    ``</xml>``, which change nothing)."""
    timestamp, nonce = str(int(NOW)), "1320562132"
    encrypted = MessageCrypto(TOKEN, KEY, CORP_ID).encrypt(plaintext)
    right = signature(TOKEN, timestamp, nonce, encrypted)
    query = {
        "msg_signature": right if msg_signature is None else msg_signature,
        "timestamp": timestamp,
        "nonce": nonce,
    }
    envelope: dict[str, XmlValue] = {"ToUserName": CORP_ID}
    if agent_id is not None:
        envelope["AgentID"] = agent_id
    envelope["Encrypt"] = encrypted
    body = build_xml(envelope)
    body = body[: -len("</xml>")] + " " * envelope_pad + "</xml>"
    return query, body.encode()


@asynccontextmanager
async def a_card(store: SqlStore, task_id: str = "gd-17") -> AsyncIterator[WeComStandIn]:
    """The WeCom stand-in of our corp, after the app sent ``MEMBER`` a card ``task_id`` with
    a 认领 button (so the member can press it)."""
    async with WeComStandIn(CORP_ID, SECRET, AGENT_ID, clock=lambda: NOW) as wecom:
        wecom.add_member(MEMBER, "张三")
        card = {
            "card_type": "button_interaction",
            "task_id": task_id,
            "main_title": {"title": "3号楼停水"},
            "button_list": [{"text": "认领", "style": 1, "key": "claim:17"}],
        }
        async with WeComApi(CORP_ID, SECRET, AGENT_ID, store, base_url=wecom.base_url) as api:
            await api.send_card([MEMBER], card)
        yield wecom


# ---- the URL check ------------------------------------------------------------------------------


async def test_the_url_is_verified_by_echoing_the_decrypted_echostr(
    store: SqlStore, database_url: str
) -> None:
    """The console's GET when the URL is saved: the encrypted ``echostr`` comes back as its
    plaintext, exactly; nothing is stored, nobody is woken."""
    async with served(store, database_url) as callback, callback.driver() as wecom:
        for echo in ("5837397520665436492", None):
            verification = await wecom.verify_url(echo)
            assert verification.attempt.status == 200
            assert verification.attempt.body == verification.echo
            assert verification.sent.query["echostr"] != verification.echo  # it was encrypted
            assert verification.ok
        assert await callback.messages() == []
        assert callback.wakes == 0


@pytest.mark.parametrize(
    ("token", "key", "corp_id", "off_by"),
    [
        pytest.param("notOurToken", KEY, CORP_ID, 0.0, id="another-token"),
        pytest.param(
            TOKEN, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", CORP_ID, 0.0, id="another-key"
        ),
        pytest.param(TOKEN, KEY, "ww0therc0rp00000", 0.0, id="another-corp"),
        pytest.param(TOKEN, KEY, CORP_ID, 600.0, id="ten-minutes-late"),
        pytest.param(TOKEN, KEY, CORP_ID, -600.0, id="ten-minutes-early"),
    ],
)
async def test_a_url_check_not_made_with_our_token_and_key_is_403(
    store: SqlStore, database_url: str, token: str, key: str, corp_id: str, off_by: float
) -> None:
    """A URL check signed with another token, encrypted with another key or for another corp,
    or with a stale timestamp: 403 and no echo. Ours, right then, passes (the control)."""
    async with served(store, database_url) as callback:
        async with callback.driver(token=token, key=key, receive_id=corp_id, off_by=off_by) as o:
            verification = await o.verify_url("5837397520665436492")
        assert verification.attempt.status == 403
        assert "5837397520665436492" not in verification.attempt.body
        assert not verification.ok
        async with callback.driver() as wecom:
            assert (await wecom.verify_url("5837397520665436492")).ok


async def test_a_url_check_without_its_signature_is_403(store: SqlStore, database_url: str) -> None:
    async with served(store, database_url) as callback, callback.driver() as wecom:
        sent = (await wecom.verify_url("42")).sent
        unsigned = {name: value for name, value in sent.query.items() if name != "msg_signature"}
        assert (await callback.get(unsigned))[0] == 403
        assert await callback.get(sent.query) == (200, "42")  # the control


# ---- keeping what WeCom sends -------------------------------------------------------------------


async def test_a_text_is_stored_once_by_its_msgid_in_its_senders_lane(
    store: SqlStore, database_url: str
) -> None:
    """The answer is slow (stored, but after the driver's timeout) twice, so WeCom sends the
    same call three times; then the member's text comes again in a call of its own. One row,
    keyed ``msg:<MsgId>`` in lane ``wecom:<sender>``, its fields as sent, one wake."""
    async with served(store, database_url) as callback:
        callback.store.late = [1.5, 1.5]
        async with callback.driver(tries=3, timeout=0.75) as wecom:
            delivery = await wecom.post(TEXT)
        assert [attempt.error for attempt in delivery.attempts] == ["timeout", "timeout", None]
        assert delivery.outcome == "success"
        assert delivery.attempts[-1].body == SUCCESS
        assert "审计厅" not in delivery.sent.body  # it was encrypted on the wire
        await callback.store.idle()  # the calls the driver gave up on have finished too
        assert await callback.deliver(TEXT) == "success"

        assert await callback.rows() == [
            ("wecom", f"msg:{TEXT['MsgId']}", f"wecom:{MEMBER}"),
        ]
        [(_, raw)] = await _raw(callback)
        assert json.loads(raw) == _as_stored(TEXT)
        assert "“水表”" in raw  # the Chinese as it is, not \\u escapes
        assert await callback.lanes() == [f"wecom:{MEMBER}"]
        assert callback.wakes == 1


async def _raw(callback: Served) -> list[tuple[int, str]]:
    async with callback.store.store.transaction() as tx:
        return list(await tx.unprocessed_updates(100))


async def test_a_press_is_stored_once_by_its_response_code(
    store: SqlStore, database_url: str
) -> None:
    """A member presses 认领 on a real card: WeCom's call times out once and is tried again,
    then the same XML comes in a call of its own. One row, keyed ``press:<ResponseCode>`` in
    the member's lane, holding the press as WeCom sent it."""
    async with a_card(store) as wecom, served(store, database_url) as callback:
        xml = wecom.press(MEMBER, "gd-17", "claim:17")
        code = _fields(xml)["ResponseCode"]
        assert code
        callback.store.late = [1.5]
        async with callback.driver(tries=3, timeout=0.75) as caller:
            delivery = await caller.post(xml)
        assert [attempt.error for attempt in delivery.attempts] == ["timeout", None]
        assert delivery.outcome == "success"
        await callback.store.idle()
        assert await callback.deliver(xml) == "success"

        assert await callback.rows() == [("wecom", f"press:{code}", f"wecom:{MEMBER}")]
        [press] = await callback.messages()
        assert press == _fields(xml)
        assert press["Event"] == "template_card_event"
        assert press["EventKey"] == "claim:17"
        assert press["TaskId"] == "gd-17"
        assert callback.wakes == 1


async def test_two_presses_on_one_card_in_one_second_are_two_rows(
    store: SqlStore, database_url: str
) -> None:
    """The member presses the same button twice within a second: sender, time, event and key
    are the same, but each press carries a fresh ResponseCode, so each is its own row (its
    code is what changes the card next)."""
    async with a_card(store) as wecom, served(store, database_url) as callback:
        first = wecom.press(MEMBER, "gd-17", "claim:17")
        second = wecom.press(MEMBER, "gd-17", "claim:17")
        one, two = _fields(first), _fields(second)
        assert {name: v for name, v in one.items() if name != "ResponseCode"} == {
            name: v for name, v in two.items() if name != "ResponseCode"
        }
        assert one["ResponseCode"] != two["ResponseCode"]
        for xml in (first, second, first, second):
            assert await callback.deliver(xml) == "success"
        assert [key for _, key, _ in await callback.rows()] == [
            f"press:{one['ResponseCode']}",
            f"press:{two['ResponseCode']}",
        ]
        assert await callback.messages() == [one, two]
        assert callback.wakes == 2


async def test_other_events_are_told_apart_by_sender_time_kind_and_key(
    store: SqlStore, database_url: str
) -> None:
    """Events without a MsgId or a press's code: the same event again is one row; another
    Event, EventKey or second is another."""
    async with served(store, database_url) as callback:
        for event in (
            _event("enter_agent"),
            _event("enter_agent"),  # WeCom's retry
            _event("LOCATION"),
            _event("click", "MY"),
            _event("click", "HELP"),
            _event("enter_agent", at=CREATED + 1),
        ):
            assert await callback.deliver(event) == "success"
        assert [key for _, key, _ in await callback.rows()] == [
            f"event:{MEMBER}:{CREATED}:enter_agent:",
            f"event:{MEMBER}:{CREATED}:LOCATION:",
            f"event:{MEMBER}:{CREATED}:click:MY",
            f"event:{MEMBER}:{CREATED}:click:HELP",
            f"event:{MEMBER}:{CREATED + 1}:enter_agent:",
        ]
        assert callback.wakes == 5


async def test_the_key_of_a_press_is_its_code_and_of_a_text_its_msgid() -> None:
    """:func:`message_key` alone: a MsgId wins, a press without a code falls back to the
    event's parts, a code on another event is not a press's."""
    press = _as_stored(_event("template_card_event", "claim:17"))
    assert message_key({**press, "ResponseCode": "rc-1"}) == "press:rc-1"
    assert message_key({**press, "ResponseCode": " "}) == (
        f"event:{MEMBER}:{CREATED}:template_card_event:claim:17"
    )
    assert message_key({**_as_stored(_event("click", "MY")), "ResponseCode": "rc-1"}) == (
        f"event:{MEMBER}:{CREATED}:click:MY"
    )
    assert message_key(_as_stored(TEXT)) == f"msg:{TEXT['MsgId']}"


async def test_the_inbox_is_woken_once_per_new_message_never_for_a_repeat(
    store: SqlStore, database_url: str
) -> None:
    """Two texts and a repeat of the first: two wakes, each when its message is stored."""
    second = {**TEXT, "Content": "还有4号楼", "MsgId": 7_000_000_000_000_000_002}
    async with served(store, database_url) as callback:
        assert await callback.deliver(TEXT) == "success"
        assert callback.wakes == 1
        assert await callback.deliver(TEXT) == "success"
        assert callback.wakes == 1
        assert await callback.deliver(second) == "success"
        assert callback.wakes == 2
        assert await callback.messages() == [_as_stored(TEXT), _as_stored(second)]


async def test_a_message_without_a_sender_is_answered_success_and_not_stored(
    store: SqlStore, database_url: str
) -> None:
    anonymous = {name: value for name, value in TEXT.items() if name != "FromUserName"}
    async with served(store, database_url) as callback:
        assert await callback.deliver(anonymous) == "success"
        assert await callback.messages() == []
        assert callback.wakes == 0


# ---- refusing what is not ours ------------------------------------------------------------------


@pytest.mark.parametrize("agent_id", [1000003, 0, 10000020])
async def test_a_message_for_another_app_of_the_corp_is_400_and_not_stored(
    store: SqlStore, database_url: str, agent_id: int
) -> None:
    """Signed and encrypted right, for our corp, but for another of its apps: 400 each time."""
    async with served(store, database_url) as callback:
        async with callback.driver(tries=3) as wecom:
            delivery = await wecom.post({**TEXT, "AgentID": agent_id})
        assert [attempt.status for attempt in delivery.attempts] == [400, 400, 400]
        assert await callback.messages() == []
        assert callback.wakes == 0
        assert await callback.deliver(TEXT) == "success"  # the control
        assert len(await callback.messages()) == 1


async def test_the_agentid_inside_the_ciphertext_is_the_one_that_counts(
    store: SqlStore, database_url: str
) -> None:
    """The envelope's AgentID is not signed: ours outside, another app's inside is 400."""
    async with served(store, database_url) as callback:
        other = build_xml({**TEXT, "AgentID": 1000003})
        assert (await callback.post(*sealed(other, agent_id=AGENT_ID)))[0] == 400
        assert await callback.messages() == []


@pytest.mark.parametrize("off_by", [-600.0, 600.0])
async def test_a_stale_call_is_403_and_nothing_stored(
    store: SqlStore, database_url: str, off_by: float
) -> None:
    """Signed right, but ten minutes from our clock: 403 on every try. Four minutes off is
    within the window (the control)."""
    async with served(store, database_url) as callback:
        async with callback.driver(off_by=off_by, tries=3) as replayer:
            delivery = await replayer.post(TEXT)
        assert [attempt.status for attempt in delivery.attempts] == [403, 403, 403]
        assert delivery.outcome == "failed"
        assert await callback.messages() == []
        assert callback.wakes == 0
        async with callback.driver(off_by=off_by * 0.4) as skewed:
            assert (await skewed.post(TEXT)).outcome == "success"


@pytest.mark.parametrize(
    ("token", "key", "corp_id"),
    [
        pytest.param("notOurToken", KEY, CORP_ID, id="another-token"),
        pytest.param(
            TOKEN, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", CORP_ID, id="another-key"
        ),
        pytest.param(TOKEN, KEY, "ww0therc0rp00000", id="another-corp"),
    ],
)
async def test_a_call_not_made_with_our_token_key_and_corp_is_403(
    store: SqlStore, database_url: str, token: str, key: str, corp_id: str
) -> None:
    async with served(store, database_url) as callback:
        async with callback.driver(token=token, key=key, receive_id=corp_id) as stranger:
            delivery = await stranger.post(TEXT)
        assert [attempt.status for attempt in delivery.attempts] == [403]
        assert await callback.messages() == []
        assert callback.wakes == 0


async def test_a_tampered_signature_or_ciphertext_is_403(
    store: SqlStore, database_url: str
) -> None:
    """The msg_signature one digit off, or another message's ciphertext under this one's
    signature: 403. The call as made is stored (the control)."""
    async with served(store, database_url) as callback:
        query, body = sealed(build_xml(TEXT))
        last = query["msg_signature"][-1]
        tampered = {**query, "msg_signature": query["msg_signature"][:-1] + "01"[last == "0"]}
        assert await callback.post(tampered, body) == (403, "forbidden")
        _, other = sealed(build_xml({**TEXT, "Content": "别的话", "MsgId": 2}))
        assert await callback.post(query, other) == (403, "forbidden")
        assert await callback.messages() == []
        assert callback.wakes == 0
        assert await callback.post(query, body) == (200, SUCCESS)
        assert await callback.messages() == [_as_stored(TEXT)]


async def _in_chunks(body: bytes) -> AsyncIterator[bytes]:
    """``body`` sent chunked, without a Content-Length."""
    for start in range(0, len(body), 8192):
        yield body[start : start + 8192]


def _call_of(size: int) -> tuple[dict[str, str], bytes]:
    """A right call whose body is exactly ``size`` bytes (a long text, then spaces)."""
    plaintext = build_xml({**TEXT, "Content": "停" * 15_000})  # 45 000 bytes as UTF-8
    _, body = sealed(plaintext)
    assert len(body) <= size
    return sealed(plaintext, envelope_pad=size - len(body))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_64_kib_is_413_and_one_of_64_kib_is_taken(
    store: SqlStore, database_url: str, chunked: bool
) -> None:
    """One byte past :data:`MAX_BODY` is 413, declared or not; a right call of exactly 64 KiB
    is a message."""
    async with served(store, database_url) as callback:
        for size, status in ((MAX_BODY + 1, 413), (4 * MAX_BODY, 413), (MAX_BODY, 200)):
            query, body = _call_of(size)
            assert len(body) == size
            data = aiohttp.AsyncIterablePayload(_in_chunks(body)) if chunked else body
            assert (await callback.post(query, data))[0] == status, size
        [message] = await callback.messages()
        assert message["Content"] == "停" * 15_000
        assert callback.wakes == 1


FIELDS = f"<ToUserName>{CORP_ID}</ToUserName><AgentID>{AGENT_ID}</AgentID>"
NOT_ENVELOPES = [
    pytest.param(
        '<!DOCTYPE xml [<!ENTITY e "x">]><xml>' + FIELDS + "<Encrypt>&e;</Encrypt></xml>",
        id="internal-entity",
    ),
    pytest.param(
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml>'
        + FIELDS
        + "<Encrypt>&x;</Encrypt></xml>",
        id="external-entity",
    ),
    pytest.param("<!DOCTYPE xml><xml>" + FIELDS + "</xml>", id="bare-doctype"),
    pytest.param("<xml>" + FIELDS + "<Encrypt>abc</xml>", id="not-well-formed"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("body", NOT_ENVELOPES)
async def test_an_envelope_with_a_dtd_or_not_xml_is_400(
    store: SqlStore, database_url: str, body: str
) -> None:
    async with served(store, database_url) as callback:
        query, _ = sealed(build_xml(TEXT))
        assert await callback.post(query, body.encode()) == (400, "not a WeCom message")
        assert await callback.messages() == []
        assert callback.wakes == 0


async def test_a_dtd_inside_the_ciphertext_is_400_too(store: SqlStore, database_url: str) -> None:
    """Signed and encrypted for us, with an entity inside the plaintext: still 400."""
    inner = (
        f"<ToUserName>{CORP_ID}</ToUserName><FromUserName>{MEMBER}</FromUserName>"
        f"<MsgType>text</MsgType><MsgId>1</MsgId><AgentID>{AGENT_ID}</AgentID>"
    )
    plaintext = '<!DOCTYPE xml [<!ENTITY w "停水">]><xml>' + inner + "<Content>&w;</Content></xml>"
    async with served(store, database_url) as callback:
        assert await callback.post(*sealed(plaintext)) == (400, "not a WeCom message")
        assert await callback.messages() == []
        assert callback.wakes == 0
