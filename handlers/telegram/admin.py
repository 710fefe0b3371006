"""Admins' commands: /broadcast (schedule a notice, with a preview) and /broadcasts (list)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.desk.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE


def admin_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """The handlers for notices, bound to ``desk``; the desk checks who is an admin."""

    async def broadcast(update: Update, _: Context) -> None:
        actor, msg = actor_of(update), update.effective_message
        if actor is None or msg is None:
            return
        # everything after the command, as written (the parts are separated by "|")
        argument = (msg.text or "").partition(" ")[2] if " " in (msg.text or "") else ""
        await desk.broadcasts.draft(actor, argument, update.update_id)

    async def broadcasts(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.broadcasts.listing(actor, update.update_id)

    return [CommandHandler("broadcast", broadcast), CommandHandler("broadcasts", broadcasts)]
