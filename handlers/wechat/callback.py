"""The 公众号 callback: each message committed to the inbox before WeChat hears ``success``.

WeChat calls the server URL set in the console (设置与开发 → 基本配置 → 服务器配置):

- ``GET`` when the URL is saved, signed with the Token (``signature``, ``timestamp``,
  ``nonce``); the answer must be its ``echostr``, exactly;
- ``POST`` with each message or event, the same query signature, and in safe mode
  (``encrypt_type=aes``) the XML encrypted with the EncodingAESKey and signed again
  (``msg_signature``). WeChat waits 5 s for the answer and tries three times in all.

Here a call is checked before anything is stored: the signature compared in constant time and
the timestamp against a replay window (:mod:`handlers.tencent.crypto`), the body at most
:data:`~handlers.tencent.xml.MAX_BODY` and parsed without DTDs or entities
(:mod:`handlers.tencent.xml`). With an EncodingAESKey configured, a plain call is refused
(safe mode is all or nothing); without one, an encrypted call is. A refused call is 403 (its
signature) or 400 (its body) and stores nothing.

A message is then stored (:meth:`~bot.ports.InboxTransaction.store_message`) keyed by its
``MsgId``, an event by its sender, time and kind (events carry no id), so WeChat's retries of a
slow answer are stored once; only after the commit is it answered ``success``, which tells
WeChat not to send it again and the resident nothing. A commit that fails is 500 and WeChat
tries again. The inbox, woken, hands the message to :mod:`handlers.wechat.inbound`; nothing is
ever answered in the reply itself (a passive reply could not be retried or recorded).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.channels import Channel, address
from bot.ports import Store
from handlers.http.bodies import limited_body
from handlers.tencent.crypto import CryptoError, MessageCrypto, verify_signature
from handlers.tencent.keeping import SUCCESS, keep
from handlers.tencent.xml import MAX_BODY, XmlError, parse_callback

log = logging.getLogger(__name__)


class WeChatCallback:
    """The callback's two routes, checking, storing and answering (see the module doc)."""

    def __init__(
        self,
        store: Store,
        path: str,
        *,
        token: str,
        app_id: str,
        encoding_aes_key: str | None,
        wake: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._path = path
        self._token = token
        self._crypto = (
            None if encoding_aes_key is None else MessageCrypto(token, encoding_aes_key, app_id)
        )
        self._wake = wake
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        return [web.get(self._path, self.verify), web.post(self._path, self.receive)]

    async def verify(self, request: web.Request) -> web.Response:
        """The console's check when the URL is saved: echo ``echostr`` if the call is signed."""
        if not self._signed(request.query):
            return web.Response(status=403, text="forbidden")
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        """One message or event: check, store, then answer ``success``."""
        query = request.query
        if not self._signed(query):
            return web.Response(status=403, text="forbidden")
        body = await limited_body(request, MAX_BODY)
        if body is None:
            return web.Response(status=413, text="too large")
        try:
            fields = self._open(query, body)
        except CryptoError as exc:
            log.warning("WeChat callback refused: %s (from %s)", exc, request.remote)
            return web.Response(status=403, text="forbidden")
        except (XmlError, ValueError) as exc:
            log.warning("WeChat callback refused: %s (from %s)", exc, request.remote)
            return web.Response(status=400, text="not a WeChat message")
        return await self._keep(fields)

    async def _keep(self, fields: Mapping[str, str]) -> web.Response:
        """Store a checked message (once, whatever WeChat retries) and answer ``success``."""
        sender = fields.get("FromUserName", "")
        if not sender:
            return web.Response(text=SUCCESS)  # nobody to answer: nothing to store
        lane = address(Channel.WECHAT, sender)
        key = message_key(fields)
        return await keep(self._store, Channel.WECHAT, key, fields, lane=lane, wake=self._wake)

    def _signed(self, query: Mapping[str, str]) -> bool:
        """Whether the query's ``signature`` is ours and its timestamp recent."""
        try:
            verify_signature(
                self._token,
                given=query.get("signature", ""),
                timestamp=query.get("timestamp", ""),
                nonce=query.get("nonce", ""),
                now=self._clock(),
            )
        except CryptoError as exc:
            log.warning("WeChat call refused: %s", exc)
            return False
        return True

    def _open(self, query: Mapping[str, str], body: bytes) -> dict[str, str]:
        """The message's fields, decrypted in safe mode. Raises :class:`CryptoError`,
        :class:`XmlError`, or ValueError for a mode this account is not set up for."""
        fields = parse_callback(body)
        encrypted = query.get("encrypt_type", "") == "aes"
        if self._crypto is None:
            if encrypted or "Encrypt" in fields:
                raise ValueError("an encrypted call, but no EncodingAESKey is set up (plain mode)")
            return fields
        if not encrypted:
            raise ValueError("a plain call, but this account is set up for safe mode")
        plaintext = self._crypto.decrypt_signed(
            msg_signature=query.get("msg_signature", ""),
            timestamp=query.get("timestamp", ""),
            nonce=query.get("nonce", ""),
            encrypted=fields.get("Encrypt", ""),
            now=self._clock(),
        )
        return parse_callback(plaintext)


def message_key(fields: Mapping[str, str]) -> str:
    """What tells one message from another across WeChat's retries: its ``MsgId``; an event
    (which has none) by its sender, time, kind and key."""
    if msg_id := fields.get("MsgId", "").strip():
        return f"msg:{msg_id}"
    parts = (fields.get(name, "") for name in ("FromUserName", "CreateTime", "Event", "EventKey"))
    return "event:" + ":".join(parts)
