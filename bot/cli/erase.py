"""``griddesk erase``: a resident's request to delete their data, taken on the phone (PIPL art. 47).

The operator finds the resident by their Telegram user id, a phone number they gave in a report
(as the digits stand in the report), or one of their task numbers; sees how many residents and
tasks that is; confirms (or passes ``--yes``); and the same erasure /forget does runs for each
(:mod:`bot.desk.erasure`): open tasks withdrawn, cards and claimers told, everything personal
erased, figures kept, and the resident told in their chat that it is done. What is printed
names counts and task numbers, never the resident's words or contact details. A running bot on
the same database sends the messages this queues.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import texts
from bot.cli.arguments import address_argument
from bot.config.settings import Settings, load_settings

_HELP = "the config file (see config.example.toml)"


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    erase = commands.add_parser(
        "erase",
        help="delete a resident's personal data at their request (by phone, say)",
        description="Erase a resident's personal data: their tasks' words, photos and notes, "
        "their record and the messages about them; open tasks are withdrawn and the figures "
        "stay. Find them by --user, --phone or --task.",
    )
    erase.add_argument("--config", type=Path, required=True, help=_HELP)
    which = erase.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--user",
        type=address_argument,
        metavar="ID",
        help="their id: a Telegram user id, or channel:id (wechat:o6_bm…)",
    )
    which.add_argument("--phone", metavar="DIGITS", help="a phone number they gave in a report")
    which.add_argument("--task", metavar="NUMBER", help="one of their task numbers")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415 - the bot's machinery loads only for this command

    settings = load_settings(args.config)
    settings.require_org()
    fragment = args.phone or args.task
    return asyncio.run(_erase(settings, args.user, fragment, confirmed=args.yes))


async def _erase(
    settings: Settings, user: str | None, fragment: str | None, *, confirmed: bool
) -> int:
    from bot.desk.context import Context  # noqa: PLC0415 - SQL and jieba load only here
    from bot.desk.erasure import ALL_TASKS, Erasure  # noqa: PLC0415
    from bot.desk.withdrawal import Withdrawal  # noqa: PLC0415
    from bot.domain import Outgoing  # noqa: PLC0415
    from bot.language import build_language  # noqa: PLC0415
    from storage.engine import open_store  # noqa: PLC0415

    async with open_store(settings.database_url) as store:
        async with store.transaction() as tx:
            found: Sequence[str] = (
                [user] if user is not None else await tx.residents_mentioning(fragment or "")
            )
            tasks = {r: len(await tx.tasks_of_resident(r, ALL_TASKS)) for r in found}
            known = [r for r in found if tasks[r] or await tx.resident(r) is not None]
        if not known:
            print("No resident found: nothing erased.")
            return 1
        count = sum(tasks[r] for r in known)
        print(f"Found {len(known)} resident(s) with {count} task(s).")
        if not confirmed and not _confirm("Erase their personal data? This cannot be undone."):
            print("Nothing erased.")
            return 1
        org = settings.require_org()
        language = build_language(settings.classifier)
        context = Context(store, org, language, settings.deadlines, settings.timezone)
        erasure = Erasure(context, Withdrawal(context))
        for resident_id in known:
            async with store.transaction() as tx:
                resident = await tx.resident(resident_id)
                erased = await erasure.erase(tx, resident_id)
                if resident is not None:
                    done = texts.ERASED_DONE.format(count=len(erased.numbers))
                    await tx.enqueue(Outgoing(resident.chat_id, done))
            numbers = ", ".join(erased.numbers) or "none"
            print(
                f"Erased: {len(erased.numbers)} task(s) ({numbers}), {erased.withdrawn} withdrawn."
            )
        await store.reclaim()
    return 0


def _confirm(question: str) -> bool:
    print(f"{question} Type 'yes' to go on: ", end="", flush=True)
    return sys.stdin.readline().strip().lower() == "yes"
