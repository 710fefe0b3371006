"""The ``griddesk`` command: the entry point, and the only place logging is configured.

Subcommands:

- ``classify [TEXT ...]`` — one JSON object per text (or per line of stdin when none are given);
- ``rules-check FILE.csv`` — precision/recall/F1 of the rules on a ``text,label`` CSV;
- ``rules-show`` — print the built-in rules file, the starting point for an operator's own;
- ``rules-suggest FILE.csv`` — rule words a labelled CSV makes obvious, and the rule words behind
  misclassifications;
- ``check-config --config F`` — validate a config and print the organisation it describes;
- ``run --config F`` — the production bot (long polling; token from the environment);
- ``shell --config F`` — the real bot against a local Bot API stand-in, chatted in the terminal;
- ``stats --config F --since DAY [--until DAY]`` — per-grid figures from the configured database;
- ``doctor --config F`` — the outbox: messages pending, and those given up lately, by reason;
  and the last 409 Conflict Telegram answered a poll with (someone else takes the updates);
- ``erase --config F (--user ID | --phone DIGITS | --task NUMBER)`` — delete a resident's data;
- ``claims --config F --worker ID [--release]`` — someone's claimed tasks, released when they left;
- ``migrate --config F`` — bring the database up to this version's tables (start-up does too);
- ``corrections --config F --since DAY`` — workers' 改类别 as a CSV that ``rules-check`` reads;
- ``hotline import FILE --config F`` / ``hotline report`` — 12345 work orders in, their outcome
  out (:mod:`bot.cli.hotline`);
- ``backup --config F --to FILE`` / ``restore --config F --from FILE [--yes]`` — a copy of the
  database, and putting one back (:mod:`bot.cli.backup`);
- ``export ledger|figures --config F --since DAY [--until DAY] [--grid ID | --community ID] --out
  FILE.xlsx`` — the 台账 or the weekly figures as Excel (masked).

``griddesk COMMAND --help`` says what each does; ``griddesk --version`` names the version.
Exit status: 0 on success, 2 when the command line, the config or the rules are wrong (every
mistake one ``griddesk: …`` line naming the key or the line), when ``stats`` or ``doctor``
cannot use the database, or when ``run`` cannot start (the token refused, the Bot API
unreachable: one line, nothing sent). A database URL is only ever printed with its password
blanked (:func:`~bot.config.environment.blank_password`).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.cli import backup, doctor, erase, export, hotline, suggest
from bot.cli.arguments import UsageError, address_argument, local_day, read_labelled_csv
from bot.cli.channel_lines import channel_lines
from bot.cli.database import opened, require_database
from bot.cli.org_tree import org_tree
from bot.config.environment import blank_password
from bot.config.serving import NO_TELEGRAM_TOKEN, OFF
from bot.config.settings import (
    DATABASE_VARIABLE,
    TOKEN_VARIABLE,
    Settings,
    SettingsError,
    load_settings,
    telegram_token,
)
from bot.domain import Task, TaskEvent
from bot.errors import StartupError
from bot.figures.compute import Window, compute, local_midnight
from bot.figures.compute import table as stats_table
from bot.language import Language, build_language
from bot.ports import OutboxHealth, PollConflict
from nlp.evaluation import Report, evaluate
from nlp.rules import RulesError, default_rules_text, load_rules

_CONFIG_HELP = "the config file (see config.example.toml)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    _configure_logging()
    # PTB 22 warns unless told to hand out durations (retry_after) as timedeltas.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    args = _parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except (UsageError, SettingsError, RulesError, StartupError) as exc:
        for line in str(exc).splitlines():  # a config with several mistakes: one line each
            print(f"griddesk: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `griddesk classify … | head` closed our stdout: not an error
        sys.stderr.close()
        return 0
    return status


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # jieba sets its own logger to DEBUG and prints dictionary-loading chatter to stderr;
    # httpx logs every request URL, and Telegram's URLs contain the bot token; at DEBUG, PTB
    # logs every API call's parameters and aiosqlite every query's, residents' phones included.
    for noisy in ("jieba", "httpx", "httpcore", "telegram", "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _version() -> str:
    """The installed package's version; a source tree that was never installed has none."""
    try:
        return version("griddesk")
    except PackageNotFoundError:
        return "unknown (not installed; pip install -e . gives it one)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="griddesk",
        description="网格通 griddesk: residents' messages become tasks for grid workers. "
        "COMMAND --help says what each command does.",
    )
    parser.add_argument("--version", action="version", version=f"griddesk {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    classify = commands.add_parser(
        "classify",
        help="classify messages, one JSON object per message",
        description="Classify residents' messages with the keyword rules and print one JSON "
        "object per message: category, urgent, confidence, matched, also, ask. Without TEXT, "
        "every line of stdin is one message.",
    )
    _language_options(classify)
    classify.add_argument(
        "texts", nargs="*", metavar="TEXT", help="messages (default: stdin lines)"
    )
    classify.set_defaults(run=_classify)

    check = commands.add_parser(
        "rules-check",
        help="score the rules on a text,label CSV file",
        description="Score the rules on a labelled CSV file (columns text,label): precision, "
        "recall and F1 per category, accuracy, macro-F1 and the confusions. Try a change to "
        "the rules here before deploying it.",
    )
    _language_options(check)
    check.add_argument("csv_file", type=Path, metavar="FILE.csv")
    check.add_argument("--json", action="store_true", help="print the figures as JSON")
    check.add_argument(
        "--errors",
        type=int,
        default=0,
        metavar="N",
        help="also list up to N misclassified messages",
    )
    check.set_defaults(run=_rules_check)

    show = commands.add_parser(
        "rules-show",
        help="print the built-in rules file",
        description="Print the built-in rules file (TOML): the starting point for your own "
        "rules, which [classifier] rules_file in the config then names.",
    )
    show.set_defaults(run=lambda _args: _print(default_rules_text(), end=""))

    config_check = commands.add_parser(
        "check-config",
        help="validate a config file and print the organisation",
        description="Validate a config file and print the organisation it describes: the "
        "street, communities and grids with their group chats and members, departments and "
        "deadlines. Every mistake is listed, one line each naming its key; exit status 2 when "
        "there is any.",
    )
    config_check.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    config_check.set_defaults(run=_check_config)

    run = commands.add_parser(
        "run",
        help="run the bot on Telegram (long polling)",
        description="Run the bot on Telegram, long polling, until SIGINT or SIGTERM. The bot "
        f"token comes from the environment variable {TOKEN_VARIABLE}, never from the config "
        f"file; a database URL with a password goes in {DATABASE_VARIABLE}, which overrides "
        "[database] url. A missing or malformed token, a token the Bot API rejects or a Bot "
        "API that cannot be reached stops it at once with one line and exit status 2, before "
        "anything is sent.",
    )
    run.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    run.set_defaults(run=_run)

    _shell_parser(commands)

    stats = commands.add_parser(
        "stats",
        help="per-grid figures (按期答复率, 办结率, 满意率) from the configured database",
        description="Print per-grid figures from the configured database for local days from "
        "--since: received, claimed on time, 按期答复率, 办结率, 满意率, median time to claim "
        "and to resolve — the figures of /stats and of the weekly digest.",
    )
    stats.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    stats.add_argument(
        "--since", required=True, metavar="YYYY-MM-DD", help="the first local day counted"
    )
    stats.add_argument(
        "--until",
        metavar="YYYY-MM-DD",
        help="the first local day not counted (default: tomorrow, so today counts)",
    )
    stats.set_defaults(run=_stats)

    fixes = commands.add_parser(
        "corrections",
        help="the categories workers corrected (改类别), as a CSV rules-check reads",
        description="Print, as CSV, the tasks reported from --since whose category a worker "
        "or staff member corrected with 改类别: text (masked), label (the corrected "
        "category), predicted (what the rules said), number. Feed it to rules-check to see "
        "how a rules change does on them, or to rules-suggest for words to add.",
    )
    fixes.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    fixes.add_argument(
        "--since", required=True, metavar="YYYY-MM-DD", help="the first local day of reports"
    )
    fixes.set_defaults(run=_corrections)

    health = commands.add_parser(
        "doctor",
        help="outbox health: pending and failed messages",
        description="Show the outbox of the configured database: messages waiting to be sent, "
        "and those given up lately, by reason; and whether Telegram lately refused the bot's "
        "poll because another client takes its updates (409 Conflict).",
    )
    health.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    health.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        help="count failures from this local day "
        f"(default: the last {doctor.FAILURE_WINDOW.days} days)",
    )
    health.set_defaults(run=_doctor)
    erase.add_parser(commands)
    backup.add_parser(commands)
    export.add_parser(commands)
    suggest.add_parser(commands)
    hotline.add_parser(commands)

    migrate = commands.add_parser(
        "migrate",
        help="bring the configured database up to this version's tables",
        description="Apply the schema revisions the configured database lacks, in one "
        "transaction (all or none), and name them. Every start-up does the same; run this "
        "before starting several instances of a new version, or to try an upgrade on a copy "
        "of the database first. A database of an older griddesk keeps every row.",
    )
    migrate.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    migrate.set_defaults(run=_migrate)

    held = commands.add_parser(
        "claims",
        help="list, or release, the tasks someone has claimed (when they left)",
        description="List the tasks a person holds a claim on: number, category, when claimed "
        "and the resolve deadline. With --release each goes back to open in its group, which "
        "is told it waits for a claim again (a running bot sends that); running it twice "
        "releases nothing twice.",
    )
    held.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    held.add_argument(
        "--worker",
        type=address_argument,
        required=True,
        metavar="ID",
        help="their id: a Telegram user id, or channel:id (wecom:zhangsan)",
    )
    held.add_argument("--release", action="store_true", help="put each claim back to open")
    held.set_defaults(run=_claims)
    return parser


def _language_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help=_CONFIG_HELP)
    parser.add_argument("--rules", type=Path, help="rules file (overrides the config's)")


def _check_config(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    _print(org_tree(replace(settings, database_url=blank_password(settings.database_url))))
    load_rules(settings.classifier.rules_file)
    _print("")
    for line in channel_lines(settings):
        _print(line)
    _print(f"\n{args.config}: OK")
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    settings.require_org()
    token = NO_TELEGRAM_TOKEN if settings.telegram.mode == OFF else telegram_token()
    logging.getLogger().setLevel(logging.INFO)
    from bot.app import serve  # noqa: PLC0415 - Telegram and SQL load only for the bot itself

    asyncio.run(serve(settings, token))
    return 0


def _shell_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``griddesk shell``'s options."""
    shell = commands.add_parser(
        "shell",
        help="try the whole bot in the terminal, without a token or network",
        description="Try the whole bot in the terminal: the real bot and database against a "
        "local Bot API stand-in, no token or network needed. You chat as the resident 王阿姨; "
        "/as NAME switches person, /chat switches chat, a number presses a button, /quit "
        "leaves. With --wechat, 王阿姨 is a follower of the WeChat Official Account instead "
        "(against a local WeChat API stand-in), while the workers stay on Telegram. With "
        "--wecom, the workers are members of the WeCom self-built app (against a local WeCom "
        "API stand-in); with both, Telegram is off altogether.",
    )
    shell.add_argument("--config", type=Path, required=True, help=_CONFIG_HELP)
    shell.add_argument(
        "--database", help="database URL (default: a fresh SQLite file that is thrown away)"
    )
    shell.add_argument(
        "--at",
        metavar="'YYYY-MM-DD HH:MM'",
        help="start the shell's clock at this local time (e.g. at night, to see quiet hours); "
        "/wait moves it on",
    )
    shell.add_argument(
        "--wechat",
        action="store_true",
        help="王阿姨 writes on WeChat (a follower of the Official Account, against a local "
        "WeChat API stand-in): choices reach her as numbered lines, which she answers by "
        "typing the number; the workers stay on Telegram unless --wecom",
    )
    shell.add_argument(
        "--wecom",
        action="store_true",
        help="the workers and staff are members of the WeCom (企业微信) self-built app "
        "(against a local WeCom API stand-in): after /as NAME, what the app sent them prints, "
        "cards with numbered buttons, and a card prints again when it changes; with --wechat "
        'too, Telegram is off ([telegram] mode = "off")',
    )
    shell.set_defaults(run=_shell)


def _shell(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    settings.require_org()
    from handlers.shell import run_shell  # noqa: PLC0415 - loads Telegram and SQL only here

    start = _local_moment(args.at, "--at", settings.timezone) if args.at else None
    asyncio.run(
        run_shell(settings, args.database, start=start, wechat=args.wechat, wecom=args.wecom)
    )
    return 0


def _local_moment(text: str, option: str, zone: ZoneInfo) -> datetime:
    try:
        moment = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")
    except ValueError:
        raise UsageError(
            f"{option}: {text!r} is not a local time like '2026-12-06 23:30'"
        ) from None
    return moment.replace(tzinfo=zone)


def _stats(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    grids = settings.require_org().grids()
    zone = settings.timezone
    since = local_midnight(local_day(args.since, "--since"), zone)
    until = (
        local_midnight(local_day(args.until, "--until"), zone)
        if args.until
        else local_midnight(datetime.now(zone).date() + timedelta(days=1), zone)
    )
    if until <= since:
        raise UsageError(f"--until {args.until or 'tomorrow'} must come after --since {args.since}")
    window = Window(since, until)
    grid_ids = [grid.ref.id for grid in grids]
    history = asyncio.run(_history(settings.database_url, window, grid_ids))
    figures = compute(history, grid_ids, window, datetime.now(UTC))
    _print(stats_table(figures, {grid.ref.id: grid.name for grid in grids}, zone))
    return 0


def _corrections(args: argparse.Namespace) -> int:
    from bot.desk.recategorising import corrections_of  # noqa: PLC0415 - the desk loads here

    settings = load_settings(args.config)
    grids = [grid.ref.id for grid in settings.require_org().grids()]
    since = local_midnight(local_day(args.since, "--since"), settings.timezone)
    now = datetime.now(UTC)
    history = asyncio.run(_history(settings.database_url, Window(since, now), grids))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["text", "label", "predicted", "number"])
    for fix in corrections_of(history):
        writer.writerow([fix.text, fix.corrected.value, fix.predicted.value, fix.number])
    return 0


def _doctor(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    now = datetime.now(UTC)
    if args.since:
        since = local_midnight(local_day(args.since, "--since"), settings.timezone)
        label = args.since
    else:
        since, label = now - doctor.FAILURE_WINDOW, f"the last {doctor.FAILURE_WINDOW.days} days"
    health, conflict = asyncio.run(_doctor_reads(settings.database_url, since, now))
    if conflict is not None and conflict.at < since:
        conflict = None  # an old one, long dealt with most likely: out of the window
    _print(
        doctor.render(
            health, label, settings.database_url, conflict=conflict, zone=settings.timezone
        )
    )
    return 0


def _claims(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    settings.require_org()
    _print(asyncio.run(_claims_of(settings, args.worker, release=args.release)))
    return 0


async def _claims_of(settings: Settings, worker: str, *, release: bool) -> str:
    from bot.cli import claims  # noqa: PLC0415 - the desk loads only for this command
    from storage.engine import open_store  # noqa: PLC0415 - SQL loads only here

    require_database(settings.database_url)
    async with open_store(settings.database_url) as store:
        return await claims.report(store, settings, worker, release=release)


async def _doctor_reads(
    url: str, since: datetime, now: datetime
) -> tuple[OutboxHealth, PollConflict | None]:
    """The outbox's health and the last 409 Telegram answered a poll with, in one read."""
    async with opened(url) as store, store.transaction() as tx:
        return await tx.outbox_health(since, now), await tx.poll_conflict()


def _migrate(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    require_database(settings.database_url)
    from storage.engine import UNAVAILABLE, driver_reason, migrate  # noqa: PLC0415 - SQL here

    where = blank_password(settings.database_url)
    try:
        applied = asyncio.run(migrate(settings.database_url))
    except UNAVAILABLE as exc:
        raise UsageError(f"database {where}: {driver_reason(exc)}") from None
    if applied:
        _print(f"{where}: applied revision(s) {', '.join(applied)}")
    else:
        _print(f"{where}: already up to date")
    return 0


async def _history(
    url: str, window: Window, grid_ids: Sequence[str]
) -> Sequence[tuple[Task, Sequence[TaskEvent]]]:
    """The tasks of the window with their events, read in one transaction."""
    async with opened(url) as store, store.transaction() as tx:
        return await tx.tasks_created_between(window.since, window.until, grid_ids)


def _language(args: argparse.Namespace) -> Language:
    settings = load_settings(args.config).classifier
    if args.rules is not None:
        settings = replace(settings, rules_file=args.rules)
    return build_language(settings)


def _classify(args: argparse.Namespace) -> int:
    language = _language(args)
    texts: Iterable[str] = args.texts or _stdin_lines(sys.stdin)
    for text in texts:
        _print(json.dumps(language.classify(text).as_json(), ensure_ascii=False), flush=True)
    return 0


def _stdin_lines(stream: TextIO) -> Iterator[str]:
    for line in stream:
        yield line.rstrip("\r\n")


def _rules_check(args: argparse.Namespace) -> int:
    rows = read_labelled_csv(args.csv_file)
    language = _language(args)
    results = [(text, label, language.classify(text)) for text, label in rows]
    report = evaluate((label, result.category) for _, label, result in results)
    asked = sum(result.ask for _, _, result in results) / len(results)
    if args.json:
        _print(json.dumps(_report_json(report, asked), ensure_ascii=False, indent=2))
        return 0
    _print(f"rules-check {args.csv_file}: {report.total} messages")
    _print(_report_text(report, asked))
    errors = [(t, label, r) for t, label, r in results if r.category != label][: args.errors]
    if errors:
        _print("\nmisclassified (label → predicted: text  [matched]):")
    for text, label, result in errors:
        shown = text if len(text) <= 80 else text[:79] + "…"
        _print(f"  {label} → {result.category}: {shown}  [{' '.join(result.matched)}]")
    return 0


def _report_text(report: Report, asked: float) -> str:
    lines = [f"{'category':<34}{'support':>8}{'precision':>11}{'recall':>8}{'F1':>7}"]
    for score in report.per_category:
        name = f"{score.category.value} ({score.category.zh})"
        lines.append(
            f"{name:<{34 - _wide_chars(name)}}{score.support:>8}"
            f"{score.precision:>11.2f}{score.recall:>8.2f}{score.f1:>7.2f}"
        )
    lines.append(
        f"\naccuracy {report.accuracy:.3f}   macro-F1 {report.macro_f1:.3f}   "
        f"asked the resident {asked:.1%}"
    )
    if report.confusions:
        lines.append("\nconfusions (label → predicted, count):")
        lines += [f"  {n:>3}  {label} → {guess}" for label, guess, n in report.confusions]
    return "\n".join(lines)


def _report_json(report: Report, asked: float) -> dict[str, object]:
    return {
        "total": report.total,
        "accuracy": round(report.accuracy, 4),
        "macro_f1": round(report.macro_f1, 4),
        "asked": round(asked, 4),
        "per_category": {
            s.category.value: {
                "support": s.support,
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
                "f1": round(s.f1, 4),
            }
            for s in report.per_category
        },
        "confusions": [[label.value, guess.value, n] for label, guess, n in report.confusions],
    }


def _wide_chars(text: str) -> int:
    """How many characters take two columns in a terminal (CJK), for aligned tables."""
    return sum(1 for ch in text if ord(ch) >= 0x2E80)


def _print(text: str, *, end: str = "\n", flush: bool = False) -> int:
    print(text, end=end, flush=flush)
    return 0
