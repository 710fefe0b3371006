"""A WeCom member's press or message, as stored by the callback, turned into the desk's calls.

- A press on a card (``template_card_event``): the card is found by its ``TaskId``, the fresh
  ``ResponseCode`` kept for the card's next change, and the press handed to the desk as made in
  the chat the card was sent to (a unit's, or the member's own), by the member. A press of
  :data:`~handlers.wecom.cards.PAGE` only turns the card to its next buttons, here.
- A text in the member's chat with the app: a worker's command (``/tasks`` for their first
  unit, ``/mine``, ``/stats``, ``/broadcast …``, ``/broadcasts``), else their words, as a
  private message (a result note the desk asked for, their own report).
- Anything else (entering the app, a location report) needs nothing.

A press's answer is a toast on Telegram; WeCom has none, so an answer that matters (an alert)
is sent to the member as a message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from bot.channels import Channel, address
from bot.config.org import Org
from bot.desk.context import Actor
from bot.desk.desk import Desk
from bot.domain import Outgoing
from bot.ports import Store
from handlers.tencent.xml import sent_at
from handlers.wecom.api import CardExpired, WeComApi
from handlers.wecom.callback import PRESS
from handlers.wecom.cards import PAGE, Drawn, template_card

log = logging.getLogger(__name__)


class WeComWorkers:
    """Hands each stored WeCom call to the desk (see the module doc)."""

    def __init__(
        self, desk: Desk, store: Store, api: WeComApi, org: Org, clock: Callable[[], datetime]
    ) -> None:
        self._desk = desk
        self._store = store
        self._api = api
        self._org = org
        self._clock = clock

    async def handle(self, update_id: int, raw: str) -> None:
        fields: dict[str, str] = json.loads(raw)
        member = address(Channel.WECOM, fields["FromUserName"])
        if fields.get("MsgType") == "event" and fields.get("Event") == PRESS:
            await self._press(member, fields, update_id)
        elif fields.get("MsgType") == "text":
            actor = Actor(member, member, self._org.name(member))
            await self._text(actor, fields.get("Content", "").strip(), fields, update_id)

    async def _press(self, member: str, fields: Mapping[str, str], update_id: int) -> None:
        key, code = fields.get("EventKey", ""), fields.get("ResponseCode", "")
        async with self._store.transaction() as tx:
            card = await tx.platform_card_by_key(Channel.WECOM, fields.get("TaskId", ""))
            if card is None:
                log.info("press on a card this app does not know (%s)", fields.get("TaskId"))
                return
            await tx.update_platform_card(card.card_id, response_code=code or None,
                                          coded_at=self._clock() if code else None)  # fmt: skip
        if key.startswith(PAGE):
            await self._turn(card.card_id, card.task_key, card.content, key, code)
            return
        actor = Actor(member, card.chat_id, self._org.name(member))
        answer = await self._desk.press(actor, key, update_id)
        if answer.alert and answer.text and not answer.repeats_a_message:
            async with self._store.transaction() as tx:
                await tx.enqueue(Outgoing(member, answer.text))

    async def _turn(self, card_id: int, task_key: str, content: str, key: str, code: str) -> None:
        """Show the card's buttons of the page ``key`` names, with the press's code."""
        page = key.removeprefix(PAGE)
        drawn = Drawn.loads(content)
        turned = Drawn(drawn.text, drawn.buttons, int(page) if page.isdigit() else 0)
        try:
            await self._api.update_card(code, template_card(task_key, turned))
        except CardExpired as exc:
            log.info("card %d not turned: %s", card_id, exc)
            return
        async with self._store.transaction() as tx:
            await tx.update_platform_card(
                card_id, response_code=None, coded_at=None, content=turned.dumps()
            )

    async def _text(
        self, actor: Actor, text: str, fields: Mapping[str, str], update_id: int
    ) -> None:
        command, _, argument = text.partition(" ")
        desk = self._desk
        match command.lower():
            case "/tasks":
                await desk.listings.open_tasks(self._in_first_unit(actor), update_id)
            case "/mine":
                await desk.listings.my_work(actor, update_id)
            case "/stats":
                await desk.reports.stats(self._in_first_unit(actor), update_id)
            case "/broadcast":
                await desk.broadcasts.draft(actor, argument, update_id)
            case "/broadcasts":
                await desk.broadcasts.listing(actor, update_id)
            case "/login":
                await desk.login(actor, update_id)
            case _:
                await desk.private_message(actor, text, None, update_id, sent_at(fields))

    def _in_first_unit(self, actor: Actor) -> Actor:
        """``actor`` as if writing in their first unit's chat, where a unit's commands are
        answered (WeCom has no group chat with the app to write them in)."""
        person = self._org.people.get(actor.user_id)
        if person is None or not person.units:
            return actor
        return Actor(actor.user_id, self._org.unit(person.units[0]).chat_id, actor.name)

    def apologise_to(self, raw: str) -> str | None:
        """The member who wrote or pressed, in their own chat with the app."""
        try:
            sender = json.loads(raw).get("FromUserName", "")
        except (ValueError, AttributeError):
            return None
        return address(Channel.WECOM, sender) if isinstance(sender, str) and sender else None
