"""Figures on demand: ``/stats`` in a grid's, a community's or the street's group (DESIGN.md §6).

The chat decides the scope: a grid's group sees its own grid; a community's group each of its
grids and their total; the street's group, or an admin anywhere, every grid. The window is the
last seven local days up to now. Figures are counts, rates and medians only: no resident, no
address, no text of a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot import texts
from bot.config.org import Role, Unit
from bot.desk.context import Actor, Context, mark_processed
from bot.domain import Outgoing, UnitKind
from bot.figures.compute import Window, compute, last_days
from bot.ports import Transaction

STATS_DAYS = 7
MESSAGE_LIMIT = 3500
"""Characters per message: a street with many grids is split between blocks, never cut."""


@dataclass(frozen=True)
class Scope:
    """Whose figures: a title and the grids, with a total line when there are several."""

    name: str
    grids: tuple[Unit, ...]
    total: bool


class Reports:
    """``/stats``: the figures of the chat's grid, community or street."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def stats(self, actor: Actor, update_id: int | None) -> None:
        async with self.ctx.store.transaction() as tx:
            scope = self.scope(actor)
            if scope is None:
                messages = [texts.STATS_WHERE]
            else:
                now = self.ctx.clock()
                window = last_days(now, self.ctx.timezone, STATS_DAYS)
                messages = await figures_messages(
                    tx, self.ctx, scope, window, texts.STATS_TITLE, now=now
                )
            for text in messages:
                await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)

    def scope(self, actor: Actor) -> Scope | None:
        """The scope of the chat ``actor`` wrote in; None where there are no figures to show."""
        org = self.ctx.org
        unit = self.ctx.unit_by_chat(actor.chat_id)
        kind = None if unit is None else unit.ref.kind
        if unit is not None and kind is UnitKind.GRID:
            return Scope(unit.name, (unit,), total=False)
        if unit is not None and kind is UnitKind.COMMUNITY:
            grids = tuple(u for u in org.children(unit.ref) if u.ref.kind is UnitKind.GRID)
            return Scope(unit.name, grids, total=True)
        person = org.people.get(actor.user_id)
        if kind is UnitKind.STREET or (person is not None and person.role is Role.ADMIN):
            return Scope(org.street.name, tuple(org.grids()), total=True)
        return None


async def figures_messages(
    tx: Transaction, ctx: Context, scope: Scope, window: Window, title: str, *, now: datetime
) -> list[str]:
    """The scope's figures over ``window`` as of ``now`` as messages, ``title`` first
    (``{scope}``, ``{first}`` and ``{last}`` day)."""
    grid_ids = [grid.ref.id for grid in scope.grids]
    history = await tx.tasks_created_between(window.since, window.until, grid_ids)
    stats = compute(history, grid_ids, window, now)
    first, last = window.days(ctx.timezone)
    head = title.format(scope=scope.name, first=texts.day(first), last=texts.day(last))
    blocks = [
        texts.figures_block(grid.name if scope.total else None, figures)
        for grid, figures in zip(scope.grids, stats.grids, strict=True)
    ]
    if scope.total:
        blocks.append(texts.figures_block(texts.STATS_TOTAL, stats.total))
    return pack([head, *blocks, texts.STATS_NOTE])


def pack(blocks: Sequence[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Blocks joined line by line into as few messages as fit ``limit`` each."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n{block}" if current else block
        if current and len(joined) > limit:
            messages.append(current)
            joined = block
        current = joined
    if current:
        messages.append(current)
    return messages
