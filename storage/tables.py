"""The tables, as SQLModel classes: the database's shape, never handed to callers.

Rows are mapped to the frozen domain values of :mod:`bot.domain` in :mod:`storage.sql_store`,
so these classes can follow the database (JSON text, enum values as strings, UTC timestamps)
without leaking it. Every timestamp column is :class:`UtcDateTime`: SQLite has no time zone
type and PostgreSQL returns the session's zone, and the desk compares deadlines with an aware
``now`` — so both are normalised to aware UTC here, once.

People and chats are text, ``channel:id`` (:mod:`bot.channels`): WeChat's and WeCom's ids are
strings. Telegram's message and update ids exceed 32 bits, hence ``BigInteger``; surrogate keys
use :data:`ID` so that SQLite still treats them as its auto-incrementing rowid. The tables change
only through a revision in ``storage/migrations`` (:mod:`storage.schema`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Dialect, Index, Integer, Table, Text, false
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

ID = BigInteger().with_variant(Integer(), "sqlite")
"""A surrogate key: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite."""


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC, read back as aware UTC on every database.

    A naive datetime is refused rather than guessed at: it would be local time somewhere and
    UTC elsewhere, and a deadline off by eight hours is worse than an error.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored as UTC")
        utc = value.astimezone(UTC)
        # SQLite's DATETIME is text without an offset; UTC without tzinfo keeps it sortable.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_writer(dialect: Dialect) -> Callable[[datetime | None], object]:
    """What :class:`UtcDateTime` stores for a value, as a plain function for bulk statements
    that bypass SQLAlchemy's per-row processing (:mod:`storage.bulk`).

    On SQLite that is the text SQLAlchemy's ``DATETIME`` writes (``2026-11-22 01:00:00.000000``,
    UTC), made by ``isoformat`` in C; on PostgreSQL the aware UTC datetime itself.
    """
    sqlite = dialect.name == "sqlite"

    def write(value: datetime | None) -> object:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored as UTC")
        utc = value if value.tzinfo is UTC else value.astimezone(UTC)
        if not sqlite:
            return utc
        # SQLAlchemy's SQLite storage format; ``%`` is faster than isoformat's keywords here
        return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031
            utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond,
        )  # fmt: skip

    return write


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model, for statements that need no model instances."""
    return model.__table__  # type: ignore[attr-defined, no-any-return]  # set by SQLModel


def read_utc(value: object) -> datetime | None:
    """The aware UTC datetime :class:`UtcDateTime` reads from a stored value (the inverse of
    :func:`utc_writer` on either database), for rows fetched without SQLAlchemy's result
    processing."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite's text, UTC (parsed with its offset: replace is slow)
        return datetime.fromisoformat(value + "+00:00")
    if not isinstance(value, datetime):
        raise TypeError(f"not a stored timestamp: {value!r}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ResidentRow(SQLModel, table=True):
    """A resident, keyed by their channel's id (``wechat:o6_b…``, ``telegram:1001``)."""

    __tablename__ = "residents"

    user_id: str = Field(sa_type=Text, primary_key=True)
    chat_id: str = Field(sa_type=Text)
    name: str
    username: str | None = None
    grid_id: str | None = None
    place: str | None = None
    seen_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """When the record last changed (a new chat, name or home); the retention sweep deletes a
    record unchanged for the retention period whose tasks are all forgotten. None: older than
    this column, kept."""


class PlaceRow(SQLModel, table=True):
    """A configured place; a copy of the configuration, rewritten at start-up."""

    __tablename__ = "places"

    name: str = Field(primary_key=True)
    grid_id: str = Field(index=True)
    aliases: str = Field(sa_type=Text, default="[]")
    """JSON list of strings."""


class TaskRow(SQLModel, table=True):
    """A task as it stands now; ``task_events`` says how it got here.

    The resident must exist: every change is reported to the resident's chat, which only the
    residents table knows.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_holder_status", "holder", "status", "id"),
        Index("ix_tasks_resident", "resident_id", "id"),
        Index("ix_tasks_claimer_status", "claimer_id", "status", "id"),
        Index("ix_tasks_next_followup", "next_followup_at"),
        Index("ix_tasks_grid_created", "grid_id", "created_at"),  # statistics by window
        Index("ix_tasks_status_grid", "status", "grid_id"),  # open work per grid (/metrics)
    )

    id: int | None = Field(default=None, sa_type=ID, primary_key=True)
    number: str = Field(unique=True)
    resident_id: str = Field(sa_type=Text, foreign_key="residents.user_id")
    text: str = Field(sa_type=Text)
    photo: str | None = None
    """The photo the card was posted with; all of them are in ``photos``."""
    photos: str | None = Field(default=None, sa_type=Text)
    """JSON list of every photo, in the order sent; NULL in rows written before it existed
    (they had at most ``photo``)."""
    category: str
    urgent: bool
    confidence: float
    matched: str = Field(sa_type=Text)
    """JSON list of the keywords the classifier matched."""
    grid_id: str | None = None
    place: str | None = None
    building: str | None = None
    unit: str | None = None
    holder: str
    """``UnitRef`` as text, ``grid:xingan-1``."""
    level: int = 0
    status: str
    claimer_id: str | None = Field(default=None, sa_type=Text)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    claim_due_at: datetime = Field(sa_type=UtcDateTime)
    resolve_due_at: datetime = Field(sa_type=UtcDateTime)
    result: str | None = Field(default=None, sa_type=Text)
    result_photo: str | None = None
    rating: str | None = None
    reopen_count: int = 0
    merged_into: str | None = None
    """The number of the task this one was merged into (status ``merged``)."""
    stage: str = "claim_due"
    next_followup_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """When the follow-up engine acts next (indexed: every tick asks for what is due)."""
    kind: str = Field(default="repair", sa_column_kwargs={"server_default": "repair"})
    """``repair`` or ``question`` (咨询): a database of an earlier release reads as repairs."""


class TaskEventRow(SQLModel, table=True):
    """One line of a task's audit trail; rows are only ever inserted."""

    __tablename__ = "task_events"

    id: int | None = Field(default=None, sa_type=ID, primary_key=True)
    task_id: int = Field(sa_type=ID, foreign_key="tasks.id", index=True)
    kind: str
    actor_id: str | None = Field(default=None, sa_type=Text)
    at: datetime = Field(sa_type=UtcDateTime)
    note: str = Field(sa_type=Text, default="")
    holder: str | None = None
    due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """The claim deadline the event set (creation, escalation, reopening)."""


class HotlineOrderRow(SQLModel, table=True):
    """A 12345 work order imported as a task (:mod:`bot.hotline`): one row per order number.

    The primary key is the platform's number, so an order imported twice (the same export
    read again, or by two operators at once) becomes one task: the second insert fails, and
    its transaction with it. ``due_at`` is the order's own reply deadline, which the reply
    sheet's 是否按期 is judged by even after an escalation gave the task a later one.
    """

    __tablename__ = "hotline_orders"
    __table_args__ = (
        Index("ux_hotline_orders_task", "task_id", unique=True),
        Index("ix_hotline_orders_received", "received_at"),
    )

    number: str = Field(sa_type=Text, primary_key=True)
    task_id: int = Field(sa_type=ID, foreign_key="tasks.id")
    received_at: datetime = Field(sa_type=UtcDateTime)
    """When the platform took the call (受理时间): the reply sheet's window counts by it."""
    due_at: datetime = Field(sa_type=UtcDateTime)
    imported_at: datetime = Field(sa_type=UtcDateTime)


class DraftRow(SQLModel, table=True):
    """A resident's message waiting for one answer; at most one per resident.

    No foreign key to residents: a message can arrive, and must be kept, before the resident
    has bound an address.
    """

    __tablename__ = "drafts"

    resident_id: str = Field(sa_type=Text, primary_key=True)
    text: str = Field(sa_type=Text)
    photo: str | None = None
    """Unused since ``photos``; read from rows written before it."""
    photos: str | None = Field(default=None, sa_type=Text)
    """JSON list of the photos, in the order sent."""
    reason: str
    created_at: datetime = Field(sa_type=UtcDateTime)
    alert_chat: str | None = Field(default=None, sa_type=Text)
    """Where an urgent report was alerted while its place was unknown."""
    asked_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    """When the bot last asked; NULL in rows written before it existed (never reminded)."""
    reminded: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    community: str | None = Field(default=None, sa_type=Text)
    """The community the resident picked while saying where (revision 0009)."""


class AwaitedNoteRow(SQLModel, table=True):
    """The task a worker is about to write a result note for; at most one per worker. Once
    written, the note waits here for the worker's 确认 (:class:`bot.domain.ResultNote`)."""

    __tablename__ = "awaited_notes"

    worker_id: str = Field(sa_type=Text, primary_key=True)
    task_id: int = Field(sa_type=ID, foreign_key="tasks.id")
    result: str | None = Field(default=None, sa_type=Text)
    """The note written, waiting for 确认; NULL while the note is still awaited."""
    result_photo: str | None = Field(default=None, sa_type=Text)
    """A photo sent with (or before) the note."""


class OutboxRow(SQLModel, table=True):
    """A message to send, written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_id", "status", "id"),
        # the dispatcher's read ranks each chat's pending messages in order: read from this
        # index, without sorting every pending message (thousands after a burst) at each read
        Index("ix_outbox_status_chat_id", "status", "chat_id", "id"),
        Index("ux_outbox_dedupe_key", "dedupe_key", unique=True),
    )

    id: int | None = Field(default=None, sa_type=ID, primary_key=True)
    chat_id: str = Field(sa_type=Text)
    text: str = Field(sa_type=Text)
    buttons: str = Field(sa_type=Text, default="[]")
    """JSON rows of ``[text, action]`` pairs."""
    photo: str | None = None
    mentions: str = Field(sa_type=Text, default="[]")
    """JSON list of ``[user_id, name]`` pairs to mention (``["telegram:2001", "张三"]``)."""
    card_of: int | None = Field(default=None, sa_type=BigInteger)
    edit_card_of: int | None = Field(default=None, sa_type=BigInteger)
    live: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """The card of ``edit_card_of`` is rendered when sent (:class:`bot.domain.Outgoing`)."""
    delete_message_id: int | None = Field(default=None, sa_type=BigInteger)
    """Not a message: the deletion of this message of the bot's in ``chat_id``."""
    status: str = "pending"
    """``pending``, ``sent``, ``failed``, ``unreachable`` (a card given up because its chat could
    not be reached, see :mod:`storage.queues`), or ``held`` (a resident's notice waiting for the
    end of quiet hours, due at ``next_attempt_at``)."""
    posting_since: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """Set just before a new card is posted; still set on a pending row, it means an earlier
    attempt may have reached the chat (a crash or a lost reply between sending and recording)."""
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """When to try again after a failure; NULL for a message not tried yet (due at once); for
    a held row, when it is released."""
    created_at: datetime = Field(sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    last_error: str | None = Field(default=None, sa_type=Text)
    dedupe_key: str | None = None
    """Set for fan-out messages (a broadcast run × recipient): queued at most once."""


class CardRow(SQLModel, table=True):
    """Where a task's card was posted in a chat, so that later changes edit it in place."""

    __tablename__ = "cards"

    task_id: int = Field(
        sa_type=ID,
        primary_key=True,
        foreign_key="tasks.id",
        sa_column_kwargs={"autoincrement": False},
    )
    chat_id: str = Field(sa_type=Text, primary_key=True)
    message_id: int = Field(sa_type=BigInteger)


class InboxRow(SQLModel, table=True):
    """An update as received, stored before the platform is told it arrived (dedup by id).

    ``lane`` orders it (its chat: one lane's updates are handled in id order); ``claimed_by``
    and ``claimed_until`` say which instance is handling it (:mod:`storage.inbox_rows`).
    A Telegram update is keyed by Telegram's own ``update_id``; a message of a channel without
    one (WeChat, WeCom) gets an id of ours and is deduplicated by ``(channel, message_key)``.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_processed", "processed", "update_id"),
        Index("ix_inbox_lane", "processed", "lane", "update_id"),
        Index("ux_inbox_channel_message_key", "channel", "message_key", unique=True),
    )

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    raw: str = Field(sa_type=Text)
    processed: bool = False
    received_at: datetime = Field(sa_type=UtcDateTime)
    lane: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    """The chat's id (``telegram:-100…``); empty for an update that belongs to no chat."""
    claimed_by: str | None = None
    claimed_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    channel: str = Field(
        default="telegram", sa_type=Text, sa_column_kwargs={"server_default": "telegram"}
    )
    """Whose update: ``telegram`` (only its ids are the poll offset), ``wechat``, ``wecom``."""
    message_key: str | None = Field(default=None, sa_type=Text)
    """The channel's own dedupe key (WeChat's MsgId, or sender and CreateTime for an event);
    NULL for Telegram, whose ``update_id`` is the key (NULLs never collide in the index)."""


class LeaseRow(SQLModel, table=True):
    """Who may do a one-at-a-time job (sending the outbox) until when; renewed while alive."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True)
    holder: str
    until: datetime = Field(sa_type=UtcDateTime)


class DayCounterRow(SQLModel, table=True):
    """The last task number handed out on a day (``YYYYMMDD``, local)."""

    __tablename__ = "day_counters"

    day: str = Field(primary_key=True)
    last: int


METADATA = SQLModel.metadata
"""Every table above. SQLModel keeps it process-wide (its one piece of global state); the
``*_rows`` modules of :mod:`storage` add to it; ``storage/migrations`` shapes the database."""


class SignInRow(SQLModel, table=True):
    """A one-time sign-in link of the web desk (:mod:`bot.webdesk.signin`): only the SHA-256 of
    its token is kept, so a copy of the database signs nobody in; ``used_at`` is set by the one
    conditional UPDATE that redeems it, whichever instance gets there first."""

    __tablename__ = "web_sign_ins"

    token_hash: str = Field(primary_key=True, sa_type=Text)
    user_id: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
