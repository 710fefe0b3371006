"""Reading the work orders a 12345 platform dispatches: an .xlsx or .csv export, one order a row.

Platforms name their columns differently (工单编号 or 工单号, 受理时间 or 派单时间 …), so each field
is found by any of its usual names in the header row, which need not be the file's first (an
export often starts with a title line). CSV comes as UTF-8, with or without a BOM, or as
GB18030, which many platforms still write.

Every mistake is reported with its row number as the operator sees it in Excel or a text editor
(the header is usually row 1): a missing column stops the file at once (:class:`OrderFileError`);
a bad row — no number, a date that is not one, a number repeated in the file — is listed in
:attr:`OrderSheet.errors` while the good rows are still read, so the importer can refuse the
file or, when told to, go on without them.

The caller's columns (来电人, 联系人, 联系电话) are never read: an :class:`Order` has no field for
them, so no task, card or export made from one can show who called.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

Cell = str | int | float | datetime | date | time | None

NUMBER = ("工单编号", "工单号", "编号")
RECEIVED = ("受理时间", "来电时间", "派单时间")
CONTENT = ("诉求内容", "来电内容", "反映内容", "问题描述")
ADDRESS = ("地址", "事发地址", "诉求地址")
DUE = ("办理时限", "答复时限", "截止时间", "办结时限")
TITLE = ("标题",)
_FIELDS = {
    "工单编号": NUMBER,
    "受理时间": RECEIVED,
    "诉求内容": CONTENT,
    "地址": ADDRESS,
    "办理时限": DUE,
    "标题": TITLE,
}
"""Each field an order is read from, by the names its column may have."""
_OPTIONAL = frozenset({"标题"})
_HEADER_SEARCH = 10
"""Rows looked at for the header: a title line or two may come first."""
_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日%H:%M",
    "%Y-%m-%dT%H:%M:%S",
)
_DAY_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d")
_END_OF_DAY = time(23, 59, 59)
"""A deadline given as a day is due by that day's end."""


class OrderFileError(Exception):
    """The file cannot be read as orders at all (unreadable, no header, a column missing)."""


@dataclass(frozen=True)
class Order:
    """One 12345 work order, as dispatched to the street."""

    number: str
    """The platform's work-order number: what the reply is keyed by."""
    received_at: datetime
    content: str
    """The caller's words (诉求内容)."""
    address: str
    due_at: datetime
    """The reply deadline the order carries (办理时限)."""
    title: str = ""
    row: int = 0
    """Where it stood in the file, for messages about it."""


@dataclass(frozen=True)
class RowError:
    """A row that cannot be an order, and why."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


@dataclass(frozen=True)
class OrderSheet:
    """What a file holds: the good orders, in file order, and the rows that are not."""

    orders: tuple[Order, ...]
    errors: tuple[RowError, ...]


def read_orders(path: Path, timezone: ZoneInfo) -> OrderSheet:
    """The orders in ``path`` (.xlsx or .csv); a time without a zone is ``timezone``'s."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = _xlsx_rows(path)
    elif suffix == ".csv":
        rows = _csv_rows(path)
    else:
        raise OrderFileError(f"{path}: not an .xlsx or .csv file")
    return _sheet(path, rows, timezone)


def _xlsx_rows(path: Path) -> list[tuple[Cell, ...]]:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise OrderFileError(f"{path}: cannot read as Excel: {exc}") from exc
    try:
        sheet = book.worksheets[0]
        return [tuple(map(_plain, row)) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _csv_rows(path: Path) -> list[tuple[Cell, ...]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OrderFileError(f"{path}: cannot read: {exc}") from exc
    text = _decoded(path, raw)
    try:
        return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as exc:
        raise OrderFileError(f"{path}: not a CSV file: {exc}") from exc


def _decoded(path: Path, raw: bytes) -> str:
    """UTF-8 (a BOM is dropped) when the bytes are UTF-8, else GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise OrderFileError(f"{path}: neither UTF-8 nor GB18030 text")


def _sheet(path: Path, rows: Sequence[tuple[Cell, ...]], timezone: ZoneInfo) -> OrderSheet:
    header_at = _header_row(rows)
    if header_at is None:
        raise OrderFileError(
            f"{path}: no header row naming the columns (工单编号, 受理时间, 诉求内容, 地址, "
            "办理时限) in the first rows"
        )
    columns = _columns(path, header_at, rows[header_at])
    orders: list[Order] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    for index in range(header_at + 1, len(rows)):
        values = rows[index]
        if all(_text(value) == "" for value in values):
            continue
        row = index + 1
        try:
            order = _order(values, columns, row, timezone)
        except ValueError as exc:
            errors.append(RowError(row, str(exc)))
            continue
        if order.number in first_seen:
            errors.append(
                RowError(row, f"工单编号 {order.number} repeats row {first_seen[order.number]}")
            )
            continue
        first_seen[order.number] = row
        orders.append(order)
    return OrderSheet(tuple(orders), tuple(errors))


def _header_row(rows: Sequence[tuple[Cell, ...]]) -> int | None:
    """The index of the first row naming a work-order number column."""
    for index, values in enumerate(rows[:_HEADER_SEARCH]):
        if any(_text(value) in NUMBER for value in values):
            return index
    return None


def _columns(path: Path, header_at: int, header: tuple[Cell, ...]) -> dict[str, int]:
    """Each field's column index, by the first of its names the header holds."""
    names = [_text(value) for value in header]
    columns: dict[str, int] = {}
    for field, variants in _FIELDS.items():
        found = next((names.index(name) for name in variants if name in names), None)
        if found is not None:
            columns[field] = found
        elif field not in _OPTIONAL:
            expected = "/".join(variants)
            raise OrderFileError(f"{path}: row {header_at + 1}: no column {expected}")
    return columns


def _order(values: tuple[Cell, ...], columns: dict[str, int], row: int, zone: ZoneInfo) -> Order:
    """The order on one row; ``ValueError`` says what is wrong with it."""

    def cell(field: str) -> Cell:
        index = columns.get(field)
        return values[index] if index is not None and index < len(values) else None

    number = _number(cell("工单编号"))
    if not number:
        raise ValueError("empty 工单编号")
    content = _text(cell("诉求内容"))
    if not content:
        raise ValueError(f"工单 {number}: empty 诉求内容")
    received = _moment(cell("受理时间"), zone, end_of_day=False)
    due = _moment(cell("办理时限"), zone, end_of_day=True)
    if received is None:
        raise ValueError(f"工单 {number}: 受理时间 {_text(cell('受理时间'))!r} is not a date")
    if due is None:
        raise ValueError(f"工单 {number}: 办理时限 {_text(cell('办理时限'))!r} is not a date")
    if due <= received:
        raise ValueError(f"工单 {number}: 办理时限 is not after 受理时间")
    return Order(
        number=number,
        received_at=received,
        content=content,
        address=_text(cell("地址")),
        due_at=due,
        title=_text(cell("标题")),
        row=row,
    )


def _plain(value: object) -> Cell:
    """A cell's value as this module reads it: rich text and the like become their text."""
    if value is None or isinstance(value, str | int | float | datetime | date | time):
        return value
    return str(value)


def _text(value: Cell) -> str:
    return "" if value is None else str(value).strip()


def _number(value: Cell) -> str:
    """A work-order number as text: Excel hands a numeric one back as a number."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _text(value)


def _moment(value: Cell, zone: ZoneInfo, *, end_of_day: bool) -> datetime | None:
    """An aware moment from a cell: an Excel date or time stamp, or text in a usual format.

    A day without a time starts at midnight, or, for a deadline, ends at 23:59:59."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return _day(value, zone, end_of_day=end_of_day)
    text = _text(value)
    for pattern in _FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=zone)
        except ValueError:
            continue
    for pattern in _DAY_FORMATS:
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        return _day(day, zone, end_of_day=end_of_day)
    return None


def _day(day: date, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    return datetime.combine(day, _END_OF_DAY if end_of_day else time(0), tzinfo=zone)
