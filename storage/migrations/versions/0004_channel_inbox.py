"""The inbox takes WeChat's and WeCom's messages too, and numbered choices are remembered.

Telegram numbers its updates, and the inbox was keyed by that ``update_id``. WeChat and WeCom
callbacks carry only their own dedupe key (a MsgId, or sender and CreateTime for an event), so
``inbox`` gains ``channel`` and ``message_key``, unique together; every row there is Telegram's
and becomes ``channel = 'telegram'`` (the server default) with no key, and NULL keys never
collide. Such a message gets an update id of ours from ``id_counters`` (a new table, empty
until the first one arrives; :mod:`storage.inbox_rows`). ``offered_choices`` is new too: the
numbered choices last offered in a chat that has no buttons (:mod:`storage.choice_rows`).
Every row is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("channel", sa.Text(), nullable=False, server_default="telegram"))
        batch.add_column(sa.Column("message_key", sa.Text(), nullable=True))
        batch.create_index("ux_inbox_channel_message_key", ["channel", "message_key"], unique=True)
    op.create_table(
        "id_counters",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "offered_choices",
        sa.Column("chat_id", sa.Text(), primary_key=True),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
    )
