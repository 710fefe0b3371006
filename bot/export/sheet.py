"""The look of every exported sheet: what a street office files without reformatting it.

A bold header row that stays in view (frozen) and carries Excel's filter buttons, columns wide
enough to read (Chinese characters count double), long texts wrapped in a fixed width, times
as real Excel dates in local time. Excel has no time zones, so a moment is written as the
local wall-clock time of the config's zone: the time the staff and the residents lived.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

Cell = str | int | float | datetime | date | None
"""What a cell holds; a ``datetime`` is naive local time (:func:`local`)."""

DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
PERCENT = "0.0%"
DECIMAL = "0.0"

_TEXT_WIDTH = 48
"""Columns of free text (诉求内容, 办结说明) are this wide and wrap, rather than one line a
thousand characters long."""
_MAX_WIDTH = 30
_HEADER_FILL = PatternFill("solid", start_color="DDEBF7")
_FORMAT_WIDTHS = {DATETIME: 16, DATE: 10, PERCENT: 6, DECIMAL: 6}


@dataclass(frozen=True)
class Column:
    """A column's header and how its cells are shown."""

    header: str
    number_format: str | None = None
    text: bool = False
    """Free text: fixed width, wrapped."""


def local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """An aware moment as the naive wall-clock time in ``zone`` that Excel can hold."""
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def table(sheet: Worksheet, columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> None:
    """Write the header and ``rows``; freeze the header, add filters, size the columns."""
    sheet.append([column.header for column in columns])
    widths = [_width(column.header) for column in columns]
    for row in rows:
        sheet.append(list(row))
        widths = [max(width, _width(value)) for width, value in zip(widths, row, strict=True)]
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, (column, width) in enumerate(zip(columns, widths, strict=True), start=1):
        _format(sheet, index, column)
        size = _TEXT_WIDTH if column.text else min(max(width, _fixed(column)), _MAX_WIDTH) + 2
        sheet.column_dimensions[get_column_letter(index)].width = size
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{sheet.max_row}"


def emphasise(sheet: Worksheet, row: int) -> None:
    """Bold one row (a 合计)."""
    for cell in sheet[row]:
        cell.font = Font(bold=True)


def notes(book: Workbook, title: str, lines: Sequence[str]) -> None:
    """A sheet of plain lines after the tables: what the workbook covers and how to read it."""
    sheet = book.create_sheet(title)
    for line in lines:
        sheet.append([line])
    sheet.column_dimensions["A"].width = 100
    for (cell,) in sheet.iter_rows(min_row=1, max_col=1):
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def as_bytes(book: Workbook) -> bytes:
    """The workbook as an .xlsx file's content, to write or to serve."""
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()


def _format(sheet: Worksheet, index: int, column: Column) -> None:
    if column.number_format is None and not column.text:
        return
    wrap = Alignment(wrap_text=True, vertical="top") if column.text else None
    for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
        if column.number_format is not None and not isinstance(cell.value, str):
            cell.number_format = column.number_format
        if wrap is not None:
            cell.alignment = wrap


def _fixed(column: Column) -> int:
    return _FORMAT_WIDTHS.get(column.number_format or "", 0)


def _width(value: Cell) -> int:
    """Characters a value takes on screen; formatted numbers and dates are sized by format."""
    if value is None or isinstance(value, float | datetime | date):
        return 0
    if isinstance(value, int):
        return len(str(value))
    return len(value) + sum(1 for ch in value if ord(ch) >= 0x2E80)
