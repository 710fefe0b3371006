"""The web desk's actions, as the presses staff make on a task card in chat.

Each builds the same button data :mod:`bot.desk.actions` encodes and hands it to
:meth:`bot.desk.desk.Desk.press` as the viewer, in their own private chat: the same rules
(who may act on whose task), the same conditional updates, the same events and messages. A
refused action changes nothing and answers why, in the desk's words.
"""

from __future__ import annotations

from bot.desk.actions import Action, Verb, person_key
from bot.desk.context import Actor, Answer
from bot.desk.desk import Desk
from bot.webdesk.viewers import Viewer


class Presses:
    """转交 (改派), 上报, 改类别, 合并 and 办结 from the web desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def reassign(self, viewer: Viewer, task_id: int, to_user_id: str) -> Answer:
        return await self._press(viewer, Action(Verb.TRANSFER_TO, task_id, person_key(to_user_id)))

    async def escalate(self, viewer: Viewer, task_id: int) -> Answer:
        return await self._press(viewer, Action(Verb.ESCALATE, task_id))

    async def recategorise(self, viewer: Viewer, task_id: int, category: str) -> Answer:
        return await self._press(viewer, Action(Verb.RECATEGORISE_TO, task_id, category))

    async def merge(self, viewer: Viewer, task_id: int, into_task_id: int) -> Answer:
        return await self._press(viewer, Action(Verb.MERGE_INTO, task_id, str(into_task_id)))

    async def resolve(self, viewer: Viewer, task_id: int, result: str) -> Answer:
        """办结 with ``result``, once the viewer saw what the resident will be told: the chat's
        确认 (:meth:`bot.desk.resolution.Resolution.written`), for the claimer only."""
        return await self.desk.resolution.written(_actor(viewer), task_id, result)

    async def _press(self, viewer: Viewer, action: Action) -> Answer:
        try:
            data = action.encode()
        except ValueError:  # an argument too long to be a real choice: a forged form
            data = None
        return await self.desk.press(_actor(viewer), data, None)


def _actor(viewer: Viewer) -> Actor:
    """The viewer as the desk knows people: in their own private chat with the bot."""
    person = viewer.person
    return Actor(person.user_id, person.user_id, person.name)
