"""The Tencent callback driver (standins/tencent_callbacks.py) against a real aiohttp endpoint.

Every request the endpoint receives is checked twice, with handlers.tencent and with wechatpy,
so the driver and our crypto cannot be wrong together. Retries are real: the endpoint stalls or
fails, and the driver's own timeout and interval (shortened) bound every test; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TypedDict

import pytest
from aiohttp import web

# wechatpy ships no type information; it is a dev-only oracle, so its untyped calls stay here.
from wechatpy.crypto import WeChatCrypto as OfficialAccountOracle  # type: ignore[import-untyped]
from wechatpy.enterprise.crypto import WeChatCrypto as WeComOracle  # type: ignore[import-untyped]
from wechatpy.utils import check_signature  # type: ignore[import-untyped]

from handlers.tencent.crypto import MessageCrypto, signature, verify_signature
from handlers.tencent.xml import build_xml, parse_callback
from standins.balancer import free_port
from standins.tencent_callbacks import CallbackDriver, Delivery, Mode

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(30)]

TOKEN = "spamtest"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx2c2769f8efd9abc2"
CORPID = "wx5823bf96d3bd56c7"
SHORT = 0.2
"""The driver's timeout in tests: long enough for a loaded machine to answer, short to wait for."""


class Quick(TypedDict):
    """The driver's timing in tests: Tencent's 5 s timeout and interval, shortened."""

    timeout: float
    retry_interval: float


QUICK = Quick(timeout=SHORT, retry_interval=0.01)
INTERVAL = 0.1
"""A retry interval long enough to see between tries."""

MESSAGE: dict[str, str | int] = {
    "ToUserName": "gh_10f6c3c3ac5a",
    "FromUserName": "o_resident",
    "CreateTime": 1764000000,
    "MsgType": "text",
    "Content": "3号楼又停水了 🚱 <急>",
    "MsgId": 6054768590064713728,
}
WECOM_MESSAGE: dict[str, str | int] = {
    "ToUserName": CORPID,
    "FromUserName": "zhangsan",
    "CreateTime": 1764000000,
    "MsgType": "text",
    "Content": "认领",
    "MsgId": 1234567890123456,
    "AgentID": 1000002,
}
REPLY: dict[str, str | int] = {
    "ToUserName": "o_resident",
    "FromUserName": "gh_10f6c3c3ac5a",
    "CreateTime": 1764000001,
    "MsgType": "text",
    "Content": "收到，编号 17",
}
WECOM_REPLY: dict[str, str | int] = {**REPLY, "ToUserName": "zhangsan", "FromUserName": CORPID}


@dataclass(frozen=True)
class Received:
    """One request as it reached the endpoint."""

    method: str
    query: dict[str, str]
    body: str
    content_type: str


@dataclass
class Endpoint:
    """A callback URL on 127.0.0.1 that records each request and answers with ``answer``."""

    answer: Callable[[Endpoint, Received], Awaitable[web.Response]]
    url: str = ""
    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the test ends, so stalled answers finish and the server can stop."""

    async def handle(self, request: web.Request) -> web.Response:
        got = Received(
            request.method, dict(request.query), await request.text(), request.content_type
        )
        self.received.append(got)
        return await self.answer(self, got)


@asynccontextmanager
async def endpoint(
    answer: Callable[[Endpoint, Received], Awaitable[web.Response]],
) -> AsyncIterator[Endpoint]:
    """Serve ``answer`` on a port of the kernel's choosing while the block runs."""
    served = Endpoint(answer)
    app = web.Application()
    app.router.add_route("*", "/callback", served.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        served.url = f"http://{host}:{port}/callback"
        yield served
    finally:
        served.release.set()
        await runner.cleanup()


async def _success(_: Endpoint, __: Received) -> web.Response:
    return web.Response(text="success")


async def _stall(served: Endpoint, _: Received) -> web.Response:
    await served.release.wait()
    return web.Response(text="success")


async def _fail(_: Endpoint, __: Received) -> web.Response:
    return web.Response(status=500, text="Internal Server Error")


def _answering(text: str) -> Callable[[Endpoint, Received], Awaitable[web.Response]]:
    async def answer(_: Endpoint, __: Received) -> web.Response:
        return web.Response(text=text)

    return answer


def _plaintext_fields(message: Mapping[str, str | int]) -> dict[str, str]:
    return {name: str(value) for name, value in message.items()}


# --- what is sent ---------------------------------------------------------------------------


async def test_a_plain_callback_is_signed_as_tencent_signs() -> None:
    """公众号 明文: signature, timestamp, nonce and openid; the message XML as the body."""
    async with (
        endpoint(_success) as served,
        CallbackDriver(served.url, token=TOKEN, mode="plain") as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
    [got] = served.received
    assert (got.method, got.content_type) == ("POST", "text/xml")
    query = got.query
    assert set(query) == {"signature", "timestamp", "nonce", "openid"}
    assert query["openid"] == "o_resident"
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    verify_signature(
        TOKEN,
        given=query["signature"],
        timestamp=query["timestamp"],
        nonce=query["nonce"],
        now=time.time(),
    )
    assert parse_callback(got.body) == _plaintext_fields(MESSAGE)
    assert delivery.outcome == "success"
    assert [(a.status, a.body) for a in delivery.attempts] == [(200, "success")]


async def test_a_safe_mode_callback_decrypts_with_ours_and_wechatpys() -> None:
    """公众号 安全模式: both signatures, encrypt_type=aes, an Encrypt envelope both sides open; a
    reply wechatpy seals is verified, decrypted and returned."""
    oracle = OfficialAccountOracle(TOKEN, KEY, APPID)

    async def answer(_: Endpoint, got: Received) -> web.Response:
        sealed = oracle.encrypt_message(
            build_xml(REPLY), got.query["nonce"], got.query["timestamp"]
        )
        return web.Response(text=sealed)

    async with (
        endpoint(answer) as served,
        CallbackDriver(
            served.url, token=TOKEN, mode="safe", encoding_aes_key=KEY, receive_id=APPID
        ) as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
    [got] = served.received
    query = got.query
    assert set(query) == {
        "signature",
        "timestamp",
        "nonce",
        "openid",
        "encrypt_type",
        "msg_signature",
    }
    assert (query["encrypt_type"], query["openid"]) == ("aes", "o_resident")
    check_signature(TOKEN, query["signature"], query["timestamp"], query["nonce"])
    envelope = parse_callback(got.body)
    assert list(envelope) == ["ToUserName", "Encrypt"]
    assert envelope["ToUserName"] == "gh_10f6c3c3ac5a"
    theirs = oracle.decrypt_message(
        got.body, query["msg_signature"], query["timestamp"], query["nonce"]
    )
    ours = MessageCrypto(TOKEN, KEY, APPID).decrypt_signed(
        msg_signature=query["msg_signature"],
        timestamp=query["timestamp"],
        nonce=query["nonce"],
        encrypted=envelope["Encrypt"],
        now=time.time(),
    )
    assert theirs == ours == delivery.sent.plaintext
    assert parse_callback(ours) == _plaintext_fields(MESSAGE)
    assert delivery.outcome == "reply"
    assert delivery.reply == _plaintext_fields(REPLY)


async def test_a_wecom_callback_is_encrypted_with_the_corpid() -> None:
    """WeCom: only msg_signature, timestamp, nonce; ToUserName, AgentID and Encrypt in the body;
    wechatpy's WeCom crypto opens it, and our sealed reply is accepted."""
    crypto = MessageCrypto(TOKEN, KEY, CORPID)

    async def answer(_: Endpoint, got: Received) -> web.Response:
        sealed = crypto.seal_reply(
            build_xml(WECOM_REPLY), timestamp=got.query["timestamp"], nonce=got.query["nonce"]
        )
        return web.Response(text=sealed.to_xml())

    async with (
        endpoint(answer) as served,
        CallbackDriver(
            served.url, token=TOKEN, mode="wecom", encoding_aes_key=KEY, receive_id=CORPID
        ) as tencent,
    ):
        delivery = await tencent.post(WECOM_MESSAGE)
    [got] = served.received
    query = got.query
    assert set(query) == {"msg_signature", "timestamp", "nonce"}
    assert parse_callback(got.body) == {
        "ToUserName": CORPID,
        "AgentID": "1000002",
        "Encrypt": parse_callback(got.body)["Encrypt"],
    }
    theirs = WeComOracle(TOKEN, KEY, CORPID).decrypt_message(
        got.body, query["msg_signature"], query["timestamp"], query["nonce"]
    )
    assert parse_callback(theirs) == _plaintext_fields(WECOM_MESSAGE)
    assert delivery.outcome == "reply"
    assert delivery.reply == _plaintext_fields(WECOM_REPLY)


async def test_a_plaintext_message_is_sent_byte_for_byte() -> None:
    """A message given as XML text (newlines and all) is what the endpoint decrypts."""
    xml = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName>\n<FromUserName>o_1</FromUserName>\n</xml>"
    async with (
        endpoint(_success) as served,
        CallbackDriver(
            served.url, token=TOKEN, mode="safe", encoding_aes_key=KEY, receive_id=APPID
        ) as tencent,
    ):
        await tencent.post(xml)
    [got] = served.received
    opened = OfficialAccountOracle(TOKEN, KEY, APPID).decrypt_message(
        got.body, got.query["msg_signature"], got.query["timestamp"], got.query["nonce"]
    )
    assert opened == xml
    assert got.query["openid"] == "o_1"


# --- URL verification -----------------------------------------------------------------------


async def test_official_account_url_verification_echoes_a_plain_echostr() -> None:
    """公众号: a GET signed with signature; passed when the answer is the echostr itself."""

    async def answer(_: Endpoint, got: Received) -> web.Response:
        check_signature(TOKEN, got.query["signature"], got.query["timestamp"], got.query["nonce"])
        return web.Response(text=got.query["echostr"])

    async with (
        endpoint(answer) as served,
        CallbackDriver(
            served.url, token=TOKEN, mode="safe", encoding_aes_key=KEY, receive_id=APPID
        ) as tencent,
    ):
        verification = await tencent.verify_url()
    [got] = served.received
    assert got.method == "GET"
    assert set(got.query) == {"signature", "timestamp", "nonce", "echostr"}
    assert got.query["echostr"] == verification.echo
    assert verification.ok


async def test_wecom_url_verification_sends_an_encrypted_echostr() -> None:
    """WeCom: the echostr arrives encrypted and intact (+, / and = survive the query string);
    wechatpy's check_signature decrypts it, and echoing the plaintext passes."""

    async def answer(_: Endpoint, got: Received) -> web.Response:
        oracle = WeComOracle(TOKEN, KEY, CORPID)
        q = got.query
        echo: str = oracle.check_signature(
            q["msg_signature"], q["timestamp"], q["nonce"], q["echostr"]
        )
        return web.Response(text=echo)

    async with (
        endpoint(answer) as served,
        CallbackDriver(
            served.url, token=TOKEN, mode="wecom", encoding_aes_key=KEY, receive_id=CORPID
        ) as tencent,
    ):
        results = [await tencent.verify_url() for _ in range(20)]
    assert all(result.ok for result in results)
    assert {frozenset(got.query) for got in served.received} == {
        frozenset({"msg_signature", "timestamp", "nonce", "echostr"})
    }
    assert any(set(got.query["echostr"]) & set("+/=") for got in served.received)


@pytest.mark.parametrize(
    ("mode", "mangle"),
    [
        ("plain", lambda q: q["echostr"] + "\n"),
        ("plain", lambda q: f'"{q["echostr"]}"'),
        ("wecom", lambda q: q["echostr"]),  # forgot to decrypt
    ],
    ids=["newline", "quoted", "still-encrypted"],
)
async def test_url_verification_wants_the_exact_echo(
    mode: Mode, mangle: Callable[[dict[str, str]], str]
) -> None:
    """Tencent takes no quotes, no newline, and for WeCom the plaintext: anything else fails."""

    async def answer(_: Endpoint, got: Received) -> web.Response:
        return web.Response(text=mangle(got.query))

    async with (
        endpoint(answer) as served,
        CallbackDriver(
            served.url,
            token=TOKEN,
            mode=mode,
            encoding_aes_key=KEY,
            receive_id=CORPID,
        ) as tencent,
    ):
        verification = await tencent.verify_url()
    assert verification.attempt.status == 200
    assert not verification.ok


# --- retries --------------------------------------------------------------------------------


def _same_request_every_time(served: Endpoint, delivery: Delivery) -> None:
    assert len({(tuple(sorted(g.query.items())), g.body) for g in served.received}) == 1
    assert served.received[0].query == dict(delivery.sent.query)


async def test_a_stalled_endpoint_is_tried_three_times() -> None:
    """No answer within the timeout: the same request again, three tries in all, then failed."""
    async with (
        endpoint(_stall) as served,
        CallbackDriver(served.url, token=TOKEN, mode="plain", **QUICK) as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
        assert len(served.received) == 3
    assert delivery.outcome == "failed"
    assert [(a.status, a.error) for a in delivery.attempts] == [(None, "timeout")] * 3
    assert all(a.elapsed >= SHORT * 0.9 for a in delivery.attempts)
    _same_request_every_time(served, delivery)


async def test_a_failing_endpoint_is_tried_three_times() -> None:
    """A 500 is a failure: retried after the interval, three tries in all, each recorded."""
    async with (
        endpoint(_fail) as served,
        CallbackDriver(
            served.url,
            token=TOKEN,
            mode="safe",
            encoding_aes_key=KEY,
            receive_id=APPID,
            timeout=SHORT,
            retry_interval=INTERVAL,
        ) as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
    assert delivery.outcome == "failed"
    assert [a.status for a in delivery.attempts] == [500, 500, 500]
    first, second, third = delivery.attempts
    assert second.started - (first.started + first.elapsed) >= INTERVAL * 0.9
    assert third.started - (second.started + second.elapsed) >= INTERVAL * 0.9
    assert delivery.attempts[0].body == "Internal Server Error"
    assert len(served.received) == 3
    _same_request_every_time(served, delivery)


async def test_an_unreachable_endpoint_is_tried_three_times() -> None:
    """A refused connection is a failure too, recorded with the error's name."""
    url = f"http://127.0.0.1:{free_port()}/callback"
    async with CallbackDriver(url, token=TOKEN, mode="plain", **QUICK) as tencent:
        delivery = await tencent.post(MESSAGE)
    assert delivery.outcome == "failed"
    assert len(delivery.attempts) == 3
    assert all(a.status is None and a.error for a in delivery.attempts)


async def test_success_at_once_ends_the_callback() -> None:
    """``success`` on the first try: one request, no retry."""
    async with (
        endpoint(_success) as served,
        CallbackDriver(served.url, token=TOKEN, mode="plain", **QUICK) as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
    assert delivery.outcome == "success"
    assert len(delivery.attempts) == 1
    assert len(served.received) == 1


async def test_success_after_a_failure_ends_the_callback() -> None:
    """A 500 then ``success``: two tries, and the third is never sent."""

    async def answer(served: Endpoint, got: Received) -> web.Response:
        return await (_fail if len(served.received) == 1 else _success)(served, got)

    async with (
        endpoint(answer) as served,
        CallbackDriver(served.url, token=TOKEN, mode="plain", **QUICK) as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
    assert [a.status for a in delivery.attempts] == [500, 200]
    assert delivery.outcome == "success"
    assert len(served.received) == 2


# --- judging a 200 --------------------------------------------------------------------------


async def test_an_empty_answer_ends_the_callback() -> None:
    """An empty 200 is as good as ``success`` to Tencent."""
    async with (
        endpoint(_answering("")) as served,
        CallbackDriver(
            served.url, token=TOKEN, mode="wecom", encoding_aes_key=KEY, receive_id=CORPID, **QUICK
        ) as tencent,
    ):
        delivery = await tencent.post(WECOM_MESSAGE)
    assert (delivery.outcome, len(delivery.attempts)) == ("empty", 1)


def _sealed_with_wrong_signature() -> str:
    sealed = MessageCrypto(TOKEN, KEY, APPID).seal_reply(
        build_xml(REPLY), timestamp=str(int(time.time())), nonce="1"
    )
    return sealed.to_xml().replace(sealed.msg_signature, signature("other", "1", "2"))


@pytest.mark.parametrize(
    ("mode", "body", "problem"),
    [
        ("plain", "ok", "not well-formed"),
        ("plain", '{"errcode": 0}', "not well-formed"),
        ("plain", build_xml({**REPLY, "ToUserName": "o_other"}), "not addressed to"),
        ("plain", build_xml({"MsgType": "text", "Content": "x"}), "needs ToUserName"),
        ("safe", build_xml(REPLY), "needs Encrypt"),
        ("safe", _sealed_with_wrong_signature(), "msg_signature does not match"),
        ("safe", "success\n", "not well-formed"),
    ],
    ids=["text", "json", "misaddressed", "unaddressed", "plain-in-safe", "bad-sig", "newline"],
)
async def test_a_malformed_answer_is_not_retried_but_reported(
    mode: Mode, body: str, problem: str
) -> None:
    """A 200 Tencent cannot use ends the callback (the user sees an error); the record says why."""
    async with (
        endpoint(_answering(body)) as served,
        CallbackDriver(
            served.url,
            token=TOKEN,
            mode=mode,
            encoding_aes_key=KEY,
            receive_id=APPID,
            **QUICK,
        ) as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
    assert delivery.outcome == "malformed"
    assert delivery.problem is not None
    assert problem in delivery.problem
    assert len(served.received) == 1


async def test_a_plain_reply_is_read() -> None:
    """In plain mode a reply XML is taken as it is."""
    async with (
        endpoint(_answering(build_xml(REPLY))) as served,
        CallbackDriver(served.url, token=TOKEN, mode="plain", **QUICK) as tencent,
    ):
        delivery = await tencent.post(MESSAGE)
    assert delivery.outcome == "reply"
    assert delivery.reply == _plaintext_fields(REPLY)


async def test_a_driver_that_cannot_encrypt_is_refused() -> None:
    """Safe and WeCom modes need the EncodingAESKey; a callback is tried at least once."""
    with pytest.raises(ValueError, match="EncodingAESKey"):
        CallbackDriver("http://127.0.0.1:1/", token=TOKEN, mode="wecom")
    with pytest.raises(ValueError, match="at least once"):
        CallbackDriver("http://127.0.0.1:1/", token=TOKEN, mode="plain", tries=0)
