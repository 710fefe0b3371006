"""How long one follow-up tick takes among a million stored tasks, on SQLite and PostgreSQL.

    python bench/followup_tick.py [--tasks 1000000] [--due 10000] [--engine sqlite|postgresql|both]

The question (goal: a tick under one second): with N tasks stored and D of them due, how long
does ``FollowUp.tick(now)`` take to find the due rows through the indexed
``tasks.next_followup_at`` and take each one's step?

Each engine gets a fresh database: a SQLite file in a temporary folder, or a
``griddesk_bench_<random>`` database on the PostgreSQL server at 127.0.0.1:5432, dropped at the
end (skipped, with the reason, when the server does not answer). :func:`storage.engine.open_store`
creates the tables, then a generated load goes in: a few thousand residents of the example
organisation's three grids (config.example.toml), tasks in every category over three years,
numbered per local day as the store numbers them; most were closed long ago (nothing scheduled),
some are open, claimed or resolved with their next step later than ``now``, and exactly D are open
with their claim deadline passed in the last hour, so each takes exactly one step (the reminder
to its group). Loading takes each engine's fast path: SQLAlchemy Core executemany in one
transaction on SQLite; ``COPY`` on PostgreSQL, then ``VACUUM ANALYZE``, as autovacuum would have
done long before a table grew this big.

Then, on a freshly opened store, with a fixed ``now``:

- the due-row query alone, ``tx.due_tasks(now, 100)`` in a fresh transaction (the first call and
  the median of five), and the plan of the statement it sent;
- tick 1: wall time (``time.perf_counter``), steps, steps/s, transactions, and the statements it
  sent by kind with the time the driver spent on them (everything else is Python: the ORM, the
  texts and cards);
- tick 2 right after: nothing is due any more, so this is the cost of finding nothing;
- a check that every due task was reminded exactly once.

Only 127.0.0.1 is contacted. Figures are of one run on whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate, chain, islice
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Engine, Select, event, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels import telegram  # noqa: E402
from bot.config.org import Org  # noqa: E402
from bot.config.settings import ClassifierSettings, Settings, load_settings  # noqa: E402
from bot.desk.context import Context  # noqa: E402 - after the path set-up above
from bot.desk.desk import Desk  # noqa: E402
from bot.domain import EventKind, Rating, Stage, TaskStatus, UnitKind, UnitRef  # noqa: E402
from bot.followup.engine import FollowUp  # noqa: E402
from bot.language import Language, build_language  # noqa: E402
from nlp.taxonomy import Category  # noqa: E402
from storage.engine import async_url, create_engine, open_store  # noqa: E402
from storage.tables import METADATA  # noqa: E402
from storage.task_rows import json_words  # noqa: E402

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
"""09:00 in Hohhot, as in the tests."""
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
PG_ADMIN_DATABASES = ("postgres", "test")
PG_CONNECT_TIMEOUT = 5.0
BATCH = 20_000
"""Rows per executemany or COPY while loading."""
QUERY_ROUNDS = 5
TASKS, RESIDENTS, DAYS = (METADATA.tables[n] for n in ("tasks", "residents", "day_counters"))
EVENTS = METADATA.tables["task_events"]
OUTBOX = METADATA.tables["outbox"]

Row = dict[str, Any]

# What residents write, per category, with the keyword the classifier would have matched;
# the weights are a rough northern-city year (heating and water lead).
ISSUES: dict[Category, tuple[str, str, int]] = {
    Category.WATER_SUPPLY: ("停水了，一直没来水", "停水", 12),
    Category.DRAINAGE: ("下水道堵了，污水往外冒", "下水道", 8),
    Category.HEATING: ("暖气不热，家里才十几度", "暖气", 15),
    Category.POWER: ("停电了，楼道灯也不亮", "停电", 6),
    Category.GAS: ("楼道里有燃气味", "燃气", 2),
    Category.ROADS: ("门口路面塌了个坑", "路面", 5),
    Category.STREET_LIGHTS: ("路灯坏了，晚上一片黑", "路灯", 5),
    Category.PUBLIC_FACILITIES: ("健身器材坏了", "健身器材", 5),
    Category.ELEVATOR: ("电梯又坏了，老人下不了楼", "电梯", 6),
    Category.PARKING: ("有车长期占着车位不挪", "车位", 6),
    Category.NOISE: ("楼上装修太吵，晚上十点还在砸墙", "装修", 7),
    Category.SANITATION: ("垃圾好几天没人清运", "垃圾", 8),
    Category.FIRE_SAFETY: ("楼道里堆满杂物，消防通道被堵", "消防通道", 2),
    Category.GREENERY: ("树枝快碰到电线了，需要修剪", "修剪", 3),
    Category.PROPERTY_MGMT: ("单元门坏了半个月物业不管", "物业", 5),
    Category.ILLEGAL_CONSTRUCTION: ("一楼住户私搭乱建", "私搭乱建", 2),
    Category.NEIGHBOR_DISPUTE: ("邻居家漏水到我家，沟通不了", "邻居", 3),
    Category.SOCIAL_SERVICES: ("想问问高龄补贴怎么办理", "高龄补贴", 2),
    Category.OTHER: ("有件事想反映一下", "", 4),
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
CALLED = ("阿姨", "大爷", "师傅", "女士", "先生", "奶奶")
RESULTS = ("已联系维修人员，当天修好", "已上门查看并处理完毕", "已协调物业处理，住户确认")


@dataclass(frozen=True)
class Workload:
    """What is stored before the tick, and when ``now`` is."""

    tasks: int = 1_000_000
    due: int = 10_000
    residents: int = 3_000
    now: datetime = NOW
    seed: int = 20261122

    @property
    def scheduled(self) -> int:
        """Open, claimed or resolved tasks whose next step is after ``now`` (3%)."""
        return min(self.tasks - self.due, self.tasks * 3 // 100)


class Generator:
    """Rows that the desk could have written, deterministic for a seed, oldest task first."""

    def __init__(self, workload: Workload, settings: Settings) -> None:
        if not 0 <= workload.due <= workload.tasks:
            raise ValueError("--due must be between 0 and --tasks")
        self.w = workload
        self.settings = settings
        self.org: Org = settings.require_org()
        self.rng = random.Random(workload.seed)
        self.categories = list(ISSUES)
        self.cum_weights = list(accumulate(weight for _, _, weight in ISSUES.values()))
        self.day_counters: dict[str, int] = {}
        self._members: dict[UnitRef, list[str]] = {}
        self.residents = [self._resident(i) for i in range(min(workload.residents, workload.tasks))]

    def _resident(self, i: int) -> Row:
        grid = self.rng.choice(self.org.grids())
        user_id = telegram(5_000_000_000 + i * 7_919)  # beyond 32 bits, like real Telegram ids
        return {
            "user_id": user_id,
            "chat_id": user_id,
            "name": self.rng.choice(SURNAMES) + self.rng.choice(CALLED),
            "username": f"resident{i}" if i % 3 else None,
            "grid_id": grid.ref.id,
            "place": self.rng.choice(grid.places).name,
            "seen_at": self.w.now,
        }

    def tasks(self) -> Iterator[Row]:
        """Every task, ids and numbers in creation order: three years of history, then now."""
        w, rng = self.w, self.rng
        history = w.tasks - w.due - w.scheduled
        start, end = w.now - timedelta(days=3 * 365), w.now - timedelta(days=18)
        step = (end - start) / max(history, 1)
        rows = (self._closed(start + step * (i + rng.random())) for i in range(history))
        recent = [self._due() for _ in range(w.due)]
        recent += [self._scheduled() for _ in range(w.scheduled)]
        recent.sort(key=lambda row: row["created_at"])
        for task_id, row in enumerate(chain(rows, recent), start=1):
            yield self._numbered(task_id, row)

    def _numbered(self, task_id: int, row: Row) -> Row:
        day = row["created_at"].astimezone(self.settings.timezone).strftime("%Y%m%d")
        n = self.day_counters[day] = self.day_counters.get(day, 0) + 1
        return {"id": task_id, "number": f"{day}-{n:04d}", **row}

    def _new(self, created: datetime, level: int = 0, urgent: bool | None = None) -> Row:
        """A task as intake wrote it, moved up ``level`` units (and not beyond the top)."""
        rng = self.rng
        category = rng.choices(self.categories, cum_weights=self.cum_weights)[0]
        urgent = rng.random() < 0.05 if urgent is None else urgent
        resident = rng.choice(self.residents)
        grid_id, place = resident["grid_id"], resident["place"]
        if rng.random() < 0.2:  # reported for somewhere else than home
            grid = rng.choice(self.org.grids())
            grid_id, place = grid.ref.id, rng.choice(grid.places).name
        grid_ref = UnitRef(UnitKind.GRID, grid_id)
        holder = self.org.community_of(grid_id) if category is Category.OTHER else grid_ref
        assert holder is not None  # every configured grid has its community
        for _ in range(level):
            holder = self.org.escalation_target(holder, category) or holder
        building = str(rng.randint(1, 30)) if rng.random() < 0.8 else None
        issue, keyword, _ = ISSUES[category]
        deadline = self.settings.deadlines.of(category, urgent)
        photo = self._photo(0.1)
        return {
            "resident_id": resident["user_id"],
            "text": f"{place}{building}号楼{issue}" if building else f"{place}{issue}",
            "photo": photo,
            "photos": json_words([photo] if photo else []),
            "category": category.value,
            "urgent": urgent,
            "confidence": round(rng.uniform(0.5, 0.98), 3),
            "matched": json_words([keyword] if keyword else []),
            "grid_id": grid_id,
            "place": place,
            "building": building,
            "unit": str(rng.randint(1, 6)) if building and rng.random() < 0.5 else None,
            "holder": str(holder),
            "level": level,
            "status": TaskStatus.OPEN.value,
            "claimer_id": None,
            "claimed_at": None,
            "created_at": created,
            "claim_due_at": created + deadline.claim,
            "resolve_due_at": created + deadline.resolve,
            "result": None,
            "result_photo": None,
            "rating": None,
            "reopen_count": 0,
            "stage": Stage.CLAIM_DUE.value,
            "next_followup_at": created + deadline.claim,
            "merged_into": None,
            "kind": "repair",
        }

    def _closed(self, created: datetime) -> Row:
        """Long done: rated, closed unrated, cancelled or merged; nothing scheduled."""
        rng = self.rng
        level = rng.choices((0, 1, 2), (90, 8, 2))[0]
        row = self._new(created, level)
        fate = rng.random()
        row |= {"stage": Stage.DONE.value, "next_followup_at": None}
        if fate < 0.08:
            row["status"] = (TaskStatus.CANCELLED if fate < 0.06 else TaskStatus.MERGED).value
            return row
        row = self._worked(row, resolved_at=created + timedelta(days=2) * rng.random())
        rating = rng.choices((Rating.SATISFIED, Rating.BASICALLY, None), (70, 20, 10))[0]
        reopened = level > 0 and rng.random() < 0.3
        return row | {
            "status": TaskStatus.CLOSED.value,
            "rating": None if rating is None else rating.value,
            "reopen_count": int(reopened),
        }

    def _worked(self, row: Row, resolved_at: datetime | None) -> Row:
        """Claimed by a member of its holder in the claim window; with a result if resolved."""
        created, claim_due = row["created_at"], row["claim_due_at"]
        claimed_at = created + (claim_due - created) * self.rng.uniform(0.05, 0.95)
        worked = row | {"claimer_id": self._member(row), "claimed_at": claimed_at}
        if resolved_at is None:
            return worked
        return worked | {
            "claimed_at": max(created, min(claimed_at, resolved_at - timedelta(minutes=5))),
            "result": self.rng.choice(RESULTS),
            "result_photo": self._photo(0.05),
        }

    def _due(self) -> Row:
        """Open and unclaimed; its claim deadline passed within the last hour (one step due)."""
        rng = self.rng
        urgent = rng.random() < 0.05
        # due before the escalation wait runs out, so the reminder is the only step taken now
        wait = self.settings.followup.escalation_wait(urgent)
        due_at = self.w.now - (wait - timedelta(minutes=1)) * rng.random() - timedelta(seconds=1)
        level = 1 if rng.random() < 0.1 else 0
        row = self._new(self.w.now, level, urgent)  # for its category's deadline
        claim = row["claim_due_at"] - row["created_at"]
        created = due_at - claim - (claim + wait) * level  # moved up after a missed window
        return self._times(row, created, claim) | {"next_followup_at": due_at}

    def _scheduled(self) -> Row:
        """Open, claimed or resolved, with its next step after ``now``."""
        rng, now, followup = self.rng, self.w.now, self.settings.followup
        row = self._new(now)
        claim = row["claim_due_at"] - row["created_at"]
        resolve = row["resolve_due_at"] - row["created_at"]
        kind = rng.random()
        if kind < 0.3:  # open, inside its claim window
            return self._times(row, now - claim * rng.uniform(0, 0.99), claim)
        if kind < 0.65:  # claimed, inside its resolve window
            created = now - claim - (resolve - claim) * rng.uniform(0, 0.99)
            row = self._worked(self._times(row, created, claim), resolved_at=None)
            return row | {
                "status": TaskStatus.CLAIMED.value,
                "stage": Stage.RESOLVE_DUE.value,
                "next_followup_at": row["resolve_due_at"],
            }
        asked = kind >= 0.85  # asked again a day after 办结, waiting for the 15-day close
        ask, close = followup.ask_rating_again, followup.close_unrated_after
        waited = ask + (close - ask) * rng.uniform(0, 0.99) if asked else ask * rng.uniform(0, 0.99)
        resolved = now - waited
        created = resolved - timedelta(hours=1) - timedelta(days=2) * rng.random()
        row = self._worked(self._times(row, created, claim), resolved_at=resolved)
        return row | {
            "status": TaskStatus.RESOLVED.value,
            "stage": (Stage.RATING_ASKED if asked else Stage.RATING_DUE).value,
            "next_followup_at": resolved + (close if asked else ask),
        }

    @staticmethod
    def _times(row: Row, created: datetime, claim: timedelta) -> Row:
        resolve = row["resolve_due_at"] - row["created_at"]
        return row | {
            "created_at": created,
            "claim_due_at": created + claim,
            "resolve_due_at": created + resolve,
            "next_followup_at": created + claim,
        }

    def _member(self, row: Row) -> str:
        """Someone who may act for the holder (its grid's workers when the unit has nobody)."""
        holder = UnitRef.parse(row["holder"])
        if holder not in self._members:
            people = self.org.members(holder) or self.org.members(
                UnitRef(UnitKind.GRID, row["grid_id"])
            )
            self._members[holder] = [person.user_id for person in people]
        return self.rng.choice(self._members[holder])

    def _photo(self, share: float) -> str | None:
        return (
            f"AgACAgUAAxkBAAI{self.rng.getrandbits(64):016x}" if self.rng.random() < share else None
        )


def batches(rows: Iterator[Row], size: int = BATCH) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


# --- loading -------------------------------------------------------------------------------


async def load(url: str, generator: Generator) -> tuple[float, float]:
    """Create the tables as the bot does, then bulk-load; (load seconds, VACUUM ANALYZE seconds)."""
    async with open_store(url):
        pass
    start = time.perf_counter()
    if async_url(url).get_backend_name() == "postgresql":
        dsn = async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn, timeout=PG_CONNECT_TIMEOUT)
        try:
            await _copy(connection, generator)
            loaded = time.perf_counter()
            await connection.execute("VACUUM ANALYZE")
        finally:
            await connection.close()
        return loaded - start, time.perf_counter() - loaded
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(RESIDENTS), generator.residents)
            for batch in batches(generator.tasks()):
                await connection.execute(insert(TASKS), batch)
            counters = [{"day": d, "last": n} for d, n in generator.day_counters.items()]
            await connection.execute(insert(DAYS), counters)
    finally:
        await engine.dispose()
    return time.perf_counter() - start, 0.0


async def _copy(connection: asyncpg.Connection, generator: Generator) -> None:
    def records(table: str, rows: Sequence[Row]) -> dict[str, Any]:
        columns = [column.name for column in METADATA.tables[table].columns]
        return {"columns": columns, "records": [tuple(row[c] for c in columns) for row in rows]}

    async with connection.transaction():
        await connection.copy_records_to_table(
            "residents", **records("residents", generator.residents)
        )
        for batch in batches(generator.tasks()):
            await connection.copy_records_to_table("tasks", **records("tasks", batch))
        counters = [{"day": d, "last": n} for d, n in generator.day_counters.items()]
        await connection.copy_records_to_table("day_counters", **records("day_counters", counters))
        # ids were given explicitly; the bot's next task takes the next one
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('tasks', 'id'), (SELECT max(id) FROM tasks))"
        )


# --- measuring -----------------------------------------------------------------------------


@dataclass
class Probe:
    """Statements sent while active, by first word, the driver's time on them, and commits."""

    statements: Counter[str] = field(default_factory=Counter)
    driver_s: float = 0.0
    commits: int = 0
    due_query: tuple[str, Any] | None = None
    """The due-row SELECT as sent, with its parameters, for EXPLAIN."""

    def before(self, conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self.statements[statement.split(None, 1)[0].upper()] += 1
        if self.due_query is None and "next_followup_at <=" in statement:
            self.due_query = (statement, tuple(params))
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn: Any, *_: Any) -> None:
        self.driver_s += time.perf_counter() - conn.info.pop("bench_started")

    def commit(self, _conn: Any) -> None:
        self.commits += 1


@contextmanager
def probing() -> Iterator[Probe]:
    """A probe on every engine (each store opens its own) for the duration of the block."""
    probe = Probe()
    hooks: list[tuple[str, Callable[..., None]]] = [
        ("before_cursor_execute", probe.before),
        ("after_cursor_execute", probe.after),
        ("commit", probe.commit),
    ]
    for name, hook in hooks:
        event.listen(Engine, name, hook)
    try:
        yield probe
    finally:
        for name, hook in hooks:
            event.remove(Engine, name, hook)


@dataclass(frozen=True)
class Figures:
    """What one engine measured."""

    engine: str
    load_s: float
    vacuum_s: float
    rows: int
    due_rows: int
    query_first_s: float
    query_median_s: float
    plan: tuple[str, ...]
    tick_s: float
    steps: int
    tick: Probe
    second_tick_s: float
    second_steps: int
    reminded: int
    reminder_events: int
    reminded_twice: int
    outbox: int
    still_due: int


async def measure(url: str, workload: Workload, settings: Settings, language: Language) -> Figures:
    """Load ``workload`` into the empty database at ``url`` and time the follow-up engine on it."""
    load_s, vacuum_s = await load(url, Generator(workload, settings))
    now = workload.now
    rows, due_rows = await _counts(url, select(func.count()).select_from(TASKS), _due_count(now))
    async with open_store(url, clock=lambda: now) as store:
        context = Context(
            store,
            settings.require_org(),
            language,
            settings.deadlines,
            settings.timezone,
            lambda: now,
            settings.followup,
        )
        engine = FollowUp(context, Desk(context).work)
        query_times = []
        with probing() as probe:
            for _ in range(QUERY_ROUNDS):
                async with store.transaction() as tx:
                    start = time.perf_counter()
                    await tx.due_tasks(now, 100)
                    query_times.append(time.perf_counter() - start)
        plan = await _plan(url, probe.due_query)
        with probing() as tick:
            start = time.perf_counter()
            steps = await engine.tick(now)
            tick_s = time.perf_counter() - start
        start = time.perf_counter()
        second_steps = await engine.tick(now)
        second_tick_s = time.perf_counter() - start
    reminders = select(EVENTS.c.task_id).where(EVENTS.c.kind == EventKind.REMINDED.value)
    twice = reminders.group_by(EVENTS.c.task_id).having(func.count() > 1).subquery()
    reminded, events, reminded_twice, outbox, still_due = await _counts(
        url,
        select(func.count()).where(TASKS.c.stage == Stage.CLAIM_REMINDED.value),
        select(func.count()).select_from(reminders.subquery()),
        select(func.count()).select_from(twice),
        select(func.count()).select_from(OUTBOX),
        _due_count(now),
    )
    return Figures(
        engine=async_url(url).get_backend_name(),
        load_s=load_s,
        vacuum_s=vacuum_s,
        rows=rows,
        due_rows=due_rows,
        query_first_s=query_times[0],
        query_median_s=statistics.median(query_times),
        plan=plan,
        tick_s=tick_s,
        steps=steps,
        tick=tick,
        second_tick_s=second_tick_s,
        second_steps=second_steps,
        reminded=reminded,
        reminder_events=events,
        reminded_twice=reminded_twice,
        outbox=outbox,
        still_due=still_due,
    )


def _due_count(now: datetime) -> Select[Any]:
    return select(func.count()).where(TASKS.c.next_followup_at <= now)


async def _counts(url: str, *queries: Select[Any]) -> list[int]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return [(await connection.execute(query)).scalar_one() for query in queries]
    finally:
        await engine.dispose()


async def _plan(url: str, query: tuple[str, Any] | None) -> tuple[str, ...]:
    """The plan of the due-row SELECT exactly as the store sent it (not executed)."""
    if query is None:
        return ("(no due-row query seen)",)
    statement, params = query
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await _explain(connection, statement, params)
    finally:
        await engine.dispose()


async def _explain(connection: AsyncConnection, statement: str, params: Any) -> tuple[str, ...]:
    if connection.dialect.name == "sqlite":
        result = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
        return tuple(row[-1] for row in result)
    result = await connection.exec_driver_sql(f"EXPLAIN {statement}", params)
    return tuple(row[0] for row in result)


# --- the databases -------------------------------------------------------------------------


async def on_sqlite(workload: Workload, settings: Settings, language: Language) -> Figures:
    with tempfile.TemporaryDirectory(prefix="griddesk-bench-") as folder:
        return await measure(f"sqlite:///{folder}/griddesk.db", workload, settings, language)


async def on_postgresql(
    workload: Workload, settings: Settings, language: Language
) -> Figures | None:
    name = f"griddesk_bench_{secrets.token_hex(6)}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        print(f"postgresql: skipped, no database could be created on {PG_SERVER} ({exc})")
        return None
    try:
        return await measure(f"{PG_SERVER}/{name}", workload, settings, language)
    finally:
        await _admin(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        )
        await _admin(f'DROP DATABASE IF EXISTS "{name}"')


async def _admin(sql: str) -> None:
    """Run ``sql`` on the first administrative database that answers."""
    error: BaseException | None = None
    for database in PG_ADMIN_DATABASES:
        try:
            connection = await asyncpg.connect(
                f"{PG_SERVER}/{database}", timeout=PG_CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
            error = exc
            continue
        try:
            await connection.execute(sql)
        finally:
            await connection.close()
        return
    assert error is not None
    raise error


# --- the report ----------------------------------------------------------------------------


def report(workload: Workload, results: Sequence[Figures]) -> None:
    names = [f.engine for f in results]
    lines: list[tuple[str, list[str]]] = [
        ("tasks stored", [f"{f.rows:,}" for f in results]),
        ("due now (next_followup_at <= now)", [f"{f.due_rows:,}" for f in results]),
        ("load: generate + insert, s", [f"{f.load_s:.1f}" for f in results]),
        ("load: VACUUM ANALYZE, s", [f"{f.vacuum_s:.1f}" if f.vacuum_s else "-" for f in results]),
        ("due query, 100 rows: first, ms", [f"{f.query_first_s * 1e3:.2f}" for f in results]),
        (
            f"due query, 100 rows: median of {QUERY_ROUNDS}, ms",
            [f"{f.query_median_s * 1e3:.2f}" for f in results],
        ),
        ("tick 1: wall time, s", [f"{f.tick_s:.2f}" for f in results]),
        ("tick 1: steps", [f"{f.steps:,}" for f in results]),
        ("tick 1: steps/s", [f"{f.steps / f.tick_s:,.0f}" for f in results]),
        ("tick 1: ms per step", [f"{f.tick_s / max(f.steps, 1) * 1e3:.2f}" for f in results]),
        ("tick 1: transactions (commits)", [f"{f.tick.commits:,}" for f in results]),
        ("tick 1: statements", [f"{f.tick.statements.total():,}" for f in results]),
        *[
            (f"tick 1:   {kind}", [f"{f.tick.statements[kind]:,}" for f in results])
            for kind in ("SELECT", "UPDATE", "INSERT")
        ],
        ("tick 1: time in the driver, s", [f"{f.tick.driver_s:.2f}" for f in results]),
        ("tick 1: time outside it, s", [f"{f.tick_s - f.tick.driver_s:.2f}" for f in results]),
        ("tick 2: steps", [f"{f.second_steps:,}" for f in results]),
        ("tick 2: wall time, ms", [f"{f.second_tick_s * 1e3:.2f}" for f in results]),
        ("check: tasks reminded", [f"{f.reminded:,}" for f in results]),
        ("check: reminder events", [f"{f.reminder_events:,}" for f in results]),
        ("check: tasks reminded twice", [f"{f.reminded_twice:,}" for f in results]),
        ("check: outbox messages written", [f"{f.outbox:,}" for f in results]),
        ("check: still due after tick 1", [f"{f.still_due:,}" for f in results]),
        ("goal: tick 1 under 1 s", ["met" if f.tick_s < 1 else "missed" for f in results]),
    ]
    print(
        f"\nfollow-up tick, {workload.tasks:,} tasks with {workload.due:,} due, "
        f"now = {workload.now.isoformat()}"
    )
    print(f"{'':42}" + "".join(f"{name:>14}" for name in names))
    for label, values in lines:
        print(f"{label:42}" + "".join(f"{value:>14}" for value in values))
    for f in results:
        print(f"\nplan of the due-row query on {f.engine}:")
        for line in f.plan:
            print(f"  {line}")


async def run(args: argparse.Namespace) -> None:
    workload = Workload(tasks=args.tasks, due=args.due, residents=args.residents)
    settings = load_settings(ROOT / "config.example.toml")
    with tempfile.TemporaryDirectory() as cache:
        language = build_language(ClassifierSettings(cache_dir=Path(cache)))
    results: list[Figures] = []
    if args.engine in {"sqlite", "both"}:
        print(f"sqlite: loading {workload.tasks:,} tasks and ticking …", flush=True)
        results.append(await on_sqlite(workload, settings, language))
    if args.engine in {"postgresql", "both"}:
        print(f"postgresql: loading {workload.tasks:,} tasks and ticking …", flush=True)
        figures = await on_postgresql(workload, settings, language)
        if figures is not None:
            results.append(figures)
    if results:
        report(workload, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=Workload.tasks)
    parser.add_argument("--due", type=int, default=Workload.due)
    parser.add_argument("--residents", type=int, default=Workload.residents)
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    if not 0 <= args.due <= args.tasks:
        parser.error("--due must be between 0 and --tasks")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("jieba").setLevel(logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
