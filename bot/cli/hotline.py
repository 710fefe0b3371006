"""``griddesk hotline``: 12345 work orders in (``import``) and their outcome out (``report``).

``import FILE`` reads the platform's .xlsx or .csv export and files one task per order
(:mod:`bot.hotline.importing`), all in one transaction: a file with a bad row imports nothing
and lists every bad row with its number, unless ``--skip-bad`` lets the good rows in (the bad
ones are listed all the same). Importing a file again adds nothing and says which orders were
there already. A running bot on the same database posts the cards this queues.

``report`` writes the reply sheet (:mod:`bot.hotline.reply`) for the orders received on local
days from ``--since`` up to, not including, ``--until`` (default: tomorrow).

Every mistake an operator can make is a :class:`~bot.cli.arguments.UsageError`: one line each,
exit status 2, nothing written. What is printed names order and task numbers, never a caller.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.arguments import UsageError, local_day
from bot.cli.database import opened
from bot.config.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.hotline.importing import Imported
    from bot.hotline.orders import OrderSheet
    from bot.language import Language

_CONFIG_HELP = "the config file (see config.example.toml)"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    hotline = commands.add_parser(
        "hotline",
        help="import 12345 work orders as tasks; write the reply sheet for the platform",
        description="12345 work orders (接诉即办): import the platform's export as tasks, one "
        "per order, and write back what became of them, per work-order number.",
    )
    actions = hotline.add_subparsers(required=True, metavar="ACTION")
    importing = actions.add_parser(
        "import",
        help="file one task per work order of an .xlsx or .csv export",
        description="File one task per work order of FILE (.xlsx, or .csv in UTF-8 or "
        "GB18030) whose header names the columns 工单编号, 受理时间, 诉求内容, 地址 and 办理时限 "
        "(or their usual variants). Orders imported before are left alone. A file with a bad "
        "row imports nothing, unless --skip-bad.",
    )
    importing.add_argument("file", type=Path, metavar="FILE")
    importing.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    importing.add_argument(
        "--skip-bad", action="store_true", help="import the good rows and list the bad ones"
    )
    importing.set_defaults(run=run_import)
    report = actions.add_parser(
        "report",
        help="write the reply sheet (.xlsx) of the orders received in a window",
        description="Write an .xlsx with one row per imported order received on local days "
        "from --since up to, not including, --until: 工单编号, 状态, 办理结果, 办结时间, "
        "是否按期, 满意度.",
    )
    report.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    report.add_argument("--since", required=True, metavar="YYYY-MM-DD", help="the first day")
    report.add_argument(
        "--until", metavar="YYYY-MM-DD", help="the first day not counted (default: tomorrow)"
    )
    report.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx")
    report.set_defaults(run=run_report)


def run_import(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    sheet = read_sheet(args.file, settings)
    return asyncio.run(import_sheet(settings, sheet, skip_bad=args.skip_bad))


def run_report(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    zone = settings.timezone
    since = local_day(args.since, "--since")
    until = local_day(args.until, "--until") if args.until else datetime.now(zone).date()
    until += timedelta(days=0 if args.until else 1)
    if until <= since:
        raise UsageError(f"--until {args.until or 'tomorrow'} must come after --since {args.since}")
    check_out(args.out)
    window = (datetime.combine(since, time(0), zone), datetime.combine(until, time(0), zone))
    return asyncio.run(write_report(settings, window, args.out))


def read_sheet(path: Path, settings: Settings) -> OrderSheet:
    """The orders of ``path``; a file that is no order sheet is a :class:`UsageError`."""
    from bot.hotline.orders import OrderFileError, read_orders  # noqa: PLC0415 - openpyxl

    try:
        return read_orders(path, settings.timezone)
    except OrderFileError as exc:
        raise UsageError(str(exc)) from None


def check_out(path: Path) -> None:
    """Refuse an output path that cannot take the sheet, before anything is read."""
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"--out {path}: the reply sheet is an .xlsx file")
    if not path.parent.is_dir():
        raise UsageError(f"--out {path}: there is no directory {path.parent}")


async def import_sheet(
    settings: Settings,
    sheet: OrderSheet,
    *,
    skip_bad: bool,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    language: Language | None = None,
) -> int:
    """Import ``sheet`` into the configured database and print what became of each order.

    ``clock`` and ``language``: a test's fake clock and its already-built language core."""
    from bot.desk.context import Context  # noqa: PLC0415 - SQL and jieba load only here
    from bot.hotline.importing import ImportCollided, OrderImport, OrdersRefused  # noqa: PLC0415
    from bot.language import build_language  # noqa: PLC0415

    org = settings.require_org()
    async with opened(settings.database_url, clock=clock) as store:
        context = Context(
            store,
            org,
            language or build_language(settings.classifier),
            settings.deadlines,
            settings.timezone,
            clock,
            settings.followup,
            settings.quiet_hours,
        )
        try:
            imported = await OrderImport(context, store).run(sheet, skip_bad=skip_bad)
        except OrdersRefused as exc:
            lines = [f"{len(exc.errors)} row(s) cannot be imported, so nothing was "
                     "(--skip-bad imports the other rows):", *map(str, exc.errors)]  # fmt: skip
            raise UsageError("\n".join(lines)) from None
        except ImportCollided as exc:
            raise UsageError(f"{exc}: nothing imported; run the import again") from None
    _print_imported(imported)
    return 0


def _print_imported(imported: Imported) -> None:
    print(f"Imported {len(imported.added)} order(s) as tasks.")
    for order, task in imported.added:
        print(f"  {order} -> task {task}")
    if imported.already:
        print(f"Already imported, left as they are: {len(imported.already)} order(s).")
        for order, task in imported.already:
            print(f"  {order} (task {task})")
    if imported.skipped:
        print(f"Skipped {len(imported.skipped)} bad row(s):")
        for error in imported.skipped:
            print(f"  {error}")


async def write_report(
    settings: Settings,
    window: tuple[datetime, datetime],
    out: Path,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Write the reply sheet of the orders received in ``window`` to ``out``."""
    from bot.hotline.reply import reply_rows, write_reply  # noqa: PLC0415 - openpyxl, SQL

    async with opened(settings.database_url, clock=clock) as store:
        rows = await reply_rows(store, *window, clock(), settings.timezone)
    try:
        write_reply(rows, out)
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write: {exc}") from None
    print(f"Wrote {len(rows)} order(s) to {out}.")
    return 0
