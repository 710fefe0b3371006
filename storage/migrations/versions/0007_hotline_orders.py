"""12345 work orders: ``hotline_orders``, new and empty.

One row per imported order, keyed by the platform's work-order number, naming the task it became
and the order's own times (:mod:`bot.hotline`, :mod:`storage.hotline_rows`). Nothing existing
changes, so no table is rebuilt (no batch mode needed on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hotline_orders",
        sa.Column("number", sa.Text(), primary_key=True),
        sa.Column(
            "task_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.ForeignKey("tasks.id"),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_hotline_orders_task", "hotline_orders", ["task_id"], unique=True)
    op.create_index("ix_hotline_orders_received", "hotline_orders", ["received_at"])
