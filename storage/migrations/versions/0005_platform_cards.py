"""Cards changed by code (WeCom's ``response_code``): ``platform_cards``, new and empty.

A WeCom app changes a card only with a single-use code from its send or from a press; the
table keeps, per card, what it shows and the code for its next change, and gives the outbox
an integer id for it (:mod:`storage.card_rows`). Nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_cards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("chat_id", sa.Text(), nullable=False),
        sa.Column("task_key", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("response_code", sa.Text(), nullable=True),
        sa.Column("coded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_platform_cards_key", "platform_cards", ["channel", "task_key"], unique=True)
