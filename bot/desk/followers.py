"""Tasks merged into another follow it to the end (see :mod:`bot.desk.merging`).

A merged task still belongs to its resident: when its survivor is resolved, it is resolved with
the same result and its resident rates it (their own verdict on their own report); when its
survivor is withdrawn, it is released to go on alone. Free functions, because the desk's work
on the survivor (:mod:`bot.desk.work`, :mod:`bot.desk.withdrawal`) calls them inside its own
transaction.
"""

from __future__ import annotations

from datetime import datetime

from bot import texts
from bot.desk.context import Context
from bot.desk.notices import ResidentNotices
from bot.domain import ALLOWED_FROM, EventKind, Task, TaskEvent, TaskStatus, Transition
from bot.ports import TaskChange, Transaction


async def resolve_followers(ctx: Context, tx: Transaction, survivor: Task, now: datetime) -> None:
    """The survivor was resolved: so is every task merged into it, and each resident is
    asked to rate their own."""
    then = ctx.plan.resolved(now)
    for follower in await tx.tasks_merged_into(survivor.number):
        resolved = await tx.change_task(
            follower.id,
            TaskChange(
                status=TaskStatus.RESOLVED,
                claimer_id=survivor.claimer_id,
                claimed_at=survivor.claimed_at,
                result=survivor.result,
                result_photo=survivor.result_photo,
                stage=then.stage,
                next_followup_at=then.at,
            ),
            only_if=ALLOWED_FROM[Transition.FOLLOW],
        )
        if resolved is None:
            continue
        await tx.add_event(
            TaskEvent(
                follower.id, EventKind.RESOLVED, survivor.claimer_id, now,
                note=survivor.result or "",
            )
        )  # fmt: skip
        await tx.enqueue(ctx.presenter.live_card(resolved))
        resident = await tx.resident(resolved.resident_id)
        if resident is not None:
            request = ctx.presenter.rating_request(resolved, resident.chat_id)
            text = texts.NOTICE_RESOLVED_MERGED.format(
                number=resolved.number, into=survivor.number, result=resolved.result or ""
            )
            await tx.enqueue(
                ResidentNotices(ctx).notice(
                    resident.chat_id,
                    text,
                    urgent=resolved.urgent,
                    buttons=request.buttons,
                    photo=request.photo,
                )
            )


async def release_followers(ctx: Context, tx: Transaction, survivor: Task, now: datetime) -> None:
    """The survivor was withdrawn: every task merged into it goes on alone, with fresh
    deadlines and a new card in its own unit's group."""
    for follower in await tx.tasks_merged_into(survivor.number):
        cycle = ctx.plan.cycle(follower.category, follower.urgent, now, follower.kind)
        released = await tx.change_task(
            follower.id,
            TaskChange(
                status=TaskStatus.OPEN,
                clear_merge=True,
                clear_claimer=True,
                claim_due_at=cycle.claim_due_at,
                resolve_due_at=cycle.resolve_due_at,
                stage=cycle.move.stage,
                next_followup_at=cycle.move.at,
            ),
            only_if=ALLOWED_FROM[Transition.FOLLOW],
        )
        if released is None:
            continue
        await tx.add_event(
            TaskEvent(
                follower.id, EventKind.UNMERGED, None, now, note=survivor.number,
                holder=released.holder, due_at=cycle.claim_due_at,
            )
        )  # fmt: skip
        await tx.enqueue(ctx.presenter.live_card(released, new=True))
        notice = texts.NOTICE_UNMERGED.format(number=released.number, into=survivor.number)
        await ResidentNotices(ctx).tell(tx, released, notice)
