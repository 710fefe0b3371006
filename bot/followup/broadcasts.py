"""Scheduled notices (通知): admins write them, preview them, and the tick sends them.

``/broadcast 时间 | 对象 | 内容`` makes a draft and shows a preview with 确认发送 / 取消; only
admins may. Times and targets may be written in plain words (明天早上8点 | 居民:审计厅小区; see
:mod:`bot.followup.spoken_times` and :mod:`bot.followup.notice_targets`); the preview states
the targets in words and the local send time. A one-off notice to residents that falls in
quiet hours is not silently held: the preview warns and the admin chooses between sending it
at its time anyway (a notice about tonight) and at the end of the quiet hours.
``/broadcasts`` lists what is scheduled, with a button to cancel each. Notices can also be
defined in the config (``[[broadcasts]]``), synced at start-up. A run goes to the chosen
grids' groups when due; to residents, quiet hours hold it until morning. Each run is fanned out
in one transaction, one outbox row per recipient keyed by (notice, occurrence, chat), so a run
is queued completely or not at all and never twice to anyone; the outbox paces the sending.
After downtime a recurring notice goes out once for its latest missed occurrence, not once per
missed week.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot import texts
from bot.config.org import Role
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.domain import Audience, Broadcast, BroadcastStatus, Button, Outgoing, UnitKind
from bot.followup.notice_targets import TargetProblem, Targets, describe, read_targets
from bot.followup.notice_times import (
    ConfiguredBroadcast,
    QuietHours,
    Schedule,
    ScheduleError,
    parse_schedule,
)
from bot.ports import Transaction

log = logging.getLogger(__name__)

_BATCH = 20


class Broadcasts:
    """Admins' notices, and the tick that sends them."""

    def __init__(self, context: Context) -> None:
        self.ctx = context
        self.quiet: QuietHours = context.quiet_hours

    # --- admins in chat ----------------------------------------------------------------------

    async def draft(self, actor: Actor, argument: str, update_id: int | None) -> None:
        """/broadcast 时间 | 对象 | 内容: store a draft and show its preview."""
        async with self.ctx.store.transaction() as tx:
            await tx.enqueue(await self._draft(tx, actor, argument))
            await mark_processed(tx, update_id)

    async def _draft(  # noqa: PLR0911 - each refusal answers with its own words
        self, tx: Transaction, actor: Actor, argument: str
    ) -> Outgoing:
        if not self._is_admin(actor):
            return Outgoing(actor.chat_id, texts.BROADCAST_ONLY_ADMINS)
        usage = texts.BROADCAST_USAGE.format(
            quiet=self._quiet_words(),
            communities="、".join(u.name for u in self.ctx.org.units(UnitKind.COMMUNITY)),
        )
        parts = [part.strip() for part in argument.split("|")]
        if len(parts) != 3:
            return Outgoing(actor.chat_id, usage)
        when, target, text = parts
        now = self.ctx.clock()
        try:
            schedule = parse_schedule(when, now, self.ctx.timezone)
        except ScheduleError:
            problem = texts.BROADCAST_BAD_TIME.format(when=when)
            return Outgoing(actor.chat_id, texts.BROADCAST_BAD.format(problem=problem, usage=usage))
        chosen = read_targets(target, self.ctx.org)
        if isinstance(chosen, TargetProblem):
            answer = texts.BROADCAST_BAD.format(problem=chosen.text, usage=usage)
            return Outgoing(actor.chat_id, answer if chosen.show_usage else chosen.text)
        if not text:
            return Outgoing(actor.chat_id, texts.BROADCAST_EMPTY)
        draft = self._scheduled(self._new(actor, text, chosen, schedule), schedule, now)
        if draft.next_run_at is None:
            past = self._short(schedule.at) if schedule.at else schedule.text
            return Outgoing(actor.chat_id, texts.BROADCAST_PAST.format(when=past))
        saved = await tx.add_broadcast(draft)
        return await self._preview(tx, actor, saved)

    @staticmethod
    def _new(actor: Actor, text: str, targets: Targets, schedule: Schedule) -> Broadcast:
        return Broadcast(
            0, text, targets.audience, targets.grid_ids, schedule.text, schedule.cron, None, None,
            BroadcastStatus.DRAFT, actor.user_id, "chat", targets.places,
        )  # fmt: skip

    async def _preview(self, tx: Transaction, actor: Actor, saved: Broadcast) -> Outgoing:
        """What the admin confirms: targets in words, the local send time, and the choice of
        the night or the morning when a one-off notice to residents falls in quiet hours."""
        audience = await self._describe(tx, saved)
        discard = Button(texts.BROADCAST_DISCARD, Action(Verb.BROADCAST_DISCARD, saved.id).encode())
        confirm = Action(Verb.BROADCAST_CONFIRM, saved.id).encode()
        if saved.cron is not None:
            preview = texts.BROADCAST_PREVIEW.format(
                schedule=saved.schedule, first=self._when(saved.next_run_at),
                audience=audience, text=saved.text,
            )  # fmt: skip
            return Outgoing(
                actor.chat_id, preview, ((Button(texts.BROADCAST_CONFIRM, confirm), discard),)
            )
        assert saved.occurrence_at is not None  # a scheduled one-off has both
        assert saved.next_run_at is not None
        held = saved.next_run_at != saved.occurrence_at
        buttons: tuple[tuple[Button, ...], ...] = (
            (Button(texts.BROADCAST_CONFIRM, confirm), discard),
        )
        then = texts.BROADCAST_THEN
        if held:
            then, choice = self._night_or_morning(saved.occurrence_at, saved.next_run_at)
            night = Button(choice[0], Action(Verb.BROADCAST_NIGHT, saved.id).encode())
            buttons = ((night, Button(choice[1], confirm)), (discard,))
        preview = texts.BROADCAST_PREVIEW_ONCE.format(
            first=self._when(saved.occurrence_at), audience=audience, text=saved.text, then=then
        )
        return Outgoing(actor.chat_id, preview, buttons)

    def _night_or_morning(self, at: datetime, release: datetime) -> tuple[str, tuple[str, str]]:
        """The warning for a notice to residents in quiet hours, and its two buttons' labels:
        send at its time anyway, or when the quiet hours end."""
        immediate = at <= self.ctx.clock()
        at_night = (
            texts.BROADCAST_SEND_NOW
            if immediate
            else texts.BROADCAST_SEND_AT.format(time=self._short(at))
        )
        warning = texts.BROADCAST_QUIET_WARNING.format(
            when="现在" if immediate else self._when(at),
            quiet=self._quiet_words(),
            release=self._when(release),
            now_button=at_night,
        )
        later = texts.BROADCAST_SEND_AFTER_QUIET.format(time=self._short(release))
        return warning, (at_night, later)

    async def decide(
        self, actor: Actor, verb: Verb, broadcast_id: int, update_id: int | None
    ) -> Answer:
        """确认发送 / 取消 on a preview, or 取消 #id on the list."""
        if not self._is_admin(actor):
            return Answer(texts.BROADCAST_ONLY_ADMINS, alert=True)
        async with self.ctx.store.transaction() as tx:
            found = await tx.broadcast(broadcast_id)
            expected = (
                BroadcastStatus.ACTIVE if verb is Verb.BROADCAST_STOP else BroadcastStatus.DRAFT
            )
            if found is None or found.status is not expected:
                return Answer(texts.BROADCAST_GONE, alert=True)
            if verb is Verb.BROADCAST_NIGHT and found.cron is not None:
                return Answer(texts.BROADCAST_GONE, alert=True)  # only one-offs are offered it
            if verb in {Verb.BROADCAST_CONFIRM, Verb.BROADCAST_NIGHT}:
                send_at = found.occurrence_at if verb is Verb.BROADCAST_NIGHT else found.next_run_at
                changed = replace(found, status=BroadcastStatus.ACTIVE, next_run_at=send_at)
                reply = (
                    texts.BROADCAST_SENDING_NOW.format(id=found.id)
                    if send_at is not None and send_at <= self.ctx.clock()
                    else texts.BROADCAST_SCHEDULED.format(id=found.id, first=self._when(send_at))
                )
            else:
                changed = replace(found, status=BroadcastStatus.CANCELLED, next_run_at=None)
                reply = (
                    texts.BROADCAST_STOPPED.format(id=found.id)
                    if verb is Verb.BROADCAST_STOP
                    else texts.BROADCAST_DISCARDED
                )
            if not await tx.save_broadcast(changed, only_if=expected):
                return Answer(texts.BROADCAST_GONE, alert=True)
            await tx.enqueue(Outgoing(actor.chat_id, reply))
            await mark_processed(tx, update_id)
        return Answer(reply)

    async def listing(self, actor: Actor, update_id: int | None) -> None:
        """/broadcasts: what is scheduled, each with a button to cancel it."""
        async with self.ctx.store.transaction() as tx:
            if not self._is_admin(actor):
                await tx.enqueue(Outgoing(actor.chat_id, texts.BROADCAST_ONLY_ADMINS))
            else:
                active = await tx.broadcasts(frozenset({BroadcastStatus.ACTIVE}))
                await tx.enqueue(await self._listing(tx, actor, active))
            await mark_processed(tx, update_id)

    async def _listing(
        self, tx: Transaction, actor: Actor, active: Sequence[Broadcast]
    ) -> Outgoing:
        if not active:
            return Outgoing(actor.chat_id, texts.BROADCAST_NONE)
        lines = [texts.BROADCAST_LIST_HEADER.format(count=len(active))]
        for b in active:
            lines.append(
                texts.BROADCAST_LINE.format(
                    id=b.id,
                    schedule=b.schedule,
                    next=self._when(b.next_run_at),
                    audience=await self._describe(tx, b),
                    text=texts.shorten(b.text, 30),
                )
            )
        buttons = tuple(
            (
                Button(
                    texts.BROADCAST_STOP.format(id=b.id), Action(Verb.BROADCAST_STOP, b.id).encode()
                ),
            )
            for b in active
        )
        return Outgoing(actor.chat_id, "\n".join(lines), buttons)

    # --- the tick -----------------------------------------------------------------------------

    async def tick(self, now: datetime) -> int:
        """Send every notice due at ``now``; return how many messages were queued."""
        queued = 0
        while True:
            async with self.ctx.store.transaction() as tx:
                due = await tx.due_broadcasts(now, _BATCH)
                for broadcast in due:
                    queued += await self._run(tx, broadcast, now)
            if len(due) < _BATCH:
                return queued

    async def _run(self, tx: Transaction, broadcast: Broadcast, now: datetime) -> int:
        occurrence = broadcast.occurrence_at or broadcast.next_run_at or now
        key = f"broadcast:{broadcast.id}:{occurrence.isoformat()}"
        text = f"{texts.NOTICE_PREFIX}{broadcast.text}"
        messages = [
            (Outgoing(chat, text), f"{key}:{chat}") for chat in await self._chats(tx, broadcast)
        ]
        queued = await tx.enqueue_once(messages)
        log.info("broadcast %d (%s): %d of %d recipients queued", broadcast.id,
                 occurrence.isoformat(), queued, len(messages))  # fmt: skip
        schedule = Schedule(broadcast.schedule, cron=broadcast.cron)
        following = schedule.after(max(occurrence, now), self.ctx.timezone)
        if following is None:
            await tx.save_broadcast(
                replace(broadcast, status=BroadcastStatus.DONE, next_run_at=None)
            )
        else:
            await tx.save_broadcast(
                replace(broadcast, occurrence_at=following,
                        next_run_at=self._deliver_at(broadcast.audience, following))
            )  # fmt: skip
        return queued

    # --- the config ----------------------------------------------------------------------------

    async def sync_config(self, configured: Sequence[ConfiguredBroadcast]) -> None:
        """Make the config's notices scheduled, changed ones rescheduled, removed ones cancelled."""
        now = self.ctx.clock()
        async with self.ctx.store.transaction() as tx:
            existing = {
                b.source: b
                for b in await tx.broadcasts(frozenset({BroadcastStatus.ACTIVE}))
                if b.source.startswith("config:")
            }
            for item in configured:
                source = f"config:{item.name}"
                schedule = parse_schedule(item.schedule, now, self.ctx.timezone)
                wanted = Broadcast(
                    0, item.text, item.audience, item.grid_ids, schedule.text, schedule.cron,
                    None, None, BroadcastStatus.ACTIVE, None, source,
                )  # fmt: skip
                old = existing.pop(source, None)
                if old is not None and _same(old, wanted):
                    continue
                scheduled = self._scheduled(wanted, schedule, now)
                if old is not None:
                    await tx.save_broadcast(replace(scheduled, id=old.id))
                elif scheduled.next_run_at is not None:
                    await tx.add_broadcast(scheduled)
            for gone in existing.values():
                await tx.save_broadcast(
                    replace(gone, status=BroadcastStatus.CANCELLED, next_run_at=None)
                )

    # --- helpers -----------------------------------------------------------------------------

    def _scheduled(self, broadcast: Broadcast, schedule: Schedule, now: datetime) -> Broadcast:
        first = schedule.first(now, self.ctx.timezone)
        return replace(
            broadcast,
            occurrence_at=first,
            next_run_at=None if first is None else self._deliver_at(broadcast.audience, first),
        )

    def _deliver_at(self, audience: Audience, moment: datetime) -> datetime:
        if audience is Audience.RESIDENTS:
            return self.quiet.release(moment, self.ctx.timezone)
        return moment

    async def _chats(self, tx: Transaction, broadcast: Broadcast) -> list[str]:
        if broadcast.audience is Audience.GROUPS:
            grids = [self.ctx.org.grid(grid_id) for grid_id in broadcast.grid_ids]
            return [grid.chat_id for grid in grids if grid is not None]
        return list(await tx.resident_chats(broadcast.grid_ids, broadcast.places))

    async def _describe(self, tx: Transaction, broadcast: Broadcast) -> str:
        names = describe(broadcast, self.ctx.org)
        if broadcast.audience is Audience.GROUPS:
            return texts.BROADCAST_AUDIENCE_GROUPS.format(names=names)
        count = len(await tx.resident_chats(broadcast.grid_ids, broadcast.places))
        return texts.BROADCAST_AUDIENCE_RESIDENTS.format(names=names, count=count)

    def _quiet_words(self) -> str:
        return f"{self.quiet.start:%H:%M}–{self.quiet.end:%H:%M}"

    def _is_admin(self, actor: Actor) -> bool:
        person = self.ctx.org.people.get(actor.user_id)
        return person is not None and person.role is Role.ADMIN

    def _short(self, moment: datetime) -> str:
        today = self.ctx.clock().astimezone(self.ctx.timezone).date()
        return texts.spoken(moment.astimezone(self.ctx.timezone), today)

    def _when(self, moment: datetime | None) -> str:
        """A local time with its day in words (明天（11月23日 周一）08:00)."""
        if moment is None:
            return ""
        today = self.ctx.clock().astimezone(self.ctx.timezone).date()
        return texts.send_time(moment.astimezone(self.ctx.timezone), today)


def _same(old: Broadcast, new: Broadcast) -> bool:
    fields = ("text", "audience", "grid_ids", "schedule", "cron")
    return all(getattr(old, name) == getattr(new, name) for name in fields)
