"""Platform access tokens are kept in the database, one row per account, for every instance.

WeChat retires an account's access token soon after another is fetched, so instances that each
fetched their own would break each other's calls (issue 14). The token an instance fetches is
stored in ``platform_tokens`` (:mod:`storage.token_rows`) and every instance reads it from
there. A new table, nothing else changes: no row is touched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_tokens",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_by", sa.Text(), nullable=False),
    )
