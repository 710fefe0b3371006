"""Timestamps written and read without SQLAlchemy's per-row processing (storage/bulk.py, the
follow-up tick's due rows) are stored exactly as SQLAlchemy stores them."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from storage.tables import UtcDateTime, read_utc, utc_writer


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.timezones()
    )
)
def test_bulk_timestamps_are_stored_exactly_as_sqlalchemy_stores_them(moment: datetime) -> None:
    """The fast writer gives SQLAlchemy's own stored form on both engines (so rows written
    either way compare and sort together), and the fast reader gives back the same instant."""
    for dialect in (sqlite.dialect(), PGDialect_asyncpg()):  # type: ignore[no-untyped-call]
        processor = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
        assert processor is not None
        stored = processor(moment)
        assert utc_writer(dialect)(moment) == stored
        assert read_utc(stored) == moment.astimezone(
            UTC
        )  # (PEP 495: never == across zones in a fold)
