"""Messages that are not a new report: thanks, and details added just after a report.

A resident who has just reported something often writes again. "谢谢" or "好的" is not a
request: it gets a short kind answer, not the hint on how to report. A detail — a building
("3号楼2单元"), "从早上就没有", a photo — belongs to the report filed minutes before: it joins
that task (its card shows it, the claimer hears it) instead of opening a second one or being
asked "where is it?". What names a different problem, or is urgent, is a report of its own.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot import texts
from bot.desk.context import Context
from bot.desk.filing import Filing
from bot.domain import ACTIVE, Draft, Outgoing, Resident, Task
from bot.ports import Transaction
from nlp.normalize import normalize
from nlp.taxonomy import Category

DETAIL_WINDOW = timedelta(minutes=30)
"""How long after a report a short message without a problem of its own still adds to it."""
DETAIL_MAX_CHARS = 20
"""A detail is short; a longer message says enough to stand as a report."""
_RECENT = 5

COURTESIES = frozenset(
    {
        "谢谢", "谢谢你", "谢谢您", "谢谢啦", "谢啦", "谢了", "多谢", "感谢", "非常感谢",
        "太感谢了",
        "好的", "好", "好滴", "好嘞", "好的谢谢", "好的谢谢你", "好的谢谢您", "好的好的", "行",
        "嗯", "嗯嗯", "哦", "哦哦", "收到", "知道了", "明白了", "辛苦了", "辛苦你们了", "麻烦了",
        "麻烦你们了", "谢谢你们", "ok", "okay", "thanks", "thank you",
    }
)  # fmt: skip
"""Whole messages that only thank or acknowledge (compared after normalising, punctuation off)."""
_PUNCTUATION = re.compile(r"[\s,.!?;:~、，。！？；：…～\-—]+")
_BARE = frozenset(_PUNCTUATION.sub("", courtesy) for courtesy in COURTESIES)
_THANKS_EMOJI = frozenset("👍🙏👌😊🤝🌹💐❤")
"""Emoji that thank on their own (an angry face does not)."""
_EMOJI_TRIM = frozenset("\ufe0f\u200d") | {chr(c) for c in range(0x1F3FB, 0x1F400)}
"""Variation selector, joiner and skin tones: part of an emoji, not one of their own."""


def is_courtesy(text: str) -> bool:
    """Whether ``text`` only thanks or acknowledges: "谢谢！", "好的，谢谢", "嗯嗯", "👍🙏"."""
    bare = _PUNCTUATION.sub("", normalize(text))
    if bare:
        return bare in _BARE
    signs = {c for c in text if not c.isspace() and c not in _EMOJI_TRIM}
    return bool(signs) and signs <= _THANKS_EMOJI


class Asides:
    """Answers thanks, and adds details to the task the resident has just filed."""

    def __init__(self, context: Context, filing: Filing) -> None:
        self.ctx = context
        self.filing = filing

    async def thanks(
        self, tx: Transaction, resident: Resident, draft: Draft | None, text: str, photo: str | None
    ) -> bool:
        """A short kind answer to "谢谢"/"好的"; False when the message is more than that (or
        a question waits: then it is taken as the answer)."""
        if draft is not None or photo or not is_courtesy(text):
            return False
        active = [
            t for t in await tx.tasks_of_resident(resident.user_id, _RECENT) if t.status in ACTIVE
        ]
        reply = (
            texts.WELCOME_THANKS_PENDING.format(number=active[0].number)
            if active
            else texts.WELCOME_THANKS
        )
        await tx.enqueue(Outgoing(resident.chat_id, reply))
        return True

    async def detail(
        self, tx: Transaction, resident: Resident, draft: Draft | None, text: str, photo: str | None
    ) -> bool:
        """Add a detail to the task filed in the last minutes; False when it is not one (or a
        question waits: then the report being asked about takes it). A photo without words
        is always a detail of a task just filed."""
        if draft is not None or not (text or photo):
            return False
        task = await self._just_filed(tx, resident)
        if task is None or (text and not self._adds_to(task, text)):
            return False
        photos = (photo,) if photo else ()
        added = await self.filing.add_to(tx, resident, task, text, photos)
        if added is None:
            return False
        await tx.enqueue(Outgoing(resident.chat_id, texts.DETAIL_ADDED.format(number=added.number)))
        return True

    async def _just_filed(self, tx: Transaction, resident: Resident) -> Task | None:
        """The resident's newest task, if still active and filed within the detail window."""
        recent = await tx.tasks_of_resident(resident.user_id, 1)
        since = self.ctx.clock() - DETAIL_WINDOW
        if recent and recent[0].status in ACTIVE and recent[0].created_at >= since:
            return recent[0]
        return None

    def _adds_to(self, task: Task, text: str) -> bool:
        """Short, naming no problem of its own (a repeat of the same one is merged by
        :mod:`bot.desk.filing`), and no other place than the task's."""
        if len(normalize(text)) > DETAIL_MAX_CHARS:
            return False
        result = self.ctx.language.classify(text)
        if result.urgent:
            return False
        if result.category is not Category.OTHER:  # a problem of its own, or a repeat: filed
            return False
        named = self.ctx.org.gazetteer.find(text)
        return named is None or named.place.name == task.place
