"""A channel whose platform calls us (WeChat, WeCom), as the running bot sees it.

Telegram's updates are pulled or pushed as JSON and handled through python-telegram-bot's
Application. A Tencent platform instead calls a callback URL with signed XML and wants an
answer within 5 s; its messages are stored in the same inbox (keyed by the platform's own
message id, :meth:`~bot.ports.InboxTransaction.store_message`) and handed back here, by
channel, once an instance has claimed them (:class:`handlers.telegram.inbox.Inbox`). What goes
out to the channel's people goes through the one outbox, to :attr:`CallbackChannel.sender`
(:class:`~bot.sending.router.ChannelRouter`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol

from aiohttp import web

from bot.channels import Channel
from bot.ports import Sender


class CallbackChannel(Protocol):
    """What the runtime needs from a callback channel: its routes, handling, and sending."""

    @property
    def channel(self) -> Channel:
        """The channel its people's addresses carry (:mod:`bot.channels`)."""
        ...

    @property
    def sender(self) -> Sender:
        """Sends outbox messages to this channel's chats."""
        ...

    def routes(self, wake: Callable[[], None]) -> list[web.RouteDef]:
        """The callback's routes for the HTTP server; ``wake`` tells the inbox a message was
        stored."""
        ...

    async def handle(self, update_id: int, raw: str) -> None:
        """Act on one stored message (marking ``update_id`` processed in the transaction that
        acts on it). Raises what went wrong, for the inbox to retry or give up."""
        ...

    def apologise_to(self, raw: str) -> str | None:
        """The chat to tell, should the message in ``raw`` be given up; None: nobody."""
        ...

    async def __aenter__(self) -> CallbackChannel: ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
