"""``griddesk export ledger|figures``: the 台账 or the weekly figures as an Excel file.

For the community staff who file them with the street and the district each week. The file
is masked (residents' phone, ID-card and room numbers); there is no unmasked export on the
command line — that comes with roles, in the web desk. The file appears whole or not at all:
it is written beside ``--out`` under a temporary name and renamed over it once complete, so
an error (a bad option, a database that cannot be read, a full disk) leaves nothing behind,
and an earlier export under the same name stays as it was. Like every file with residents'
data, it is readable by its owner only.

:mod:`bot.export` (openpyxl, the desk's cards) and SQL load only when the command runs, not
with every ``griddesk`` command's parser.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.arguments import UsageError, local_day
from bot.cli.database import opened
from bot.config.org import Org
from bot.config.settings import Settings, load_settings
from bot.figures.compute import Window, local_midnight

if TYPE_CHECKING:
    from bot.export.request import History, Request

LEDGER = "ledger"
FIGURES = "figures"
_HELP = "the config file (see config.example.toml)"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export",
        help="the 台账 (one row per task) or the weekly figures as an Excel file",
        description="Write an Excel file (.xlsx, Chinese headers) from the configured "
        "database: 'ledger' is the 台账, one row per task reported from --since (masked: "
        "residents' phone, ID-card and room numbers are hidden); 'figures' is 按期答复率, "
        "办结率 and 满意率 per grid for every whole ISO week (Monday to Sunday) that the days "
        "touch, with a 合计 per week — the numbers of /stats. Dates are local time of the "
        "config's timezone. Without --grid or --community, the whole street.",
    )
    export.add_argument("what", choices=(LEDGER, FIGURES), help="which workbook")
    export.add_argument("--config", type=Path, required=True, help=_HELP)
    export.add_argument(
        "--since", required=True, metavar="YYYY-MM-DD", help="the first local day of reports"
    )
    export.add_argument(
        "--until",
        metavar="YYYY-MM-DD",
        help="the first local day not included (default: tomorrow, so today counts)",
    )
    which = export.add_mutually_exclusive_group()
    which.add_argument("--grid", metavar="ID", help="only this grid (its id in the config)")
    which.add_argument("--community", metavar="ID", help="only this community's grids")
    export.add_argument(
        "--out", type=Path, required=True, metavar="FILE.xlsx", help="the file to write"
    )
    export.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the options, read the database, write the file; a mistake is a UsageError."""
    settings = load_settings(args.config)
    org = settings.require_org()
    request = _request(args, settings, org, now=datetime.now(UTC))
    out: Path = args.out
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {out}: the file must end in .xlsx (Excel opens it by its name)")
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder; name a file in it")
    span = _span(args.what, request)
    temporary = _temporary_beside(out)  # before the database: an unwritable place fails fast
    try:
        history = asyncio.run(_read(settings.database_url, request, span))
        _write(temporary, out, _build(args.what, org, request, history))
    finally:
        temporary.unlink(missing_ok=True)  # gone already once renamed into place
    first, last = span.days(request.zone)
    print(f"{out}: {args.what} of {request.scope.name}, tasks reported {first} … {last}")
    return 0


def _request(args: argparse.Namespace, settings: Settings, org: Org, *, now: datetime) -> Request:
    from bot.export.request import Request, UnknownUnit, scope_of  # noqa: PLC0415 - see module

    zone = settings.timezone
    since = local_day(args.since, "--since")
    until = (
        local_day(args.until, "--until")
        if args.until
        else now.astimezone(zone).date() + timedelta(days=1)
    )
    if until <= since:
        raise UsageError(f"--until {until} must come after --since {since}")
    try:
        scope = scope_of(org, grid_id=args.grid, community_id=args.community)
    except UnknownUnit as exc:
        option = "--grid" if args.grid is not None else "--community"
        raise UsageError(f"{option}: {exc}") from None
    window = Window(local_midnight(since, zone), local_midnight(until, zone))
    return Request(scope, window, zone, now)


def _span(what: str, request: Request) -> Window:
    """The days whose reports the workbook holds: the figures' are whole weeks."""
    from bot.export.weekly import weeks_span  # noqa: PLC0415 - see the module

    return weeks_span(request) if what == FIGURES else request.window


async def _read(url: str, request: Request, span: Window) -> History:
    """The tasks reported in ``span``, in one transaction (:mod:`bot.cli.database` says a
    database that cannot be used in one line)."""
    from bot.export.request import read_history  # noqa: PLC0415 - see the module

    async with opened(url) as store:
        return await read_history(store, request, span)


def _build(what: str, org: Org, request: Request, history: History) -> bytes:
    from bot.export.ledger import ledger_book  # noqa: PLC0415 - see the module
    from bot.export.weekly import figures_book  # noqa: PLC0415

    if what == FIGURES:
        return figures_book(history, org, request)
    return ledger_book(history, org, request, masked=True)


def _temporary_beside(out: Path) -> Path:
    """An empty file in ``out``'s folder (so the rename is atomic), owner-only."""
    try:
        handle, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write there: {exc.strerror}") from None
    os.close(handle)
    return Path(name)


def _write(temporary: Path, out: Path, content: bytes) -> None:
    try:
        temporary.write_bytes(content)
        temporary.replace(out)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write: {exc.strerror}") from None
