"""One outbox, several channels: each message goes out through the sender of its chat's channel.

A deployment may serve residents on WeChat and workers on WeCom, or everything on Telegram
(DESIGN.md §10); the outbox and its dispatcher stay one, and the chat's address
(:mod:`bot.channels`) says which platform it is on. A message for a channel this deployment
does not run (a person configured as ``wecom:…`` with no WeCom set up) cannot go anywhere: it
is given up as undeliverable with a reason that names the channel, which ``griddesk doctor``
shows, rather than waiting for ever or vanishing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.channels import Channel, channel_of
from bot.domain import Outgoing
from bot.errors import Undeliverable
from bot.ports import Sender


class ChannelRouter:
    """A :class:`~bot.ports.Sender` that hands each message to its channel's sender."""

    def __init__(self, senders: Mapping[Channel, Sender]) -> None:
        self._senders = dict(senders)

    @property
    def channels(self) -> frozenset[Channel]:
        """The channels this deployment sends on."""
        return frozenset(self._senders)

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        try:
            channel = channel_of(message.chat_id)
        except ValueError as exc:
            raise Undeliverable(str(exc)) from exc
        sender = self._senders.get(channel)
        if sender is None:
            running = ", ".join(sorted(self._senders)) or "none"
            raise Undeliverable(f"no {channel} channel is set up here (running: {running})")
        return await sender.send(message, edit_message_id, before_request=before_request)
