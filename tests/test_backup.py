"""``griddesk backup`` and ``griddesk restore`` on real SQLite and PostgreSQL databases.

Tasks are written through the real store, backed up, changed, and restored; every row of every
table must come back. A bad file must be refused with one line and change nothing. The commands
run through the argument parser of :mod:`bot.cli.backup` with ``main``'s handling of operator
errors (:func:`griddesk`), in a thread, since restore runs the migrations with ``asyncio.run``.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import shutil
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Boolean, Connection, DateTime, Table, inspect, text
from sqlalchemy.engine import make_url

from bot.cli import backup
from bot.cli.arguments import UsageError
from bot.config.settings import DATABASE_VARIABLE, SettingsError
from bot.domain import EventKind, Outgoing, TaskEvent
from storage.engine import create_engine, open_store
from storage.migrations.baseline import BASELINE
from storage.schema import MIGRATIONS, revisions
from tests.conftest import DATA
from tests.databases import database_url
from tests.store_support import ALICE, DAY, NOW, new_task

pytestmark = pytest.mark.empty_database  # migrations and backups need nothing there

__all__ = ["database_url"]  # the fixture, imported so that pytest finds it here

Snapshot = dict[str, list[tuple[Any, ...]]]
RELEASE_0_1 = DATA / "release_0_1.sqlite"
"""A real database of release 0.1 (see tests/test_schema.py)."""


def griddesk(*argv: str) -> int:
    """Run ``griddesk backup|restore ARGS`` as ``bot.cli.main.main`` does: an operator's
    mistake is one ``griddesk: …`` line on stderr and exit status 2."""
    parser = argparse.ArgumentParser(prog="griddesk")
    backup.add_parser(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (UsageError, SettingsError) as exc:
        print(f"griddesk: {exc}", file=sys.stderr)
        return 2


async def run(*argv: str) -> int:
    return await asyncio.to_thread(griddesk, *argv)


def config_for(url: str, folder: Path) -> Path:
    config = folder / "griddesk.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', "utf-8")
    return config


async def write_tasks(url: str, *texts: str) -> list[str]:
    """A resident, a task per text with its created event, and a message to send; the
    tasks' numbers."""
    async with open_store(url) as store, store.transaction() as tx:
        await tx.save_resident(ALICE)
        tasks = [await tx.add_task(new_task(words), DAY) for words in texts]
        for task in tasks:
            await tx.add_event(TaskEvent(task.id, EventKind.CREATED, ALICE.user_id, NOW))
        await tx.enqueue(Outgoing(ALICE.chat_id, "已收到您反映的问题"))
    return [task.number for task in tasks]


async def execute(url: str, *statements: str) -> None:
    engine = create_engine(url, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def _every_row(connection: Connection) -> Snapshot:
    """Each row as its (column, value) pairs, so that rows of different revisions compare."""
    return {
        name: sorted(
            (
                tuple(row._mapping.items())
                for row in connection.execute(text(f'SELECT * FROM "{name}"'))
            ),
            key=repr,
        )
        for name in inspect(connection).get_table_names()
    }


def as_of(rows: list[tuple[Any, ...]], older: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """``rows`` with only the columns ``older``'s rows have: a column added since (empty in
    every restored row, which the caller checks) left out."""
    columns = {column for row in older for column, _ in row}
    return sorted(
        (tuple((column, value) for column, value in row if column in columns) for row in rows),
        key=repr,
    )


async def snapshot(url: str) -> Snapshot:
    """Every row of every table, by table."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_every_row)
    finally:
        await engine.dispose()


@pytest.mark.asyncio
async def test_restore_brings_back_every_row(database_url: str, tmp_path: Path) -> None:
    """Back up, change rows, delete some, add a task; restore: every table is as it was, and
    the store reads the tasks again."""
    config = config_for(database_url, tmp_path)
    numbers = await write_tasks(database_url, "3号楼下水堵了", "路灯不亮", "楼道堆满杂物")
    before = await snapshot(database_url)
    saved = tmp_path / "griddesk.backup"

    assert await run("backup", "--config", str(config), "--to", str(saved)) == 0
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600  # it holds residents' personal data

    await write_tasks(database_url, "又停水了")
    await execute(database_url, "UPDATE tasks SET text = 'changed'", "DELETE FROM outbox")
    assert await snapshot(database_url) != before

    assert await run("restore", "--config", str(config), "--from", str(saved), "--yes") == 0
    assert await snapshot(database_url) == before
    async with open_store(database_url) as store, store.transaction() as tx:
        first = await tx.task_by_number(numbers[0])
        assert first is not None
        assert first.text == "3号楼下水堵了"


@pytest.mark.asyncio
async def test_a_backup_taken_mid_transaction_holds_what_was_committed(
    database_url: str, tmp_path: Path
) -> None:
    """The bot keeps writing while the backup runs: the backup neither waits for an open
    transaction nor holds its uncommitted rows."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    committed = await snapshot(database_url)
    saved = tmp_path / "griddesk.backup"
    async with open_store(database_url) as store:
        async with store.transaction() as tx:
            await tx.add_task(new_task("电梯坏了"), DAY)
            backed_up = await asyncio.wait_for(
                run("backup", "--config", str(config), "--to", str(saved)), timeout=30
            )
        assert backed_up == 0

    assert await run("restore", "--config", str(config), "--from", str(saved), "--yes") == 0
    assert await snapshot(database_url) == committed


def _release_0_1_rows() -> Iterator[tuple[Table, list[dict[str, Any]]]]:
    """Every table's rows in the 0.1 file, parents first, typed as 0.1 wrote them."""
    with closing(sqlite3.connect(f"file:{RELEASE_0_1}?mode=ro", uri=True)) as source:
        source.row_factory = sqlite3.Row
        for table in BASELINE.sorted_tables:
            rows = [dict(row) for row in source.execute(f"SELECT * FROM {table.name}")]
            for row, column in itertools.product(rows, table.columns):
                if row[column.name] is not None and isinstance(column.type, Boolean):
                    row[column.name] = bool(row[column.name])
                elif row[column.name] is not None and isinstance(column.type, DateTime):
                    row[column.name] = datetime.fromisoformat(row[column.name]).replace(tzinfo=UTC)
            yield table, rows


def _upgrade(connection: Connection, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def database_at(url: str, revision: str) -> None:
    """Release 0.1's database (see tests/test_schema.py), upgraded as far as ``revision``."""
    if make_url(url).get_backend_name() == "sqlite":
        shutil.copy(RELEASE_0_1, make_url(url).database or "")
    engine = create_engine(url, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.run_sync(BASELINE.create_all)
                for table, rows in _release_0_1_rows():
                    if rows:
                        await connection.execute(table.insert(), rows)
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


@pytest.mark.asyncio
async def test_restoring_an_older_schema_runs_the_migrations(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup of an older griddesk's database (revision 0005) restored over one at the
    newest revision: the tables added since (with their rows) go, every row of the backup comes
    back, and the migrations bring it up to date, as at start-up: the upgrade path."""
    config = config_for(database_url, tmp_path)
    await database_at(database_url, "0005")
    at_0005 = await snapshot(database_url)
    assert len(at_0005["tasks"]) == 3
    saved = tmp_path / "griddesk-0005.backup"
    assert await run("backup", "--config", str(config), "--to", str(saved)) == 0
    async with open_store(database_url) as store, store.transaction() as tx:  # the newest
        await tx.keep_media(b"\xff\xd8photo", "image/jpeg", NOW)
    await execute(database_url, "UPDATE tasks SET text = 'changed'", "DELETE FROM outbox")
    capsys.readouterr()

    assert await run("restore", "--config", str(config), "--from", str(saved), "--yes") == 0

    assert "(schema revision 0005)" in capsys.readouterr().out
    restored = await snapshot(database_url)
    assert restored.pop("alembic_version") == [(("version_num", revisions().get_current_head()),)]
    assert at_0005.pop("alembic_version") == [(("version_num", "0005"),)]
    added_since = set(restored) - set(at_0005)
    assert "kept_media" in added_since
    assert all(restored.pop(name) == [] for name in added_since)
    added_columns = [
        (name, column, value)
        for name, rows in restored.items()
        for row in rows
        for column, value in row
        if at_0005[name] and column not in {c for old in at_0005[name] for c, _ in old}
    ]
    assert all(value is None for _, _, value in added_columns), added_columns
    assert {name: as_of(rows, at_0005[name]) for name, rows in restored.items()} == at_0005


@pytest.mark.asyncio
async def test_restore_refuses_while_the_database_is_in_use(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A running bot holds the database open: restore says to stop it, and changes nothing."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    saved = tmp_path / "griddesk.backup"
    assert await run("backup", "--config", str(config), "--to", str(saved)) == 0
    await write_tasks(database_url, "路灯不亮")
    before = await snapshot(database_url)

    async with open_store(database_url) as store:
        async with store.transaction() as tx:  # the pool keeps its connection afterwards
            assert await tx.task_by_number(f"{DAY}-0002") is not None
        capsys.readouterr()
        status = await run("restore", "--config", str(config), "--from", str(saved), "--yes")

    assert status == 2
    assert "(is griddesk running?): stop it, then restore" in capsys.readouterr().err
    assert await snapshot(database_url) == before


@pytest.mark.asyncio
async def test_restore_asks_first_and_no_changes_nothing(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --yes the operator confirms; anything but 'yes' restores nothing (status 1)."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    saved = tmp_path / "griddesk.backup"
    assert await run("backup", "--config", str(config), "--to", str(saved)) == 0
    await write_tasks(database_url, "路灯不亮")
    before = await snapshot(database_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("no\n"))

    assert await run("restore", "--config", str(config), "--from", str(saved)) == 1
    assert await snapshot(database_url) == before


def _garbage(path: Path, url: str) -> None:
    path.write_bytes(b"PK\x03\x04 not a backup at all" * 100)


def _empty(path: Path, url: str) -> None:
    path.write_bytes(b"")


def _other_engine(path: Path, url: str) -> None:
    """A backup of the engine the config does not use."""
    if make_url(url).get_backend_name() == "sqlite":
        path.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(200))
    else:
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE alembic_version (version_num TEXT)")
            db.execute("INSERT INTO alembic_version VALUES ('0006')")
        db.close()


BAD_FILES: list[tuple[str, Callable[[Path, str], None], str]] = [
    ("garbage", _garbage, "not a griddesk backup (neither SQLite nor pg_dump's format)"),
    ("empty", _empty, "not a griddesk backup"),
    ("other-engine", _other_engine, " backup; the configured database is "),
]


@pytest.mark.parametrize(
    ("make", "says"), [case[1:] for case in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
@pytest.mark.asyncio
async def test_a_file_that_is_no_backup_changes_nothing(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path, str], None],
    says: str,
) -> None:
    """Not a backup, or one of the other engine: one line saying so, status 2, no change."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    before = await snapshot(database_url)
    bad = tmp_path / "bad.backup"
    make(bad, database_url)

    assert await run("restore", "--config", str(config), "--from", str(bad), "--yes") == 2

    error = capsys.readouterr().err
    assert says in error
    assert error.count("\n") == 1
    assert await snapshot(database_url) == before


@pytest.mark.asyncio
async def test_a_missing_file_is_one_line(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped --from names the file."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    missing = tmp_path / "nosuch.backup"
    assert await run("restore", "--config", str(config), "--from", str(missing), "--yes") == 2
    assert (
        capsys.readouterr().err
        == f"griddesk: --from {missing}: cannot read: No such file or directory\n"
    )


@pytest.mark.parametrize("kept", [0.66, -100], ids=["two-thirds", "all-but-100-bytes"])
@pytest.mark.asyncio
async def test_a_truncated_backup_changes_nothing(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], kept: float
) -> None:
    """A backup cut short (a full disk, a broken copy) is refused, or fails during the restore
    (pg_dump's table of contents survives the loss of the last bytes) and rolls back: every row
    stays as it was."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, *(f"{n}号楼下水堵了" for n in range(1, 60)))
    saved = tmp_path / "griddesk.backup"
    assert await run("backup", "--config", str(config), "--to", str(saved)) == 0
    content = saved.read_bytes()
    saved.write_bytes(content[: int(len(content) * kept) if kept > 0 else int(kept)])
    await execute(database_url, "UPDATE tasks SET text = 'changed'", "DELETE FROM outbox")
    before = await snapshot(database_url)
    capsys.readouterr()

    assert await run("restore", "--config", str(config), "--from", str(saved), "--yes") == 2

    error = capsys.readouterr().err
    assert error.startswith(f"griddesk: {saved}: ")
    assert error.count("\n") == 1
    assert await snapshot(database_url) == before


@pytest.mark.asyncio
async def test_a_database_that_is_not_griddesks_is_refused(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup of a database without alembic_version (an empty one here): backup says restore
    will refuse it, and restore does, changing nothing."""
    config = config_for(database_url, tmp_path)
    if make_url(database_url).get_backend_name() == "sqlite":
        sqlite3.connect(make_url(database_url).database or "").close()  # an empty file
    saved = tmp_path / "empty.backup"
    assert await run("backup", "--config", str(config), "--to", str(saved)) == 0
    assert "restore will refuse it" in capsys.readouterr().out
    await write_tasks(database_url, "3号楼下水堵了")
    before = await snapshot(database_url)

    assert await run("restore", "--config", str(config), "--from", str(saved), "--yes") == 2

    assert "not a griddesk database (it has no alembic_version)" in capsys.readouterr().err
    assert await snapshot(database_url) == before


@pytest.mark.asyncio
async def test_a_backup_of_a_newer_griddesk_is_refused(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A schema revision this griddesk does not know: restore with that version, nothing
    changed here."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    head = revisions().get_current_head()
    await execute(database_url, "UPDATE alembic_version SET version_num = '9999'")
    saved = tmp_path / "newer.backup"
    assert await run("backup", "--config", str(config), "--to", str(saved)) == 0
    await execute(database_url, f"UPDATE alembic_version SET version_num = '{head}'")
    before = await snapshot(database_url)

    assert await run("restore", "--config", str(config), "--from", str(saved), "--yes") == 2

    assert "schema revision '9999', which this griddesk does not know" in capsys.readouterr().err
    assert await snapshot(database_url) == before


@pytest.mark.asyncio
async def test_backup_never_replaces_a_file(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An existing --to is left alone: a backup never overwrites another."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    earlier = tmp_path / "earlier.backup"
    earlier.write_bytes(b"yesterday's backup")

    assert await run("backup", "--config", str(config), "--to", str(earlier)) == 2
    assert "exists already" in capsys.readouterr().err
    assert earlier.read_bytes() == b"yesterday's backup"


def test_a_postgresql_url_becomes_libpq_s_without_its_password() -> None:
    """The asyncpg URL turns into libpq's connection string: the password goes to PGPASSWORD,
    asyncpg's ssl to sslmode, and parameters pg_dump does not know are left out."""
    db = backup.database(
        "postgresql+asyncpg://griddesk:s3cr%27et@db.example:5433/grid desk"
        "?ssl=require&prepared_statement_cache_size=0&application_name=gd"
    )
    assert db.file is None
    assert db.dsn == (
        "host='db.example' port='5433' dbname='grid desk' user='griddesk' sslmode='require' "
        "application_name='gd'"
    )
    assert db.env["PGPASSWORD"] == "s3cr'et"
    assert db.shown == "postgresql+asyncpg://griddesk:***@db.example:5433/grid desk" + (
        "?ssl=require&prepared_statement_cache_size=0&application_name=gd"
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.asyncio
async def test_a_password_is_never_printed(
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GRIDDESK_DATABASE_URL with a password: neither a backup's report nor a failure's
    message shows it (the server here trusts any password)."""
    config = config_for(database_url, tmp_path)
    await write_tasks(database_url, "3号楼下水堵了")
    with_password = make_url(database_url).set(password="pw-never-shown")
    monkeypatch.setenv(DATABASE_VARIABLE, with_password.render_as_string(hide_password=False))
    assert await run("backup", "--config", str(config), "--to", str(tmp_path / "a.backup")) == 0
    wrong = with_password.set(database="griddesk_no_such_database")
    monkeypatch.setenv(DATABASE_VARIABLE, wrong.render_as_string(hide_password=False))
    assert await run("backup", "--config", str(config), "--to", str(tmp_path / "b.backup")) == 2

    printed = capsys.readouterr()
    assert "***" in printed.out
    assert "griddesk_no_such_database" in printed.err
    assert "pw-never-shown" not in printed.out + printed.err
    assert not [path for path in tmp_path.iterdir() if path.name.startswith((".b", "b"))]
