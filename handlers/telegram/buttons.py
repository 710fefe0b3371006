"""Every button press goes to the desk as its raw data; the answer is shown at once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE


def button_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """One handler for all presses, bound to ``desk``."""

    async def press(update: Update, _: Context) -> None:
        query, actor = update.callback_query, actor_of(update)
        if query is None or actor is None:
            return
        answer = await desk.press(actor, query.data, update.update_id)
        await query.answer(answer.text or None, show_alert=answer.alert)

    return [CallbackQueryHandler(press)]
