"""Who did something, from a Telegram update, as the desk's :class:`~bot.desk.context.Actor`."""

from __future__ import annotations

from telegram import Update

from bot.channels import telegram
from bot.desk.context import Actor


def actor_of(update: Update) -> Actor | None:
    """The user and chat of ``update``; None for updates without a human sender (channels)."""
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None or user.is_bot:
        return None
    return Actor(telegram(user.id), telegram(chat.id), user.full_name, user.username)


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == "private"
