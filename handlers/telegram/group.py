"""Group handlers: /tasks (the unit's open tasks) and /mine (a worker's own, anywhere)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.channels import telegram
from bot.desk.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE


def group_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """The handlers for workers' commands, bound to ``desk``."""

    async def tasks(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.listings.open_tasks(actor, update.update_id)

    async def mine(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.listings.my_work(actor, update.update_id)

    async def migrated(update: Update, _: Context) -> None:
        """The service message of a group upgraded to a supergroup (seen in both chats)."""
        message = update.effective_message
        if message is None:
            return
        here = telegram(message.chat_id)
        if message.migrate_to_chat_id:
            await desk.chat_moved(here, telegram(message.migrate_to_chat_id), update.update_id)
        elif message.migrate_from_chat_id:
            await desk.chat_moved(telegram(message.migrate_from_chat_id), here, update.update_id)

    return [
        CommandHandler("tasks", tasks),
        CommandHandler("mine", mine),
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
    ]
