"""What the 12345 import needs from storage beyond the desk's own port: which task each order
became (:mod:`storage.hotline_rows` implements it), and who a 12345 caller is.

A caller is not a bot user: nobody can message them, and the 12345 platform, not the bot, tells
them the outcome (from the reply sheet, :mod:`bot.hotline.reply`). Yet every task has a resident
(the tasks table requires one), and the desk tells "the resident" at each step. So each order
gets a resident of its own on the ``hotline`` channel, keyed by the order number
(``hotline:2026112200123``), named :data:`bot.texts.HOTLINE_CALLER`, with no grid and no home:
the desk runs unchanged, and the outbox never queues a message for a ``hotline`` chat, so no
sender is asked to deliver one and nothing is given up (``griddesk doctor`` counts nothing).
Keyed by order, a caller's several orders are never merged as one resident's repeats, and
erasing one caller (``griddesk erase --task``) touches only their own order.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from bot.channels import Channel, address
from bot.domain import Task, TaskEvent
from bot.ports import Transaction


def caller_id(order_number: str) -> str:
    """The resident id (and chat id) of the caller of order ``order_number``."""
    return address(Channel.HOTLINE, order_number)


class OrderLedger(Protocol):
    """Imported orders and their tasks."""

    async def hotline_task_number(self, order_number: str) -> str | None:
        """The number of the task the order became; None when it was never imported."""
        ...

    async def add_hotline_order(
        self,
        order_number: str,
        task_id: int,
        *,
        received_at: datetime,
        due_at: datetime,
        imported_at: datetime,
    ) -> bool:
        """Record the order as task ``task_id``; False when it was recorded before."""
        ...

    async def hotline_orders(
        self, since: datetime, until: datetime
    ) -> Sequence[tuple[str, datetime, Task, Sequence[TaskEvent]]]:
        """Orders received in ``[since, until)``: (number, its deadline, task, events)."""
        ...


class HotlineTransaction(Transaction, OrderLedger, Protocol):
    """A desk transaction that also records orders."""


class HotlineStore(Protocol):
    """Opens :class:`HotlineTransaction` s (the SQL store does)."""

    def transaction(self) -> AbstractAsyncContextManager[HotlineTransaction]: ...
