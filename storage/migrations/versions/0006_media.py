"""Kept media (a WeChat resident's photos): ``kept_media``, new and empty.

WeChat keeps a photo a resident sent for 3 days, so the bot fetches it when the message is
handled and keeps the bytes, which the workers' channels upload from there
(:mod:`storage.media_rows`). Nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_media",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.Text(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kept_media_kept_at", "kept_media", ["kept_at"])
