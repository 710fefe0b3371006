"""Tencent's side of 公众号 and WeCom callbacks: signed calls to our URL, retried as Tencent does.

Why it exists: a WeChat Official Account (公众号) or WeCom (企业微信) app does not poll; Tencent's
servers call our callback URL with each message and event, signed (and in safe mode encrypted)
with the token and EncodingAESKey set in the console, and retry when we are slow or fail. Tests
of our callback channels, and ``griddesk shell``, need that caller without Tencent: this driver
sends exactly what Tencent sends, judges the answer as Tencent would, and records every try, so
a test can assert "answered ``success`` at once" or "stalled, so tried three times".

Use::

    async with CallbackDriver(url, token="tok", mode="safe",
                              encoding_aes_key=KEY, receive_id="wx5823bf96d3bd56c7") as tencent:
        assert (await tencent.verify_url()).ok
        delivery = await tencent.post({"ToUserName": "gh_1", "FromUserName": "o_resident",
                                       "CreateTime": 1764000000, "MsgType": "text",
                                       "Content": "3号楼又停水了", "MsgId": 1})
        assert delivery.outcome == "reply" and delivery.reply["Content"].startswith("收到")

Public surface:

- :class:`CallbackDriver` (``token``, ``mode``, ``encoding_aes_key``, ``receive_id``: the AppID
  of a 公众号, the CorpID of a WeCom app), a context manager owning one HTTP session;
  ``timeout`` (5 s), ``tries`` (3 in all) and ``retry_interval`` (5 s; tests pass a little) are
  Tencent's defaults, ``clock`` gives the ``timestamp`` parameter.
- :meth:`CallbackDriver.verify_url`: the GET the console sends when the URL is saved, with
  ``echostr`` (plain for a 公众号, encrypted for WeCom); passed if the answer is exactly the
  plain echo. One try: an administrator clicking 保存 does not retry.
- :meth:`CallbackDriver.post`: one message or event (its fields, or the plaintext XML). Modes:
  ``plain`` (公众号 明文: ``signature``, ``timestamp``, ``nonce``, ``openid``; the XML as the
  body), ``safe`` (公众号 安全模式: those plus ``encrypt_type=aes`` and ``msg_signature``; body
  ``<xml><ToUserName/><Encrypt/></xml>``), ``wecom`` (always encrypted: ``msg_signature``,
  ``timestamp``, ``nonce``; body ``<xml><ToUserName/><AgentID/><Encrypt/></xml>``). A try that
  is not answered within ``timeout``, fails to connect, or is answered with a status other than
  200 is tried again, the same request, after ``retry_interval``, up to ``tries`` in all. Any
  200 ends it, and its body is judged: ``success`` or an empty body (Tencent does nothing
  more), a reply (plain XML in plain mode; in safe and wecom modes an ``Encrypt`` envelope whose
  ``MsgSignature`` must verify and whose plaintext must parse), or ``malformed`` (the user would
  see "该公众号暂时无法提供服务，请稍后再试"; Tencent does not retry it).
- Results are frozen records: :class:`Delivery` (the :class:`Sent` request, each
  :class:`Attempt` with status, body, start and elapsed seconds, the ``outcome``, the reply's
  fields and the ``problem`` of a malformed one) and :class:`Verification`.

Not modelled, so not to be trusted here: 兼容模式 (plain and encrypted fields in one body),
JSON bodies (the 公众号's JSON push format, WeCom's AI bot), HTTPS and Tencent's source
addresses (``getcallbackip``), whether Tencent's retries reuse the timestamp and nonce (these
do, so a retry is byte-for-byte the first request), what a reply may contain beyond its
addressing (types, lengths, media ids), and the user-visible error message itself.

Unlike the other stand-ins this one imports griddesk: :mod:`handlers.tencent` signs and
encrypts, so the wire format is written once. So that a mistake there cannot hide in both our
channel and this driver, tests/test_tencent_callbacks.py checks every request it sends with
wechatpy, an independent implementation.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

import aiohttp

from handlers.tencent.crypto import CryptoError, MessageCrypto, signature
from handlers.tencent.xml import XmlError, XmlValue, build_xml, parse_callback

Mode = Literal["plain", "safe", "wecom"]
Outcome = Literal["success", "empty", "reply", "malformed", "failed"]
"""How a callback ended: answered ``success``, answered with nothing, answered with a valid
reply, answered 200 with something Tencent cannot use, or never answered 200 in ``tries``."""

TIMEOUT = 5.0
"""Seconds Tencent waits for an answer before it drops the connection."""
TRIES = 3
"""Tries in all: "总共重试三次" read as three in all, as a WeRoBot user observed it
(docs/research/wechat-oa.md §4)."""
RETRY_INTERVAL = 5.0
"""Seconds between tries. Tencent documents none beyond each try's 5 s timeout; tests pass a
little, so that retries are real but quick."""
_REPLY_FIELDS = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
_ENVELOPE_FIELDS = ("Encrypt", "MsgSignature", "TimeStamp", "Nonce")


@dataclass(frozen=True, slots=True)
class Sent:
    """The request as it went on the wire (every try sends this same one)."""

    query: Mapping[str, str]
    body: str
    plaintext: str
    """The message before encryption; equal to ``body`` in plain mode."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try: what came back, and how long it took."""

    status: int | None
    """The HTTP status; None when nothing came back (timed out, refused, reset)."""
    body: str
    started: float
    """Seconds from the callback's start to this try's (about 0 for the first)."""
    elapsed: float
    error: str | None = None
    """Why nothing came back: ``timeout`` or the connection error's name."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A callback from first try to last, and how Tencent would take the answer."""

    sent: Sent
    attempts: tuple[Attempt, ...]
    outcome: Outcome
    reply: Mapping[str, str] | None = None
    """The reply's fields (decrypted in safe and wecom modes) when ``outcome`` is ``reply``."""
    problem: str | None = None
    """Why a ``malformed`` answer is one."""


@dataclass(frozen=True, slots=True)
class Verification:
    """The console's URL check: passed if the answer was exactly ``echo``."""

    sent: Sent
    attempt: Attempt
    echo: str

    @property
    def ok(self) -> bool:
        """Whether Tencent would accept the URL."""
        return self.attempt.status == 200 and self.attempt.body == self.echo


class CallbackDriver:
    """Calls one callback URL as Tencent's servers call it, for one account in one mode."""

    def __init__(
        self,
        url: str,
        *,
        token: str,
        mode: Mode,
        encoding_aes_key: str | None = None,
        receive_id: str = "",
        timeout: float = TIMEOUT,
        tries: int = TRIES,
        retry_interval: float = RETRY_INTERVAL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if mode not in ("plain", "safe", "wecom"):
            raise ValueError(f"mode is plain, safe or wecom, not {mode!r}")
        if mode != "plain" and encoding_aes_key is None:
            raise ValueError(f"{mode} mode encrypts: it needs the EncodingAESKey")
        if tries < 1:
            raise ValueError("a callback is tried at least once")
        self.url = url
        self.mode: Mode = mode
        self.timeout = timeout
        self.tries = tries
        self.retry_interval = retry_interval
        self._token = token
        self._clock = clock
        self._crypto = (
            None if encoding_aes_key is None else MessageCrypto(token, encoding_aes_key, receive_id)
        )
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> CallbackDriver:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def verify_url(self, echo: str | None = None) -> Verification:
        """The console's GET when the URL is saved. ``echo`` is the text to be echoed (random
        digits, like Tencent's, if left out); WeCom sends it encrypted, a 公众号 as it is."""
        echo = _digits(19) if echo is None else echo
        timestamp, nonce = self._stamp()
        if self.mode == "wecom":
            echostr = self._need_crypto().encrypt(echo)
            query = {
                "msg_signature": signature(self._token, timestamp, nonce, echostr),
                "timestamp": timestamp,
                "nonce": nonce,
                "echostr": echostr,
            }
        else:
            query = {
                "signature": signature(self._token, timestamp, nonce),
                "timestamp": timestamp,
                "nonce": nonce,
                "echostr": echo,
            }
        sent = Sent(query=query, body="", plaintext=echo)
        attempt = await self._try("GET", sent, time.perf_counter())
        return Verification(sent=sent, attempt=attempt, echo=echo)

    async def post(self, message: Mapping[str, XmlValue] | str) -> Delivery:
        """Deliver one message or event (its fields in order, or its plaintext XML), retrying
        as Tencent does, and judge the answer."""
        plaintext = message if isinstance(message, str) else build_xml(message)
        try:
            fields = parse_callback(plaintext)
        except XmlError as exc:
            raise ValueError(f"Tencent never sends this message: {exc}") from exc
        sent = self._sign(plaintext, fields)
        attempts: list[Attempt] = []
        first = time.perf_counter()
        for number in range(self.tries):
            if number:
                await asyncio.sleep(self.retry_interval)
            attempt = await self._try("POST", sent, first)
            attempts.append(attempt)
            if attempt.status == 200:
                return self._judge(sent, tuple(attempts), fields)
        return Delivery(sent=sent, attempts=tuple(attempts), outcome="failed")

    def _sign(self, plaintext: str, fields: Mapping[str, str]) -> Sent:
        timestamp, nonce = self._stamp()
        query = {"timestamp": timestamp, "nonce": nonce}
        if self.mode != "wecom":
            query = {"signature": signature(self._token, timestamp, nonce), **query}
            if "FromUserName" in fields:
                query["openid"] = fields["FromUserName"]
        if self.mode == "plain":
            return Sent(query=query, body=plaintext, plaintext=plaintext)
        encrypted = self._need_crypto().encrypt(plaintext)
        envelope: dict[str, XmlValue] = {"ToUserName": fields.get("ToUserName", "")}
        if self.mode == "wecom":
            if "AgentID" in fields:
                envelope["AgentID"] = fields["AgentID"]
        else:
            query["encrypt_type"] = "aes"
        envelope["Encrypt"] = encrypted
        query["msg_signature"] = signature(self._token, timestamp, nonce, encrypted)
        return Sent(query=query, body=build_xml(envelope), plaintext=plaintext)

    async def _try(self, method: str, sent: Sent, first: float) -> Attempt:
        """One request (``first``: when the callback began, by ``perf_counter``); never raises
        for what the far end does."""
        session = self._session
        if session is None:
            raise RuntimeError("use the driver inside `async with`")
        posting = method == "POST"
        headers = {"Content-Type": "text/xml"} if posting else {}
        data = sent.body.encode() if posting else None
        started = time.perf_counter()
        try:
            async with session.request(
                method, self.url, params=dict(sent.query), data=data, headers=headers
            ) as response:
                raw = await response.read()
        except TimeoutError:
            return Attempt(None, "", started - first, time.perf_counter() - started, "timeout")
        except aiohttp.ClientError as exc:
            elapsed = time.perf_counter() - started
            return Attempt(None, "", started - first, elapsed, type(exc).__name__)
        body = raw.decode(errors="replace")
        return Attempt(response.status, body, started - first, time.perf_counter() - started)

    def _judge(
        self, sent: Sent, attempts: tuple[Attempt, ...], message: Mapping[str, str]
    ) -> Delivery:
        """Take a 200 answer as Tencent does: nothing to do, a reply, or an error for the user."""
        body = attempts[-1].body
        if body in ("success", ""):
            outcome: Outcome = "success" if body else "empty"
            return Delivery(sent=sent, attempts=attempts, outcome=outcome)
        try:
            reply = self._open_reply(body)
            _check_addressing(reply, message)
        except (XmlError, CryptoError, ValueError) as exc:
            return Delivery(sent=sent, attempts=attempts, outcome="malformed", problem=str(exc))
        return Delivery(sent=sent, attempts=attempts, outcome="reply", reply=reply)

    def _open_reply(self, body: str) -> dict[str, str]:
        """The reply's fields: as sent in plain mode, from the verified envelope otherwise."""
        fields = parse_callback(body)
        if self.mode == "plain":
            return fields
        missing = [name for name in _ENVELOPE_FIELDS if name not in fields]
        if missing:
            raise ValueError(f"an encrypted reply needs {', '.join(missing)}")
        plaintext = self._need_crypto().decrypt_signed(
            msg_signature=fields["MsgSignature"],
            timestamp=fields["TimeStamp"],
            nonce=fields["Nonce"],
            encrypted=fields["Encrypt"],
            now=self._clock(),
        )
        return parse_callback(plaintext)

    def _stamp(self) -> tuple[str, str]:
        """A timestamp from the clock and a fresh nonce, both digits as Tencent sends them."""
        return str(int(self._clock())), _digits(10)

    def _need_crypto(self) -> MessageCrypto:
        if self._crypto is None:  # pragma: no cover - the constructor makes this impossible
            raise RuntimeError("this mode needs the EncodingAESKey")
        return self._crypto


def _check_addressing(reply: Mapping[str, str], message: Mapping[str, str]) -> None:
    """A reply goes back to whoever wrote, from the account written to."""
    missing = [name for name in _REPLY_FIELDS if name not in reply]
    if missing:
        raise ValueError(f"a reply needs {', '.join(missing)}")
    if "FromUserName" in message and reply["ToUserName"] != message["FromUserName"]:
        raise ValueError("the reply is not addressed to the message's sender")
    if "ToUserName" in message and reply["FromUserName"] != message["ToUserName"]:
        raise ValueError("the reply is not from the account the message was sent to")


def _digits(count: int) -> str:
    """Random decimal digits, the shape of Tencent's nonces and echo strings."""
    return "".join(secrets.choice("0123456789") for _ in range(count))
