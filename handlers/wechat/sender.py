"""Sending outbox messages to residents on WeChat, as customer-service messages.

A customer-service message reaches a resident only inside the window their own last message
opened, and only five times in it (:mod:`handlers.wechat.api` says what WeChat answers
otherwise). The desk already says little (the receipt, a question, the claim notice). A notice
about the resident's own task that WeChat refuses for the window or the quota goes again as the
configured template message (``[wechat.notice_template]``, :mod:`handlers.wechat.templates`);
anything else refused so (a broadcast; every notice when no template is set up) is given up by
the outbox with WeChat's reason, and ``griddesk doctor`` lists it: never silently dropped. The
outbox sends a resident's waiting messages as one (:mod:`bot.sending.merging`); such a message
is never cut down to a template, which carries one notice: it is refused, and its parts come
again one by one.

WeChat has no buttons under a message. Choices (which community, which kind of problem, a
rating) become numbered lines the resident answers with a number, or, with ``[wechat] menus``
on a verified service account, a ``msgmenu`` whose lines are tapped; either way what each
number stands for is remembered (:meth:`~bot.ports.ChoiceTransaction.offer_choices`) before
the message goes, so the answer can be read as the press it stands for
(:mod:`handlers.wechat.inbound`). A number answers the newest message only: one without
choices forgets those offered before it, so a "1" written days later is read as words, not as
an answer to an old question (which could rebind the resident's home).

Nothing sent can be edited or taken back on WeChat: an edit is sent as a new message, and a
deletion counts as done. A photo a worker attached (a Telegram file) is not sent along.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, tzinfo

from bot import texts
from bot.channels import Channel, parse
from bot.config.wechat import NoticeTemplate
from bot.domain import Outgoing
from bot.errors import ChatUnreachable, Undeliverable
from bot.ports import Store
from handlers.wechat.api import OutsideWindow, QuotaUsed, WeChatApi
from handlers.wechat.templates import template_data

NO_MESSAGE_ID = 0
"""What a sent customer-service message is known by: WeChat gives it no id."""


class WeChatSender:
    """A :class:`~bot.ports.Sender` for ``wechat:`` chats (residents' OpenIDs)."""

    def __init__(
        self,
        api: WeChatApi,
        store: Store,
        clock: Callable[[], datetime],
        zone: tzinfo,
        *,
        menus: bool,
        template: NoticeTemplate | None,
    ) -> None:
        """``zone``: the deployment's, for the time a template message shows; ``template``:
        what a notice falls back to outside the window (None: it is recorded as not sent)."""
        self._api = api
        self._store = store
        self._clock = clock
        self._zone = zone
        self._menus = menus
        self._template = template

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        channel, openid = parse(message.chat_id)
        if channel != Channel.WECHAT:
            raise Undeliverable(f"not a WeChat chat: {channel}")
        if message.delete_message_id is not None:
            return NO_MESSAGE_ID  # nothing sent on WeChat can be taken back
        choices = [(button.text, button.action) for row in message.buttons for button in row]
        async with self._store.transaction() as tx:
            # the newest message is what a number answers: one without choices ends the last
            await tx.offer_choices(message.chat_id, choices, self._clock())
        if before_request is not None:
            await before_request()
        labels = [label for label, _ in choices]
        try:
            await self._customer_service(openid, message.text, labels)
        except (OutsideWindow, QuotaUsed) as refused:
            return await self._by_template(openid, message.text, labels, refused, message.parts)
        return NO_MESSAGE_ID

    async def _customer_service(self, openid: str, text: str, labels: list[str]) -> None:
        """A customer-service message: the text, its choices numbered or as a menu."""
        if labels and self._menus:
            items = [(str(number), label) for number, label in enumerate(labels, 1)]
            await self._api.send_menu(openid, text, items, texts.WECHAT_MENU_TAIL)
        elif labels:
            await self._api.send_text(openid, texts.wechat_choices(text, labels))
        else:
            await self._api.send_text(openid, text)

    async def _by_template(
        self,
        openid: str,
        text: str,
        labels: list[str],
        refused: ChatUnreachable,
        message_parts: int,
    ) -> int:
        """The notice as the configured template message, WeChat having refused it as a
        customer-service message (``refused``, raised again when no template may carry it: a
        template carries one notice, so never several merged, :mod:`bot.sending.merging`)."""
        template = self._template
        data = None
        if template is not None and message_parts == 1:
            data = template_data(template, text, labels, self._clock(), self._zone)
        if template is None or data is None:
            raise refused
        return await self._api.send_template(openid, template.template_id, data, template.url)
