"""``griddesk backup`` and ``griddesk restore``: the whole database into one file, and back.

Not a copy of the database's files: a SQLite file copied while the bot writes can be torn (the
newest pages are in its write-ahead log), and PostgreSQL's files cannot be copied at all while
the server runs. Instead:

- SQLite: the backup is SQLite's online backup (``Connection.backup``), a consistent snapshot
  even while the bot runs, written as one self-contained file. Restoring runs the same API the
  other way, into the database file, in one transaction, and only while nobody else has the
  database open: it takes SQLite's exclusive lock first, which any other open connection (a
  running bot) prevents, and refuses when it cannot.
- PostgreSQL: ``pg_dump --format=custom``. Restoring pipes ``pg_restore``'s SQL into ``psql
  --single-transaction``, which first drops every table of the database's schema: tables a
  newer griddesk added would otherwise block the drops of ``pg_restore --clean`` (their foreign
  keys) or survive it and break the migrations that follow. Refused while anyone else is
  connected; a failure anywhere, a damaged file included, rolls everything back.

Before anything is touched, both refuse a file that is not a griddesk database (no
``alembic_version``) or whose schema is newer than this griddesk knows; after restoring an older
schema, the migrations run as at start-up: the upgrade path. The database's password is never
printed and never on a command line (the client programs read ``PGPASSWORD``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.cli.arguments import UsageError
from bot.config.environment import blank_password
from bot.config.settings import load_settings

_HELP = "the config file (see config.example.toml)"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DUMP_MAGIC = b"PGDMP"
_LIBPQ_PARAMETERS = frozenset(
    {"sslmode", "sslrootcert", "sslcert", "sslkey", "sslcrl", "passfile", "connect_timeout"}
    | {"application_name", "options", "target_session_attrs", "host", "port", "gssencmode"}
)
"""URL parameters pg_dump understands too; SQLAlchemy's and asyncpg's own are left out."""
_DROP_EVERY_TABLE = (
    "SET lock_timeout = '10s';"
    "DO $$DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables"
    " WHERE schemaname = current_schema() LOOP"
    " EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t); END LOOP; END$$;"
)
_PROGRAM_PREFIX = re.compile(r"^(pg_dump|pg_restore|psql): (error: )?")
_OTHER_SESSIONS = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser(
        "backup",
        help="write the configured database to one backup file (safe while the bot runs)",
        description="Write the configured database to a new file: SQLite's online backup, or "
        "pg_dump's custom format for PostgreSQL; a consistent snapshot even while the bot "
        "runs. The file holds residents' personal data: keep it as safe as the database.",
    )
    backup.add_argument("--config", type=Path, required=True, help=_HELP)
    backup.add_argument(
        "--to", type=Path, required=True, metavar="FILE", help="the file to write (a new one)"
    )
    backup.set_defaults(run=run_backup)
    restore = commands.add_parser(
        "restore",
        help="replace the configured database with a backup (stop the bot first)",
        description="Replace everything in the configured database with a backup made by "
        "griddesk backup, in one transaction, then bring it up to this version's tables. "
        "Stop the bot first: restore refuses while anyone else uses the database. A file that "
        "is not a griddesk backup, or one of a newer griddesk, changes nothing.",
    )
    restore.add_argument("--config", type=Path, required=True, help=_HELP)
    restore.add_argument(
        "--from", dest="source", type=Path, required=True, metavar="FILE", help="the backup"
    )
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(run=run_restore)


@dataclass(frozen=True)
class Database:
    """The configured database, as the backup needs it."""

    shown: str
    """Its URL with the password blanked: the only way it is printed."""
    file: Path | None
    """SQLite's file; None for PostgreSQL."""
    dsn: str = ""
    """PostgreSQL: libpq's ``key='value'`` connection string, without the password."""
    env: dict[str, str] = field(default_factory=dict)
    """PostgreSQL: the environment for the client programs (``PGPASSWORD`` among it)."""


def database(url: str) -> Database:
    """``url`` (``database.url``, or ``GRIDDESK_DATABASE_URL``) in the form the backup uses."""
    from storage.engine import async_url  # noqa: PLC0415 - SQLAlchemy loads only here

    try:
        parsed = async_url(url)
    except ValueError as exc:
        raise UsageError(f"database: {blank_password(url)}: {exc}") from None
    shown = blank_password(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise UsageError(f"database: {shown}: an in-memory database has nothing to back up")
        return Database(shown, Path(parsed.database).resolve())
    pairs = {"host": parsed.host, "port": parsed.port, "dbname": parsed.database}
    pairs["user"] = parsed.username
    for name, given in parsed.query.items():
        value = given if isinstance(given, str) else given[-1]
        if name == "ssl":  # asyncpg's name for libpq's sslmode
            pairs["sslmode"] = {"true": "require", "false": "disable"}.get(value, value)
        elif name in _LIBPQ_PARAMETERS:
            pairs[name] = value
    dsn = " ".join(f"{key}={_quoted(str(value))}" for key, value in pairs.items() if value)
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    return Database(shown, None, dsn, env)


def run_backup(args: argparse.Namespace) -> int:
    db = database(load_settings(args.config).database_url)
    with _new_file(args.to) as partial:
        if db.file is not None:
            revision = _sqlite_backup(db.file, partial)
        else:
            dump = ["--format=custom", f"--file={partial}", f"--dbname={db.dsn}"]
            _client("pg_dump", dump, f"cannot back up {db.shown}", db)
            revision = _dump_revision(partial)
    print(f"Backed up {db.shown} (schema revision {revision or 'none'}) to {args.to}.")
    if revision is None:
        print("It has no alembic_version table (griddesk 0.1?): restore will refuse it.")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    url = load_settings(args.config).database_url
    db = database(url)
    source: Path = args.source
    revision = _checked_revision(source, db)
    _refuse_if_in_use(source, db)
    question = f"Replace everything in {db.shown} with {source} (schema revision {revision})?"
    if not args.yes and not _confirm(question):
        print("Nothing restored.")
        return 1
    if db.file is not None:
        _sqlite_restore(source, db.file)
    else:
        _pg_restore(source, db)
    applied = _migrate(url, db.shown)
    after = f"applied revision(s) {', '.join(applied)}" if applied else "its schema is current"
    print(f"Restored {source} (schema revision {revision}) into {db.shown}; {after}.")
    return 0


def _checked_revision(source: Path, db: Database) -> str:
    """The backup's schema revision, once the file is found to be a griddesk backup of the
    configured engine that this griddesk can restore; else a :class:`UsageError`."""
    from storage.schema import revisions  # noqa: PLC0415 - Alembic loads only here

    try:
        with source.open("rb") as stream:
            head = stream.read(len(_SQLITE_MAGIC))
    except OSError as exc:
        raise UsageError(f"--from {source}: cannot read: {exc.strerror or exc}") from None
    engine = "SQLite" if db.file is not None else "PostgreSQL"
    if head == _SQLITE_MAGIC:
        kind = "SQLite"
    elif head.startswith(_DUMP_MAGIC):
        kind = "PostgreSQL"
    else:
        raise UsageError(f"{source}: not a griddesk backup (neither SQLite nor pg_dump's format)")
    if kind != engine:
        raise UsageError(f"{source} is a {kind} backup; the configured database is {engine}")
    revision = _sqlite_revision(source) if kind == "SQLite" else _dump_revision(source)
    if revision is None:
        raise UsageError(f"{source}: not a griddesk database (it has no alembic_version)")
    if revision not in {script.revision for script in revisions().walk_revisions()}:
        raise UsageError(
            f"{source} is at schema revision {revision!r}, which this griddesk does not know: "
            "restore it with the griddesk that made it, or a newer one"
        )
    return revision


def _sqlite_backup(source: Path, partial: Path) -> str | None:
    """Back ``source`` up into ``partial`` as one self-contained file (no write-ahead log)."""
    if not source.exists():
        raise UsageError(f"database.url: there is no database at {source}")
    try:
        with closing(sqlite3.connect(source)) as db, closing(sqlite3.connect(partial)) as copy:
            db.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            return _revision(copy)
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{source}: cannot back it up: {exc}") from None


def _sqlite_revision(file: Path) -> str | None:
    """The backup's ``alembic_version``, once the file is found whole: as long as its header
    says, and passing SQLite's own check."""
    expected = _sqlite_length(file)
    if expected is not None and file.stat().st_size != expected:
        raise UsageError(f"{file}: a damaged SQLite file ({expected} bytes expected, cut short?)")
    try:
        with closing(_read_only(file)) as db:
            (check,) = db.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise UsageError(f"{file}: a damaged SQLite file ({check})")
            return _revision(db)
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{file}: cannot read it as SQLite: {exc}") from None


def _sqlite_length(file: Path) -> int | None:
    """The file's length by its header (page size × pages); None when the header does not
    vouch for its page count (its change counter and version-valid-for differ)."""
    with file.open("rb") as stream:
        header = stream.read(100)
    page_size, pages = int.from_bytes(header[16:18], "big"), int.from_bytes(header[28:32], "big")
    if len(header) < 100 or not pages or header[24:28] != header[92:96]:
        return None
    return (65536 if page_size == 1 else page_size) * pages


def _revision(db: sqlite3.Connection) -> str | None:
    try:
        rows = db.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.OperationalError:  # no such table
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def _sqlite_restore(source: Path, target: Path) -> None:
    """Copy ``source`` into ``target`` in one transaction, holding its exclusive lock."""
    if not target.parent.is_dir():
        raise UsageError(f"database.url: there is no folder {target.parent}")
    try:
        with _exclusively(target) as db, closing(_read_only(source)) as backup:
            backup.backup(db)
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{target}: cannot restore into it: {exc}") from None


@contextmanager
def _exclusively(target: Path) -> Iterator[sqlite3.Connection]:
    """``target`` opened with SQLite's exclusive lock, which nobody else may have open; a
    :class:`UsageError` when someone has (a running bot keeps its connections open)."""
    with closing(sqlite3.connect(target, timeout=0, isolation_level=None)) as db:
        try:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("BEGIN EXCLUSIVE")
            db.execute("SELECT count(*) FROM sqlite_master").fetchall()
            db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if "locked" in str(exc):
                raise UsageError(
                    f"{target} is in use (is griddesk running?): stop it, then restore"
                ) from None
            raise UsageError(f"{target}: cannot open it as SQLite: {exc}") from None
        yield db


def _read_only(file: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)


def _refuse_if_in_use(source: Path, db: Database) -> None:
    """Refuse, before asking anything, a database someone uses (or the backup itself)."""
    if db.file is None:
        sessions = ["-XAt", "-c", _OTHER_SESSIONS, f"--dbname={db.dsn}"]
        others = int(_client("psql", sessions, db.shown, db))
        if others:
            raise UsageError(
                f"{db.shown}: {others} other connection(s) open (is griddesk running?): "
                "stop it, then restore"
            )
    elif db.file.exists():  # a missing one is created by the restore, not before
        if source.resolve().samefile(db.file):
            raise UsageError(f"--from {source} is the configured database itself")
        with _exclusively(db.file):
            pass


def _dump_revision(dump: Path) -> str | None:
    """The ``alembic_version`` row of a ``pg_dump`` archive, read without restoring it."""
    arguments = ["--data-only", "--table=alembic_version", "--file=-", str(dump)]
    script = _client("pg_restore", arguments, f"{dump}: a damaged pg_dump archive")
    lines = iter(script.splitlines())
    for line in lines:
        if line.startswith("COPY ") and ".alembic_version " in line:
            values: list[str] = []
            for value in lines:
                if value == "\\.":
                    return values[0] if len(values) == 1 else None
                values.append(value)
    return None


def _pg_restore(dump: Path, db: Database) -> None:
    """``pg_restore``'s SQL through ``psql`` in one transaction, after every table is dropped.

    The pipe runs through this process so that a ``pg_restore`` that fails halfway (a
    truncated file) never lets ``psql`` reach the end of its input and commit: ``psql`` is
    killed instead, and the server rolls the transaction back."""
    restore_args = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--file=-"]
    psql_args = ["-Xq", "--single-transaction", "--set=ON_ERROR_STOP=1", f"--dbname={db.dsn}"]
    with (
        tempfile.TemporaryFile() as reader_err,
        tempfile.TemporaryFile() as writer_err,
        subprocess.Popen(
            [_program("pg_restore"), *restore_args, str(dump)],
            stdout=subprocess.PIPE,
            stderr=reader_err,
        ) as reader,
        subprocess.Popen(
            [_program("psql"), *psql_args, "-c", _DROP_EVERY_TABLE, "-f", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=writer_err,
            env=db.env,
        ) as writer,
    ):
        assert reader.stdout is not None  # a pipe
        assert writer.stdin is not None  # a pipe
        psql_stopped = False
        try:
            shutil.copyfileobj(reader.stdout, writer.stdin)
        except BrokenPipeError:  # psql stopped at an error, and rolled back
            psql_stopped = True
            reader.kill()
        restore_failed = not psql_stopped and reader.wait() != 0
        if restore_failed:
            writer.kill()  # before its input ends: nothing is committed
        with contextlib.suppress(BrokenPipeError):
            writer.stdin.close()
        if restore_failed:
            raise _nothing_restored(dump, "pg_restore", reader_err)
        if writer.wait() != 0:
            raise _nothing_restored(dump, "psql", writer_err)


def _nothing_restored(dump: Path, program: str, errors: IO[bytes]) -> UsageError:
    errors.seek(0)
    reason = _reason(errors.read().decode("utf-8", "replace"))
    return UsageError(f"{dump}: nothing restored; {program}: {reason}")


def _client(
    program: str, arguments: Sequence[str], failure: str, db: Database | None = None
) -> str:
    """Run one of PostgreSQL's client programs: what it printed; when it fails, a
    :class:`UsageError` of ``failure`` and the program's own reason."""
    done = subprocess.run(
        [_program(program), *arguments],
        capture_output=True,
        text=True,
        env=db.env if db is not None else None,
        check=False,
    )
    if done.returncode != 0:
        raise UsageError(f"{failure}: {_reason(done.stderr)}")
    return done.stdout


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise UsageError(
            f"{name} not found: install PostgreSQL's client programs (Debian: "
            "postgresql-client), of the server's major version or newer"
        )
    return found


def _reason(stderr: str) -> str:
    """The line that says what went wrong, of a client program's complaints, without the
    program's name (``pg_restore: error: ``) before it."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "fatal" in line.lower()]
    reason = (errors or lines or ["failed, without saying why"])[0]
    return blank_password(_PROGRAM_PREFIX.sub("", reason))


def _migrate(url: str, shown: str) -> list[str]:
    import asyncio  # noqa: PLC0415 - only restore runs the migrations

    from storage.engine import UNAVAILABLE, driver_reason, migrate  # noqa: PLC0415

    try:
        return asyncio.run(migrate(url))
    except UNAVAILABLE as exc:
        raise UsageError(
            f"{shown}: restored, but the migrations failed: {driver_reason(exc)}"
        ) from None


@contextmanager
def _new_file(target: Path) -> Iterator[Path]:
    """A private temporary file beside ``target``, which becomes ``target`` when the block
    succeeds and disappears when it fails: no half-written backup ever bears the name."""
    if target.exists():
        raise UsageError(f"--to {target}: exists already; a backup never replaces another")
    if not target.parent.is_dir():
        raise UsageError(f"--to {target}: there is no folder {target.parent}")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"--to {target}: cannot write there: {exc.strerror or exc}") from None
    os.close(handle)  # mode 0600: a backup holds residents' personal data
    partial = Path(name)
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _quoted(value: str) -> str:
    """``value`` as libpq's connection strings quote it."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _confirm(question: str) -> bool:
    print(f"{question} Type 'yes' to go on: ", end="", flush=True)
    return sys.stdin.readline().strip().lower() == "yes"
