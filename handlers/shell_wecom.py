"""``griddesk shell --wecom``: the grid workers as members of the WeCom (企业微信) self-built app.

Why it exists: handlers/shell.py plays everyone on the Telegram stand-in; with ``--wecom`` the
organisation's people are WeCom members instead, where nothing works like a Telegram group —
each member has only their own chat with the app, a unit's card goes to every member of the
unit as a template card, one member's press changes that card for all of them
(``update_template_card``), and presses and messages reach the bot only as WeCom's encrypted
calls to its callback. This module is that side of the shell: the WeCom API stand-in
(:class:`~standins.wecom.WeComStandIn`) receives what the bot sends the members and plays their
presses and messages, Tencent's caller (:class:`~standins.tencent_callbacks.CallbackDriver`,
WeCom mode) brings them to the bot's ``/wecom`` callback, and what a member's chat with the app
shows — texts, images (a resident's photo goes just before its card, as a line with its size),
and cards as they look now — is turned into printouts for the shell
(:meth:`WeComMembers.unseen`), one member at a time.

The config's people become members as ``tests/wechat_world.py`` makes them: a Telegram user
2001 is ``wecom:u2001``, a unit chat -1001000000011 is ``wecom:g1001000000011``; people and
units already on WeCom stay as they are. The CorpID, Secret, Token and EncodingAESKey below are
the local stand-in's, not secrets: nothing here talks to Tencent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from bot.app import RunningBot
from bot.channels import Channel, address, parse
from bot.config.org import Org
from bot.config.serving import HttpSettings
from bot.config.settings import Settings
from bot.config.wecom import WeComSecrets, WeComSettings
from bot.domain import UnitKind
from handlers.shell_wechat import settle
from standins.balancer import free_port
from standins.tencent_callbacks import CallbackDriver, Delivery
from standins.wecom import Card, WeComStandIn

CORP_ID = "wwgriddeskshell01"
AGENT_ID = 1000002
SECRETS = WeComSecrets(
    secret="griddesk-shell-wecom-app-secret-01",
    token="griddeskShellWeCom",
    encoding_aes_key="shellWeComStandIn0123456789abcdefghijklmnop",
)
"""The stand-in app's credentials: the shell's own, known to nobody else."""
CALLBACK_PATH = "/wecom"
HOST = "127.0.0.1"
_BODY_SHOWN = 80
"""Characters of a refusing answer shown on its one line."""

# --- what the shell itself says on the WeCom side ----------------------------------------------
WELCOME = (
    "网格通试用台 — 你现在是居民{name}（在 Telegram 上）；网格员们用企业微信的应用。"
    "直接输入问题试试。输入 /shell 查看说明。"
)
WELCOME_WECHAT = (
    "网格通试用台 — 你现在是居民{name}，刚在微信上关注了公众号；网格员们用企业微信的应用，"
    "没有 Telegram。直接输入问题试试。输入 /shell 查看说明。"
)
HELP = """\
  企业微信上（如 /as 张三）：应用发给他的消息和卡片显示在“张三的企业微信”下，只显示当前这个人的；
    卡片变了（有人认领、上报了）会再显示一次，标明（更新）
  数字 N       按下他最近一次显示的卡片上编号为 [N] 的按钮
  其他文字     他发给应用的消息，如办结后写的办理结果、/mine、/tasks
  /cards       再显示一遍他还能按按钮的卡片"""
CHAT = "{name}的企业微信"
ONLY_CHAT = "（{name}在企业微信上只有和应用的这一个聊天：{chat}）"
CARD = "【卡片】{title}"
IMAGE = "【图片】{size}"
ROW = "{key}：{value}"
GREYED = "  （按钮已变灰：{text}）"
CARDS_NOW = "（{chat}里没有新消息；{name}还能按按钮的卡片现在是这样：）"
NO_CARDS = "（{chat}里没有还能按按钮的卡片。）"
CARD_CHANGED = "（这张卡片已经变了，“{label}”现在按不了；再看一遍：/cards）"
NOT_DELIVERED = "（企业微信没能把这次操作送到机器人：{why}。可以接着输入。）"
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeComButton:
    """A card's button as printed: whose card (the member's name), which card, its key."""

    member: str
    task_id: str
    key: str
    label: str


@dataclass(frozen=True)
class Shown:
    """One message of a member's chat with the app to print: its lines and its buttons, which
    the shell numbers; ``updated``: a card printed before, shown again as it looks now."""

    text: str
    buttons: tuple[WeComButton, ...] = ()
    updated: bool = False


class WeComMembers:
    """The organisation's people as members of the app: their presses and messages to the
    bot, and what their chats with the app show (:meth:`unseen`)."""

    def __init__(self, wecom: WeComStandIn, caller: CallbackDriver, userids: dict[str, str]):
        """``userids``: each person's WeCom UserID, by name."""
        self._wecom = wecom
        self._caller = caller
        self._userids = userids
        self._shown: dict[str, int] = dict.fromkeys(userids, 0)
        """How many of each member's messages were printed."""
        self._faces: dict[tuple[str, str], Shown] = {}
        """Each printed card, as it was printed, by (member's name, task_id)."""

    @property
    def names(self) -> list[str]:
        return list(self._userids)

    def chat_name(self, name: str) -> str:
        return CHAT.format(name=name)

    def unseen(self, name: str) -> list[Shown]:
        """What changed in ``name``'s chat with the app since the last call, in the order it
        happened: cards printed before that look different now, and new messages, cards as
        they look now."""
        userid = self._userids[name]
        happened: list[tuple[int, Shown]] = []
        for card in self._wecom.cards(userid):
            before = self._faces.get((name, card.task_id))
            if before is not None and before != (now := self._card(name, card)):
                self._faces[name, card.task_id] = now
                happened.append((card.updated_at or card.sent_at, replace(now, updated=True)))
        messages = self._wecom.messages(userid)
        for message in messages[self._shown[name] :]:
            if message.image is not None:
                happened.append((message.at, Shown(IMAGE.format(size=_size(len(message.image))))))
            elif message.task_id is None:
                happened.append((message.at, Shown(message.content or "")))
            elif (name, message.task_id) not in self._faces:
                now = self._card(name, self._wecom.card(userid, message.task_id))
                self._faces[name, message.task_id] = now
                happened.append((message.at, now))
        self._shown[name] = len(messages)
        happened.sort(key=lambda item: item[0])  # stable: a change before what it caused
        return [shown for _, shown in happened]

    def pressable(self, name: str) -> list[Shown]:
        """``name``'s cards whose buttons can still be pressed, as they look now (each counts
        as printed so)."""
        shown = []
        for card in self._wecom.cards(self._userids[name]):
            now = self._card(name, card)
            self._faces[name, card.task_id] = now
            if now.buttons:
                shown.append(now)
        return shown

    def _card(self, name: str, card: Card) -> Shown:
        face = card.face
        lines = [CARD.format(title=face.title)]
        lines += [ROW.format(key=key, value=value) for key, value in face.rows]
        lines += face.desc.splitlines() if face.desc else []
        if face.replace_text is not None:
            lines.append(GREYED.format(text=face.replace_text))
            return Shown("\n".join(lines))
        buttons = tuple(
            WeComButton(name, card.task_id, button.key, button.text)
            for button in face.buttons
            if button.key is not None
        )
        return Shown("\n".join(lines), buttons)

    def can_press(self, button: WeComButton) -> bool:
        """Whether the button is on the member's card as it looks now."""
        card = self._wecom.card(self._userids[button.member], button.task_id)
        return button.key in card.face.keys

    async def press(self, bot: RunningBot, button: WeComButton) -> str | None:
        """The member presses ``button``; None, or the one line saying why it did not reach
        the bot."""
        xml = self._wecom.press(self._userids[button.member], button.task_id, button.key)
        return await self._deliver(bot, xml)

    async def says(self, bot: RunningBot, name: str, text: str) -> str | None:
        """``name`` writes ``text`` to the app; None, or why it did not reach the bot."""
        return await self._deliver(bot, self._wecom.member_says(self._userids[name], text))

    async def _deliver(self, bot: RunningBot, xml: str) -> str | None:
        delivery = await self._caller.post(xml)
        if delivery.outcome not in ("success", "empty"):
            return NOT_DELIVERED.format(why=_why(delivery))
        await settle(bot)
        return None


def _size(length: int) -> str:
    """A file's size as the shell prints it: bytes, KB or MB."""
    if length < 1024:
        return f"{length} B"
    if length < 1024 * 1024:
        return f"{length / 1024:.1f} KB"
    return f"{length / 1024 / 1024:.1f} MB"


def _why(delivery: Delivery) -> str:
    """Why a call did not get through: the answer's problem, or the last try's error."""
    if delivery.problem:
        return delivery.problem
    last = delivery.attempts[-1]
    return last.error or f"HTTP {last.status} {last.body[:_BODY_SHOWN]}".strip()


def on_wecom(org: Org) -> Org:
    """``org`` with everyone on WeCom: Telegram user 2001 as ``wecom:u2001``, the unit chat
    -1001000000011 as ``wecom:g1001000000011``; what is on WeCom already stays."""
    units = [
        replace(unit, chat_id=_moved(unit.chat_id, "g"))
        for kind in UnitKind
        for unit in org.units(kind)
    ]
    people = [
        replace(person, user_id=_moved(person.user_id, "u")) for person in org.people.values()
    ]
    return Org(units, people)


def _moved(address_: str, prefix: str) -> str:
    channel, external = parse(address_)
    if channel is Channel.WECOM:
        return address_
    return address(Channel.WECOM, prefix + external.lstrip("-"))


@asynccontextmanager
async def wecom_members(
    settings: Settings,
    clock: Callable[[], datetime],
    listen: tuple[str, int] | None = None,
) -> AsyncIterator[tuple[Settings, WeComMembers]]:
    """``settings`` with the organisation on WeCom (:func:`on_wecom`) and ``[wecom]`` on the
    stand-in, its callback served on ``listen`` (default: a free local port), and the members,
    while the stand-in and WeCom's caller run. The config's own ``[wecom]`` is not used."""
    org = on_wecom(settings.require_org())
    host, port = listen or (HOST, free_port())
    async with AsyncExitStack() as stack:
        wecom = await stack.enter_async_context(
            WeComStandIn(CORP_ID, SECRETS.secret, AGENT_ID, clock=lambda: clock().timestamp())
        )
        userids: dict[str, str] = {}
        for person in org.people.values():
            userid = parse(person.user_id)[1]
            wecom.add_member(userid, person.name)
            userids[person.name] = userid
        caller = await stack.enter_async_context(
            CallbackDriver(
                f"http://{host}:{port}{CALLBACK_PATH}",
                token=SECRETS.token,
                mode="wecom",
                encoding_aes_key=SECRETS.encoding_aes_key,
                receive_id=CORP_ID,
                retry_interval=0.2,
            )
        )
        on_app = WeComSettings(CORP_ID, AGENT_ID, CALLBACK_PATH, wecom.base_url)
        changed = replace(settings, wecom=on_app, org=org, http=HttpSettings((host, port)))
        yield changed, WeComMembers(wecom, caller, userids)
