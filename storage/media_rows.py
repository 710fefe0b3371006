"""Files kept in the database: a WeChat resident's photos (:class:`bot.ports.MediaTransaction`).

WeChat keeps a photo a resident sent for 3 days, and only the account may download it, so the
bot fetches it while handling the message and keeps the bytes here; a task names it as
``media:<id>`` (:func:`bot.ports.kept_photo`) and the workers' channels upload it from here.
Rows are personal data and go with the photos that name them, or with the old messages when
nothing ever did (:mod:`storage.erasure_rows`). ``kept_at`` is indexed for that sweep.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, Text, bindparam, insert, select
from sqlmodel import Field, SQLModel

from storage.queues import Queues
from storage.tables import UtcDateTime, table_of


class KeptMediaRow(SQLModel, table=True):
    """One file, as the platform sent it."""

    __tablename__ = "kept_media"
    __table_args__ = (Index("ix_kept_media_kept_at", "kept_at"),)

    id: int | None = Field(default=None, primary_key=True)
    content: bytes = Field(sa_type=LargeBinary)
    content_type: str = Field(sa_type=Text)
    """As the platform labelled it (``image/jpeg``): what the file is uploaded as."""
    kept_at: datetime = Field(sa_type=UtcDateTime)


MEDIA = table_of(KeptMediaRow)
_INSERT = insert(MEDIA).returning(MEDIA.c.id)
_READ = select(MEDIA.c.content, MEDIA.c.content_type).where(MEDIA.c.id == bindparam("media"))


class MediaQueries(Queues):
    """The kept-media methods of :class:`bot.ports.Transaction`
    (:class:`bot.ports.MediaTransaction`)."""

    async def keep_media(self, content: bytes, content_type: str, at: datetime) -> int:
        values = {"content": content, "content_type": content_type, "kept_at": at}
        return int((await self._run(_INSERT, values)).scalar_one())

    async def media(self, media_id: int) -> tuple[bytes, str] | None:
        row = (await self._run(_READ, {"media": media_id})).first()
        return None if row is None else (bytes(row.content), row.content_type)
