"""Choices offered as numbers, where a channel has no buttons to press.

A WeChat Official Account's messages carry no buttons, so the bot writes the choices out
("回复 1：满意 …") and the resident answers with a number. What each number stood for must
outlive the message (the answer may come hours later, to any instance), so the choices last
offered in a chat are kept here, one row per chat, replaced by the next offer. A resident's
erasure deletes their row (:meth:`storage.erasure_rows.ErasureQueries.forget_resident`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Text, bindparam, delete, select
from sqlmodel import Field, SQLModel

from storage.queues import Queues
from storage.tables import UtcDateTime, table_of


class OfferedChoiceRow(SQLModel, table=True):
    """The choices last offered in a chat, in the order they were numbered."""

    __tablename__ = "offered_choices"

    chat_id: str = Field(sa_type=Text, primary_key=True)
    choices: str = Field(sa_type=Text)
    """JSON list of ``[label, button data]`` pairs: ``[["满意", "rate:12:good"], …]``."""
    offered_at: datetime = Field(sa_type=UtcDateTime)


OFFERED = table_of(OfferedChoiceRow)
_READ = select(OFFERED.c.choices).where(OFFERED.c.chat_id == bindparam("chat"))
_FORGET = delete(OFFERED).where(OFFERED.c.chat_id == bindparam("chat"))


class ChoiceQueries(Queues):
    """The offered-choice methods of :class:`bot.ports.Transaction`
    (:class:`bot.ports.ChoiceTransaction`)."""

    async def offer_choices(
        self, chat_id: str, choices: Sequence[tuple[str, str]], at: datetime
    ) -> None:
        """Remember ``choices`` for ``chat_id``, replacing the ones before; none forgets them."""
        if not choices:
            await self._run(_FORGET, {"chat": chat_id})
            return
        values = {
            "chat_id": chat_id,
            "choices": json.dumps([list(choice) for choice in choices], ensure_ascii=False),
            "offered_at": at,
        }
        await self._upsert(OfferedChoiceRow, values, keys=("chat_id",))

    async def offered_choices(self, chat_id: str) -> Sequence[tuple[str, str]]:
        """The choices last offered in ``chat_id``, in order; empty when none are."""
        stored = (await self._run(_READ, {"chat": chat_id})).scalar_one_or_none()
        if stored is None:
            return ()
        return tuple((label, data) for label, data in json.loads(stored))
