"""Every button press goes to the desk as its raw data; the answer is shown at once.

The press is answered (``answerCallbackQuery``, no chat's rate limit) and nothing else is sent
from here: an old copy of a card is taken down through the outbox, so a press never waits on a
group's limit, and neither does any update behind it.
"""

from __future__ import annotations

import logging
import re

from telegram import MaybeInaccessibleMessage, Message, Update
from telegram.error import BadRequest
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
        message = query.message
        if message is not None:
            await desk.take_down_old_copy(
                actor, query.data, message.message_id, _buttons_on(message)
            )
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
