"""What a resident is told about their task, and when: 受理告知, and the promise kept.

A good 12345 operator tells a caller, the moment the call becomes a work order, its number, who
handles it, by when someone takes it up and by when it should be done (办理时限), and that they
may be called back; when a deadline slips, the caller hears it once, with the reason in plain
words and the new time. Every message to a resident counts (WeChat allows only a few), and none
that is not urgent wakes anyone at night: a notice caused by someone else's action in quiet hours
(a claim at 23:00, a result written late, an escalation by the night tick) is held in the outbox
until they end. Replies to what the resident just wrote are never held.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from bot import texts
from bot.config.org import Role
from bot.desk.context import Context
from bot.domain import Button, Outgoing, Task, TaskKind, UnitKind, UnitRef
from bot.ports import Transaction


class Slip(StrEnum):
    """Why a task went up a level, as the resident is told (keys of ``texts.SLIP_REASON``)."""

    CLAIM = "claim"  # nobody claimed it in time
    RESOLVE = "resolve"  # claimed, not done in time
    ASKED = "asked"  # the worker asked the level above for help (上报)


class ResidentNotices:
    """Builds the receipt and the notices about a task, and holds them through the night."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    def spoken(self, moment: datetime) -> str:
        """``moment`` as the resident says it, relative to today: ``明天 08:30``."""
        today = self.ctx.clock().astimezone(self.ctx.timezone).date()
        return texts.spoken(moment.astimezone(self.ctx.timezone), today)

    def at_night(self, moment: datetime) -> bool:
        """Whether ``moment`` falls in the configured quiet hours."""
        return self.ctx.quiet_hours.release(moment, self.ctx.timezone) > moment

    def handler(self, holder: UnitRef) -> str:
        """Who handles a task, in words a resident knows: a grid with its workers' names (as on
        the 网格公示牌), or the community, department or street by name."""
        unit = self.ctx.org.unit(holder)
        if holder.kind is UnitKind.GRID:
            workers = [p.name for p in self.ctx.org.members(holder) if p.role is Role.GRID_WORKER]
            if workers:
                return texts.HANDLER_GRID.format(unit=unit.name, names="、".join(workers))
        return unit.name

    def receipt(self, task: Task, urgent_advice: str | None) -> str:
        """The 受理告知 for a task just filed."""
        return texts.received(
            task.number,
            task.category,
            self.handler(task.holder),
            self.spoken(task.claim_due_at),
            self.spoken(task.resolve_due_at),
            night=not task.urgent and self.at_night(task.created_at),
            urgent_advice=urgent_advice,
            question=task.kind is TaskKind.QUESTION,
            by_grid=task.holder.kind is UnitKind.GRID,
        )

    def slip(self, moved: Task, why: Slip) -> str:
        """The one notice of a task gone up a level: why, who has it now, and by when."""
        unit = self.ctx.org.unit(moved.holder).name
        promise = texts.SLIP_PROMISE_OPEN.format(
            claim_by=self.spoken(moved.claim_due_at), resolve_by=self.spoken(moved.resolve_due_at)
        )
        return texts.NOTICE_ESCALATED.format(
            number=moved.number,
            reason=texts.SLIP_REASON[why].format(unit=unit),
            unit=unit,
            promise=promise,
        )

    def notice(
        self,
        chat_id: str,
        text: str,
        *,
        urgent: bool,
        buttons: tuple[tuple[Button, ...], ...] = (),
        photo: str | None = None,
    ) -> Outgoing:
        """A notice to a resident, held until quiet hours end unless it is urgent."""
        now = self.ctx.clock()
        release = self.ctx.quiet_hours.release(now, self.ctx.timezone)
        hold = None if urgent or release <= now else release
        return Outgoing(chat_id, text, buttons, photo=photo, hold_until=hold)

    async def tell(
        self, tx: Transaction, task: Task, text: str, buttons: Sequence[tuple[Button, ...]] = ()
    ) -> None:
        """Queue a notice about ``task`` to its resident (held at night unless urgent)."""
        resident = await tx.resident(task.resident_id)
        if resident is not None:
            await tx.enqueue(
                self.notice(resident.chat_id, text, urgent=task.urgent, buttons=tuple(buttons))
            )

    async def release(self, now: datetime) -> int:
        """Send what waited for the morning: held notices due by ``now`` become pending."""
        async with self.ctx.store.transaction() as tx:
            return await tx.release_held(now)
