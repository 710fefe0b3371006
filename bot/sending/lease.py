"""The outbox lease: one sender among instances, handed over within seconds, and fenced.

Several instances may run on one database (DESIGN.md §9); only the holder of the ``outbox``
lease sends. The lease is a row (holder, until) that the holder renews about twice a second
(:data:`RENEW_EVERY`) for :data:`LEASE_TIME`, in the transaction of the dispatcher's read of
the outbox, which runs at least that often while it holds the lease (one more UPDATE in a
transaction that is taken anyway). When the holder dies its lease runs out by itself; the
others try to take it at each idle tick (a second), so what is pending goes out again at most
``LEASE_TIME`` plus a tick, 4 s, after the death.

A send can last much longer than the lease: PTB's rate limiter holds a group's message back
for seconds (20 a minute), and a timeout is seconds more. Renewing only between sends, as this
module once did, let a lease run out in the middle of one, and a second instance send the same
row again. The fence closes that:

- **Terms.** Each unbroken stretch of holding is a *term*. It begins when this instance takes
  the lease (it was free or had run out) and lasts while every renewal finds this instance
  still named as the holder (:meth:`~bot.ports.Transaction.renew_lease`: nobody else has
  held it since). The dispatcher tags every message it reads with the term it was read in and
  sends it only in that term; when a term ends, the messages in hand are dropped unsent and
  read again in the next term (whoever's it is), so nothing read before somebody else held the
  lease is sent after.
- **The holder ends its own term first.** A term is over for its holder :data:`MARGIN` before
  the lease it last wrote runs out, on either clock: no send starts after that (checked before
  each one, on the injected clock), and every send still waiting — in the rate limiter, or on a
  reply — is cancelled at that moment (an ``asyncio`` timeout on the monotonic clock,
  postponed at each renewal). Another instance takes the lease only once it has run out. So,
  with the instances' clocks within ``MARGIN`` of each other and no event loop blocked for
  longer than that, no send of one term overlaps the next term: a row is never sent by two
  instances at once, however long a send waits; and while its holder lives and reaches the
  database the lease never runs out, so nobody else starts.

What remains is what a crash leaves: a request that reached Telegram but whose answer was not
recorded (the holder was killed, or lost the database for a whole lease while the request was
on its way) is sent again by the next term — at least once, as DESIGN.md §7 says, and a card
posted again then says so (:mod:`bot.sending.outbox`).

The lease's times (written to the row, compared by other instances) come from the injected
clock, as everything the dispatcher schedules does; in production that is the wall clock. A
renewal is due by either clock, and the cancelling timer runs on the event loop's monotonic
one: under a test's frozen fake clock a lease is renewed and never runs out, and a test that
moves its clock past the lease without letting the loop run plays a holder that froze.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from bot.ports import Transaction

log = logging.getLogger(__name__)

LEASE_TIME = timedelta(seconds=3)
"""How long a renewal holds the lease: how long a dead holder keeps the others waiting."""
RENEW_EVERY = timedelta(seconds=0.5)
"""A holder renews once this much has passed since its last renewal (on either clock): a
renewal slow by up to two seconds still lands before the holder ends its term."""
MARGIN = timedelta(seconds=0.5)
"""How long before its lease runs out a holder ends its term; the clock skew tolerated."""
_NOT_HELD = datetime.min.replace(tzinfo=UTC)


class Fenced(Exception):
    """The term ended while a send waited: it was cancelled and its message stays pending."""


class Step(Enum):
    """What one :meth:`SendingLease.hold` did."""

    KEPT = "kept"  # held, no renewal due: no statement
    RENEWED = "renewed"
    TAKEN = "taken"  # a new term
    REFUSED = "refused"  # another instance holds it
    LOST = "lost"  # another instance took it over: this term is over


@dataclass(frozen=True)
class Ticket:
    """The outcome of :meth:`SendingLease.hold`, applied by :meth:`SendingLease.settle` only
    once the transaction it ran in has committed."""

    step: Step
    now: datetime
    monotonic: float

    @property
    def held(self) -> bool:
        return self.step in (Step.KEPT, Step.RENEWED, Step.TAKEN)


class SendingLease:
    """This instance's hold on the lease ``name``, its current term and the term's fence."""

    def __init__(self, name: str, holder: str, clock: Callable[[], datetime]) -> None:
        self.name = name
        self.holder = holder
        self.clock = clock
        self.term = 0
        """The number of the current (or last) term; messages carry it."""
        self.holding = False
        self._until = _NOT_HELD
        self._renewed_at = _NOT_HELD
        self._renewed_monotonic = -math.inf
        self._fence_at = -math.inf
        """When (event loop time) the current term ends unless renewed."""
        self._waiting: set[asyncio.Timeout] = set()

    def due(self) -> bool:
        """Whether :meth:`hold` would write: the lease is not held, or a renewal is due."""
        if not self.holding:
            return True
        passed = asyncio.get_running_loop().time() - self._renewed_monotonic
        return (
            self.clock() - self._renewed_at >= RENEW_EVERY or passed >= RENEW_EVERY.total_seconds()
        )

    async def hold(self, tx: Transaction) -> Ticket:
        """Renew the lease when due, or try to take it when not held, inside ``tx``.

        The times are read before the statement, so the lease written never outlasts what
        this instance believes it holds."""
        now, monotonic = self.clock(), asyncio.get_running_loop().time()
        if not self.due():
            return Ticket(Step.KEPT, now, monotonic)
        if self.holding:
            renewed = await tx.renew_lease(self.name, self.holder, now + LEASE_TIME)
            return Ticket(Step.RENEWED if renewed else Step.LOST, now, monotonic)
        taken = await tx.take_lease(self.name, self.holder, now + LEASE_TIME, now)
        return Ticket(Step.TAKEN if taken else Step.REFUSED, now, monotonic)

    async def release(self, tx: Transaction) -> None:
        """End the term and give the lease up (a clean stop), so nobody waits for it."""
        self.end()
        await tx.release_lease(self.name, self.holder)

    def settle(self, ticket: Ticket) -> bool:
        """Apply ``ticket`` now that its transaction committed; True while the lease is held."""
        if ticket.step is Step.TAKEN:
            self.term += 1
            self.holding = True
            self._renewed(ticket)
        elif ticket.step is Step.RENEWED and self.holding:  # (not holding: the term ended
            self._renewed(ticket)  # while the renewal was on its way; the next hold takes anew)
        elif ticket.step is Step.LOST:
            log.warning("outbox lease taken over by another instance; it sends from here")
            self.end()
        return self.live()

    def _renewed(self, ticket: Ticket) -> None:
        self._until = ticket.now + LEASE_TIME
        self._renewed_at = ticket.now
        self._renewed_monotonic = ticket.monotonic
        self._fence_at = ticket.monotonic + (LEASE_TIME - MARGIN).total_seconds()
        for waiting in self._waiting:
            waiting.reschedule(self._fence_at)

    def live(self) -> bool:
        """Whether the current term may still start a send (and ends it if not)."""
        if not self.holding:
            return False
        late = self.clock() >= self._until - MARGIN
        if late or asyncio.get_running_loop().time() >= self._fence_at:
            log.warning("outbox lease not renewed in time: sends in hand are stopped and left "
                        "for the next holder")  # fmt: skip
            self.end()
            return False
        return True

    def may_send(self, term: int) -> bool:
        """Whether a message read in ``term`` may be sent now."""
        return term == self.term and self.live()

    def end(self) -> None:
        """End the current term here: no further send, and the waiting ones are cancelled."""
        self.holding = False
        now = asyncio.get_running_loop().time()
        for waiting in self._waiting:
            waiting.reschedule(now)

    @contextlib.asynccontextmanager
    async def fence(self) -> AsyncIterator[None]:
        """Cancel the enclosed send when the term ends (:class:`Fenced`)."""
        scope = asyncio.timeout_at(self._fence_at)
        try:
            async with scope:
                self._waiting.add(scope)
                try:
                    yield
                finally:
                    self._waiting.discard(scope)
        except TimeoutError as exc:
            if scope.expired():
                raise Fenced from exc
            raise
