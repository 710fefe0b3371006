"""The tables exactly as release 0.1 created them, frozen: the starting point of the migrations.

Release 0.1 had no migration tool: it created what was missing and added new columns when the
store opened (see revision ``0001``). Its shape is kept here, written out rather than imported
from :mod:`storage.tables`, because the tables there move on with every revision while this must
never change: revision ``0001`` brings any database of 0.1 (or older, or empty) to exactly this,
and the tests build "a database written by 0.1" from it.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

BASELINE = MetaData()
ID = BigInteger().with_variant(Integer(), "sqlite")
"""A surrogate key: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite."""
TIME = DateTime(timezone=True)

Table(
    "broadcasts",
    BASELINE,
    Column("id", ID, primary_key=True),
    Column("text", Text(), nullable=False),
    Column("audience", String(), nullable=False),
    Column("grid_ids", Text(), nullable=False),
    Column("schedule", String(), nullable=False),
    Column("cron", String(), nullable=True),
    Column("occurrence_at", TIME, nullable=True),
    Column("next_run_at", TIME, nullable=True),
    Column("status", String(), nullable=False),
    Column("created_by", BigInteger(), nullable=True),
    Column("source", String(), nullable=False),
    Column("places", Text(), nullable=False, server_default="[]"),
    Index("ix_broadcasts_due", "status", "next_run_at"),
)

Table(
    "chat_moves",
    BASELINE,
    Column("old_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("new_id", BigInteger(), nullable=False),
    Column("moved_at", TIME, nullable=False),
)

Table(
    "day_counters",
    BASELINE,
    Column("day", String(), primary_key=True),
    Column("last", Integer(), nullable=False),
)

Table(
    "digests_sent",
    BASELINE,
    Column("unit", String(), primary_key=True),
    Column("period", String(), primary_key=True),
    Column("sent_at", TIME, nullable=False),
)

Table(
    "drafts",
    BASELINE,
    Column("resident_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("text", Text(), nullable=False),
    Column("photo", String(), nullable=True),
    Column("photos", Text(), nullable=True),
    Column("reason", String(), nullable=False),
    Column("created_at", TIME, nullable=False),
    Column("alert_chat", BigInteger(), nullable=True),
    Column("asked_at", TIME, nullable=True),
    Column("reminded", Boolean(), nullable=False, server_default=false()),
    Index("ix_drafts_asked_at", "asked_at"),
)

Table(
    "inbox",
    BASELINE,
    Column("update_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("raw", Text(), nullable=False),
    Column("processed", Boolean(), nullable=False),
    Column("received_at", TIME, nullable=False),
    Column("lane", BigInteger(), nullable=False, server_default="0"),
    Column("claimed_by", String(), nullable=True),
    Column("claimed_until", TIME, nullable=True),
    Index("ix_inbox_lane", "processed", "lane", "update_id"),
    Index("ix_inbox_processed", "processed", "update_id"),
)

Table(
    "leases",
    BASELINE,
    Column("name", String(), primary_key=True),
    Column("holder", String(), nullable=False),
    Column("until", TIME, nullable=False),
)

Table(
    "outbox",
    BASELINE,
    Column("id", ID, primary_key=True),
    Column("chat_id", BigInteger(), nullable=False),
    Column("text", Text(), nullable=False),
    Column("buttons", Text(), nullable=False),
    Column("photo", String(), nullable=True),
    Column("mentions", Text(), nullable=False),
    Column("card_of", BigInteger(), nullable=True),
    Column("edit_card_of", BigInteger(), nullable=True),
    Column("live", Boolean(), nullable=False, server_default=false()),
    Column("delete_message_id", BigInteger(), nullable=True),
    Column("status", String(), nullable=False),
    Column("posting_since", TIME, nullable=True),
    Column("attempts", Integer(), nullable=False),
    Column("next_attempt_at", TIME, nullable=True),
    Column("created_at", TIME, nullable=False),
    Column("sent_at", TIME, nullable=True),
    Column("message_id", BigInteger(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("dedupe_key", String(), nullable=True),
    Index("ix_outbox_status_chat_id", "status", "chat_id", "id"),
    Index("ix_outbox_status_id", "status", "id"),
    Index("ux_outbox_dedupe_key", "dedupe_key", unique=True),
)

Table(
    "places",
    BASELINE,
    Column("name", String(), primary_key=True),
    Column("grid_id", String(), nullable=False),
    Column("aliases", Text(), nullable=False),
    Index("ix_places_grid_id", "grid_id"),
)

Table(
    "poll_conflicts",
    BASELINE,
    Column("name", String(), primary_key=True),
    Column("at", TIME, nullable=False),
    Column("webhook", Boolean(), nullable=False),
)

Table(
    "residents",
    BASELINE,
    Column("user_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger(), nullable=False),
    Column("name", String(), nullable=False),
    Column("username", String(), nullable=True),
    Column("grid_id", String(), nullable=True),
    Column("place", String(), nullable=True),
    Column("seen_at", TIME, nullable=True),
)

Table(
    "tasks",
    BASELINE,
    Column("id", ID, primary_key=True),
    Column("number", String(), nullable=False, unique=True),
    Column("resident_id", BigInteger(), ForeignKey("residents.user_id"), nullable=False),
    Column("text", Text(), nullable=False),
    Column("photo", String(), nullable=True),
    Column("photos", Text(), nullable=True),
    Column("category", String(), nullable=False),
    Column("urgent", Boolean(), nullable=False),
    Column("confidence", Float(), nullable=False),
    Column("matched", Text(), nullable=False),
    Column("grid_id", String(), nullable=True),
    Column("place", String(), nullable=True),
    Column("building", String(), nullable=True),
    Column("unit", String(), nullable=True),
    Column("holder", String(), nullable=False),
    Column("level", Integer(), nullable=False),
    Column("status", String(), nullable=False),
    Column("claimer_id", BigInteger(), nullable=True),
    Column("claimed_at", TIME, nullable=True),
    Column("created_at", TIME, nullable=False),
    Column("claim_due_at", TIME, nullable=False),
    Column("resolve_due_at", TIME, nullable=False),
    Column("result", Text(), nullable=True),
    Column("result_photo", String(), nullable=True),
    Column("rating", String(), nullable=True),
    Column("reopen_count", Integer(), nullable=False),
    Column("merged_into", String(), nullable=True),
    Column("stage", String(), nullable=False),
    Column("next_followup_at", TIME, nullable=True),
    Column("kind", String(), nullable=False, server_default="repair"),
    Index("ix_tasks_claimer_status", "claimer_id", "status", "id"),
    Index("ix_tasks_grid_created", "grid_id", "created_at"),
    Index("ix_tasks_holder_status", "holder", "status", "id"),
    Index("ix_tasks_next_followup", "next_followup_at"),
    Index("ix_tasks_resident", "resident_id", "id"),
    Index("ix_tasks_status_grid", "status", "grid_id"),
)

Table(
    "awaited_notes",
    BASELINE,
    Column("worker_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("task_id", ID, ForeignKey("tasks.id"), nullable=False),
    Column("result", Text(), nullable=True),
    Column("result_photo", Text(), nullable=True),
)

Table(
    "cards",
    BASELINE,
    Column("task_id", ID, ForeignKey("tasks.id"), primary_key=True, autoincrement=False),
    Column("chat_id", BigInteger(), primary_key=True, autoincrement=False),
    Column("message_id", BigInteger(), nullable=False),
)

Table(
    "task_events",
    BASELINE,
    Column("id", ID, primary_key=True),
    Column("task_id", ID, ForeignKey("tasks.id"), nullable=False),
    Column("kind", String(), nullable=False),
    Column("actor_id", BigInteger(), nullable=True),
    Column("at", TIME, nullable=False),
    Column("note", Text(), nullable=False),
    Column("holder", String(), nullable=True),
    Column("due_at", TIME, nullable=True),
    Index("ix_task_events_task_id", "task_id"),
)
