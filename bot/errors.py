"""The errors griddesk raises on purpose, and what each one means for the caller.

::

    DeliveryError              a message could not be delivered this time
    ├── RetryLater             the channel asked us to wait (Telegram 429 retry_after)
    ├── TransientDeliveryError network trouble or a server error: try again with backoff
    └── Undeliverable          it will never go through as it is (blocked, chat gone, bad request)
        ├── ChatUnreachable    not the message but its chat: the bot was blocked or removed, the
        │                      chat is gone; sending there may work again one day
        └── ChatMoved          the group became a supergroup with a new chat id

    StoreBusy                  the database could not take a transaction; nothing was committed,
                               so the unit of work may run again (bot.retry does, with backoff)
    AlreadyProcessed           the update was handled already (by another instance, most likely);
                               the transaction that found out was rolled back, and is not redone

    StartupError               the bot cannot start: the channel refused its token or cannot be
                               reached; nothing was sent, and the message says what to check

Configuration and rules errors live with what they validate:
:class:`bot.config.tomlcheck.SettingsError` and :class:`nlp.rules.RulesError`. Anything else
is a bug: it reaches the one error handler, is logged, and the user sees a kind message, never a
traceback.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A message could not be delivered this time."""


class RetryLater(DeliveryError):
    """The channel asked us to slow down; try again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class TransientDeliveryError(DeliveryError):
    """Network trouble or a server error; worth trying again with backoff."""


class Undeliverable(DeliveryError):
    """The message will never go through as it is; give up and tell operators."""


class ChatUnreachable(Undeliverable):
    """The chat cannot receive from us: the bot was blocked or removed, the chat is gone.

    Nothing is wrong with the message itself, so what was lost there (a task's card) can be
    sent again once the chat takes messages again (:mod:`bot.sending.outbox`).
    """


class ChatMoved(Undeliverable):
    """The group was upgraded to a supergroup and has a new chat id."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class StoreBusy(Exception):
    """The database could not take the transaction; nothing was committed, redo all of it."""


class AlreadyProcessed(Exception):
    """The update this transaction acts on was marked processed before it: nothing committed.

    Raised by the store's conditional mark (``… WHERE processed = false``) inside the desk's
    transaction, so that transaction's effects roll back. With several instances on one
    database this is how a second handling of one update ends (DESIGN.md §9): the inbox takes
    it as "done elsewhere" — not a failure, not retried, nobody told.
    """

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} was processed already")
        self.update_id = update_id


class StartupError(Exception):
    """The bot cannot start: its token was refused or the channel cannot be reached.

    Raised before anything is queued or sent; the message is one line for the operator and
    never quotes the token.
    """
