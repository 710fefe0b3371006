"""The flood guard in front of every message: one handler that runs before all others.

Everything a person sends takes from one bucket (:meth:`~bot.desk.desk.Desk.admit`): a
resident's texts, photos and commands — ``/my`` and ``/cancel`` as much as an admin command a
resident types — commands in a group, and edits (python-telegram-bot's ``CommandHandler``
matches edited messages too, and the bot asks Telegram for them). The guard runs in its own
handler group, ahead of the features' handlers (PTB runs groups in order), and stops right
there what comes too fast, what comes from a group the bot does not serve (silently: someone
who adds the bot to their own group gets nothing from it), and every edit once counted (an edit
is not a new message: the bot answered the original). Button presses are counted by the desk
(:meth:`~bot.desk.desk.Desk.press`); configured people are never counted.
"""

from __future__ import annotations

from telegram import Message, MessageEntity, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, MessageHandler, filters

from bot.desk.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE

GUARD_GROUP = -1
"""The PTB handler group of the guard: before group 0, where every feature's handlers are."""


def guard_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """The flood guard, bound to ``desk`` (register in :data:`GUARD_GROUP`)."""

    async def guard(update: Update, context: Context) -> None:
        actor, msg = actor_of(update), update.effective_message
        if actor is None or msg is None or _moved(msg):
            return  # a group's move to a supergroup is seen in a chat not yet known as ours
        if not desk.serves(actor):
            raise ApplicationHandlerStop  # a group we do not serve: no reply, no write
        edited = update.edited_message is not None
        if not actor.in_private_chat and not _our_command(msg, context.bot.username):
            return  # talk among the members: nothing handles it, nothing to count
        sent_at = (msg.edit_date or msg.date) if edited else msg.date
        if not await desk.admit(actor, sent_at, update.update_id) or edited:
            raise ApplicationHandlerStop

    return [MessageHandler(filters.UpdateType.MESSAGES, guard)]


def _moved(msg: Message) -> bool:
    return bool(msg.migrate_to_chat_id or msg.migrate_from_chat_id)


def _our_command(msg: Message, username: str | None) -> bool:
    """Whether ``msg`` starts with a command for this bot (``/tasks`` or ``/tasks@us``)."""
    entities = msg.entities or ()
    if not entities or entities[0].type != MessageEntity.BOT_COMMAND or entities[0].offset:
        return False
    command = (msg.text or "")[: entities[0].length]
    _, _, addressee = command.partition("@")
    return not addressee or addressee.lower() == (username or "").lower()
