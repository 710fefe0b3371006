"""The 公众号 callback (handlers/wechat/callback.py) on a real HTTP server over a real store.

Tencent's calls are made by :class:`~standins.tencent_callbacks.CallbackDriver`, signed (and in
safe mode encrypted) as Tencent signs them; what Tencent would never send (a tampered
signature, a DTD, a body past the limit) is sent with plain aiohttp. Every test runs on SQLite
and on PostgreSQL. Both clocks are fixed, so a timestamp is stale only when a test makes it so.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import aiohttp
import pytest

from bot.ports import Transaction
from handlers.http.health import Health, Heard
from handlers.http.metrics import Metrics
from handlers.http.server import HttpServer
from handlers.tencent.crypto import MessageCrypto, signature
from handlers.tencent.keeping import SUCCESS
from handlers.tencent.xml import MAX_BODY, XmlValue, build_xml
from handlers.wechat.callback import WeChatCallback
from standins.tencent_callbacks import CallbackDriver, Delivery, Mode
from storage.sql_store import SqlStore
from tests.clock import nine_am

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

TOKEN = "griddeskCallbackToken"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx5eed0000c0ffee01"
ACCOUNT = "gh_griddesk0001"
OPENID = "oRES_wang_ayi"
PATH = "/wechat"
NOW = 1_764_000_000.0
"""The callback's clock and, unless a test moves it, Tencent's: 2025-11-24 16:00 UTC."""
CREATED = 1_763_999_999
CLAIM_NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

CallbackMode = Literal["plain", "safe"]

MESSAGE: dict[str, XmlValue] = {
    "ToUserName": ACCOUNT,
    "FromUserName": OPENID,
    "CreateTime": CREATED,
    "MsgType": "text",
    "Content": "审计厅小区3号楼又停水了，急！<水表> & “阀门”",
    "MsgId": 24_000_000_001,
}


def _as_stored(message: Mapping[str, XmlValue]) -> dict[str, str]:
    """A message's fields as the callback stores them: every value the text WeChat sent."""
    return {name: str(value) for name, value in message.items()}


def _event(event: str, key: str = "") -> dict[str, XmlValue]:
    fields: dict[str, XmlValue] = {
        "ToUserName": ACCOUNT,
        "FromUserName": OPENID,
        "CreateTime": CREATED,
        "MsgType": "event",
        "Event": event,
    }
    if key:
        fields["EventKey"] = key
    return fields


class LateStore:
    """The real store, whose next transactions end ``late`` seconds after their commit: the
    message is stored, but the answer is slow, as on a loaded server."""

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
    """A :class:`WeChatCallback` on its own HTTP server, and how often it woke the inbox."""

    mode: CallbackMode
    store: LateStore
    url: str = ""
    wakes: int = 0

    def wake(self) -> None:
        self.wakes += 1

    def driver(
        self,
        mode: Mode | None = None,
        *,
        token: str = TOKEN,
        receive_id: str = APP_ID,
        off_by: float = 0.0,
        tries: int = 1,
        timeout: float = 5.0,
    ) -> CallbackDriver:
        """Tencent, calling in ``mode`` (the account's own unless told), ``off_by`` seconds
        from our clock. One try unless told: a refused call is refused every time."""
        return CallbackDriver(
            self.url,
            token=token,
            mode=mode or self.mode,
            encoding_aes_key=KEY,
            receive_id=receive_id,
            timeout=timeout,
            tries=tries,
            retry_interval=0.01,
            clock=lambda: NOW + off_by,
        )

    async def deliver(self, message: Mapping[str, XmlValue], mode: Mode | None = None) -> Delivery:
        """One message from Tencent, as Tencent sends it."""
        async with self.driver(mode) as tencent:
            return await tencent.post(message)

    async def post(
        self, query: Mapping[str, str], body: bytes | aiohttp.AsyncIterablePayload
    ) -> tuple[int, str]:
        """A POST Tencent would never make: ``body`` as it is, to the callback."""
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

    async def stored(self) -> list[tuple[int, str]]:
        """The inbox: (update id, raw JSON) of every stored message."""
        async with self.store.store.transaction() as tx:
            return list(await tx.unprocessed_updates(100))

    async def messages(self) -> list[dict[str, str]]:
        return [json.loads(raw) for _, raw in await self.stored()]

    async def lanes(self) -> list[str]:
        """The lane of each stored message (claiming them, as the inbox would)."""
        async with self.store.store.transaction() as tx:
            claimed = await tx.claim_updates(
                "test", CLAIM_NOW + timedelta(minutes=1), CLAIM_NOW, 100
            )
        return [lane for _, _, lane in claimed]


@asynccontextmanager
async def served(store: SqlStore, mode: CallbackMode) -> AsyncIterator[Served]:
    """The callback of an account in ``mode`` (safe: with an EncodingAESKey), serving."""
    made = Served(mode, LateStore(store))
    callback = WeChatCallback(
        made.store,
        PATH,
        token=TOKEN,
        app_id=APP_ID,
        encoding_aes_key=KEY if mode == "safe" else None,
        wake=made.wake,
        clock=lambda: NOW,
    )
    health = Health(store, nine_am(), lambda: Heard("webhook", None, None))
    server = HttpServer(
        "127.0.0.1", 0, health=health, metrics=Metrics(), store=store, clock=nine_am(),
        routes=callback.routes(),
    )  # fmt: skip
    async with server:  # the bot's own server: a call the caller gave up on runs to its end
        made.url = f"http://127.0.0.1:{server.port}{PATH}"
        yield made
        await made.store.idle()


def signed(*, token: str = TOKEN, now: float = NOW, **extra: str) -> dict[str, str]:
    """A query signed as Tencent signs a call (plain mode's ``signature``), with ``extra``."""
    timestamp, nonce = str(int(now)), "1320562132"
    query = {
        "signature": signature(token, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": OPENID,
    }
    return {**query, **extra}


def sealed(plaintext: str, *, msg_signature: str | None = None) -> tuple[dict[str, str], bytes]:
    """A safe-mode call carrying ``plaintext`` encrypted for our account: its query (signed,
    ``msg_signature`` right unless given) and body."""
    query = signed(encrypt_type="aes")
    encrypted = MessageCrypto(TOKEN, KEY, APP_ID).encrypt(plaintext)
    right = signature(TOKEN, query["timestamp"], query["nonce"], encrypted)
    query["msg_signature"] = right if msg_signature is None else msg_signature
    body = build_xml({"ToUserName": ACCOUNT, "Encrypt": encrypted})
    return query, body.encode()


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_the_url_is_verified_by_echoing_echostr_exactly(
    store: SqlStore, mode: CallbackMode
) -> None:
    """The console's GET when the URL is saved: 200 and the echo, nothing more, in either
    mode (a 公众号's echostr is plain in safe mode too); nothing is stored."""
    async with served(store, mode) as callback, callback.driver() as tencent:
        for echo in ("5837397520665436492", None):
            verification = await tencent.verify_url(echo)
            assert verification.attempt.status == 200
            assert verification.attempt.body == verification.echo
            assert verification.ok
        assert await callback.stored() == []
        assert callback.wakes == 0


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_a_verification_signed_with_another_token_is_refused(
    store: SqlStore, mode: CallbackMode
) -> None:
    """A URL check with the wrong token, an unsigned one, or a stale one: 403, no echo."""
    async with served(store, mode) as callback:
        async with callback.driver(token="notOurToken") as stranger:
            verification = await stranger.verify_url("5837397520665436492")
        assert verification.attempt.status == 403
        assert "5837397520665436492" not in verification.attempt.body
        assert not verification.ok
        async with callback.driver(off_by=600) as stale:
            assert (await stale.verify_url()).attempt.status == 403
        unsigned = signed(echostr="42")
        del unsigned["signature"]
        assert (await callback.get(unsigned))[0] == 403
        assert await callback.get(signed(echostr="42")) == (200, "42")  # the control


async def test_a_plain_message_is_stored_once_as_json_with_its_words_and_lane(
    store: SqlStore,
) -> None:
    """A 明文 message: answered ``success`` on the first try, stored as JSON of its fields with
    the Chinese as it is (not ``\\u`` escapes), in the lane of its sender's address."""
    async with served(store, "plain") as callback:
        delivery = await callback.deliver(MESSAGE)
        assert delivery.outcome == "success"
        assert [attempt.status for attempt in delivery.attempts] == [200]
        assert delivery.attempts[0].body == SUCCESS
        [(_, raw)] = await callback.stored()
        assert json.loads(raw) == _as_stored(MESSAGE)
        assert "审计厅小区3号楼又停水了，急！<水表> & “阀门”" in raw
        assert "\\u" not in raw
        assert await callback.lanes() == [f"wechat:{OPENID}"]
        assert callback.wakes == 1


async def test_safe_mode_stores_the_decrypted_message(store: SqlStore) -> None:
    """A 安全模式 message reaches the server encrypted and is stored as its plaintext."""
    async with served(store, "safe") as callback:
        delivery = await callback.deliver(MESSAGE)
        assert delivery.outcome == "success"
        assert "Encrypt" in delivery.sent.body
        assert "停水" not in delivery.sent.body  # it was encrypted on the wire
        assert delivery.sent.query["encrypt_type"] == "aes"
        assert await callback.messages() == [_as_stored(MESSAGE)]
        assert await callback.lanes() == [f"wechat:{OPENID}"]
        assert callback.wakes == 1


@pytest.mark.parametrize("mode", ["plain", "safe"])
async def test_a_message_tencent_tries_three_times_is_one_row(
    store: SqlStore, mode: CallbackMode
) -> None:
    """The answer is slow (stored, but after the driver's timeout) twice: Tencent sends the
    same call again, and again; the third is answered at once. One row, one wake."""
    async with served(store, mode) as callback:
        callback.store.late = [1.5, 1.5]
        async with callback.driver(tries=3, timeout=0.75) as tencent:
            delivery = await tencent.post(MESSAGE)
        assert [attempt.error for attempt in delivery.attempts] == ["timeout", "timeout", None]
        assert delivery.outcome == "success"
        await callback.store.idle()  # the calls the driver gave up on have finished too
        assert await callback.messages() == [_as_stored(MESSAGE)]
        assert callback.wakes == 1


async def test_a_message_sent_again_in_new_calls_is_answered_success_and_stored_once(
    store: SqlStore,
) -> None:
    """The same MsgId in three calls, each with its own timestamp and nonce: three
    ``success``, one row, one wake."""
    async with served(store, "safe") as callback:
        deliveries = [await callback.deliver(MESSAGE) for _ in range(3)]
        assert [delivery.outcome for delivery in deliveries] == ["success"] * 3
        assert len({delivery.sent.query["nonce"] for delivery in deliveries}) == 3
        assert len(await callback.stored()) == 1
        assert callback.wakes == 1


async def test_events_at_one_moment_are_told_apart_by_kind_and_key(store: SqlStore) -> None:
    """Events carry no MsgId: two events of one sender in the same second are two rows when
    their Event (or EventKey) differs, and the same event twice is one row."""
    async with served(store, "safe") as callback:
        for event in (
            _event("subscribe"),
            _event("LOCATION"),  # another Event, the same sender and second
            _event("subscribe"),  # WeChat's retry
            _event("CLICK", "MY"),
            _event("VIEW", "MY"),  # another Event, the same key
            _event("CLICK", "HELP"),  # another key
            _event("CLICK", "MY"),  # WeChat's retry
        ):
            assert (await callback.deliver(event)).outcome == "success"
        assert await callback.messages() == [
            _as_stored(_event("subscribe")),
            _as_stored(_event("LOCATION")),
            _as_stored(_event("CLICK", "MY")),
            _as_stored(_event("VIEW", "MY")),
            _as_stored(_event("CLICK", "HELP")),
        ]
        assert callback.wakes == 5


@pytest.mark.parametrize("mode", ["plain", "safe"])
@pytest.mark.parametrize("off_by", [-600.0, 600.0])
async def test_a_stale_call_is_refused_and_nothing_stored(
    store: SqlStore, mode: CallbackMode, off_by: float
) -> None:
    """Signed right, but ten minutes from our clock (a replay, or a clock far off): 403 on
    every try, nothing stored, nobody woken. Four minutes off is within the window."""
    async with served(store, mode) as callback:
        async with callback.driver(off_by=off_by, tries=3) as replayer:
            delivery = await replayer.post(MESSAGE)
        assert [attempt.status for attempt in delivery.attempts] == [403, 403, 403]
        assert delivery.outcome == "failed"
        assert await callback.stored() == []
        assert callback.wakes == 0
        async with callback.driver(off_by=off_by * 0.4) as skewed:  # the control
            assert (await skewed.post(MESSAGE)).outcome == "success"
        assert len(await callback.stored()) == 1


async def test_a_call_signed_with_another_token_is_refused(store: SqlStore) -> None:
    """A message signed with a token that is not ours: 403, nothing stored."""
    async with served(store, "plain") as callback:
        async with callback.driver(token="notOurToken") as stranger:
            delivery = await stranger.post(MESSAGE)
        assert [attempt.status for attempt in delivery.attempts] == [403]
        assert await callback.stored() == []
        assert callback.wakes == 0


def _flipped(hex_digest: str) -> str:
    """The digest with its last digit changed."""
    return hex_digest[:-1] + ("0" if hex_digest[-1] != "0" else "1")


@pytest.mark.parametrize(
    "wrong",
    [
        pytest.param(_flipped, id="one-digit-off"),
        pytest.param(lambda right: right.upper(), id="upper-case"),
        pytest.param(lambda right: "", id="empty"),
        pytest.param(lambda right: signature("notOurToken", "1", "2", "3"), id="another"),
    ],
)
async def test_a_wrong_msg_signature_in_safe_mode_is_refused(
    store: SqlStore, wrong: Callable[[str], str]
) -> None:
    """The query's ``signature`` is right but ``msg_signature`` (which covers the ciphertext)
    is not: 403, nothing stored. The same call with the right one is stored (the control)."""
    plaintext = build_xml(MESSAGE)
    async with served(store, "safe") as callback:
        query, body = sealed(plaintext)
        tampered = {**query, "msg_signature": wrong(query["msg_signature"])}
        assert tampered["msg_signature"] != query["msg_signature"]
        assert await callback.post(tampered, body) == (403, "forbidden")
        assert await callback.stored() == []
        assert callback.wakes == 0
        assert await callback.post(query, body) == (200, SUCCESS)
        assert await callback.messages() == [_as_stored(MESSAGE)]


async def test_a_ciphertext_altered_after_signing_is_refused(store: SqlStore) -> None:
    """The Encrypt text swapped for another message's under the first one's msg_signature."""
    async with served(store, "safe") as callback:
        query, _ = sealed(build_xml(MESSAGE))
        _, other = sealed(build_xml({**MESSAGE, "Content": "别的话", "MsgId": 2}))
        assert await callback.post(query, other) == (403, "forbidden")
        assert await callback.stored() == []


async def test_a_message_encrypted_for_another_account_is_refused(store: SqlStore) -> None:
    """Signed with our token and key but for another AppID: 403, nothing stored."""
    async with served(store, "safe") as callback:
        async with callback.driver(receive_id="wx0therappid00000") as other:
            delivery = await other.post(MESSAGE)
        assert [attempt.status for attempt in delivery.attempts] == [403]
        assert await callback.stored() == []
        assert callback.wakes == 0


async def test_a_plain_call_to_a_safe_mode_account_is_400(store: SqlStore) -> None:
    """Safe mode is all or nothing: a 明文 call, rightly signed, is refused every time."""
    async with served(store, "safe") as callback:
        async with callback.driver("plain", tries=3) as tencent:
            delivery = await tencent.post(MESSAGE)
        assert [attempt.status for attempt in delivery.attempts] == [400, 400, 400]
        assert await callback.stored() == []
        assert callback.wakes == 0


async def test_an_encrypted_call_to_a_plain_mode_account_is_400(store: SqlStore) -> None:
    """Without an EncodingAESKey nothing encrypted is taken: a 安全模式 call, and an ``Encrypt``
    body without ``encrypt_type=aes`` (兼容模式's shape) are 400 and store nothing."""
    async with served(store, "plain") as callback:
        async with callback.driver("safe", tries=3) as tencent:
            delivery = await tencent.post(MESSAGE)
        assert [attempt.status for attempt in delivery.attempts] == [400, 400, 400]
        query, body = sealed(build_xml(MESSAGE))
        del query["encrypt_type"]
        assert (await callback.post(query, body))[0] == 400
        assert await callback.stored() == []
        assert callback.wakes == 0


def _padded_to(size: int) -> bytes:
    """A plain message whose XML body is exactly ``size`` bytes."""
    short = build_xml({**MESSAGE, "Content": ""}).encode()
    body = build_xml({**MESSAGE, "Content": "x" * (size - len(short))}).encode()
    assert len(body) == size
    return body


async def _in_chunks(body: bytes) -> AsyncIterator[bytes]:
    """``body`` sent chunked, without a Content-Length."""
    for start in range(0, len(body), 8192):
        yield body[start : start + 8192]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_body_over_64_kib_is_413_and_one_of_64_kib_is_taken(
    store: SqlStore, chunked: bool
) -> None:
    """One byte past :data:`MAX_BODY` is 413 whether its length is declared or not; a body of
    exactly 64 KiB is a message."""
    async with served(store, "plain") as callback:
        for size, status in ((MAX_BODY + 1, 413), (4 * MAX_BODY, 413), (MAX_BODY, 200)):
            body = _padded_to(size)
            data = aiohttp.AsyncIterablePayload(_in_chunks(body)) if chunked else body
            assert (await callback.post(signed(), data))[0] == status, size
        [message] = await callback.messages()
        assert len(message["Content"]) > MAX_BODY - 1000
        assert callback.wakes == 1


FIELDS = "<ToUserName>gh_griddesk0001</ToUserName><FromUserName>oRES_wang_ayi</FromUserName>"
NOT_MESSAGES = [
    pytest.param(
        '<!DOCTYPE xml [<!ENTITY w "停水">]><xml>' + FIELDS + "<Content>&w;</Content></xml>",
        id="internal-entity",
    ),
    pytest.param(
        '<!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><xml>' + FIELDS + "<Content>&c;</Content>"
        "</xml>",
        id="billion-laughs",
    ),
    pytest.param(
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml>'
        + FIELDS
        + "<Content>&x;</Content></xml>",
        id="external-entity",
    ),
    pytest.param("<!DOCTYPE xml><xml>" + FIELDS + "</xml>", id="bare-doctype"),
    pytest.param("<xml>" + FIELDS + "<Content>停水</xml>", id="not-well-formed"),
    pytest.param("<msg>" + FIELDS + "</msg>", id="another-root"),
    pytest.param(
        "<xml>" + FIELDS + "<Content>a</Content><Content>b</Content></xml>", id="a-field-twice"
    ),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("body", NOT_MESSAGES)
async def test_what_is_not_a_wechat_message_is_400_and_nothing_stored(
    store: SqlStore, body: str
) -> None:
    """XML with a DOCTYPE or entities, or not Tencent's flat ``<xml>``, rightly signed: 400."""
    async with served(store, "plain") as callback:
        assert await callback.post(signed(), body.encode()) == (400, "not a WeChat message")
        assert await callback.stored() == []
        assert callback.wakes == 0


async def test_a_doctype_inside_the_ciphertext_is_400_too(store: SqlStore) -> None:
    """In safe mode the plaintext is parsed as carefully as the body: signed and encrypted
    for us, an entity inside it is still 400."""
    plaintext = '<!DOCTYPE xml [<!ENTITY w "停水">]><xml>' + FIELDS + "<Content>&w;</Content></xml>"
    async with served(store, "safe") as callback:
        assert (await callback.post(*sealed(plaintext)))[0] == 400
        assert await callback.stored() == []
        assert callback.wakes == 0


async def test_the_inbox_is_woken_once_per_new_message_never_for_a_duplicate(
    store: SqlStore,
) -> None:
    """Two messages and a retry of the first: two wakes, each when its message is stored."""
    second = {**MESSAGE, "Content": "还有4号楼", "MsgId": 24_000_000_002}
    async with served(store, "plain") as callback:
        assert (await callback.deliver(MESSAGE)).outcome == "success"
        assert callback.wakes == 1
        assert (await callback.deliver(MESSAGE)).outcome == "success"
        assert callback.wakes == 1
        assert (await callback.deliver(second)).outcome == "success"
        assert callback.wakes == 2
        assert await callback.messages() == [_as_stored(MESSAGE), _as_stored(second)]


async def test_a_message_without_a_sender_is_answered_success_and_not_stored(
    store: SqlStore,
) -> None:
    """Nobody to answer: ``success`` (so WeChat does not retry) and nothing stored."""
    anonymous = {name: value for name, value in MESSAGE.items() if name != "FromUserName"}
    async with served(store, "safe") as callback:
        assert (await callback.deliver(anonymous)).outcome == "success"
        assert await callback.stored() == []
        assert callback.wakes == 0
