"""Importing 12345 work orders: one task per order, filed the way a resident's report is.

Each order goes through :class:`bot.desk.filing.Filing`, the desk's own path for a complete
report — classified from its 标题 and 诉求内容, placed by the gazetteer from its address (else
from the words), routed to the grid, its card posted in the grid's group, its follow-up
scheduled — so a worker claims, resolves and is reminded of it like any other task. Three things
differ, all because a caller is not a bot user:

- the task's resident is the order's caller (:func:`bot.hotline.ledger.caller_id`), who is sent
  no receipt and, through the outbox, nothing else either;
- the task is due when the order is (its 办理时限), and taken up by the usual claim deadline,
  but never later than that;
- the task's words start with the order's number, so the card says where it came from.

A whole file is one transaction: every order becomes a task, or none does. Rows the reader
refused, and orders whose address names no configured place (nobody could be sent to them),
stop the import unless the operator chose to skip them. An order imported before is left alone
and reported as such, so importing a file twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta

from bot import texts
from bot.desk.context import Context
from bot.desk.filing import Filing, Report
from bot.domain import Resident, TaskKind
from bot.followup.plan import Cycle, Plan
from bot.hotline.ledger import HotlineStore, HotlineTransaction, caller_id
from bot.hotline.orders import Order, OrderSheet, RowError
from nlp.places import Address, parse_address
from nlp.taxonomy import Category


class OrdersRefused(Exception):
    """The file has rows that cannot be imported; nothing was."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) cannot be imported")
        self.errors = tuple(errors)


class ImportCollided(Exception):
    """Another import recorded one of these orders while this one ran; nothing was imported."""


@dataclass(frozen=True)
class Imported:
    """What an import did: (order number, task number) pairs, and the rows it left out."""

    added: tuple[tuple[str, str], ...]
    already: tuple[tuple[str, str], ...]
    """Orders imported before, with the task each became then."""
    skipped: tuple[RowError, ...]


@dataclass(frozen=True)
class _Placed:
    order: Order
    grid_id: str
    place: str
    address: Address


class OrderImport:
    """Files the orders of a sheet as tasks on the desk of ``context``."""

    def __init__(self, context: Context, store: HotlineStore) -> None:
        """``store``: the same store as ``context``'s, seen with its order ledger."""
        self.ctx = context
        self.store = store

    def placed(self, sheet: OrderSheet) -> tuple[list[_Placed], list[RowError]]:
        """The orders whose place is known, and every row that cannot be imported."""
        placed: list[_Placed] = []
        errors = list(sheet.errors)
        for order in sheet.orders:
            where = self._locate(order)
            if where is None:
                reason = f"工单 {order.number}: no configured place in 地址 {order.address!r}"
                errors.append(RowError(order.row, reason))
            else:
                placed.append(where)
        return placed, sorted(errors, key=lambda error: error.row)

    async def run(self, sheet: OrderSheet, *, skip_bad: bool = False) -> Imported:
        """Import the sheet's orders in one transaction.

        :class:`OrdersRefused` when a row cannot be imported and ``skip_bad`` is False;
        :class:`ImportCollided` when another import recorded one of the orders meanwhile.
        """
        placed, errors = self.placed(sheet)
        if errors and not skip_bad:
            raise OrdersRefused(errors)
        added: list[tuple[str, str]] = []
        already: list[tuple[str, str]] = []
        async with self.store.transaction() as tx:
            for where in placed:
                number = where.order.number
                known = await tx.hotline_task_number(number)
                if known is not None:
                    already.append((number, known))
                else:
                    added.append((number, await self._file(tx, where)))
        return Imported(tuple(added), tuple(already), tuple(errors))

    async def _file(self, tx: HotlineTransaction, where: _Placed) -> str:
        """File one order as a task and record it; the task's number."""
        order = where.order
        caller = Resident(caller_id(order.number), caller_id(order.number), texts.HOTLINE_CALLER)
        await tx.save_resident(caller)
        result = replace(self.ctx.language.classify(_request(order)), ask=False)
        report = Report(
            task_text(order),
            (),
            result,
            where.grid_id,
            where.place,
            where.address,
            receipt=False,
        )
        context = _OrderContext.of(self.ctx, order.due_at)
        task = await Filing(context, merge_window=timedelta(0), tasks_per_day=0).file(
            tx, caller, report
        )
        assert task is not None  # a new caller: no earlier task to join, no daily cap
        recorded = await tx.add_hotline_order(
            order.number,
            task.id,
            received_at=order.received_at,
            due_at=order.due_at,
            imported_at=self.ctx.clock(),
        )
        if not recorded:
            raise ImportCollided(f"工单 {order.number} was imported by another run meanwhile")
        return task.number

    def _locate(self, order: Order) -> _Placed | None:
        """The place the address names, else the one the words name (as a resident's message
        is placed); building and unit from the address first."""
        gazetteer = self.ctx.org.gazetteer
        match = gazetteer.find(order.address) or gazetteer.find(order.content)
        if match is None:
            return None
        address = match.address
        if not address.building:
            address = parse_address(f"{order.address} {order.content}")
        return _Placed(order, match.place.grid_id, match.place.name, address)


def task_text(order: Order) -> str:
    """The task's words: the order's number first (the card shows where the task came from),
    then its title, the caller's words and the address — never who called."""
    lines = [texts.HOTLINE_ORDER_HEADING.format(number=order.number)]
    if order.title:
        lines.append(texts.HOTLINE_ORDER_TITLE.format(title=order.title))
    lines.append(texts.HOTLINE_ORDER_CONTENT.format(content=order.content))
    if order.address:
        lines.append(texts.HOTLINE_ORDER_ADDRESS.format(address=order.address))
    return "\n".join(lines)


def _request(order: Order) -> str:
    """What is classified: the title and the caller's words, as a resident's message is."""
    return f"{order.title}\n{order.content}" if order.title else order.content


class _OrderPlan(Plan):
    """The usual plan, but a task filed now is due by the order's deadline."""

    def __init__(self, plan: Plan, due_at: datetime) -> None:
        super().__init__(plan.deadlines, plan.followup, plan.timezone, plan.quiet_hours)
        self.due_at = due_at

    def cycle(
        self, category: Category, urgent: bool, start: datetime, kind: TaskKind = TaskKind.REPAIR
    ) -> Cycle:
        usual = super().cycle(category, urgent, start, kind)
        return Cycle(min(usual.claim_due_at, self.due_at), self.due_at)


@dataclass(frozen=True)
class _OrderContext(Context):
    """The desk's context while one order is filed: its plan keeps the order's deadline."""

    due_at: datetime | None = None

    @classmethod
    def of(cls, context: Context, due_at: datetime) -> _OrderContext:
        shared = {field.name: getattr(context, field.name) for field in fields(Context)}
        return cls(**shared, due_at=due_at)

    @property
    def plan(self) -> Plan:
        usual = super().plan
        return usual if self.due_at is None else _OrderPlan(usual, self.due_at)
