"""Every button press goes to the desk as its raw data; the answer is shown at once."""

from __future__ import annotations

import logging
import re

from telegram import MaybeInaccessibleMessage, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.desk.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger(__name__)
_TOO_OLD = re.compile(r"query is too old|query id is invalid", re.IGNORECASE)


def button_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """One handler for all presses, bound to ``desk``."""

    async def press(update: Update, _: Context) -> None:
        query, actor = update.callback_query, actor_of(update)
        if query is None or actor is None:
            return
        answer = await desk.press(actor, query.data, update.update_id)
        try:
            await query.answer(answer.text or None, show_alert=answer.alert)
        except BadRequest as exc:
            # A press handled late (after a restart, behind a backlog) can no longer be
            # answered: Telegram refuses queries older than about 15 s. The desk's work is
            # done; only the toast is lost, so this is no reason to fail and retry the update.
            if not _TOO_OLD.search(exc.message):
                raise
            log.info("press %s not answered: %s", query.id, exc.message)
        message = query.message
        if message is not None and await desk.superseded_card(
            actor, query.data, message.message_id, _buttons_on(message)
        ):
            await _take_down(message)

    return [CallbackQueryHandler(press)]


def _buttons_on(message: MaybeInaccessibleMessage) -> frozenset[str]:
    """The callback data of the pressed message's own buttons, as Telegram reports them (an
    inaccessible message, over 48 hours old, reports none)."""
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return frozenset()
    return frozenset(
        button.callback_data
        for row in markup.inline_keyboard
        for button in row
        if isinstance(button.callback_data, str)
    )


async def _take_down(message: MaybeInaccessibleMessage) -> None:
    """Delete an old copy of a card (best effort: a message over 48 h old stays)."""
    try:
        await message.get_bot().delete_message(message.chat.id, message.message_id)
    except TelegramError as exc:
        log.info(
            "old card copy %d in chat %d not deleted: %s", message.message_id, message.chat.id, exc
        )
