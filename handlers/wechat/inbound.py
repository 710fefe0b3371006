"""A resident's WeChat message, as stored by the callback, turned into the desk's calls.

What a 公众号 brings, and what becomes of it:

- ``text``: a command typed as on Telegram (``/my``, ``/cancel 20261122-0017``, …), the answer
  to choices offered earlier (a number, a choice's own words, or a ``msgmenu`` tap, which WeChat
  sends back as text with ``bizmsgmenuid``) as the press it stands for, or else the resident's
  words, as a private message;
- ``voice``: WeChat's recognition of it (``Recognition``, when 语音识别 is switched on in the
  console) as words; without one, the resident is asked to type;
- ``location``: its place name (``Label``) as words, the way a resident would type it;
- ``image``: fetched from WeChat at once (``MediaId``; WeChat keeps it 3 days) and kept in the
  database, then handed on as a Telegram photo is, as ``media:<id>``; fetching it again later
  is never needed. Trouble that passes (WeChat busy, a quota, no answer) fails the handling,
  and the inbox tries again; a photo WeChat no longer has (or will never give) is answered
  with a kind word asking the resident to send it again;
- ``subscribe`` (a new follower): the welcome, as ``/start``; a custom-menu ``CLICK`` with key
  ``MY``, ``HELP``, ``START`` or ``FORGET``: that command;
- anything else (video, link, file, unfollow, the periodic location report): nothing to do,
  or a kind word that it cannot be read.

A press's answer is a toast on Telegram; WeChat has none, and every message to a resident
counts against a small quota, so only an answer that matters (an alert: "this button has
expired", "not yours") is sent as a message.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Mapping, Sequence

from bot import texts
from bot.channels import Channel, address
from bot.desk.context import Actor, mark_processed
from bot.desk.desk import Desk
from bot.domain import Outgoing
from bot.errors import Undeliverable
from bot.ports import Store, kept_photo
from handlers.tencent.xml import sent_at
from handlers.wechat.api import WeChatApi

log = logging.getLogger(__name__)

MENU_KEYS = ("MY", "HELP", "START", "FORGET")
"""The custom-menu keys (自定义菜单 ``click`` buttons) that stand for commands."""


class WeChatResidents:
    """Hands each stored WeChat message to the desk (see the module doc); ``api`` fetches the
    photos residents send."""

    def __init__(self, desk: Desk, store: Store, api: WeChatApi) -> None:
        self._desk = desk
        self._store = store
        self._api = api

    async def handle(self, update_id: int, raw: str) -> None:
        fields: dict[str, str] = json.loads(raw)
        actor = actor_of(fields)
        kind = fields.get("MsgType", "")
        if kind == "text":
            await self._text(actor, fields, update_id)
        elif kind == "voice":
            if words := fields.get("Recognition", "").strip():
                await self._words(actor, words, fields, update_id)
            else:
                await self._say(actor, texts.WECHAT_TYPE_PLEASE, update_id)
        elif kind == "location":
            label = fields.get("Label", "").strip()
            if label:
                await self._words(actor, label, fields, update_id)
        elif kind == "image":
            await self._photo(actor, fields, update_id)
        elif kind == "event":
            await self._event(actor, fields, update_id)
        elif kind in {"video", "shortvideo", "link", "file"}:
            await self._say(actor, texts.WECHAT_NOT_SUPPORTED, update_id)

    async def _text(self, actor: Actor, fields: Mapping[str, str], update_id: int) -> None:
        text = fields.get("Content", "").strip()
        async with self._store.transaction() as tx:
            offered = await tx.offered_choices(actor.chat_id)
        choice = chosen(text, fields.get("bizmsgmenuid", ""), offered)
        if choice is not None:
            answer = await self._desk.press(actor, choice, update_id)
            if answer.alert and answer.text and not answer.repeats_a_message:
                async with self._store.transaction() as tx:
                    await tx.enqueue(Outgoing(actor.chat_id, answer.text))
            return
        if text.startswith("/"):
            await self._command(actor, text, update_id)
            return
        await self._words(actor, text, fields, update_id)

    async def _command(self, actor: Actor, text: str, update_id: int) -> None:
        """A command typed as on Telegram, which the help text names."""
        command, _, argument = text.partition(" ")
        intake, desk = self._desk.intake, self._desk
        match command.lower():
            case "/start":
                await intake.start(actor, update_id)
            case "/help":
                await intake.help(actor, update_id)
            case "/my":
                await desk.status.my_tasks(actor, update_id)
            case "/cancel":
                await desk.withdrawal.cancel(actor, argument.strip(), update_id)
            case "/forget":
                await desk.erasure.ask(actor, update_id)
            case "/login":
                await desk.login(actor, update_id)
            case _:
                await intake.unknown_command(actor, update_id)

    async def _event(self, actor: Actor, fields: Mapping[str, str], update_id: int) -> None:
        event = fields.get("Event", "").lower()
        if event == "subscribe":
            await self._desk.intake.start(actor, update_id)
        elif event == "click" and (key := fields.get("EventKey", "").upper()) in MENU_KEYS:
            await self._command(actor, f"/{key.lower()}", update_id)

    async def _words(
        self, actor: Actor, words: str, fields: Mapping[str, str], update_id: int
    ) -> None:
        await self._desk.private_message(actor, words, None, update_id, sent_at(fields))

    async def _photo(self, actor: Actor, fields: Mapping[str, str], update_id: int) -> None:
        """A photo, kept and handed on (module doc). A fetch that may work later raises
        (:class:`~bot.errors.TransientDeliveryError`, :class:`~bot.errors.RetryLater`): nothing
        was written, and the inbox handles the message again. Should the desk fail after the
        photo was kept, the retry keeps a second copy; the first, named by no task, goes with
        the old messages (:mod:`storage.erasure_rows`)."""
        try:
            content, content_type = await self._api.media(fields.get("MediaId", ""))
        except Undeliverable as refused:  # expired (UnknownMedia), or never a photo we can take
            log.info("a WeChat photo could not be fetched: %s", refused)
            await self._say(actor, texts.WECHAT_PHOTO_LOST, update_id)
            return
        async with self._store.transaction() as tx:
            media_id = await tx.keep_media(content, content_type, self._desk.context.clock())
        photo = kept_photo(media_id)
        await self._desk.private_message(actor, "", photo, update_id, sent_at(fields))

    async def _say(self, actor: Actor, text: str, update_id: int) -> None:
        """Tell the resident ``text``, marking the message handled in the same transaction."""
        async with self._store.transaction() as tx:
            await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)

    def apologise_to(self, raw: str) -> str | None:
        """The resident who wrote: a 公众号 chat is always one person's own."""
        try:
            sender = json.loads(raw).get("FromUserName", "")
        except (ValueError, AttributeError):
            return None
        return address(Channel.WECHAT, sender) if isinstance(sender, str) and sender else None


def actor_of(fields: Mapping[str, str]) -> Actor:
    """The resident who sent ``fields``: their OpenID is both them and their chat."""
    resident = address(Channel.WECHAT, fields["FromUserName"])
    return Actor(resident, resident, texts.WECHAT_RESIDENT)


def chosen(text: str, menu_id: str, offered: Sequence[tuple[str, str]]) -> str | None:
    """The button data a reply stands for, among the choices ``offered`` (label, data): a
    ``msgmenu`` tap's id, a number (full-width digits too), or a choice's own words; None when
    the reply is none of them."""
    if not offered:
        return None
    for candidate in (menu_id.strip(), unicodedata.normalize("NFKC", text).strip(" .。")):
        if candidate.isdecimal() and 1 <= int(candidate) <= len(offered):
            return offered[int(candidate) - 1][1]
    for label, data in offered:
        if text == label:
            return data
    return None
