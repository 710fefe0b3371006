"""The flood guard in front of every private chat: one handler that runs before all others.

A resident's texts, photos and commands — ``/my`` and ``/cancel`` as much as an admin command a
resident types — take from one bucket (:meth:`~bot.desk.desk.Desk.admit`). The guard runs in its own
handler group, ahead of the features' handlers (PTB runs groups in order), and stops an update
that comes too fast right there, so no feature handler needs to know about flooding. Button
presses are not messages and never pass here; configured people are never counted.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, ContextTypes, MessageHandler, filters

from bot.desk.desk import Desk
from handlers.telegram.actor import actor_of

Context = ContextTypes.DEFAULT_TYPE

GUARD_GROUP = -1
"""The PTB handler group of the guard: before group 0, where every feature's handlers are."""


def guard_handlers(desk: Desk) -> list[BaseHandler[Update, Context, None]]:
    """The flood guard for private chats, bound to ``desk`` (register in :data:`GUARD_GROUP`)."""

    async def guard(update: Update, _: Context) -> None:
        actor, msg = actor_of(update), update.effective_message
        sent_at = msg.date if msg else None
        if actor is not None and not await desk.admit(actor, sent_at, update.update_id):
            raise ApplicationHandlerStop  # too fast: no feature handler sees it

    private_messages = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    return [MessageHandler(private_messages, guard)]
