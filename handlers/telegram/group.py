"""Group handlers: /tasks (the unit's open tasks) and /mine (a worker's own, anywhere)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE


def group_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """The handlers for workers' commands, bound to ``desk``."""

    async def tasks(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.work.open_tasks(actor, update.update_id)

    async def mine(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.work.my_work(actor, update.update_id)

    return [CommandHandler("tasks", tasks), CommandHandler("mine", mine)]
