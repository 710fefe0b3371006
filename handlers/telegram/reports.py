"""Report handlers: /stats, the figures of the chat's grid, community or street."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.desk.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE


def report_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """The handlers for reports, bound to ``desk``; the desk decides the scope from the chat."""

    async def stats(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.reports.stats(actor, update.update_id)

    return [CommandHandler("stats", stats)]
