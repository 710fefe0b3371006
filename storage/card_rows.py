"""Cards on platforms that change a card only with a code they handed out (WeCom).

A WeCom app's card is changed with ``update_template_card`` and a ``response_code``: one from
the send, a fresh one from every press, each usable once and for 72 hours. The outbox knows a
card by an integer message id; this table gives it one (the row's id), and keeps what the card
shows and the code for its next change, so any instance can change it. Rows go with the old
messages (:meth:`storage.erasure_rows.ErasureQueries.drop_old_messages`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Text, bindparam, insert, select, update
from sqlmodel import Field, SQLModel

from bot.ports import PlatformCard
from storage.queues import Queues
from storage.tables import UtcDateTime, table_of


class PlatformCardRow(SQLModel, table=True):
    """One card sent (or about to be) on a code-changed platform."""

    __tablename__ = "platform_cards"
    __table_args__ = (Index("ux_platform_cards_key", "channel", "task_key", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(sa_type=Text)
    chat_id: str = Field(sa_type=Text)
    task_key: str = Field(sa_type=Text)
    content: str = Field(sa_type=Text)
    response_code: str | None = Field(default=None, sa_type=Text)
    coded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sent_at: datetime = Field(sa_type=UtcDateTime)


CARDS = table_of(PlatformCardRow)
_INSERT = insert(CARDS).returning(CARDS.c.id)
_RECODE = (
    update(CARDS)
    .where(CARDS.c.id == bindparam("card"))
    .values(response_code=bindparam("code"), coded_at=bindparam("at"))
)
_REDRAW = _RECODE.values(content=bindparam("new_content"))
_BY_ID = select(CARDS).where(CARDS.c.id == bindparam("card"))
_BY_KEY = select(CARDS).where(
    CARDS.c.channel == bindparam("channel"), CARDS.c.task_key == bindparam("key")
)


class CardQueries(Queues):
    """The card methods of :class:`bot.ports.Transaction` (:class:`bot.ports.CardTransaction`)."""

    async def new_platform_card(
        self, channel: str, chat_id: str, task_key: str, content: str, at: datetime
    ) -> int:
        values = {"channel": channel, "chat_id": chat_id, "task_key": task_key,
                  "content": content, "sent_at": at}  # fmt: skip
        return int((await self._run(_INSERT, values)).scalar_one())

    async def platform_card(self, card_id: int) -> PlatformCard | None:
        return _card((await self._run(_BY_ID, {"card": card_id})).first())

    async def platform_card_by_key(self, channel: str, task_key: str) -> PlatformCard | None:
        return _card((await self._run(_BY_KEY, {"channel": channel, "key": task_key})).first())

    async def update_platform_card(
        self,
        card_id: int,
        *,
        response_code: str | None,
        coded_at: datetime | None,
        content: str | None = None,
    ) -> None:
        # only the parameters the statement names: SQLAlchemy would SET a column-named extra
        params: dict[str, Any] = {"card": card_id, "code": response_code, "at": coded_at}
        if content is None:
            await self._run(_RECODE, params)
        else:
            await self._run(_REDRAW, {**params, "new_content": content})


def _card(row: Any) -> PlatformCard | None:
    if row is None:
        return None
    return PlatformCard(row.id, row.channel, row.chat_id, row.task_key, row.content,
                        row.response_code, row.coded_at)  # fmt: skip
