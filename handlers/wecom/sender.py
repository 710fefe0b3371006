"""Sending outbox messages to WeCom members through the app, cards included.

A WeCom chat is one of two things (:mod:`bot.config.wecom`): a member's own chat with the app
(the person's address, ``wecom:zhangsan``), or a unit's (``wecom:<its name>``), which reaches
each of the unit's WeCom members in their own chat with the app — WeCom cannot put a card with
buttons into a group chat. A unit with no WeCom member cannot be reached, which the outbox
records as for a chat the bot was removed from.

A message with buttons, or a task's card, goes as a template card (:mod:`handlers.wecom.cards`)
recorded in ``platform_cards`` (its row id is the message id the outbox keeps). Changing it
takes the single-use code WeCom handed out with the send or with the last press
(``update_template_card``, for everyone who got it); with no usable code left (used, or older
than 72 hours) the change goes out as a new card, as an edit of a message that is gone does on
Telegram. Anything else is a text message. Nothing sent through an app is taken back: a
deletion counts as done.

Neither a template card nor a text carries a photo, so a new card or a text with one (a WeChat
resident's, kept in the database as ``media:<id>``, :func:`bot.ports.kept_photo`: the card's
photo, the claimer's copies of the task's other photos) is preceded by the photo as an image
message to the same members: read from the store, uploaded as a temporary image
(``media/upload``) and sent (``msgtype: image``) just before it, so it sits above its card or
caption in each chat. The photo is what the members need to judge the task, never a
condition for the message: one that cannot go is left out and the card or text goes alone — a
kept photo that is gone (erased with the resident) or a platform's file id (a Telegram
resident's, which cannot be fetched here) with an INFO line, a photo WeCom refuses (its upload
or its image message: :class:`~handlers.wecom.api.Refused`) with a WARNING. A transient failure
(the database busy, WeCom busy or unreachable, a quota) raises as any other send does, before
the card or text went, and the outbox tries the whole again: a retry after the image went shows
it twice, never not at all. The media_id is not kept: a photo goes with its message once, and
it lives three days.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.channels import Channel, address, parse
from bot.config.org import Org
from bot.domain import Outgoing
from bot.errors import ChatUnreachable, Undeliverable
from bot.ports import PlatformCard, Store, kept_media_id
from bot.sending.photos import read_kept_photo
from handlers.wecom.api import CardExpired, Refused, WeComApi
from handlers.wecom.cards import Drawn, template_card

log = logging.getLogger(__name__)

CODE_LIFE = timedelta(hours=72)
"""How long a ``response_code`` may change its card (Doc 94888)."""
NO_MESSAGE_ID = 0
"""What a text message is known by: nothing here can change or take it back later."""


class WeComSender:
    """A :class:`~bot.ports.Sender` for ``wecom:`` chats."""

    def __init__(
        self, api: WeComApi, store: Store, org: Org, clock: Callable[[], datetime]
    ) -> None:
        self._api = api
        self._store = store
        self._org = org
        self._clock = clock

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        if message.delete_message_id is not None:
            return NO_MESSAGE_ID  # nothing an app sent is taken back: done, whoever it went to
        users = self.recipients(message.chat_id)
        drawn = Drawn(
            message.text, tuple((b.text, b.action) for row in message.buttons for b in row)
        )
        is_card = bool(drawn.buttons) or message.card_of is not None
        if edit_message_id is not None:
            async with self._store.transaction() as tx:
                card = await tx.platform_card(edit_message_id)
            if card is not None and await self._change(card, drawn, before_request):
                return card.card_id
            return await self._new_card(message.chat_id, users, drawn, before_request, None)
        if not is_card:
            media_id = await self._upload(message.photo) if message.photo else None
            if before_request is not None:
                await before_request()
            await self._send_image(message.chat_id, users, media_id)
            self._note_missing(message.chat_id, await self._api.send_text(users, message.text))
            return NO_MESSAGE_ID
        media_id = await self._upload(message.photo) if message.photo else None
        return await self._new_card(message.chat_id, users, drawn, before_request, media_id)

    def recipients(self, chat_id: str) -> list[str]:
        """The WeCom UserIDs a message to ``chat_id`` goes to (see the module doc)."""
        channel, target = parse(chat_id)
        if channel != Channel.WECOM:
            raise Undeliverable(f"not a WeCom chat: {channel}")
        unit = self._org.unit_by_chat(chat_id)
        if unit is None:
            return [target]  # a member's own chat
        users = [parse(person.user_id)[1] for person in self._org.members(unit.ref)
                 if parse(person.user_id)[0] == Channel.WECOM]  # fmt: skip
        if not users:
            raise ChatUnreachable(f"{unit.name} has no WeCom member to send to")
        return users

    async def _new_card(
        self,
        chat_id: str,
        users: Sequence[str],
        drawn: Drawn,
        before_request: Callable[[], Awaitable[None]] | None,
        media_id: str | None,
    ) -> int:
        """Send a new card, after the image uploaded as ``media_id`` when there is one.

        A change that has to go out as a new card (its code spent or too old) passes no image:
        the members have the photo already, above the card that went first, and sending it
        again with every such change would repeat it in their chats and spend their per-member
        limit (30 messages a minute, Doc 90236) and the app's daily quota on what they have.
        """
        task_key = f"gd-{uuid.uuid4().hex}"
        async with self._store.transaction() as tx:
            card_id = await tx.new_platform_card(
                Channel.WECOM, chat_id, task_key, drawn.dumps(), self._clock()
            )
        if before_request is not None:
            await before_request()
        await self._send_image(chat_id, users, media_id)
        sent = await self._api.send_card(users, template_card(task_key, drawn))
        self._note_missing(chat_id, sent.invalid_users)
        async with self._store.transaction() as tx:
            code = sent.response_code or None  # none answered: the next change sends anew
            await tx.update_platform_card(
                card_id, response_code=code, coded_at=self._clock() if code else None
            )
        return card_id

    async def _change(
        self,
        card: PlatformCard,
        drawn: Drawn,
        before_request: Callable[[], Awaitable[None]] | None,
    ) -> bool:
        """Change ``card`` for everyone who got it; False when no code may change it now."""
        code, coded_at = card.response_code, card.coded_at
        if code is None or coded_at is None or self._clock() - coded_at >= CODE_LIFE:
            return False
        async with self._store.transaction() as tx:  # the code is spent whatever WeCom says
            await tx.update_platform_card(card.card_id, response_code=None, coded_at=None)
        if before_request is not None:
            await before_request()
        try:
            await self._api.update_card(code, template_card(card.task_key, drawn))
        except CardExpired as exc:
            log.info("card %d could not be changed (%s); sent anew", card.card_id, exc)
            return False
        async with self._store.transaction() as tx:
            await tx.update_platform_card(
                card.card_id, response_code=None, coded_at=None, content=drawn.dumps()
            )
        return True

    async def _send_image(self, chat_id: str, users: Sequence[str], media_id: str | None) -> None:
        """The image uploaded as ``media_id`` (none: nothing), just before the message it goes
        with; refused, that message goes without it."""
        if media_id is None:
            return
        try:
            await self._api.send_image(users, media_id)  # who missed it: the message says
        except Refused as exc:
            log.warning("WeCom refused the photo for %s (%s); the message goes without it",
                        chat_id, exc)  # fmt: skip

    async def _upload(self, photo: str) -> str | None:
        """The media_id of ``photo`` uploaded to WeCom; None when it cannot go (see the module
        doc). Raises what is transient: the outbox tries again."""
        media_id = kept_media_id(photo)
        if media_id is None:
            log.info("photo %s is not kept here (a platform's file id): the message goes to "
                     "WeCom without it", photo)  # fmt: skip
            return None
        kept = await read_kept_photo(self._store, media_id)
        if kept is None:
            log.info("photo %s is no longer kept (erased): the message goes without it", photo)
            return None
        try:
            return await self._api.upload_image(kept.content, kept.filename, kept.mime)
        except Refused as exc:
            log.warning("WeCom refused photo %s (%s); the message goes without it", photo, exc)
            return None

    def _note_missing(self, chat_id: str, invalid: Sequence[str]) -> None:
        """Members WeCom did not deliver to: not in the corp, or outside the app's visible
        range. The others got it; an operator must fix the app's range or the config."""
        if invalid:
            missing = ", ".join(address(Channel.WECOM, user) for user in invalid)
            log.warning("WeCom did not deliver to %s (in %s): not members the app can see",
                        missing, chat_id)  # fmt: skip
