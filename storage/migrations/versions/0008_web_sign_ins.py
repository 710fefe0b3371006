"""The web desk's one-time sign-in links: ``web_sign_ins``, new and empty.

One row per link the bot sent on ``/login``: the token's SHA-256 (never the token), whose link it
is, when it expires and when it was used (:mod:`bot.webdesk.signin`). Nothing existing changes,
so no table is rebuilt (no batch mode needed on SQLite).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sign_ins",
        sa.Column("token_hash", sa.Text(), primary_key=True),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_web_sign_ins_expires_at", "web_sign_ins", ["expires_at"])
