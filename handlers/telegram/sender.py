"""The outbox's Telegram sender: an :class:`~bot.domain.Outgoing` becomes a Bot API call.

It translates python-telegram-bot's errors into :mod:`bot.errors`, so the dispatcher decides
about retries without knowing Telegram. The line it draws is whose fault a failure is:

- Telegram or the way to it, so it passes → transient: 429 → RetryLater; network errors,
  timeouts, 5xx, an answer that is not Telegram's JSON (a proxy's page) → TransientDeliveryError;
  and a refused token (401/404) too, because nothing is wrong with the message: it waits for
  the operator to fix the token rather than being lost.
- the chat → ChatUnreachable: any 403 (blocked, kicked, deactivated user, deleted group) and the
  400s that describe the chat, not the message ("chat not found", no rights to write there);
  they last until somebody changes the chat, and then the message could go.
- the message → Undeliverable: every other 400; a migrated group → ChatMoved.

Editing a card to what it already says ("message is not modified") counts as delivered; editing
one that is gone (deleted by an admin: "message to edit not found") posts it anew, so the card
stays visible, and returns the new message id for the dispatcher to remember. A deletion
(:attr:`~bot.domain.Outgoing.delete_message_id`) of a message already gone, or one Telegram no
longer lets the bot delete (over 48 hours old), counts as done, with an INFO line.

A photo kept in the database (``media:<id>``: a WeChat resident's, :func:`bot.ports.kept_photo`)
is uploaded from there each time it is posted; an edit changes the caption only and needs no
file. The ``file_id`` Telegram answers an upload with is not kept: a photo is posted a few times
at most (its card, the claimer's copy, a card posted anew), and a file id outliving the
erasure of the bytes would let the photo be sent again. A kept photo that is gone (erased) is
:class:`~bot.errors.Undeliverable`; a database too busy to read it, transient.

A send's ``before_request`` hook runs when the HTTP request is about to be written, after PTB's
rate limiter let it through (a group's message can wait there for seconds): the bot's requests
go through :class:`AnnouncingRequest`, which calls the hook the sender left in a context
variable for the task that sends.

PTB strips Telegram's "Bad Request: " prefix and capitalises the rest, so descriptions are
matched without regard to case.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    User,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels import telegram, telegram_id
from bot.domain import Outgoing
from bot.errors import (
    ChatMoved,
    ChatUnreachable,
    RetryLater,
    TransientDeliveryError,
    Undeliverable,
)
from bot.ports import Store, kept_media_id
from bot.sending.photos import read_kept_photo

log = logging.getLogger(__name__)

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096
_EDIT_GONE = ("message to edit not found", "message can't be edited")
_NO_TEXT = "there is no text in the message to edit"
"""A text edit of a photo message: the card was a photo and is to show none (erasure)."""
_DELETE_DONE = ("message to delete not found", "message can't be deleted")
"""deleteMessage refusals that leave nothing to do: gone already, or too old (48 hours)."""
_CHAT_UNREACHABLE = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "chat was deactivated",
    "user is deactivated",
    "bot was kicked",
    "bot is not a member",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "chat_restricted",
)
"""400 descriptions that are about the chat (gone, or closed to the bot), not the message."""

_BEFORE_REQUEST: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "griddesk_before_request", default=None
)
"""The hook of the send the current task is making (see :class:`AnnouncingRequest`)."""


class AnnouncingRequest(HTTPXRequest):
    """PTB's HTTP transport, calling the current send's ``before_request`` hook (once) just
    before its request is written — the moment from which the message may reach the chat."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if (hook := _BEFORE_REQUEST.get()) is not None:
            _BEFORE_REQUEST.set(None)  # a retry of the same send has nothing new to say
            await hook()
        return await super().do_request(*args, **kwargs)


class TelegramSender:
    """Sends through one PTB :class:`~telegram.Bot` (with its rate limiter).

    ``store`` is where kept photos are read from (see the module doc); without one, a message
    with such a photo is undeliverable.
    """

    def __init__(self, bot: Bot, store: Store | None = None) -> None:
        self.bot = bot
        self._store = store

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        announced = _BEFORE_REQUEST.set(before_request)
        try:
            return await self._send(message, edit_message_id)
        finally:
            _BEFORE_REQUEST.reset(announced)

    async def _deliver(self, message: Outgoing, edit_message_id: int | None) -> int:
        """One send or edit; an edit posts anew when the card is gone, or when it is a photo
        that is to show none now (a text edit of a photo is refused: it is taken down)."""
        try:
            return await self._call(message, edit_message_id)
        except BadRequest as exc:
            if edit_message_id is None:
                raise
            if _says(exc, _NO_TEXT) and not message.photo:
                if not await self._take_down(message.chat_id, edit_message_id):
                    return await self._recaption(message, edit_message_id)
            elif not _says(exc, *_EDIT_GONE):
                raise
        return await self._call(message, None)

    async def _send(self, message: Outgoing, edit_message_id: int | None) -> int:
        try:
            return await self._deliver(message, edit_message_id)
        except RetryAfter as exc:
            retry = exc.retry_after
            seconds = retry if isinstance(retry, int | float) else retry.total_seconds()
            raise RetryLater(seconds) from exc
        except ChatMigrated as exc:
            raise ChatMoved(telegram(exc.new_chat_id)) from exc
        except BadRequest as exc:
            if edit_message_id is not None and _says(exc, "message is not modified"):
                return edit_message_id
            if (gone := message.delete_message_id) is not None and _says(exc, *_DELETE_DONE):
                log.info("message %d in chat %s not deleted: %s", gone, message.chat_id,
                         exc.message)  # fmt: skip
                return gone
            if _says(exc, *_CHAT_UNREACHABLE):
                raise ChatUnreachable(exc.message) from exc
            raise Undeliverable(exc.message) from exc
        except Forbidden as exc:  # the bot may not write there (blocked, kicked): the chat's
            raise ChatUnreachable(exc.message) from exc
        except (TimedOut, NetworkError, InvalidToken) as exc:
            raise TransientDeliveryError(str(exc)) from exc
        except TelegramError as exc:
            if type(exc) is TelegramError:  # "Invalid server response": not Telegram's answer
                raise TransientDeliveryError(exc.message) from exc
            raise Undeliverable(exc.message) from exc  # Conflict, EndPointNotFound: our bug

    async def _take_down(self, chat: str, message_id: int) -> bool:
        """Delete a photo card that is to show no photo now (its task's photos were erased);
        False when Telegram will not (too old to delete)."""
        try:
            await self.bot.delete_message(telegram_id(chat), message_id)
        except BadRequest as exc:
            if _says(exc, *_DELETE_DONE[:1]):
                return True  # gone already
            log.warning("photo card %d in chat %s cannot be deleted (%s); its caption is "
                        "replaced, the photo stays", message_id, chat, exc.message)  # fmt: skip
            return False
        return True

    async def _recaption(self, message: Outgoing, edit_message_id: int) -> int:
        """The best left for a photo card Telegram will not delete: its words replaced."""
        await self.bot.edit_message_caption(
            telegram_id(message.chat_id), edit_message_id,
            caption=_cut(message.text, CAPTION_LIMIT), reply_markup=_markup(message),
        )  # fmt: skip
        return edit_message_id

    async def _call(self, message: Outgoing, edit_message_id: int | None) -> int:
        # PTB takes a str chat_id as a @username: the address must become Telegram's number
        chat_id = telegram_id(message.chat_id)
        if message.delete_message_id is not None:
            await self.bot.delete_message(chat_id, message.delete_message_id)
            return message.delete_message_id
        markup = _markup(message)
        if edit_message_id is not None:
            if message.photo:
                edited = await self.bot.edit_message_caption(
                    chat_id, edit_message_id, caption=_cut(message.text, CAPTION_LIMIT),
                    reply_markup=markup,
                )  # fmt: skip
            else:
                edited = await self.bot.edit_message_text(
                    _cut(message.text, TEXT_LIMIT), chat_id, edit_message_id,
                    reply_markup=markup,
                )  # fmt: skip
            return edited.message_id if isinstance(edited, Message) else edit_message_id
        if message.photo:
            sent = await self.bot.send_photo(
                chat_id, await self._photo(message.photo),
                caption=_cut(message.text, CAPTION_LIMIT), reply_markup=markup,
            )  # fmt: skip
        else:
            text = _cut(message.text, TEXT_LIMIT)
            sent = await self.bot.send_message(
                chat_id, text, reply_markup=markup, entities=_mentions(message, text)
            )
        return sent.message_id

    async def _photo(self, photo: str) -> str | InputFile:
        """What ``sendPhoto`` takes for ``photo``: Telegram's file id as it is, a kept photo's
        bytes as a file to upload."""
        media_id = kept_media_id(photo)
        if media_id is None:
            return photo
        if self._store is None:
            raise Undeliverable(f"photo {photo} is kept in the database, and no store was given")
        kept = await read_kept_photo(self._store, media_id)
        if kept is None:
            raise Undeliverable(f"photo {photo} is no longer kept")
        return InputFile(kept.content, filename=kept.filename)


def _says(error: TelegramError, *descriptions: str) -> bool:
    """Whether Telegram's description of ``error`` contains one of ``descriptions``."""
    text = error.message.lower()
    return any(description in text for description in descriptions)


def _markup(message: Outgoing) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.action) for b in row]
            for row in message.buttons
        ]
    )


def _mentions(message: Outgoing, text: str) -> list[MessageEntity] | None:
    """Each mentioned person's name in ``text`` as a text mention: it notifies them."""
    entities = []
    for user_id, name in message.mentions:
        start = text.find(name)
        if start < 0:
            continue
        offset = len(text[:start].encode("utf-16-le")) // 2  # Telegram counts UTF-16 units
        length = len(name.encode("utf-16-le")) // 2
        user = User(telegram_id(user_id), name, is_bot=False)
        entities.append(MessageEntity(MessageEntity.TEXT_MENTION, offset, length, user=user))
    return entities or None


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
