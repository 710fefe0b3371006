"""12345 work orders (bot/hotline, bot/cli/hotline.py): read, imported through the real desk and
store of a running bot, worked like any task, and reported back per order number."""

from __future__ import annotations

import argparse
import csv
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.cli import hotline as hotline_cli
from bot.cli.arguments import UsageError
from bot.config.settings import Settings
from bot.domain import Task
from bot.export import headers
from bot.hotline.ledger import caller_id
from bot.hotline.orders import OrderFileError, read_orders
from storage.engine import open_store
from tests.harness import EXAMPLE, World, example_settings, shared_language

ZONE = ZoneInfo("Asia/Shanghai")
HEADER = ["工单编号", "标题", "来电时间", "来电人", "联系电话", "反映内容", "事发地址", "答复时限"]
PHONE = "13912345678"
CALLER = "李建国"
DRAIN = ["HH2611220001", "下水道堵塞", "2026-11-22 08:30", CALLER, PHONE,
         "楼道下水管堵了，污水外溢，请尽快处理", "电影厂小区3号楼", "2026-11-24 18:00"]  # fmt: skip
LIGHT = ["HH2611220002", "", "2026-11-22 08:40", "张女士", "13700001111",
         "小区门口路灯不亮，晚上很黑", "乳品厂小区", "2026-11-22 10:00"]  # fmt: skip
"""Due within the claim window: the claim deadline comes down to the order's."""


def _xlsx(path: Path, rows: Sequence[Sequence[object]]) -> Path:
    """An export as platforms write it: a title line above the header."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["12345热线工单派发清单"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def _csv(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", encoding="gb18030", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _settings(w: World, database_url: str, cache_dir: Path) -> Settings:
    return example_settings(database_url, cache_dir, w.standin.base_url)


async def _import(w: World, settings: Settings, path: Path, *, skip_bad: bool = False) -> None:
    sheet = hotline_cli.read_sheet(path, settings)
    language = shared_language(settings.classifier)
    await hotline_cli.import_sheet(
        settings, sheet, skip_bad=skip_bad, clock=w.clock, language=language
    )
    await w.bot.telegram.outbox.settled()


async def _task_of(settings: Settings, order: str) -> Task:
    async with open_store(settings.database_url) as store, store.transaction() as tx:
        number = await tx.hotline_task_number(order)
        assert number is not None, f"order {order} was not imported"
        task = await tx.task_by_number(number)
    assert task is not None
    return task


async def _hotline_tasks(settings: Settings) -> int:
    async with open_store(settings.database_url) as store, store.transaction() as tx:
        orders = await tx.hotline_orders(datetime(2000, 1, 1, tzinfo=UTC),
                                          datetime(2100, 1, 1, tzinfo=UTC))  # fmt: skip
    return len(orders)


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def test_the_reader_takes_header_variants_and_both_encodings(tmp_path: Path) -> None:
    """Usual column names, a title line, GB18030 and UTF-8 with BOM, a day as deadline."""
    header = ["工单号", "受理时间", "诉求内容", "诉求地址", "截止时间", "联系人"]
    row = ["2611220009", "2026/11/22 8:05", "审计厅小区暖气不热", "审计厅小区5号楼", "2026-11-25",
           CALLER]  # fmt: skip
    gb = _csv(tmp_path / "gb.csv", [row], header)
    bom = tmp_path / "bom.csv"
    bom.write_bytes(gb.read_bytes().decode("gb18030").encode("utf-8-sig"))
    for path in (gb, bom):
        sheet = read_orders(path, ZONE)
        assert sheet.errors == ()
        (order,) = sheet.orders
        assert order.number == "2611220009"
        assert order.received_at == _local("2026-11-22 08:05")
        assert order.due_at == _local("2026-11-25 23:59:59")
        assert CALLER not in repr(order)


def test_the_reader_lists_bad_rows_by_number(tmp_path: Path) -> None:
    """An empty number, a bad date and a repeated number are each reported with their row."""
    bad_date = [*DRAIN[:7], "下周一"]
    bad_date[0] = "HH2611220003"
    no_number = ["", *LIGHT[1:]]
    path = _csv(tmp_path / "orders.csv", [DRAIN, bad_date, no_number, DRAIN, LIGHT])
    sheet = read_orders(path, ZONE)
    assert [o.number for o in sheet.orders] == ["HH2611220001", "HH2611220002"]
    assert [str(e) for e in sheet.errors] == [
        "row 3: 工单 HH2611220003: 办理时限 '下周一' is not a date",
        "row 4: empty 工单编号",
        "row 5: 工单编号 HH2611220001 repeats row 2",
    ]


def test_a_missing_column_refuses_the_file(tmp_path: Path) -> None:
    """No deadline column: the whole file is refused, naming the column and the header row."""
    header = [name for name in HEADER if name != "答复时限"]
    path = _csv(tmp_path / "orders.csv", [DRAIN[:7]], header)
    with pytest.raises(
        OrderFileError, match="row 1: no column 办理时限/答复时限/截止时间/办结时限"
    ):
        read_orders(path, ZONE)


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_orders_become_cards_in_their_grids_due_by_the_orders_deadlines(
    w: World, database_url: str, cache_dir: Path, tmp_path: Path
) -> None:
    """Each order is a task in its place's grid, its card says 12345 and the order number and
    never who called, its deadlines are the order's; a second import adds nothing."""
    settings = _settings(w, database_url, cache_dir)
    path = _xlsx(tmp_path / "orders.xlsx", [DRAIN, LIGHT])
    await _import(w, settings, path)

    drain = await _task_of(settings, "HH2611220001")
    light = await _task_of(settings, "HH2611220002")
    assert (drain.grid_id, drain.place, drain.building) == ("xingan-1", "电影制片厂小区", "3")
    assert light.grid_id == "siqianmi-1"
    assert drain.resolve_due_at == _local("2026-11-24 18:00")
    assert drain.claim_due_at == _local("2026-11-22 11:00")  # the usual 2 hours
    assert light.resolve_due_at == light.claim_due_at == _local("2026-11-22 10:00")
    assert drain.resident_id == caller_id("HH2611220001")

    card = w.card(w.group("xingan-1"), drain.number)
    assert "12345工单 HH2611220001" in card.content
    assert "11月24日 18:00" in card.content
    w.card(w.group("siqianmi-1"), light.number)
    for chat in w.standin._chats:
        for message in w.chat(chat):
            assert PHONE not in message.content
            assert CALLER not in message.content

    sent = sum(len(w.chat(chat)) for chat in w.standin._chats)
    await _import(w, settings, path)
    assert sum(len(w.chat(chat)) for chat in w.standin._chats) == sent
    assert await _hotline_tasks(settings) == 2


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_a_file_with_a_bad_row_imports_nothing_unless_told_to_skip_it(
    w: World, database_url: str, cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad row (or an address naming no place) stops the whole file; --skip-bad lists it and
    imports the rest."""
    settings = _settings(w, database_url, cache_dir)
    nowhere = ["HH2611220005", "", "2026-11-22 08:50", "", "", "垃圾没人清", "火星路99号",
               "2026-11-25 18:00"]  # fmt: skip
    path = _csv(tmp_path / "orders.csv", [DRAIN, nowhere, LIGHT])
    with pytest.raises(UsageError) as refused:
        await _import(w, settings, path)
    assert "row 3: 工单 HH2611220005: no configured place in 地址 '火星路99号'" in str(
        refused.value
    )
    assert await _hotline_tasks(settings) == 0
    assert w.chat(w.group("xingan-1")) == []

    await _import(w, settings, path, skip_bad=True)
    assert await _hotline_tasks(settings) == 2
    printed = capsys.readouterr().out
    assert "Skipped 1 bad row(s):" in printed
    assert "row 3: 工单 HH2611220005" in printed


@pytest.mark.asyncio
@pytest.mark.timeout(60)
async def test_a_worker_claims_and_resolves_an_order_and_the_reply_sheet_shows_it(
    w: World, database_url: str, cache_dir: Path, tmp_path: Path
) -> None:
    """Claimed and resolved like any task; nothing is queued for the caller, doctor counts no
    failure; the reply sheet has the order's number, 已办结, the masked result, 按期."""
    settings = _settings(w, database_url, cache_dir)
    await _import(w, settings, _xlsx(tmp_path / "orders.xlsx", [DRAIN, LIGHT]))
    drain = await _task_of(settings, "HH2611220001")
    worker = w.people["张三"]
    card = w.card(w.group("xingan-1"), drain.number)
    await w.press(worker, card, "认领")
    w.clock.advance(timedelta(hours=3))
    await w.resolve(worker, card, "已疏通，物业电话13812340000")
    assert "已办结" in w.latest(card).content

    async with open_store(database_url) as store, store.transaction() as tx:
        health = await tx.outbox_health(w.clock() - timedelta(days=1), w.clock())
        to_caller = await tx.pending_outbox(1000)
    assert health.failed == ()
    assert health.pending == 0
    assert not [item for item in to_caller if item.message.chat_id.startswith("hotline:")]

    out = tmp_path / "reply.xlsx"
    window = (_local("2026-11-22 00:00"), _local("2026-11-23 00:00"))
    await hotline_cli.write_report(settings, window, out, clock=w.clock)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = [tuple(cell or "" for cell in row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == headers.HOTLINE_REPLY_COLUMNS
    assert rows[1] == ("HH2611220001", "已办结", "已疏通，物业电话138****0000",
                       "2026-11-22 12:00:00", "是", "未评价")  # fmt: skip
    assert rows[2][:2] == ("HH2611220002", "待接单")
    assert rows[2][4] == "否"  # due at 10:00, not done by noon
    assert not any(PHONE in str(cell) or CALLER in str(cell) for row in rows for cell in row)


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    hotline_cli.add_parser(parser.add_subparsers(required=True))
    return parser.parse_args(argv)


def test_the_cli_refuses_what_an_operator_got_wrong(tmp_path: Path) -> None:
    """A file without its columns, a day that is none, an --out that is no .xlsx: one line
    each (UsageError: exit status 2), before the database is opened."""
    no_deadline = _csv(tmp_path / "o.csv", [DRAIN[:7]], HEADER[:7])
    cases = {
        ("hotline", "import", str(no_deadline)): "no column 办理时限",
        ("hotline", "import", str(tmp_path / "o.txt")): "not an .xlsx or .csv file",
        ("hotline", "report", "--since", "yesterday", "--out", "r.xlsx"): "not a day",
        ("hotline", "report", "--since", "2026-11-22", "--out", "r.csv"): "is an .xlsx file",
    }
    for argv, message in cases.items():
        args = _parse([*argv, "--config", str(EXAMPLE)])
        with pytest.raises(UsageError, match=message):
            args.run(args)
