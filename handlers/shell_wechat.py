"""``griddesk shell --wechat``: the resident 王阿姨 as a follower of the WeChat Official Account.

Why it exists: handlers/shell.py plays everyone on the Telegram stand-in; with ``--wechat`` the
resident lives on WeChat instead, where nothing works like Telegram — no buttons (choices come
as numbered lines she answers by typing the number), a 48-hour customer-service window and its
quota, template messages beyond it, and messages that reach the bot only as Tencent's signed,
encrypted calls to its callback. This module is that side of the shell, kept out of the
Telegram one: the WeChat API stand-in (:class:`~standins.wechat.WeChatStandIn`) receives what
the bot sends her, Tencent's caller (:class:`~standins.tencent_callbacks.CallbackDriver`, safe
mode) brings her follow and her lines to the bot's callback on its HTTP server, and what WeChat
delivered to her is turned into lines for the shell to print. The workers stay on Telegram, or
are on WeCom with ``--wecom`` (:mod:`handlers.shell_wecom`).

The AppID, AppSecret, Token and EncodingAESKey below are the local stand-in's, not secrets:
nothing here talks to Tencent.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace
from datetime import datetime

from bot.app import RunningBot
from bot.config.serving import HttpSettings
from bot.config.settings import Settings
from bot.config.wechat import NoticeTemplate, WeChatSecrets, WeChatSettings
from handlers.tencent.xml import XmlValue
from standins.balancer import free_port
from standins.tencent_callbacks import CallbackDriver, Delivery
from standins.wechat import Delivered, WeChatStandIn

APP_ID = "wx5eed0000c0ffee01"
SECRETS = WeChatSecrets(
    app_secret="2fbc741fcc6bc7b3c604a390b34552dd",
    token="griddeskShellToken",
    encoding_aes_key="shellStandIn0123456789abcdefghijklmnopqrstu",
)
"""The stand-in account's credentials: the shell's own, known to nobody else."""
ACCOUNT = "gh_griddeskshell"
"""The account's original id, which WeChat puts in ``ToUserName``."""
OPENID = "oGriddeskShell00WangAyi00001"
"""王阿姨's OpenID with the account."""
TEMPLATE = NoticeTemplate(
    "TPL_shell_progress_01", "character_string1", "thing2", remark="thing3", time="time4"
)
"""The notice template (进度通知) when the config sets up none."""
CALLBACK_PATH = "/wechat"
HOST = "127.0.0.1"
_BODY_SHOWN = 80
"""Characters of a refusing answer shown on its one line."""

# --- what the shell itself says on the WeChat side ---------------------------------------------
WELCOME = (
    "网格通试用台 — 你现在是居民{name}，刚在微信上关注了公众号（网格员们用 Telegram）。"
    "直接输入问题试试。输入 /shell 查看说明。"
)
HELP = """\
  微信上的{name}：选项是编号的文字，输入数字就是她回复的这个数字（不是按按钮）"""
CHAT = "{name}的微信"
ONLY_CHAT = "（{name}在微信上只有和公众号的这一个聊天：{chat}）"
TEMPLATE_MESSAGE = "【模板消息】"
FIELD = "{label}：{value}"
FIELD_LABELS = {"number": "工单编号", "summary": "进度", "remark": "备注", "time": "时间"}
"""The template's fields by role (:class:`~bot.config.wechat.NoticeTemplate`)."""
NOT_SENT = "（微信发不出这条消息（{why}）。可以接着输入。）"
NOT_DELIVERED = "（微信没能把这条消息送到机器人：{why}。可以接着输入。）"
# ------------------------------------------------------------------------------------------------


class WeChatResident:
    """The resident on WeChat: her follow and messages to the bot, and what WeChat delivered
    to her (:meth:`unseen`)."""

    def __init__(
        self,
        name: str,
        wx: WeChatStandIn,
        tencent: CallbackDriver,
        clock: Callable[[], datetime],
        template: NoticeTemplate,
    ) -> None:
        self.name = name
        self.chat_name = CHAT.format(name=name)
        self._wx = wx
        self._tencent = tencent
        self._clock = clock
        self._labels = {
            getattr(template, role): label
            for role, label in FIELD_LABELS.items()
            if getattr(template, role) is not None
        }
        self._shown = 0
        # WeChat's MsgIds are unique for good; from the time, so a --database kept between
        # sessions never takes a new message for a retry of an old one
        self._msg_ids = itertools.count(time.time_ns() // 1000)

    async def follow(self, bot: RunningBot) -> str | None:
        """She follows the account (the ``subscribe`` event); None, or why it did not arrive."""
        self._wx.subscribe(OPENID)
        return await self._deliver(bot, {"MsgType": "event", "Event": "subscribe"})

    async def says(self, bot: RunningBot, text: str) -> str | None:
        """She writes ``text`` (a number too: WeChat has no buttons), which opens her window."""
        self._wx.user_message(OPENID)
        fields: dict[str, XmlValue] = {
            "MsgType": "text",
            "Content": text,
            "MsgId": next(self._msg_ids),
        }
        return await self._deliver(bot, fields)

    def unseen(self) -> list[str]:
        """What WeChat delivered to her since the last call, one text per message."""
        sent = self._wx.sent_to(OPENID)
        new, self._shown = sent[self._shown :], len(sent)
        return [self._words(message) for message in new]

    async def _deliver(self, bot: RunningBot, fields: dict[str, XmlValue]) -> str | None:
        """Tencent's call with ``fields``, then until the bot has handled it and sent its
        answers; None, or the one line saying why it did not arrive."""
        message: dict[str, XmlValue] = {
            "ToUserName": ACCOUNT,
            "FromUserName": OPENID,
            "CreateTime": int(self._clock().timestamp()),
            **fields,
        }
        try:
            delivery = await self._tencent.post(message)
        except ValueError as exc:  # e.g. more than WeChat carries in one message
            return NOT_SENT.format(why=exc.__cause__ or exc)
        if delivery.outcome not in ("success", "empty"):
            return NOT_DELIVERED.format(why=_why(delivery))
        await settle(bot)
        return None

    def _words(self, sent: Delivered) -> str:
        if sent.kind == "msgmenu":
            items = [f"{item.id}. {item.content}" for item in sent.menu]
            return "\n".join(line for line in [sent.text, *items, sent.tail] if line)
        if sent.kind == "template":
            fields = [
                FIELD.format(label=self._labels.get(field, field), value=value)
                for field, value in sent.data.items()
            ]
            return TEMPLATE_MESSAGE + "\n".join(fields)
        return sent.content


def _why(delivery: Delivery) -> str:
    """Why a call did not get through: the answer's problem, or the last try's error."""
    if delivery.problem:
        return delivery.problem
    last = delivery.attempts[-1]
    return last.error or f"HTTP {last.status} {last.body[:_BODY_SHOWN]}".strip()


async def settle(bot: RunningBot) -> None:
    """Until every stored message is handled and the outbox has sent what it wrote."""
    async with bot.store.transaction() as tx:
        waiting = await tx.unprocessed_updates(1000)
    for update_id, _ in waiting:  # Telegram's and the inbox's ids are numbered apart
        await bot.telegram.inbox.processed(update_id)
    await bot.telegram.outbox.settled()


@asynccontextmanager
async def wechat_resident(
    settings: Settings, clock: Callable[[], datetime], name: str
) -> AsyncIterator[tuple[Settings, WeChatResident]]:
    """``settings`` with ``[wechat]`` on the stand-in (its callback on a free local port), and
    the resident ``name``, while the stand-in and Tencent's caller run. The config's own
    ``[wechat]`` lends its ``menus`` and notice template, if any; its account is not used."""
    configured = settings.wechat
    template = (configured.notice_template if configured else None) or TEMPLATE
    port = free_port()
    async with AsyncExitStack() as stack:
        wx = await stack.enter_async_context(
            WeChatStandIn(
                APP_ID,
                SECRETS.app_secret,
                templates=[template.template_id],
                clock=lambda: clock().timestamp(),
            )
        )
        tencent = await stack.enter_async_context(
            CallbackDriver(
                f"http://{HOST}:{port}{CALLBACK_PATH}",
                token=SECRETS.token,
                mode="safe",
                encoding_aes_key=SECRETS.encoding_aes_key,
                receive_id=APP_ID,
                retry_interval=0.2,
            )
        )
        menus = configured.menus if configured else False
        wechat = WeChatSettings(APP_ID, CALLBACK_PATH, wx.base_url, menus, template)
        changed = replace(settings, wechat=wechat, http=HttpSettings((HOST, port)))
        yield changed, WeChatResident(name, wx, tencent, clock, template)
