"""The WeCom app's callback: each message or press committed to the inbox before ``success``.

WeCom calls the URL set for the app (应用管理 → the app → 接收消息 → 设置API接收), always
encrypted with the EncodingAESKey and signed with the Token (``msg_signature``, ``timestamp``,
``nonce``):

- ``GET`` when the URL is saved: ``echostr`` is encrypted; the answer is its plaintext;
- ``POST`` with each message or event: ``<xml><ToUserName/><AgentID/><Encrypt/></xml>``.

A call is checked as the 公众号's is (:mod:`handlers.wechat.callback`): the signature in
constant time and the timestamp window, then decryption, whose receive id must be our CorpID;
the body at most 64 KiB, parsed without DTDs or entities; a message for another app of the corp
(its ``AgentID``) is refused. Then it is kept (:mod:`handlers.tencent.keeping`): a text by its
``MsgId``, a card press by its ``ResponseCode`` (each press mints a fresh one), any other event
by its sender, time and kind.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from aiohttp import web

from bot.channels import Channel, address
from bot.ports import Store
from handlers.http.bodies import limited_body
from handlers.tencent.crypto import CryptoError, MessageCrypto
from handlers.tencent.keeping import SUCCESS, keep
from handlers.tencent.xml import MAX_BODY, XmlError, parse_callback

log = logging.getLogger(__name__)

PRESS = "template_card_event"
"""The event of a press on a card's button."""


class WeComCallback:
    """The callback's two routes for one app (see the module doc)."""

    def __init__(
        self,
        store: Store,
        path: str,
        *,
        crypto: MessageCrypto,
        agent_id: int,
        wake: Callable[[], None],
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``crypto``: the app's Token and EncodingAESKey, with the CorpID as receive id."""
        self._store = store
        self._path = path
        self._crypto = crypto
        self._agent_id = str(agent_id)
        self._wake = wake
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        return [web.get(self._path, self.verify), web.post(self._path, self.receive)]

    async def verify(self, request: web.Request) -> web.Response:
        """The console's check when the URL is saved: the decrypted ``echostr``."""
        try:
            echo = self._open(request.query, request.query.get("echostr", ""))
        except CryptoError as exc:
            log.warning("WeCom URL check refused: %s (from %s)", exc, request.remote)
            return web.Response(status=403, text="forbidden")
        return web.Response(text=echo)

    async def receive(self, request: web.Request) -> web.Response:
        """One message or event: check, decrypt, store, then answer ``success``."""
        body = await limited_body(request, MAX_BODY)
        if body is None:
            return web.Response(status=413, text="too large")
        try:
            envelope = parse_callback(body)
            fields = parse_callback(self._open(request.query, envelope.get("Encrypt", "")))
        except CryptoError as exc:
            log.warning("WeCom callback refused: %s (from %s)", exc, request.remote)
            return web.Response(status=403, text="forbidden")
        except XmlError as exc:
            log.warning("WeCom callback refused: %s (from %s)", exc, request.remote)
            return web.Response(status=400, text="not a WeCom message")
        if fields.get("AgentID", self._agent_id).strip() != self._agent_id:
            log.warning("WeCom callback for app %s refused: this is app %s",
                        fields.get("AgentID"), self._agent_id)  # fmt: skip
            return web.Response(status=400, text="not this app's")
        sender = fields.get("FromUserName", "")
        if not sender:
            return web.Response(text=SUCCESS)
        lane = address(Channel.WECOM, sender)
        key = message_key(fields)
        return await keep(self._store, Channel.WECOM, key, fields, lane=lane, wake=self._wake)

    def _open(self, query: Mapping[str, str], encrypted: str) -> str:
        return self._crypto.decrypt_signed(
            msg_signature=query.get("msg_signature", ""),
            timestamp=query.get("timestamp", ""),
            nonce=query.get("nonce", ""),
            encrypted=encrypted,
            now=self._clock(),
        )


def message_key(fields: Mapping[str, str]) -> str:
    """What tells one call from another across WeCom's retries (see the module doc)."""
    if msg_id := fields.get("MsgId", "").strip():
        return f"msg:{msg_id}"
    if fields.get("Event") == PRESS and (code := fields.get("ResponseCode", "").strip()):
        return f"press:{code}"
    parts = (fields.get(name, "") for name in ("FromUserName", "CreateTime", "Event", "EventKey"))
    return "event:" + ":".join(parts)
