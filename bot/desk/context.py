"""What every part of the desk shares: the store, the org, the language core, deadlines, clock.

Built once by the composition root. The clock is a function so tests drive time with a fake
one; every transaction a desk method opens also marks the update that caused it as processed,
so a restart never applies the same update twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config.org import Org, Unit
from bot.config.settings import DeadlineSettings, FollowupSettings
from bot.desk.cards import Presenter
from bot.followup.notice_times import QuietHours
from bot.followup.plan import Plan
from bot.language import Language
from bot.ports import Store, Transaction
from bot.sending.chats import ChatMoves


@dataclass(frozen=True)
class Actor:
    """Who pressed or wrote, and in which chat."""

    user_id: str
    chat_id: str
    name: str
    username: str | None = None

    @property
    def in_private_chat(self) -> bool:
        """Whether they act in their own private chat with the bot, where only they see
        what is said. On every channel we serve (Telegram, a WeChat Official Account, WeCom)
        a person's private chat is addressed by their own id."""
        return self.chat_id == self.user_id


@dataclass(frozen=True)
class Answer:
    """The immediate answer to a button press (a toast, or an alert the user must dismiss)."""

    text: str
    alert: bool = False
    repeats_a_message: bool = False
    """The press also wrote the presser a message saying as much: a channel without toasts
    (WeChat, WeCom), which sends an alert as a message, need not send this one."""


async def mark_processed(tx: Transaction, update_id: int | None) -> None:
    """Mark the update that caused this transaction's changes, inside the same transaction."""
    if update_id is not None:
        await tx.mark_update_processed(update_id)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """The desk's collaborators."""

    store: Store
    org: Org
    language: Language
    deadlines: DeadlineSettings
    timezone: ZoneInfo
    clock: Callable[[], datetime] = utc_now
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    chats: ChatMoves = field(default_factory=ChatMoves)

    def unit_by_chat(self, chat_id: str) -> Unit | None:
        """The unit whose group ``chat_id`` is, under its configured id or the one it moved to."""
        return self.org.unit_by_chat(self.chats.configured(chat_id))

    @property
    def presenter(self) -> Presenter:
        return Presenter(self.org, self.timezone)

    @property
    def plan(self) -> Plan:
        """Every deadline and follow-up decision (:mod:`bot.followup.plan`)."""
        return Plan(self.deadlines, self.followup, self.timezone, self.quiet_hours)

    def today(self, now: datetime) -> str:
        """The local calendar day of ``now`` as ``YYYYMMDD`` (task numbers count per day)."""
        return now.astimezone(self.timezone).strftime("%Y%m%d")
