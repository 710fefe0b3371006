"""Private-chat handlers: /start, /help, /my, /cancel, /forget, /login (staff: the web desk's
link), and every message a resident sends."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot.desk.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE


def resident_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """The handlers for private chats, bound to ``desk``."""

    async def start(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.intake.start(actor, update.update_id)

    async def help_(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.intake.help(actor, update.update_id)

    async def my(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.status.my_tasks(actor, update.update_id)

    async def cancel(update: Update, context: Context) -> None:
        if actor := actor_of(update):
            argument = " ".join(context.args or [])
            await desk.withdrawal.cancel(actor, argument, update.update_id)

    async def forget(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.erasure.ask(actor, update.update_id)

    async def login(update: Update, _: Context) -> None:
        if actor := actor_of(update):
            await desk.login(actor, update.update_id)

    async def unknown(update: Update, context: Context) -> None:
        actor, msg = actor_of(update), update.effective_message
        command = (msg.text or "").split()[0] if msg and msg.text else ""
        _, _, addressee = command.partition("@")
        if addressee and addressee.lower() != (context.bot.username or "").lower():
            return  # meant for another bot
        if actor:
            await desk.intake.unknown_command(actor, update.update_id)

    async def message(update: Update, _: Context) -> None:
        actor, msg = actor_of(update), update.effective_message
        if actor is None or msg is None:
            return
        photo = msg.photo[-1].file_id if msg.photo else None
        text = msg.text or msg.caption or ""
        await desk.private_message(actor, text, photo, update.update_id, msg.date)

    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("start", start, filters=private),
        CommandHandler("help", help_, filters=private),
        CommandHandler("my", my, filters=private),
        CommandHandler("cancel", cancel, filters=private),
        CommandHandler("forget", forget, filters=private),
        CommandHandler("login", login, filters=private),
        MessageHandler(private & ~filters.COMMAND & filters.UpdateType.MESSAGE, message),
        MessageHandler(private & filters.COMMAND & filters.UpdateType.MESSAGE, unknown),
    ]
