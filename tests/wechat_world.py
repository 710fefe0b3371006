"""The end-to-end world with residents on WeChat: the real bot, its 公众号 callback on a real
HTTP server, Tencent's calls made by :class:`~standins.tencent_callbacks.CallbackDriver` (safe
mode: signed and encrypted), the WeChat API stand-in for what the bot sends, and the Telegram
stand-in for the grid workers (tests/harness.py) — or, with ``workers_on_wecom``, the whole
organisation on WeCom: every person a member of the app (``wecom:u2001`` for the example's
2001), every unit's chat ``wecom:g…``, the WeCom stand-in for what they get and the driver, in
WeCom's mode, for their presses.

A resident's message is what WeChat would do with it: the stand-in opens their
customer-service window (5 sends in 48 hours), and the driver posts the message to the bot;
then the step waits for the inbox to handle it and the outbox to settle — events, not sleeps.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from bot.channels import parse
from bot.config.org import Org
from bot.config.serving import HttpSettings, Mode
from bot.config.settings import Settings, load_settings
from bot.config.wechat import NoticeTemplate, WeChatSecrets, WeChatSettings
from bot.config.wecom import WeComSecrets, WeComSettings
from handlers.tencent.xml import XmlValue
from standins.balancer import free_port
from standins.tencent_callbacks import CallbackDriver, Delivery
from standins.wechat import Delivered, WeChatStandIn
from standins.wecom import Card, WeComStandIn
from tests.clock import FakeClock, nine_am
from tests.harness import EXAMPLE, World, _within, world

APP_ID = "wx5eed0000c0ffee01"
SECRETS = WeChatSecrets(
    app_secret="0123456789abcdef0123456789abcdef",
    token="griddeskCallbackToken",
    encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
)
ACCOUNT = "gh_griddesk0001"
"""The account's original id, which WeChat puts in ``ToUserName``."""
CORP_ID, AGENT_ID = "wwstandin0000001", 1000002
WECOM = WeComSecrets(
    secret="standin-wecom-app-secret-0001",
    token="griddeskWeComToken",
    encoding_aes_key="ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj",
)


def on_wecom(config: str, listen: str = "127.0.0.1:8080") -> str:
    """The example config with everyone on WeCom: person 2001 is ``wecom:u2001``, the unit
    chat -1001000000011 is ``wecom:g1001000000011``; ``[wecom]`` set up, served on
    ``listen``."""
    config = re.sub(r"(?m)^(\s*)user_id = (\d+)$", r'\1user_id = "wecom:u\2"', config)
    config = re.sub(r"(?m)^(\s*)chat_id = -(\d+)$", r'\1chat_id = "wecom:g\2"', config)
    config = config.replace('listen = ""', f'listen = "{listen}"', 1)
    return config + f'\n[wecom]\ncorp_id = "{CORP_ID}"\nagent_id = {AGENT_ID}\n'


def _wecom_org() -> Org:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "griddesk.toml"
        path.write_text(on_wecom(EXAMPLE.read_text("utf-8")), "utf-8")
        return load_settings(path).require_org()


WECOM_ORG = _wecom_org()
"""The example organisation, everyone on WeCom."""


@dataclass
class WeChatWorld:
    """The bot, the Telegram side (``w``), the WeChat stand-in and Tencent's caller."""

    w: World
    wx: WeChatStandIn
    tencent: CallbackDriver
    _ids: itertools.count[int]
    wecom: WeComStandIn | None = None
    wecom_caller: CallbackDriver | None = None

    async def press(self, userid: str, number: str, label: str) -> None:
        """WeCom member ``userid`` presses ``label`` on their card of task ``number``."""
        await self.press_on(userid, self.card(userid, number), label)

    async def press_on(self, userid: str, card: Card, label: str) -> None:
        """WeCom member ``userid`` presses ``label`` on ``card`` (as they see it now)."""
        card = self._wecom().card(userid, card.task_id)
        key = next((b.key for b in card.face.buttons if b.text == label and b.key), None)
        assert key is not None, f"no button {label!r} on {userid}'s card: {card.face}"
        await self.from_wecom(self._wecom().press(userid, card.task_id, key))

    async def member_says(self, userid: str, text: str) -> list[str]:
        """WeCom member ``userid`` writes to the app; the texts they got in reply."""
        wecom = self._wecom()
        before = len(wecom.messages(userid))
        await self.from_wecom(wecom.member_says(userid, text))
        return [m.content or "" for m in wecom.messages(userid)[before:] if m.msgtype == "text"]

    async def from_wecom(self, xml: str) -> None:
        """Deliver WeCom's callback ``xml`` as WeCom does, and wait for the bot."""
        assert self.wecom_caller is not None
        delivery = await self.wecom_caller.post(xml)
        assert delivery.outcome == "success", delivery
        await self.settle()

    def card(self, userid: str, number: str) -> Card:
        """``userid``'s newest card about task ``number`` (as they see it now)."""
        cards = [c for c in self._wecom().cards(userid) if number in c.face.title]
        assert cards, f"{userid} has no card about {number}"
        return cards[-1]

    def texts_to(self, userid: str) -> list[str]:
        """The text messages WeCom member ``userid`` got from the app."""
        return [m.content or "" for m in self._wecom().messages(userid) if m.msgtype == "text"]

    def _wecom(self) -> WeComStandIn:
        assert self.wecom is not None, "a world with workers_on_wecom"
        return self.wecom

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
    workers_on_wecom: bool = False,
    telegram_off: bool = False,
) -> AsyncIterator[WeChatWorld]:
    """The example org's bot with ``[wechat]`` set up (safe mode), its stand-ins and caller;
    ``template``: the notice template, which the stand-in then knows; ``poll_timeout``:
    Telegram's long poll, which a WeChat message must not wait for; ``workers_on_wecom``: the
    organisation on WeCom (see the module doc); ``telegram_off``: with it, no Telegram at all
    (``[telegram] mode = "off"``)."""
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

        wecom = None
        if workers_on_wecom:
            wecom = await stack.enter_async_context(
                WeComStandIn(CORP_ID, WECOM.secret, AGENT_ID, clock=lambda: clock().timestamp())
            )
            for person in WECOM_ORG.people.values():
                wecom.add_member(parse(person.user_id)[1], person.name)

        def change(settings: Settings) -> Settings:
            wechat = WeChatSettings(APP_ID, "/wechat", wx.base_url, menus, template)
            mode: Mode = "off" if telegram_off else settings.telegram.mode
            telegram = replace(settings.telegram, poll_timeout=poll_timeout, mode=mode)
            changed = replace(
                settings,
                wechat=wechat,
                http=HttpSettings(("127.0.0.1", port)),
                telegram=telegram,
            )
            if wecom is None:
                return changed
            on_wecom = WeComSettings(CORP_ID, AGENT_ID, "/wecom", wecom.base_url)
            return replace(changed, wecom=on_wecom, org=WECOM_ORG)

        w = await stack.enter_async_context(
            world(
                database_url,
                cache_dir,
                clock=clock,
                change=change,
                wechat_secrets=SECRETS,
                wecom_secrets=WECOM if wecom else None,
                people={} if wecom else None,
            )
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
        wecom_caller = None
        if wecom is not None:
            wecom_caller = await stack.enter_async_context(
                CallbackDriver(
                    f"http://127.0.0.1:{port}/wecom",
                    token=WECOM.token,
                    mode="wecom",
                    encoding_aes_key=WECOM.encoding_aes_key,
                    receive_id=CORP_ID,
                    retry_interval=0.2,
                )
            )
        yield WeChatWorld(w, wx, tencent, itertools.count(24_000_000_001), wecom, wecom_caller)
