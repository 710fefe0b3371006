"""What ``griddesk claims`` prints: the tasks someone holds a claim on, and what releasing them did.

For an admin tidying up after someone left (:mod:`bot.desk.leavers`). Each task is named by its
number, category, when it was claimed and its resolve deadline, in local time: nothing of the
resident or their words, so the output can be pasted into a chat or a ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.config.settings import Settings
from bot.desk.cards import Presenter
from bot.desk.leavers import Leavers
from bot.domain import Task
from bot.followup.plan import Plan
from bot.ports import Store


async def report(store: Store, settings: Settings, worker: str, *, release: bool) -> str:
    """The claims of ``worker``, and with ``release`` each put back to open in its group."""
    org = settings.require_org()
    zone = settings.timezone
    plan = Plan(settings.deadlines, settings.followup, zone, settings.quiet_hours)
    leavers = Leavers(store, Presenter(org, zone), plan)
    held = await leavers.claims(worker)
    person = org.people.get(worker)
    who = f"{person.name} ({worker})" if person else f"user {worker} (not in the config)"
    if not held:
        return f"{who} holds no claimed tasks."
    lines = [f"{who} holds {len(held)} claimed task(s):", *_rows(held, settings)]
    if not release:
        return "\n".join(lines)
    released, moved_on = await leavers.release(worker)
    lines += [f"released {t.number}: open again in {org.unit(t.holder).name}" for t in released]
    lines += [f"left alone {t.number}: it changed meanwhile" for t in moved_on]
    lines.append(
        f"released {len(released)} of {len(held)}; "
        "the running bot tells each group that they wait for a claim again."
    )
    return "\n".join(lines)


def _rows(tasks: Sequence[Task], settings: Settings) -> list[str]:
    def local(moment: datetime | None) -> str:
        return moment.astimezone(settings.timezone).strftime("%Y-%m-%d %H:%M") if moment else "—"

    return [
        f"  {task.number}  {task.category.value} ({task.category.zh})  "
        f"claimed {local(task.claimed_at)}  due {local(task.resolve_due_at)}"
        for task in tasks
    ]
