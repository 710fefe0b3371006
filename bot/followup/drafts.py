"""Nothing a resident starts is left hanging: unanswered questions are reminded, then expire.

A report waiting for an answer (where is it, which kind, what does the photo show) is a problem
the grid does not know about yet. Once its question has gone unanswered for ``[intake]
draft_reminder`` the resident is reminded, once, with the buttons that answer it; after
``[intake] draft_expiry`` it expires with a message that says so — never silently, and never
left to swallow a much later, unrelated message. Residents are not messaged in quiet hours:
what falls due at night is done by the first tick of the morning.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

from bot import texts
from bot.desk.context import Context
from bot.desk.intake import expire, question_buttons
from bot.domain import Draft, DraftReason, Outgoing
from bot.ports import Transaction

log = logging.getLogger(__name__)

_BATCH = 500


class DraftFollowUp:
    """Reminds and expires reports waiting for an answer."""

    def __init__(self, context: Context, reminder: timedelta, expiry: timedelta) -> None:
        self.ctx = context
        self.reminder = reminder
        self.expiry = expiry

    async def tick(self, now: datetime) -> int:
        """Remind or expire every waiting report due at ``now``; how many were."""
        if self.ctx.quiet_hours.release(now, self.ctx.timezone) > now:
            return 0
        done = 0
        while True:
            async with self.ctx.store.transaction() as tx:
                due = await tx.due_drafts(now - self.reminder, now - self.expiry, _BATCH)
                for draft in due:
                    await self._step(tx, draft, now)
            done += len(due)
            if len(due) < _BATCH:
                break
        if done:
            log.info("reminded or expired %d unanswered reports", done)
        return done

    async def _step(self, tx: Transaction, draft: Draft, now: datetime) -> None:
        resident = await tx.resident(draft.resident_id)
        chat = resident.chat_id if resident is not None else draft.resident_id
        asked = draft.asked_at or draft.created_at
        if asked <= now - self.expiry:
            await expire(tx, chat, draft, self.ctx.timezone)
            return
        await tx.save_draft(replace(draft, reminded=True))
        text = texts.DRAFT_REMINDER.format(
            text=texts.shorten(draft.text, 20) if draft.text else texts.PHOTO,
            needs=texts.DRAFT_STILL_NEEDS[draft.reason],
        )
        asks_kind = draft.reason is DraftReason.NEED_CATEGORY
        result = self.ctx.language.classify(draft.text) if asks_kind else None
        await tx.enqueue(Outgoing(chat, text, question_buttons(self.ctx.org, draft, result)))
