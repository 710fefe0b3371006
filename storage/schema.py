"""Bringing a database up to this build's tables: Alembic's revisions in ``storage/migrations``.

Every start-up (and ``griddesk migrate``) applies the revisions the database lacks, in one
transaction: a database of release 0.1 (which had no ``alembic_version``) gets revision
``0001``'s check of its tables and everything after, a current one nothing. A new, empty
database is created as this build's tables and stamped with the newest revision, as Alembic
advises, rather than replayed through every revision: the same tables (``tests/test_schema.py``
compares both paths with this build's tables), at a tenth of the cost — which every test that
opens a fresh database pays. A revision that fails rolls the whole upgrade back, so a database is
never left half-migrated; the error is the database's own.

Several instances may start at once on one database. On PostgreSQL two transactions that both
find a table missing both create it, and the second fails when the first commits; so the
upgrade first takes a transaction-level advisory lock (:data:`SCHEMA_LOCK`), and the starters
take turns, each later one finding the work done. On SQLite, ``BEGIN IMMEDIATE``
(:mod:`storage.engine`) gives the upgrade's transaction the write lock before it looks.

SQLite recreates a table to change a column (Alembic's batch mode), which it refuses for a table
others refer to while foreign keys are enforced; so the upgrade runs on a connection without
them, and checks every reference (``PRAGMA foreign_key_check``) before it commits.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from storage import sql_store  # noqa: F401 - imported for its tables: every *_rows module's
from storage.tables import METADATA

log = logging.getLogger(__name__)

SCHEMA_LOCK = int.from_bytes(b"griddesk", "big")
"""The PostgreSQL advisory lock key (a bigint) held while the tables are brought up to date.
Advisory locks are per database, so instances on other databases never wait for it."""

MIGRATIONS = Path(__file__).parent / "migrations"


class BrokenReferences(RuntimeError):
    """An upgrade would leave rows that refer to rows that do not exist (rolled back)."""


def _config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our revisions, run on ``connection`` (see env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def revisions() -> ScriptDirectory:
    """The revisions this build knows, read once: every store opened asks for them, and
    reading them imports each revision's file (a 20 ms share of opening a new database)."""
    return ScriptDirectory.from_config(_config())


def current_revision(connection: Connection) -> str | None:
    """The revision the database is at; None for an empty database or one of release 0.1."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> list[str]:
    """Apply the revisions the database lacks, oldest first, and return their ids (empty when
    it was up to date). Runs inside the caller's transaction, which on PostgreSQL holds
    :data:`SCHEMA_LOCK` from here until it ends; on SQLite the connection must not enforce
    foreign keys (see the module's docstring), and the references are checked at the end."""
    if connection.dialect.name == "postgresql":
        # Released at commit or rollback: a starter that dies mid-upgrade frees it too.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
    script = revisions()
    before = current_revision(connection)
    head = script.get_current_head()
    if before == head:
        return []
    config = _config(connection)
    applied = [
        revision.revision
        for revision in reversed(list(script.iterate_revisions(head, before or "base")))
    ]
    if before is None and not inspect(connection).get_table_names():
        METADATA.create_all(connection)
        MigrationContext.configure(connection).stamp(script, "head")
        log.info("new database: this build's tables created, at revision %s", head)
        return applied
    command.upgrade(config, "head")
    if connection.dialect.name == "sqlite":
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
        if broken:
            raise BrokenReferences(f"{len(broken)} rows would refer to missing rows: {broken[:5]}")
    log.info("database upgraded: applied revision(s) %s", ", ".join(applied))
    return applied
