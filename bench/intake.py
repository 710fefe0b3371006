"""Intake: resident messages → committed tasks, griddesk beside a bare python-telegram-bot app.

    python bench/intake.py [--messages 1500] [--rate 50] [--seconds 20]
                           [--engines sqlite,postgresql] [--skip-anchor] [--rounds 1]

Issue 13, point 4. For each database engine it prints, measured in the same run:

- burst: ``--messages`` messages queued at once; messages/s from queuing them to the last one
  committed, for the anchor and for griddesk, and griddesk's share of the anchor
  (goals: ≥ 300 messages/s, ≥ 0.6 of the anchor);
- paced: ``--rate`` messages a second for ``--seconds`` seconds; p50/p99 of the time from
  queuing a message to its commit (goal: p99 < 100 ms), while griddesk's outbox is sending
  the receipts and cards of the messages before it;
- beside them: sends the Bot API stand-in served, the bot process's CPU (% of one core), the
  machine's load average as each run started (other work on the machine skews both sides), and
  the observer's poll cycle, which is the resolution of every latency. With ``--rounds N`` the
  contenders take turns N times and the steadiest round of each is shown (as bench/classify.py
  does): the fastest burst, the paced run with the lowest p99.

The anchor is a bare python-telegram-bot Application, no griddesk code: PTB's own polling
(``run_polling``), one MessageHandler that commits one row per message (SQLAlchemy async, one
transaction each) and replies with sendMessage. Griddesk is ``griddesk run``, the production
entry point (rate limiter included), on config.example.toml. A message counts as committed, for
griddesk, once its task, the resident's receipt and the group's card are all in the database
(``tasks``, and ``outbox`` rows to the resident's chat and with ``card_of`` the task); for the
anchor, once its row is.

Each contender runs as a child process against its own Bot API stand-in (standins/telegram.py,
real HTTP on 127.0.0.1) and its own fresh database, so on a 2-core machine the bot has a core
and the stand-in plus the observer share the other, as Telegram is elsewhere in production.
This process queues the messages, one per resident (distinct residents, so the flood guard of
[limits], the merging of a resident's repeated report and the daily cap drop none; texts are
place × building × problem and tests/data/dev.csv, each one that becomes a task at once), and
notices commits by polling the database, every 2 ms in a paced run (a latency is an upper
bound, late by at most one poll cycle) and every 10 ms in a burst (where only the time of the
last commit counts, and the observer should take little from the machine). SQLite runs in WAL
(griddesk's setting; the anchor gets it too), so the observer's reads never hold a writer back.

PostgreSQL: a database ``griddesk_intake_*`` is created on 127.0.0.1:5432 for each run and
dropped after it; when the server does not answer, PostgreSQL is skipped with one line. Only
127.0.0.1 is contacted, and each child is stopped (SIGTERM, SIGKILL 10 s later) when its run
ends. No figure is asserted anywhere; tests/test_bench_intake.py checks that the counting works.

The children run the code of the tree this file is in (``PYTHONPATH``), not whatever the venv
installed: to measure a commit while the working tree changes, export it
(``git archive HEAD | tar -x -C DIR``) and run ``DIR/bench/intake.py`` with this venv's Python.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import itertools
import logging
import math
import os
import random
import secrets
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402  (after the path insert, as in the other benchmarks)
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels import telegram_id  # noqa: E402
from bot.config.org import Org  # noqa: E402
from bot.config.settings import ClassifierSettings, load_settings  # noqa: E402
from bot.domain import UnitKind  # noqa: E402
from bot.language import Language, build_language  # noqa: E402
from standins.telegram import BotApiStandIn, User  # noqa: E402
from storage.engine import async_url  # noqa: E402

EXAMPLE = ROOT / "config.example.toml"
DEV_SET = ROOT / "tests" / "data" / "dev.csv"
GRIDDESK = Path(sys.executable).parent / "griddesk"
TOKEN = "777000:INTAKE-BENCH"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN_DATABASES = ("test", "postgres")
FIRST_RESIDENT = 10_000_001
SYSTEMS = ("anchor", "griddesk")

GOAL_RATE = 300.0
GOAL_SHARE = 0.6
GOAL_P99_MS = 100.0

POLL_PACED = 0.002
POLL_BURST = 0.010
"""Seconds between two polls of the observer (plus the poll itself: the printed cycle)."""
SETTLE_AT_LEAST, SETTLE_RATE = 60.0, 5.0
"""After the last message is queued, a run waits this many seconds at least, or as long as
committing them at 5 a second would take, before it reports what was committed."""
START_TIMEOUT = 60.0
STOP_GRACE = 10.0
REREAD = 500
"""How far below the highest id seen the observer looks again for a row committed late (ids
are drawn before commit, so concurrent transactions can commit out of order)."""

_PROBLEMS = (
    "停水了",
    "又停水了，一滴都没有",
    "水压太小，楼上用不了水",
    "暖气不热，家里才十几度",
    "楼道灯不亮了，晚上黑咕隆咚的",
    "下水道堵了，污水往外冒",
    "电梯坏了，老人上不去楼",
    "门口垃圾堆了好几天没人清运",
    "单元门坏了关不上",
)
_ANCHOR_REPLY = "收到，已登记。"
_ANCHOR_ROWS = Table(
    "messages",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("update_id", BigInteger, nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("text", Text, nullable=False),
)


@dataclass(frozen=True)
class Workload:
    """What each contender is fed, on each engine."""

    messages: int = 1_500
    """The burst: this many messages queued at once."""
    rate: float = 50.0
    seconds: float = 20.0
    """The paced run: ``rate`` messages a second for ``seconds`` seconds."""

    def phases(self) -> tuple[Phase, Phase]:
        paced = Phase("paced", round(self.rate * self.seconds), self.rate)
        return Phase("burst", self.messages, None), paced


@dataclass(frozen=True)
class Phase:
    """How one run queues its messages: ``count`` of them, all at once or at ``rate``."""

    name: str
    count: int
    rate: float | None
    """Messages a second; None: all at once."""


@dataclass(frozen=True)
class Run:
    """One contender, one engine, one phase: when each resident's message was queued and seen."""

    system: str
    phase: Phase
    queued: dict[int, float]
    committed: dict[int, float]
    poll_cycle_s: float
    sends: int
    """sendMessage/sendPhoto calls the stand-in served until the last commit (or the time-out)."""
    cpu: float | None
    """The bot process's CPU time over the wall time of the run, in cores; None off Linux."""
    load: float
    """The machine's 1-minute load average as the run started: other work competing for it."""
    errors: tuple[str, ...]
    """ERROR lines and tracebacks in the bot's log."""

    @property
    def complete(self) -> bool:
        return len(self.committed) == self.phase.count

    @property
    def elapsed_s(self) -> float:
        """From the first message queued to the last commit seen."""
        return max(self.committed.values(), default=0.0) - min(self.queued.values())

    @property
    def rate(self) -> float:
        """Messages committed per second over :attr:`elapsed_s`."""
        return len(self.committed) / self.elapsed_s if self.committed else 0.0

    def latency_ms(self, quantile: float) -> float:
        """Queued → committed at ``quantile`` (nearest rank) of the messages committed."""
        times = sorted(self.committed[r] - self.queued[r] for r in self.committed)
        if not times:
            return float("nan")
        return times[max(0, math.ceil(quantile * len(times)) - 1)] * 1e3

    def steadier_than(self, other: Run) -> bool:
        """Of two rounds, the one the machine's other work disturbed less: all committed
        first, then the faster burst or the paced run with the lower p99."""
        if self.complete != other.complete:
            return self.complete
        if self.phase.rate is None:
            return self.rate > other.rate
        return self.latency_ms(0.99) < other.latency_ms(0.99)


def complaints(org: Org, language: Language) -> list[str]:
    """Residents' reports that each become a task at once, in a fixed shuffled order.

    Place × building × problem, and the dev set; kept when the text names a configured place
    and classifies without a question (no draft, no category buttons).
    """
    places = [place.name for grid in org.grids() for place in grid.places]
    made = [
        f"{place}{building}号楼{problem}"
        for place, building, problem in itertools.product(places, (1, 3, 5, 8, 12), _PROBLEMS)
    ]
    with DEV_SET.open(encoding="utf-8") as rows:
        made += [row["text"] for row in csv.DictReader(rows)]
    kept = [
        t
        for t in made
        if len(t) <= 200 and org.gazetteer.find(t) is not None and not language.classify(t).ask
    ]
    random.Random(13).shuffle(kept)
    return kept


# --- noticing commits ----------------------------------------------------------------------


class _Ids:
    """Row ids seen so far, and the id the next read starts above."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._prefix = 0
        self._top = 0

    def add(self, row_id: int) -> bool:
        """Record ``row_id``; False if it was seen before."""
        if row_id in self._seen:
            return False
        self._seen.add(row_id)
        self._top = max(self._top, row_id)
        while self._prefix + 1 in self._seen:
            self._prefix += 1
        return True

    def floor(self) -> int:
        return max(self._prefix, self._top - REREAD)


class Reader(Protocol):
    """Runs one read-only query, seeing everything committed before it started."""

    async def rows(self, query: str) -> Sequence[Sequence[Any]]: ...


class _SqliteReader:
    """The standard library's driver, called on the event loop: a read in WAL takes
    microseconds and never waits for the writer, which keeps the poll cycle short."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, isolation_level=None)

    async def rows(self, query: str) -> Sequence[Sequence[Any]]:
        return self._connection.execute(query).fetchall()

    async def close(self) -> None:
        self._connection.close()


class _PostgresReader:
    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def rows(self, query: str) -> Sequence[Sequence[Any]]:
        return list(await self._connection.fetch(query))

    async def close(self) -> None:
        await self._connection.close()


@asynccontextmanager
async def reading(url: str) -> AsyncIterator[Reader]:
    """A reader of the database at ``url``, outside any transaction (each query sees the latest)."""
    parsed = make_url(url)
    reader: _SqliteReader | _PostgresReader
    if parsed.get_backend_name() == "sqlite":
        reader = _SqliteReader(str(parsed.database))
    else:
        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        reader = _PostgresReader(await asyncpg.connect(plain, timeout=5))
    try:
        yield reader
    finally:
        await reader.close()


class Observer(Protocol):
    """Reads what was committed since its last poll."""

    async def poll(self, reader: Reader) -> Iterable[int]:
        """The residents whose message is now committed, each reported once."""
        ...


class AnchorRows:
    """The anchor's message is committed once its row is."""

    def __init__(self) -> None:
        self._rows = _Ids()

    async def poll(self, reader: Reader) -> Iterable[int]:
        rows = await reader.rows(
            f"SELECT id, chat_id FROM messages WHERE id > {self._rows.floor()}"
        )
        return [int(chat) for row_id, chat in rows if self._rows.add(int(row_id))]


class GriddeskTasks:
    """Griddesk's message is committed once its task, receipt and card all are.

    The receipt is an outbox row to the resident's private chat (its id is the resident's), the
    card an outbox row whose ``card_of`` is the task. Tasks are read before the outbox, so a
    message is never counted before its task was seen.
    """

    def __init__(self) -> None:
        self._tasks, self._outbox = _Ids(), _Ids()
        self._task_of: dict[int, int] = {}
        """Resident → their (first) task."""
        self._resident_of: dict[int, int] = {}
        self._receipted: set[int] = set()
        self._carded: set[int] = set()
        self._done: set[int] = set()

    async def poll(self, reader: Reader) -> Iterable[int]:
        touched: set[int] = set()
        tasks = await reader.rows(
            f"SELECT id, resident_id FROM tasks WHERE id > {self._tasks.floor()}"
        )
        for task_id, resident in tasks:
            if self._tasks.add(int(task_id)):
                self._task_of.setdefault(telegram_id(resident), int(task_id))
                self._resident_of[int(task_id)] = telegram_id(resident)
                touched.add(telegram_id(resident))
        outbox = await reader.rows(
            f"SELECT id, chat_id, card_of FROM outbox WHERE id > {self._outbox.floor()}"
        )
        for row_id, chat, card_of in outbox:
            if not self._outbox.add(int(row_id)):
                continue
            if card_of is not None:
                self._carded.add(int(card_of))
                touched.add(self._resident_of.get(int(card_of), 0))
            elif telegram_id(chat) > 0:
                self._receipted.add(telegram_id(chat))
                touched.add(telegram_id(chat))
        fresh = [r for r in touched if r not in self._done and self._committed(r)]
        self._done.update(fresh)
        return fresh

    def _committed(self, resident: int) -> bool:
        task = self._task_of.get(resident)
        return task is not None and resident in self._receipted and task in self._carded


class Watch:
    """Polls the database for committed messages and stamps each with when it was first seen.

    The stamp is the end of the poll that saw it: never before the commit, at most one poll
    cycle after it.
    """

    def __init__(self, observer: Observer, expected: int, every: float) -> None:
        self.observer, self.expected, self.every = observer, expected, every
        self.committed: dict[int, float] = {}
        self.all_in = asyncio.Event()
        self.polls = 0
        self.started = time.perf_counter()

    async def run(self, reader: Reader) -> None:
        while True:
            fresh = await self.observer.poll(reader)
            seen = time.perf_counter()
            for resident in fresh:
                self.committed.setdefault(resident, seen)
            self.polls += 1
            if len(self.committed) >= self.expected:
                self.all_in.set()
            await asyncio.sleep(self.every)

    def cycle_s(self) -> float:
        return (time.perf_counter() - self.started) / max(self.polls, 1)


@asynccontextmanager
async def watching(
    url: str, observer: Observer, expected: int, every: float
) -> AsyncIterator[Watch]:
    watch = Watch(observer, expected, every)
    async with reading(url) as reader:
        task = asyncio.create_task(watch.run(reader), name="intake-watch")
        try:
            yield watch
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# --- the contenders, as child processes ----------------------------------------------------


def serve_anchor(base_url: str, url: str) -> None:
    """The anchor (run in its own process): PTB polling, one row committed and one reply each."""
    engine = create_async_engine(async_url(url))
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _wal)

    async def create_table(_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        async with engine.begin() as connection:
            await connection.run_sync(_ANCHOR_ROWS.metadata.create_all)

    async def dispose(_application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await engine.dispose()

    async def on_message(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        async with engine.begin() as connection:
            await connection.execute(
                _ANCHOR_ROWS.insert().values(
                    update_id=update.update_id, chat_id=message.chat_id, text=message.text
                )
            )
        await message.reply_text(_ANCHOR_REPLY)

    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .post_init(create_table)
        .post_shutdown(dispose)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_message))
    application.run_polling(allowed_updates=Update.ALL_TYPES)


def _wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    finally:
        cursor.close()


def _griddesk_config(base_url: str, url: str) -> str:
    """config.example.toml, talking to the stand-in and storing in ``url``."""
    config = EXAMPLE.read_text("utf-8")
    for line, replacement in {
        'base_url = ""': f'base_url = "{base_url}"',
        "poll_timeout = 30": "poll_timeout = 5",
        'url = "sqlite:///griddesk.db"': f'url = "{url}"',
    }.items():
        if line not in config:
            raise RuntimeError(f"config.example.toml has no line {line!r} to change")
        config = config.replace(line, replacement)
    return config


@asynccontextmanager
async def child(
    argv: Sequence[str], env: dict[str, str], log: Path, standin: BotApiStandIn
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A bot process, from its first long poll until the block exits; then stopped."""
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        await _until_polling(standin, process, log)
        yield process
    finally:
        await _stop(process)


async def _until_polling(
    standin: BotApiStandIn, process: asyncio.subprocess.Process, log: Path
) -> None:
    polling = asyncio.create_task(standin.until_polling(timeout=START_TIMEOUT))
    exited = asyncio.create_task(process.wait())
    try:
        await asyncio.wait({polling, exited}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (polling, exited):
            task.cancel()
        await asyncio.gather(polling, exited, return_exceptions=True)
    if polling.cancelled() or polling.exception() is not None:
        tail = log.read_text("utf-8", "replace")[-2000:]
        raise RuntimeError(f"{log.stem} never polled (exit {process.returncode}):\n{tail}")


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(STOP_GRACE):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()


def _errors(log: Path) -> tuple[str, ...]:
    lines = log.read_text("utf-8", "replace").splitlines() if log.exists() else []
    return tuple(
        line[:200]
        for line in lines
        if line.startswith(("ERROR", "CRITICAL", "Traceback")) or " ERROR " in line
    )


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux), None where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- one run -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """What every run shares: the folder, the organisation, the texts, jieba's cache."""

    workdir: Path
    org: Org
    texts: Sequence[str]
    cache_home: Path
    """The bots' ``XDG_CACHE_HOME``; its ``griddesk`` folder holds a warm jieba cache."""

    async def measure(self, system: str, url: str, phase: Phase) -> Run:
        """Feed ``phase`` to ``system`` (anchor or griddesk) on the empty database ``url``."""
        label = f"{system}-{phase.name}-{async_url(url).get_backend_name()}"
        async with BotApiStandIn(token=TOKEN) as standin:
            residents = [
                standin.add_user(FIRST_RESIDENT + i, f"居民{i}") for i in range(phase.count)
            ]
            argv, env, observer = self._contender(system, url, standin, label)
            load = os.getloadavg()[0]
            every = POLL_BURST if phase.rate is None else POLL_PACED
            async with (
                child(argv, env, self.workdir / f"{label}.log", standin) as process,
                watching(url, observer, phase.count, every) as watch,
            ):
                cpu_before, started = _cpu_seconds(process.pid), time.perf_counter()
                queued = await self._feed(standin, residents, phase)
                with contextlib.suppress(TimeoutError):  # then the report says how many
                    async with asyncio.timeout(max(SETTLE_AT_LEAST, phase.count / SETTLE_RATE)):
                        await watch.all_in.wait()
                cpu_after, ended = _cpu_seconds(process.pid), time.perf_counter()
                sends = sum(c.method in {"sendMessage", "sendPhoto"} for c in standin.calls)
                committed = dict(watch.committed)
                cycle = watch.cycle_s()
        cpu = None
        if cpu_before is not None and cpu_after is not None:
            cpu = (cpu_after - cpu_before) / (ended - started)
        return Run(
            system,
            phase,
            queued,
            committed,
            poll_cycle_s=cycle,
            sends=sends,
            cpu=cpu,
            load=load,
            errors=_errors(self.workdir / f"{label}.log"),
        )

    def _contender(
        self, system: str, url: str, standin: BotApiStandIn, label: str
    ) -> tuple[list[str], dict[str, str], Observer]:
        env = {k: v for k, v in os.environ.items() if k != "GRIDDESK_DATABASE_URL"}
        # the child runs the code of the tree this file is in, whatever the venv installed
        path = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env |= {"PYTHONPATH": path, "PTB_TIMEDELTA": "true", "XDG_CACHE_HOME": str(self.cache_home)}
        if system == "anchor":
            argv = [sys.executable, str(Path(__file__).resolve()), "--serve-anchor"]
            return [*argv, standin.base_url, url], env, AnchorRows()
        for person in self.org.people.values():
            standin.add_user(telegram_id(person.user_id), person.name)
        for kind in UnitKind:
            for unit in self.org.units(kind):
                standin.add_group(telegram_id(unit.chat_id), unit.name)
        config = self.workdir / f"{label}.toml"
        config.write_text(_griddesk_config(standin.base_url, url), "utf-8")
        env["GRIDDESK_TELEGRAM_TOKEN"] = TOKEN
        return [str(GRIDDESK), "run", "--config", str(config)], env, GriddeskTasks()

    async def _feed(
        self, standin: BotApiStandIn, residents: Sequence[User], phase: Phase
    ) -> dict[int, float]:
        """Queue one message per resident, all at once or at ``phase.rate``; when each went."""
        queued: dict[int, float] = {}
        start = time.perf_counter()
        for i, (resident, message) in enumerate(zip(residents, itertools.cycle(self.texts))):
            if phase.rate is not None:
                await asyncio.sleep(max(0.0, start + i / phase.rate - time.perf_counter()))
            standin.send_text(resident, message)
            queued[resident.id] = time.perf_counter()
        return queued


# --- the databases -------------------------------------------------------------------------


@asynccontextmanager
async def database(engine: str, workdir: Path, label: str) -> AsyncIterator[str]:
    """A fresh SQLite file in ``workdir``, or a ``griddesk_intake_*`` PostgreSQL database;
    removed when the block exits."""
    if engine == "sqlite":
        path = workdir / f"{label}-{secrets.token_hex(4)}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"griddesk_intake_{secrets.token_hex(6)}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        await _admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
        await _admin(f'DROP DATABASE IF EXISTS "{name}"')


async def _admin(statement: str) -> None:
    """Run ``statement`` outside a transaction on the first administrative database that answers."""
    error: BaseException | None = None
    for admin in PG_ADMIN_DATABASES:
        try:
            connection = await asyncpg.connect(f"{PG_SERVER}/{admin}", timeout=5)
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            error = exc
            continue
        try:
            await connection.execute(statement)
        finally:
            await connection.close()
        return
    assert error is not None
    raise error


async def postgresql_missing() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        await _admin("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# --- the report ----------------------------------------------------------------------------


def report(engine: str, workload: Workload, runs: dict[tuple[str, str], Run]) -> None:
    """One table per engine: the anchor and griddesk side by side, griddesk's goals beside."""
    burst, paced = workload.phases()

    def both(phase: Phase, figure: Callable[[Run], str]) -> list[str]:
        found = [runs.get((system, phase.name)) for system in SYSTEMS]
        return [figure(run) if run is not None else "-" for run in found]

    def verdict(phase: Phase, ok: Callable[[Run], bool]) -> str:
        run = runs.get(("griddesk", phase.name))
        return "-" if run is None else "met" if run.complete and ok(run) else "missed"

    def committed(run: Run) -> str:
        return f"{len(run.committed):,}" + ("" if run.complete else "*")

    def cpu(run: Run) -> str:
        return "-" if run.cpu is None else f"{run.cpu * 100:.0f}"

    anchor = runs.get(("anchor", "burst"))
    griddesk = runs.get(("griddesk", "burst"))
    share = griddesk.rate / anchor.rate if anchor and griddesk and anchor.rate else None
    lines: list[tuple[str, list[str], str, str]] = [
        (
            f"burst of {burst.count:,}: messages/s",
            both(burst, lambda r: f"{r.rate:.0f}"),
            f"≥ {GOAL_RATE:.0f}",
            verdict(burst, lambda r: r.rate >= GOAL_RATE),
        ),
        (
            "burst: griddesk's share of the anchor",
            ["", "-" if share is None else f"{share:.2f}"],
            f"≥ {GOAL_SHARE}",
            "-" if share is None else verdict(burst, lambda _: share >= GOAL_SHARE),
        ),
        ("burst: messages committed", both(burst, committed), "", ""),
        ("burst: seconds to commit them", both(burst, lambda r: f"{r.elapsed_s:.1f}"), "", ""),
        ("burst: sends served meanwhile", both(burst, lambda r: f"{r.sends:,}"), "", ""),
        ("burst: bot CPU, % of one core", both(burst, cpu), "", ""),
        ("burst: load average at start", both(burst, lambda r: f"{r.load:.1f}"), "", ""),
        (
            f"paced {workload.rate:g}/s, {paced.count:,} messages: p50 ms",
            both(paced, lambda r: f"{r.latency_ms(0.50):.0f}"),
            "",
            "",
        ),
        (
            "paced: p99 ms",
            both(paced, lambda r: f"{r.latency_ms(0.99):.0f}"),
            f"< {GOAL_P99_MS:.0f}",
            verdict(paced, lambda r: r.latency_ms(0.99) < GOAL_P99_MS),
        ),
        ("paced: max ms", both(paced, lambda r: f"{r.latency_ms(1.0):.0f}"), "", ""),
        ("paced: messages committed", both(paced, committed), "", ""),
        ("paced: sends served meanwhile", both(paced, lambda r: f"{r.sends:,}"), "", ""),
        ("paced: bot CPU, % of one core", both(paced, cpu), "", ""),
        ("paced: load average at start", both(paced, lambda r: f"{r.load:.1f}"), "", ""),
        (
            "observer's poll cycle, ms (burst/paced)",
            [
                "/".join(
                    f"{run.poll_cycle_s * 1e3:.1f}" if run else "-"
                    for run in (runs.get((system, "burst")), runs.get((system, "paced")))
                )
                for system in SYSTEMS
            ],
            "",
            "",
        ),
    ]
    width = 42
    print(f"\n{engine:{width}}{'anchor':>10}{'griddesk':>10}{'goal':>9}{'griddesk':>9}")
    for label, (anchor_cell, griddesk_cell), goal, met in lines:
        print(f"{label:{width}}{anchor_cell:>10}{griddesk_cell:>10}{goal:>9}{met:>9}")
    for (system, phase_name), run in sorted(runs.items()):
        if not run.complete:
            print(
                f"  * {system} {phase_name}: timed out, {len(run.committed):,} of "
                f"{run.phase.count:,} committed; its figures are of those"
            )
        for line in run.errors[:5]:
            print(f"  {system} {phase_name} log: {line}")


async def run(
    workload: Workload, engines: Sequence[str], *, anchor: bool = True, rounds: int = 1
) -> None:
    """Measure and report each engine in turn; files live in a folder removed at the end."""
    main = asyncio.current_task()
    if main is not None:  # SIGTERM cleans up as Ctrl+C does: children stopped, databases dropped
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main.cancel)
    workdir = Path(tempfile.mkdtemp(prefix="griddesk-intake-"))
    try:
        cache_home = workdir / "cache"
        language = build_language(ClassifierSettings(cache_dir=cache_home / "griddesk"))
        org = load_settings(EXAMPLE).require_org()
        bench = Bench(workdir, org, complaints(org, language), cache_home)
        systems = SYSTEMS if anchor else ("griddesk",)
        print(
            f"intake on {os.cpu_count()} cores: bursts of {workload.messages:,} messages, and "
            f"{workload.rate:g} messages/s for {workload.seconds:g} s; one message per resident, "
            f"{len(bench.texts)} different texts; best of {rounds} round(s)",
            flush=True,
        )
        for engine in engines:
            if engine == "postgresql" and (reason := await postgresql_missing()):
                print(f"\npostgresql: skipped, {PG_SERVER} does not answer ({reason})")
                continue
            runs: dict[tuple[str, str], Run] = {}
            for round_, phase, system in itertools.product(
                range(1, rounds + 1), workload.phases(), systems
            ):
                print(f"{engine}: {system}, {phase.name}, round {round_} …", flush=True)
                async with database(engine, workdir, f"{system}-{phase.name}") as url:
                    measured = await bench.measure(system, url, phase)
                best = runs.get((system, phase.name))
                if best is None or measured.steadier_than(best):
                    runs[system, phase.name] = measured
            report(engine, workload, runs)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=Workload.messages, help="burst size")
    parser.add_argument("--rate", type=float, default=Workload.rate, help="paced: messages/s")
    parser.add_argument("--seconds", type=float, default=Workload.seconds, help="paced: duration")
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--skip-anchor", action="store_true", help="measure griddesk only")
    parser.add_argument("--rounds", type=int, default=1, help="report the steadiest of N")
    # the anchor's own process: python bench/intake.py --serve-anchor BASE_URL DATABASE_URL
    parser.add_argument("--serve-anchor", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("jieba").setLevel(logging.WARNING)
    # a child killed after its grace leaves a request half-read; the stand-in logs each one
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    if args.serve_anchor:
        serve_anchor(*args.serve_anchor)
        return
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if unknown := set(engines) - {"sqlite", "postgresql"}:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    if min(args.messages, args.rate, args.seconds, args.rounds) <= 0:
        parser.error("--messages, --rate, --seconds and --rounds must be positive")
    workload = Workload(args.messages, args.rate, args.seconds)
    try:
        asyncio.run(run(workload, engines, anchor=not args.skip_anchor, rounds=args.rounds))
    except asyncio.CancelledError:  # SIGTERM, after everything was cleaned up
        sys.exit("intake: stopped")


if __name__ == "__main__":
    main()
