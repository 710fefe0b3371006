"""Overdue reminders of one follow-up batch: one message per chat, not one per task.

After downtime, or when a grid falls behind, many tasks of one group pass their deadline in the
same tick. Said one by one, a thousand reminders would bury the group and queue for hours behind
Telegram's per-group rate limit, holding up the new task cards behind them. So a batch says them
once per chat and kind, listing the tasks (the cards, edited one by one, carry the ⚠️ mark).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import texts
from bot.desk.cards import masked_place_of
from bot.domain import Outgoing, Task

LISTED = 30
"""Tasks named in one reminder; the rest are counted (Telegram's 4,096-character limit)."""


@dataclass
class _Reminder:
    one: str  # the text for a single task: {number} {category} {place} {names}
    many: str  # the text for several: {count} {names} {lines}
    tasks: list[Task] = field(default_factory=list)
    names: dict[str, None] = field(default_factory=dict)  # who is asked, in order, once each
    mentions: dict[str, str] = field(default_factory=dict)  # user id → name, in order


class Reminders:
    """Collects reminders by (chat, text) and turns them into messages."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], _Reminder] = {}

    def add(
        self,
        chat_id: str,
        one: str,
        many: str,
        task: Task,
        *,
        names: tuple[str, ...] = (),
        mentions: tuple[tuple[str, str], ...] = (),
    ) -> None:
        """Remind ``chat_id`` of ``task`` with ``one`` (or ``many``, with others), asking
        ``names`` and mentioning ``mentions`` (user id, name) so their phones ring."""
        reminder = self._pending.setdefault((chat_id, one), _Reminder(one, many))
        reminder.tasks.append(task)
        reminder.names.update(dict.fromkeys(names))
        reminder.mentions.update(mentions)

    def take(self) -> list[Outgoing]:
        """The messages of everything added since the last take, in the order first added."""
        messages = [_message(chat, reminder) for (chat, _), reminder in self._pending.items()]
        self._pending.clear()
        return messages


def _message(chat_id: str, reminder: _Reminder) -> Outgoing:
    names = "、".join(reminder.names)
    mentions = tuple(reminder.mentions.items())
    tasks = reminder.tasks
    if len(tasks) == 1:
        task = tasks[0]
        text = reminder.one.format(
            number=task.number, category=task.category.zh, place=masked_place_of(task), names=names
        )
        return Outgoing(chat_id, text, mentions=mentions)
    lines = [
        texts.REMIND_LINE.format(
            number=task.number, category=task.category.zh, place=masked_place_of(task)
        )
        for task in tasks[:LISTED]
    ]
    if len(tasks) > LISTED:
        lines.append(texts.REMIND_MORE.format(count=len(tasks) - LISTED))
    text = reminder.many.format(count=len(tasks), names=names, lines="\n".join(lines))
    return Outgoing(chat_id, text, mentions=mentions)
