"""Excel out: the 台账 and the weekly figures of real tasks, on SQLite and PostgreSQL.

Tasks are reported, claimed, resolved and rated through the real desk on the test's database;
the workbook is opened with openpyxl as staff would open it in Excel.
"""

from __future__ import annotations

import argparse
import asyncio
import zipfile
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest
import pytest_asyncio
from openpyxl.worksheet.worksheet import Worksheet

from bot.cli import export
from bot.cli.arguments import UsageError
from bot.config.settings import DATABASE_VARIABLE, Settings
from bot.desk.actions import Verb
from bot.desk.context import Context
from bot.desk.desk import Desk
from bot.export import headers
from bot.export.ledger import ledger_book, ledger_workbook
from bot.export.request import Request, read_history, scope_of
from bot.export.weekly import figures_workbook, iso_weeks
from bot.figures.compute import Figures, compute, days_window
from bot.followup.engine import FollowUp
from bot.language import Language
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (
    LIU,
    PHONE,
    RESIDENT,
    WATER_TEXT,
    ZHANG,
    act,
    claimed,
    report,
    resolve,
)
from tests.harness import EXAMPLE

GRID2_PHONE = "13912345678"
RESULT_PHONE = "13600001111"
PHONES = (PHONE, GRID2_PHONE, RESULT_PHONE)
SUNDAY = date(2026, 11, 22)


@pytest_asyncio.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[SqlStore]:
    """The test's database (SQLite or PostgreSQL) on the fake clock."""
    async with open_store(database_url, clock=clock) as opened:
        yield opened


@pytest.fixture
def desk(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> Desk:
    """The real desk of the example organisation on that database."""
    org = settings.require_org()
    return Desk(Context(store, org, language, settings.deadlines, settings.timezone, clock))


async def a_morning(desk: Desk, store: SqlStore, clock: FakeClock) -> None:
    """Sunday 09:00: four reports. 0001 claimed at once, resolved at 10:30 (a phone in the
    note) and rated 满意; 0002 claimed late at 11:15 (claim deadline 11:00); 0003 (second
    grid, a phone in the text) and 0004 (四千米社区) never claimed. The clock ends at 12:00."""
    first = await claimed(desk, store, WATER_TEXT)
    await report(desk, store, "审计厅小区门口路灯不亮")
    await report(desk, store, f"华建小区垃圾桶满了没人清，联系电话{GRID2_PHONE}")
    await report(desk, store, "乳品厂小区路灯不亮")
    clock.advance(timedelta(minutes=90))
    await resolve(desk, store, first.id, note=f"已修好，有事打{RESULT_PHONE}")
    await desk.press(RESIDENT, act(Verb.RATE, first.id, "satisfied"), None)
    clock.advance(timedelta(minutes=45))
    second = await _numbered(store, "20261122-0002")
    await desk.press(ZHANG, act(Verb.CLAIM, second), None)
    clock.advance(timedelta(minutes=45))


async def _numbered(store: SqlStore, number: str) -> int:
    async with store.transaction() as tx:
        task = await tx.task_by_number(number)
    assert task is not None
    return task.id


def request_for(
    settings: Settings, clock: FakeClock, first: date, end: date, **scope: str
) -> Request:
    """The export of local days ``first`` up to ``end`` as of the clock's now; ``scope``:
    ``grid_id`` or ``community_id`` (else the street)."""
    zone = settings.timezone
    org = settings.require_org()
    return Request(scope_of(org, **scope), days_window(first, end, zone), zone, clock())


def opened(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(content))


def records(sheet: Worksheet) -> dict[str, dict[str, object]]:
    """The 台账's rows by 工单编号, each as header → value."""
    rows = list(sheet.iter_rows(values_only=True))
    head = [str(cell) for cell in rows[0]]
    return {str(row[1]): dict(zip(head, row, strict=True)) for row in rows[1:]}


# --- the 台账 --------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_ledger_rows_say_what_happened_in_local_time(
    desk: Desk, store: SqlStore, settings: Settings, clock: FakeClock
) -> None:
    """One row per task with Chinese headers, local times, names and Chinese statuses."""
    await a_morning(desk, store, clock)
    request = request_for(settings, clock, SUNDAY, SUNDAY + timedelta(days=1))
    book = opened(await ledger_workbook(store, settings.require_org(), request))
    assert book.sheetnames == ["工单台账", "说明"]
    sheet = book["工单台账"]
    assert [c.value for c in sheet[1]][:4] == ["序号", "工单编号", "受理时间", "诉求类型"]
    assert tuple(c.value for c in sheet[1]) == headers.LEDGER_COLUMNS
    rows = records(sheet)
    assert list(rows) == [f"20261122-000{i}" for i in (1, 2, 3, 4)]
    done = rows["20261122-0001"]
    assert done["受理时间"] == datetime(2026, 11, 22, 9, 0)  # 01:00 UTC, in Hohhot
    assert done["认领时间"] == datetime(2026, 11, 22, 9, 0)
    assert done["办结时间"] == datetime(2026, 11, 22, 10, 30)
    assert {k: done[k] for k in ("类别", "紧急", "社区", "网格", "状态", "认领人", "满意度")} == {
        "类别": "供水",
        "紧急": "否",
        "社区": "兴安南路社区",
        "网格": "兴安南路第一网格",
        "状态": "已完成",
        "认领人": "张三",
        "满意度": "满意",
    }
    assert done["办结说明"] == "已修好，有事打136****1111"
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm"
    assert rows["20261122-0002"]["状态"] == "办理中"
    assert rows["20261122-0003"]["认领人"] is None
    assert rows["20261122-0004"]["社区"] == "四千米社区"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Y5"
    assert sheet.column_dimensions["J"].width == 48  # 诉求内容, wrapped


@pytest.mark.asyncio
async def test_ledger_flags_late_claims_and_deadlines_passed(
    desk: Desk, store: SqlStore, settings: Settings, clock: FakeClock
) -> None:
    """是否超期: a claim after its deadline, or none by it; later, a resolve deadline passed."""
    await a_morning(desk, store, clock)
    org = settings.require_org()
    request = request_for(settings, clock, SUNDAY, SUNDAY + timedelta(days=1))
    rows = records(opened(await ledger_workbook(store, org, request))["工单台账"])
    late = {number: (row["是否超期"], row["超期环节"]) for number, row in rows.items()}
    assert late == {
        "20261122-0001": ("否", None),
        "20261122-0002": ("是", "认领"),
        "20261122-0003": ("是", "认领"),
        "20261122-0004": ("是", "认领"),
    }
    clock.advance(timedelta(days=4))  # past every resolve deadline (3 days)
    later = Request(request.scope, request.window, request.zone, clock())
    rows = records(opened(await ledger_workbook(store, org, later))["工单台账"])
    assert rows["20261122-0001"]["超期环节"] is None  # resolved in time stays in time
    assert rows["20261122-0002"]["超期环节"] == "认领、办结"


@pytest.mark.asyncio
async def test_ledger_remembers_a_resolve_deadline_missed_before_an_escalation(
    store: SqlStore, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """Missed at the grid, escalated, then resolved in time at the community: still late."""
    org = settings.require_org()
    context = Context(
        store, org, language, settings.deadlines, settings.timezone, clock, settings.followup
    )
    desk, engine = Desk(context), FollowUp(context, Desk(context).work)
    task = await claimed(desk, store, "审计厅小区门口路灯不亮")
    clock.advance(timedelta(days=3))  # the resolve deadline: ZHANG is reminded
    assert await engine.tick(clock()) == 1
    clock.advance(timedelta(hours=1))  # still nothing: up to the community
    assert await engine.tick(clock()) == 1
    await desk.press(LIU, act(Verb.CLAIM, task.id), None)
    await resolve(desk, store, task.id, worker=LIU)
    request = request_for(settings, clock, SUNDAY, SUNDAY + timedelta(days=1))
    row = records(opened(await ledger_workbook(store, org, request))["工单台账"])[task.number]
    assert (row["状态"], row["当前承办单位"], row["认领人"]) == (
        "已办结待评价",
        "兴安南路社区",
        "刘书记",
    )
    assert (row["上报次数"], row["是否超期"], row["超期环节"]) == (1, "是", "办结")


@pytest.mark.asyncio
async def test_ledger_shows_a_reopened_task_as_open_with_its_verdict(
    desk: Desk, store: SqlStore, settings: Settings, clock: FakeClock
) -> None:
    """不满意 reopens a task: open a level up, no 办结 standing, the verdict and count kept."""
    task = await claimed(desk, store, WATER_TEXT)
    await resolve(desk, store, task.id)
    await desk.press(RESIDENT, act(Verb.RATE, task.id, "unsatisfied"), None)
    request = request_for(settings, clock, SUNDAY, SUNDAY + timedelta(days=1))
    book = opened(await ledger_workbook(store, settings.require_org(), request))
    row = records(book["工单台账"])[task.number]
    assert {k: row[k] for k in ("状态", "当前承办单位", "认领人", "办结时间", "办结说明")} == {
        "状态": "待认领",
        "当前承办单位": "兴安南路社区",
        "认领人": None,
        "办结时间": None,
        "办结说明": None,
    }
    assert (row["满意度"], row["不满意重办次数"], row["上报次数"]) == ("不满意", 1, 0)


@pytest.mark.asyncio
async def test_ledger_masks_phone_numbers_everywhere_in_the_file(
    desk: Desk, store: SqlStore, settings: Settings, clock: FakeClock
) -> None:
    """No resident's number in any cell or any part of the file; masked, its shape stays."""
    await a_morning(desk, store, clock)
    org = settings.require_org()
    request = request_for(settings, clock, SUNDAY, SUNDAY + timedelta(days=1))
    content = await ledger_workbook(store, org, request)
    cells = [
        str(value)
        for sheet in opened(content)
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    assert not [cell for cell in cells if any(phone in cell for phone in PHONES)]
    assert not [cell for cell in cells if "502" in cell]  # the room of WATER_TEXT
    with zipfile.ZipFile(BytesIO(content)) as package:
        parts = b"".join(package.read(name) for name in package.namelist())
    assert not [phone for phone in PHONES if phone.encode() in parts]
    rows = records(opened(content)["工单台账"])
    assert rows["20261122-0001"]["联系电话"] == "138****1234"
    assert "2单元***室" in str(rows["20261122-0001"]["诉求内容"])
    assert rows["20261122-0003"]["联系电话"] == "139****5678"
    history = await read_history(store, request, request.window)
    unmasked = records(opened(ledger_book(history, org, request, masked=False))["工单台账"])
    assert unmasked["20261122-0001"]["联系电话"] == PHONE  # the desk's decision, later


@pytest.mark.asyncio
async def test_ledger_keeps_to_its_scope(
    desk: Desk, store: SqlStore, settings: Settings, clock: FakeClock
) -> None:
    """A community's ledger has its grids' tasks only; a grid's, that grid's."""
    await a_morning(desk, store, clock)
    org = settings.require_org()
    end = SUNDAY + timedelta(days=1)
    community = request_for(settings, clock, SUNDAY, end, community_id="siqianmi")
    grid = request_for(settings, clock, SUNDAY, end, grid_id="xingan-2")
    nobody = request_for(settings, clock, SUNDAY - timedelta(days=1), SUNDAY)
    assert list(records(opened(await ledger_workbook(store, org, community))["工单台账"])) == [
        "20261122-0004"
    ]
    assert list(records(opened(await ledger_workbook(store, org, grid))["工单台账"])) == [
        "20261122-0003"
    ]
    assert opened(await ledger_workbook(store, org, nobody))["工单台账"].max_row == 1


# --- the weekly figures ----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_weekly_figures_are_those_of_compute_per_grid_and_week(
    desk: Desk, store: SqlStore, settings: Settings, clock: FakeClock
) -> None:
    """Each grid's row and each week's 合计 hold compute()'s figures for that ISO week."""
    await a_morning(desk, store, clock)
    org, zone = settings.require_org(), settings.timezone
    request = request_for(settings, clock, date(2026, 11, 20), date(2026, 11, 24))
    sheet = opened(await figures_workbook(store, org, request))["周统计"]
    assert tuple(c.value for c in sheet[1]) == headers.FIGURES_COLUMNS
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    weeks = iso_weeks(request.window, zone)
    assert [w.since.date() for w in weeks] == [date(2026, 11, 16), date(2026, 11, 23)]
    assert len(rows) == 2 * 4  # three grids and 合计, per week
    grids = [grid.ref.id for grid in org.grids()]
    for index, week in enumerate(weeks):
        async with store.transaction() as tx:
            history = await tx.tasks_created_between(week.since, week.until, grids)
        stats = compute(history, grids, week, clock())
        block = rows[index * 4 : index * 4 + 4]
        for row, figures in zip(block, (*stats.grids, stats.total), strict=True):
            assert row[5:] == expected(figures), row
        monday = week.since.astimezone(zone).replace(tzinfo=None)
        assert [row[0:3] for row in block[:1]] == [
            (f"2026年第{47 + index}周", monday, monday + timedelta(days=6))
        ]
        assert [row[4] for row in block] == [*(g.name for g in org.grids()), "合计"]
    assert rows[0][5:9] == (2, 2, 1, 0.5)  # 兴安南路第一网格: received, due, on time, 50%
    assert sheet["I2"].number_format == "0.0%"
    assert sheet["E5"].font.b  # the 合计 row stands out
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:R9"


def expected(figures: Figures) -> tuple[object, ...]:
    """A row's figures as the sheet holds them: rates as fractions, medians in hours."""

    def hours(minutes: float | None) -> object:
        return "—" if minutes is None else minutes / 60

    def rate(value: float | None) -> object:
        return "—" if value is None else value

    return (
        figures.received,
        figures.due,
        figures.claimed_on_time,
        rate(figures.on_time_rate),
        figures.resolved,
        rate(figures.resolve_rate),
        figures.rated,
        figures.satisfied,
        rate(figures.satisfaction_rate),
        hours(figures.minutes_to_claim),
        hours(figures.minutes_to_resolve),
        figures.withdrawn,
        figures.merged,
    )


@pytest.mark.asyncio
async def test_weekly_figures_of_one_grid_have_no_total(
    desk: Desk, store: SqlStore, settings: Settings, clock: FakeClock
) -> None:
    """One grid's sheet is that grid's row per week, as /stats in its group shows it."""
    await a_morning(desk, store, clock)
    org = settings.require_org()
    request = request_for(settings, clock, SUNDAY, SUNDAY + timedelta(days=1), grid_id="xingan-2")
    sheet = opened(await figures_workbook(store, org, request))["周统计"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [(row[3], row[4], row[5], row[8]) for row in rows] == [
        ("兴安南路社区", "兴安南路第二网格", 1, 0.0)
    ]


# --- griddesk export ---------------------------------------------------------------------------


def cli(*argv: str) -> int:
    """``griddesk export …`` through this module's parser, as main.py will register it."""
    parser = argparse.ArgumentParser(prog="griddesk")
    export.add_parser(parser.add_subparsers(required=True))
    args = parser.parse_args(["export", *argv])
    status: int = args.run(args)
    return status


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The example config in a folder of its own (its SQLite file would live there)."""
    path = tmp_path / "griddesk.toml"
    path.write_text(EXAMPLE.read_text("utf-8"), "utf-8")
    return path


@pytest.mark.asyncio
async def test_cli_writes_the_ledger_and_the_figures(
    desk: Desk,
    store: SqlStore,
    clock: FakeClock,
    database_url: str,
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`griddesk export` writes each workbook whole, masked, and nothing else in the folder."""
    await a_morning(desk, store, clock)
    monkeypatch.setenv(DATABASE_VARIABLE, database_url)
    folder = tmp_path / "out"
    folder.mkdir()
    ledger, figures = folder / "台账.xlsx", folder / "figures.xlsx"
    common = ("--config", str(config), "--since", "2026-11-22", "--until", "2026-11-23")
    assert await asyncio.to_thread(cli, "ledger", *common, "--community", "xingannanlu",
                                   "--out", str(ledger)) == 0  # fmt: skip
    assert await asyncio.to_thread(cli, "figures", *common, "--out", str(figures)) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["figures.xlsx", "台账.xlsx"]
    assert capsys.readouterr().out.splitlines() == [
        f"{ledger}: ledger of 兴安南路社区, tasks reported 2026-11-22 … 2026-11-22",
        f"{figures}: figures of 大学西路街道, tasks reported 2026-11-16 … 2026-11-22",
    ]
    rows = records(opened(ledger.read_bytes())["工单台账"])
    assert list(rows) == ["20261122-0001", "20261122-0002", "20261122-0003"]
    assert rows["20261122-0001"]["联系电话"] == "138****1234"
    weekly = list(opened(figures.read_bytes())["周统计"].iter_rows(min_row=2, values_only=True))
    assert [(row[4], row[5]) for row in weekly] == [
        ("兴安南路第一网格", 2),
        ("兴安南路第二网格", 1),
        ("四千米第一网格", 1),
        ("合计", 4),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--since", "2026-13-01"), "--since: '2026-13-01' is not a day like 2026-11-16"),
        (
            ("--since", "2026-11-22", "--until", "2026-11-22"),
            "--until 2026-11-22 must come after --since 2026-11-22",
        ),
        (
            ("--since", "2026-11-22", "--grid", "nowhere"),
            "--grid: no grid 'nowhere' in the config (grids: xingan-1, xingan-2, siqianmi-1)",
        ),
        (
            ("--since", "2026-11-22", "--community", "nowhere"),
            "--community: no community 'nowhere' in the config "
            "(communities: xingannanlu, siqianmi)",
        ),
    ],
    ids=["bad-day", "until-not-after-since", "unknown-grid", "unknown-community"],
)
def test_cli_refuses_bad_options_in_one_line(
    config: Path, tmp_path: Path, options: tuple[str, ...], message: str
) -> None:
    """A bad day or an unknown unit is one line naming the option; no file is written."""
    out = tmp_path / "x.xlsx"
    with pytest.raises(UsageError) as refused:
        cli("ledger", "--config", str(config), *options, "--out", str(out))
    assert str(refused.value) == message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["griddesk.toml"]


def test_cli_refuses_an_out_it_cannot_write(config: Path, tmp_path: Path) -> None:
    """A missing folder, a folder, or a name Excel would not open: refused before any work."""
    since = ("--config", str(config), "--since", "2026-11-22")
    cases = {
        tmp_path / "missing" / "a.xlsx": "cannot write there: No such file or directory",
        tmp_path / "a.csv": "the file must end in .xlsx",
    }
    (tmp_path / "folder.xlsx").mkdir()
    cases[tmp_path / "folder.xlsx"] = "is a folder"
    for out, reason in cases.items():
        with pytest.raises(UsageError, match=reason) as refused:
            cli("figures", *since, "--out", str(out))
        assert str(refused.value).startswith(f"--out {out}: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.xlsx", "griddesk.toml"]


def test_cli_refuses_an_argument_pair_argparse_knows(config: Path, tmp_path: Path) -> None:
    """--grid and --community together is a usage error (exit status 2, from argparse)."""
    with pytest.raises(SystemExit) as stopped:
        cli("ledger", "--config", str(config), "--since", "2026-11-22", "--grid", "xingan-1",
            "--community", "siqianmi", "--out", str(tmp_path / "a.xlsx"))  # fmt: skip
    assert stopped.value.code == 2


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (None, "database.url: there is no database at "),
        ("postgresql://postgres@127.0.0.1:1/nothing", "database: cannot use postgresql://"),
    ],
    ids=["no-sqlite-file", "postgresql-unreachable"],
)
def test_cli_leaves_an_earlier_file_alone_when_the_database_fails(
    config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    url: str | None,
    reason: str,
) -> None:
    """No database, or one that cannot be reached: one line, no temporary file left, and a
    workbook already at --out unchanged."""
    if url is not None:
        monkeypatch.setenv(DATABASE_VARIABLE, url)
    else:
        monkeypatch.delenv(DATABASE_VARIABLE, raising=False)
    out = tmp_path / "ledger.xlsx"
    out.write_bytes(b"last week's ledger")
    with pytest.raises(UsageError, match=reason) as refused:
        cli("ledger", "--config", str(config), "--since", "2026-11-22", "--out", str(out))
    assert "\n" not in str(refused.value)
    assert out.read_bytes() == b"last week's ledger"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["griddesk.toml", "ledger.xlsx"]
