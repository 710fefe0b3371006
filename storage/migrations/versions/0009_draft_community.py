"""A waiting report remembers the community its resident picked: ``drafts.community``.

Where a report happened is asked in two steps (the community, then its 小区); a reminder of the
unanswered second step offers that community's places again instead of starting over
(:mod:`bot.followup.drafts`). A new nullable column: rows written before it have none, and their
reminder asks for the community as before. No table is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("drafts", sa.Column("community", sa.Text(), nullable=True))
