"""The end-to-end world with residents on WeChat: the real bot, its 公众号 callback on a real
HTTP server, Tencent's calls made by :class:`~standins.tencent_callbacks.CallbackDriver` (safe
mode: signed and encrypted), the WeChat API stand-in for what the bot sends, and the Telegram
stand-in for the grid workers (tests/harness.py).

A resident's message is what WeChat would do with it: the stand-in opens their
customer-service window (5 sends in 48 hours), and the driver posts the message to the bot;
then the step waits for the inbox to handle it and the outbox to settle — events, not sleeps.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bot.config.serving import HttpSettings
from bot.config.settings import Settings
from bot.config.wechat import NoticeTemplate, WeChatSecrets, WeChatSettings
from handlers.tencent.xml import XmlValue
from standins.balancer import free_port
from standins.tencent_callbacks import CallbackDriver, Delivery
from standins.wechat import Delivered, WeChatStandIn
from tests.clock import FakeClock, nine_am
from tests.harness import World, _within, world

APP_ID = "wx5eed0000c0ffee01"
SECRETS = WeChatSecrets(
    app_secret="0123456789abcdef0123456789abcdef",
    token="griddeskCallbackToken",
    encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
)
ACCOUNT = "gh_griddesk0001"
"""The account's original id, which WeChat puts in ``ToUserName``."""


@dataclass
class WeChatWorld:
    """The bot, the Telegram side (``w``), the WeChat stand-in and Tencent's caller."""

    w: World
    wx: WeChatStandIn
    tencent: CallbackDriver
    _ids: itertools.count[int]

    def follower(self, openid: str = "oRES1") -> str:
        """A resident who followed the account long ago (no window open until they write)."""
        self.wx.subscribe(openid, long_ago=True)
        return openid

    async def says(self, openid: str, text: str, *, menu_id: str | None = None) -> list[str]:
        """``openid`` writes ``text`` (or taps menu item ``menu_id``); the texts they were
        sent in reply."""
        fields: dict[str, XmlValue] = {"Content": text, "MsgId": next(self._ids)}
        if menu_id is not None:
            fields["bizmsgmenuid"] = menu_id
        return await self.sends(openid, "text", fields)

    async def sends(self, openid: str, kind: str, fields: dict[str, XmlValue]) -> list[str]:
        """``openid`` sends a message of ``kind`` with ``fields``; the texts sent in reply."""
        self.wx.user_message(openid)
        return await self._deliver(openid, {"MsgType": kind, **fields})

    async def event(self, openid: str, event: str, key: str = "") -> list[str]:
        """An event (``subscribe``, ``CLICK``…) from ``openid``; the texts sent in reply."""
        if event == "subscribe":
            self.wx.subscribe(openid)
        else:
            self.wx.menu_click(openid)
        fields: dict[str, XmlValue] = {"MsgType": "event", "Event": event}
        if key:
            fields["EventKey"] = key
        return await self._deliver(openid, fields)

    async def _deliver(self, openid: str, fields: dict[str, XmlValue]) -> list[str]:
        before = len(self.wx.sent_to(openid))
        delivery = await self.post(openid, fields)
        assert delivery.outcome == "success", delivery
        await self.settle()
        return [_words(sent) for sent in self.wx.sent_to(openid)[before:]]

    async def post(self, openid: str, fields: dict[str, XmlValue]) -> Delivery:
        """Tencent's call with ``fields`` from ``openid``, as it is, nothing awaited after."""
        created = int(self.w.clock().timestamp())
        message: dict[str, XmlValue] = {
            "ToUserName": ACCOUNT,
            "FromUserName": openid,
            "CreateTime": created,
        }
        return await self.tencent.post({**message, **fields})

    async def settle(self) -> None:
        """Until every stored message is handled and the outbox has sent what it wrote."""
        telegram = self.w.bot.telegram
        async with self.w.bot.store.transaction() as tx:
            waiting = await tx.unprocessed_updates(1000)
        if waiting:
            await _within(telegram.inbox.processed(max(update_id for update_id, _ in waiting)))
        await _within(telegram.outbox.settled())

    def texts(self, openid: str) -> list[str]:
        return [_words(sent) for sent in self.wx.sent_to(openid)]


def _words(sent: Delivered) -> str:
    """What the resident reads: a text, a menu's head, lines and tail, or a template's
    fields."""
    lines = [sent.text or "", *(item.content for item in sent.menu), sent.tail or ""]
    lines += [f"{field}={value}" for field, value in sent.data.items()]
    return "\n".join(line for line in lines if line)


@asynccontextmanager
async def wechat_world(
    database_url: str,
    cache_dir: Path,
    *,
    menus: bool = False,
    template: NoticeTemplate | None = None,
    clock: FakeClock | None = None,
    poll_timeout: int = 1,
) -> AsyncIterator[WeChatWorld]:
    """The example org's bot with ``[wechat]`` set up (safe mode), its stand-ins and caller;
    ``template``: the notice template, which the stand-in then knows; ``poll_timeout``:
    Telegram's long poll, which a WeChat message must not wait for."""
    clock = clock or nine_am()
    port = free_port()
    async with contextlib.AsyncExitStack() as stack:
        wx = await stack.enter_async_context(
            WeChatStandIn(
                APP_ID,
                SECRETS.app_secret,
                templates=[template.template_id] if template else [],
                clock=lambda: clock().timestamp(),
            )
        )

        def change(settings: Settings) -> Settings:
            wechat = WeChatSettings(APP_ID, "/wechat", wx.base_url, menus, template)
            telegram = replace(settings.telegram, poll_timeout=poll_timeout)
            return replace(
                settings,
                wechat=wechat,
                http=HttpSettings(("127.0.0.1", port)),
                telegram=telegram,
            )

        w = await stack.enter_async_context(
            world(database_url, cache_dir, clock=clock, change=change, wechat_secrets=SECRETS)
        )
        tencent = await stack.enter_async_context(
            CallbackDriver(
                f"http://127.0.0.1:{port}/wechat",
                token=SECRETS.token,
                mode="safe",
                encoding_aes_key=SECRETS.encoding_aes_key,
                receive_id=APP_ID,
                retry_interval=0.2,
            )
        )
        yield WeChatWorld(w, wx, tencent, itertools.count(24_000_000_001))
