"""People and chats are identified by their channel and the channel's id, as text.

Release 0.1 knew only Telegram, whose user and chat ids are integers, and stored them as
``BIGINT``. WeChat's OpenIDs and WeCom's UserIDs are strings, and one deployment may serve
residents on one channel and workers on another, so every such column becomes text holding
``channel:id`` (:mod:`bot.channels`): ``1001`` becomes ``telegram:1001``, ``-1001000000011``
becomes ``telegram:-1001000000011``, and the ``[id, name]`` pairs of ``outbox.mentions`` are
rewritten the same way. An inbox update that belonged to no chat (lane ``0``) gets the empty
lane, and the erased residents' placeholder (``0``) becomes ``forgotten``. Every row is kept.

PostgreSQL alters the columns in place (``USING``); SQLite, which cannot alter a column, gets
each table recreated and its rows copied (Alembic's batch mode). The foreign key from tasks to
residents is dropped while both ends change type and then made again.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID_COLUMNS = {
    "residents": ("user_id", "chat_id"),
    "tasks": ("resident_id", "claimer_id"),
    "task_events": ("actor_id",),
    "drafts": ("resident_id", "alert_chat"),
    "awaited_notes": ("worker_id",),
    "outbox": ("chat_id",),
    "cards": ("chat_id",),
    "chat_moves": ("old_id", "new_id"),
    "broadcasts": ("created_by",),
    "inbox": ("lane",),
}
"""Every column that held a Telegram user or chat id, by table."""

TELEGRAM = "telegram:"
FORGOTTEN = "forgotten"
"""The resident whose tasks were erased: 0 before, now text that is nobody's address."""


def upgrade() -> None:
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    resident_key = _resident_foreign_key(connection) if postgresql else None
    if resident_key is not None:
        op.drop_constraint(resident_key, "tasks", type_="foreignkey")
    for table, columns in ID_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(
                    column,
                    server_default="" if column == "lane" else None,
                    existing_server_default="0" if column == "lane" else None,
                    existing_type=sa.BigInteger(),
                    type_=sa.Text(),
                    postgresql_using=f"{column}::text",
                )
        for column in columns:
            # 0 was no chat (an inbox lane) or the forgotten resident, never a Telegram id
            zero = "''" if column == "lane" else f"'{FORGOTTEN}'"
            op.execute(
                f"UPDATE {table} SET {column} = CASE WHEN {column} = '0' THEN {zero} "
                f"ELSE '{TELEGRAM}' || {column} END WHERE {column} IS NOT NULL"
            )
    if resident_key is not None:
        op.create_foreign_key(resident_key, "tasks", "residents", ["resident_id"], ["user_id"])
    _rewrite_mentions(connection)


def _resident_foreign_key(connection: sa.Connection) -> str | None:
    """The name PostgreSQL gave the foreign key from ``tasks.resident_id`` to residents."""
    for key in sa.inspect(connection).get_foreign_keys("tasks"):
        if key["referred_table"] == "residents":
            return key["name"]
    return None


def _rewrite_mentions(connection: sa.Connection) -> None:
    """``[[2001, "张三"]]`` → ``[["telegram:2001", "张三"]]`` in every outbox row."""
    rows = connection.execute(sa.text("SELECT id, mentions FROM outbox WHERE mentions <> '[]'"))
    changed = [
        {"id": row_id, "mentions": json.dumps(
            [[f"{TELEGRAM}{user_id}", name] for user_id, name in json.loads(mentions)],
            ensure_ascii=False,
        )}
        for row_id, mentions in rows
    ]  # fmt: skip
    if changed:
        connection.execute(
            sa.text("UPDATE outbox SET mentions = :mentions WHERE id = :id"), changed
        )
