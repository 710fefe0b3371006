"""The domain values of a task's life (DESIGN.md §3): frozen, channel-free, storage-free.

Everything that crosses a layer is one of these: the desk reads and writes them through
:mod:`bot.ports`, storage maps them to tables, handlers render them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from nlp.taxonomy import Category


class TaskKind(StrEnum):
    """What a task asks of the grid: a repair to get done, or a question to answer (咨询)."""

    REPAIR = "repair"
    QUESTION = "question"  # answered, not repaired: one answer deadline, the reply is the result


class TaskStatus(StrEnum):
    """Where a task is in its life."""

    OPEN = "open"  # routed, waiting for a claim
    CLAIMED = "claimed"
    RESOLVED = "resolved"  # the worker says it is done; waiting for the resident's rating
    CLOSED = "closed"  # rated, or the follow-up window ended
    CANCELLED = "cancelled"  # the resident withdrew it
    MERGED = "merged"  # a duplicate of another task


FORGOTTEN = "forgotten"
"""The resident id of a task whose resident's data was erased (asked, or past retention): not
a channel address (no colon), so nobody's id (storage/erasure_rows.py)."""

ACTIVE = frozenset({TaskStatus.OPEN, TaskStatus.CLAIMED})
"""Statuses in which the task is still somebody's job."""


class Transition(StrEnum):
    """A change of a task's status, by whoever causes it."""

    CLAIM = "claim"  # 认领
    HAND_OVER = "hand_over"  # 转交 to another member: still claimed
    RESOLVE = "resolve"  # 办结
    GIVE_BACK = "give_back"  # 退回
    ESCALATE = "escalate"  # 上报, or overdue: one level up, open again
    REOPEN = "reopen"  # 不满意: open again, one level up
    CLOSE = "close"  # rated 满意/基本满意, or the 回访 window ended
    CANCEL = "cancel"  # the resident withdrew it
    MERGE = "merge"  # a duplicate of another task
    FOLLOW = "follow"  # a merged task follows its survivor: resolved with it, or released
    ADD = "add"  # the resident added words or photos: no change of status


ALLOWED_FROM: dict[Transition, frozenset[TaskStatus]] = {
    Transition.CLAIM: frozenset({TaskStatus.OPEN}),
    Transition.HAND_OVER: frozenset({TaskStatus.CLAIMED}),
    Transition.RESOLVE: frozenset({TaskStatus.CLAIMED}),
    Transition.GIVE_BACK: frozenset({TaskStatus.CLAIMED}),
    Transition.ESCALATE: ACTIVE,
    Transition.REOPEN: frozenset({TaskStatus.RESOLVED}),
    Transition.CLOSE: frozenset({TaskStatus.RESOLVED}),
    Transition.CANCEL: ACTIVE,
    Transition.MERGE: ACTIVE,
    Transition.FOLLOW: frozenset({TaskStatus.MERGED}),
    Transition.ADD: ACTIVE,
}
"""The statuses each transition may start from: the one table every conditional update of a
task's status is checked against (a stale or doubled press changes nothing)."""


class UnitKind(StrEnum):
    """The kinds of org units a task can be held by; the escalation chain runs through them."""

    GRID = "grid"
    COMMUNITY = "community"
    DEPARTMENT = "department"
    STREET = "street"


@dataclass(frozen=True, order=True)
class UnitRef:
    """An org unit by kind and id, as stored on a task (``grid:xingan-1``)."""

    kind: UnitKind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> UnitRef:
        kind, _, unit_id = text.partition(":")
        return cls(UnitKind(kind), unit_id)


class Stage(StrEnum):
    """The next follow-up step a task is waiting for (DESIGN.md §6), due at ``next_followup_at``."""

    CLAIM_DUE = "claim_due"  # at the claim deadline: remind the holder's group
    CLAIM_REMINDED = "claim_reminded"  # still unclaimed after the interval: escalate
    RESOLVE_DUE = "resolve_due"  # at the resolve deadline: remind the claimer
    RESOLVE_REMINDED = "resolve_reminded"  # still unresolved after the interval: escalate
    RATING_DUE = "rating_due"  # a day after 办结 without a rating: ask again
    RATING_ASKED = "rating_asked"  # at the follow-up limit: close as unrated
    DONE = "done"  # nothing more to do


class EventKind(StrEnum):
    """What happened to a task: the audit trail every figure is computed from."""

    CREATED = "created"
    CLAIMED = "claimed"
    RETURNED = "returned"  # 退回: the claimer gave it back unclaimed
    TRANSFERRED = "transferred"  # 转交 to another member
    ESCALATED = "escalated"  # 上报 one level up
    RESOLVED = "resolved"  # 办结
    RATED = "rated"
    REOPENED = "reopened"  # 不满意: back to open, one level higher
    ADDED = "added"  # the resident added words or photos (note: the words)
    MERGED = "merged"  # merged into another task (note: that task's number)
    MERGED_IN = "merged_in"  # another task was merged into this one (note: its number)
    UNMERGED = "unmerged"  # the task it was merged into was withdrawn: it goes on alone
    NOTE = "note"  # the claimer wrote about the task privately (note: the words)
    REMINDED = "reminded"  # the follow-up engine reminded someone (note: who and why)
    CANCELLED = "cancelled"  # the resident withdrew it (note: the reason, when they gave one)
    CLOSED = "closed"
    FEEDBACK = "feedback"  # the resident's words about the result (note: the words)
    ERASED = "erased"  # the resident's personal data was erased (never a note: not what)
    RECATEGORISED = "recategorised"  # 改类别 (note: "old→new" category ids)
    CONTACT_VIEWED = "contact_viewed"  # staff saw the unmasked contact on the web desk


class Rating(StrEnum):
    """The resident's verdict on a resolved task."""

    SATISFIED = "satisfied"
    BASICALLY = "basically"
    UNSATISFIED = "unsatisfied"


@dataclass(frozen=True)
class Resident:
    """A resident who writes to the bot in a private chat."""

    user_id: str
    """``channel:id`` (:mod:`bot.channels`), as every person's and chat's id below."""
    chat_id: str
    name: str
    username: str | None = None
    grid_id: str | None = None
    """The bound home grid (``/start``), used when a message names no place."""
    place: str | None = None
    """The bound 小区, as configured."""


@dataclass(frozen=True, kw_only=True)
class NewTask:
    """What intake decided about a message, before the task has an id and a number."""

    resident_id: str
    text: str
    photo: str | None
    """The photo the card is posted with: the first sent with the report. It never changes:
    a card posted as text cannot become a photo, nor a photo card a text."""
    category: Category
    urgent: bool
    confidence: float
    matched: tuple[str, ...]
    grid_id: str | None
    """The grid the problem is in; None when the place is unknown (community desk)."""
    place: str | None
    building: str | None
    unit: str | None
    holder: UnitRef
    """Whose job it is now: the grid, or a level above after 上报."""
    created_at: datetime
    claim_due_at: datetime
    resolve_due_at: datetime
    stage: Stage
    next_followup_at: datetime | None
    """When the follow-up engine acts on the task next; None when it never will."""
    photos: tuple[str, ...] = ()
    """Every photo the resident sent for this task, in order (the card's first, when it has
    one); photos added later join here."""
    kind: TaskKind = TaskKind.REPAIR


@dataclass(frozen=True, kw_only=True)
class Task(NewTask):
    """A resident's request as it stands now (the events say how it got here)."""

    id: int
    number: str
    """Public number, ``20261122-0017``: day of creation (local time) and a daily counter."""
    level: int
    """How many times it went up (上报 or reopened)."""
    status: TaskStatus
    claimer_id: str | None
    claimed_at: datetime | None
    result: str | None = None
    result_photo: str | None = None
    rating: Rating | None = None
    reopen_count: int = 0
    merged_into: str | None = None
    """The number of the task this one was merged into (status ``merged``): it follows that
    task's result."""

    @classmethod
    def of_fields(cls, **fields: Any) -> Task:
        """The same as ``Task(**fields)`` with every field given, at a ninth of the cost: the
        frozen ``__init__`` sets each of the 27 fields through ``object.__setattr__``, and
        storage reads thousands of tasks for one follow-up tick. A missing or unknown field is
        refused, as the constructor would."""
        if fields.keys() != _TASK_FIELDS:
            raise TypeError(f"task fields differ: {sorted(fields.keys() ^ _TASK_FIELDS)}")
        task = object.__new__(cls)
        task.__dict__.update(fields)
        return task

    def rescheduled(self, stage: Stage, next_followup_at: datetime | None) -> Task:
        """This task with its follow-up schedule moved on.

        The same as ``dataclasses.replace(task, stage=…, next_followup_at=…)`` at a seventh of
        the cost (``replace`` re-runs the frozen ``__init__`` over all 27 fields); a follow-up
        tick makes thousands of these.
        """
        moved = object.__new__(Task)
        moved.__dict__.update(self.__dict__, stage=stage, next_followup_at=next_followup_at)
        return moved


_TASK_FIELDS = frozenset(field.name for field in dataclass_fields(Task))


@dataclass(frozen=True)
class TaskEvent:
    """One append-only line of the audit trail."""

    task_id: int
    kind: EventKind
    actor_id: str | None
    """Who did it (their channel address); None for the system."""
    at: datetime
    note: str = ""
    holder: UnitRef | None = None
    """The holder after the event, where it changed."""
    due_at: datetime | None = None
    """The claim deadline the event set: at creation, and for the fresh claim window of an
    escalation or a reopening. The figures read 按期答复 from these."""


class DraftReason(StrEnum):
    """Why a resident's message is waiting instead of being a task already."""

    NEED_PLACE = "need_place"
    NEED_CATEGORY = "need_category"
    NEED_TEXT = "need_text"  # a photo without a description
    WORKER_CHOICE = "worker_choice"  # a worker's words: their own report, or about a task?
    SEVERAL = "several"  # names several problems: one task each, or one task? (bot.desk.several)
    FAQ = "faq"  # a question answered from the FAQ; kept in case it goes to staff after all


@dataclass(frozen=True)
class Draft:
    """A resident's report kept while the bot asks one question, so nothing is lost: every
    message written meanwhile joins it, words and photos in the order sent."""

    resident_id: str
    text: str
    photos: tuple[str, ...]
    reason: DraftReason
    created_at: datetime
    alert_chat: str | None = None
    """Where an urgent report was already alerted while its place was still unknown."""
    asked_at: datetime | None = None
    """When the bot last asked its question; the reminder and the expiry count from here."""
    reminded: bool = False
    """The resident was reminded of the unanswered question (once)."""
    community: str | None = None
    """Where it is asked in two steps: the community picked first; the question now is which
    of its places (小区), and a reminder offers those."""

    def joined(self, text: str, photo: str | None) -> Draft:
        """This draft with a further message added."""
        words = "\n".join(part for part in (self.text, text.strip()) if part)
        photos = (*self.photos, photo) if photo else self.photos
        return replace(self, text=words, photos=photos)


@dataclass(frozen=True)
class ResultNote:
    """A worker's 办结 in progress: the task, and once written, the result waiting for 确认.

    Stored (one per worker), so a restart between the note and the 确认 loses neither."""

    task_id: int
    result: str | None = None
    """The note the resident will be told; None while the bot still waits for it."""
    photo: str | None = None
    """A photo sent with the note, or before it (a photo first, then the words)."""


@dataclass(frozen=True)
class Button:
    """An inline button: what it says and the action it carries (≤ 64 bytes on Telegram)."""

    text: str
    action: str


@dataclass(frozen=True)
class Outgoing:
    """A message to send (or a card to edit), as written to the outbox.

    ``card_of`` marks the message as the task's card in that chat: its platform message id is
    remembered so later changes edit it in place. ``edit_card_of`` edits that card instead of
    sending a new message.

    ``live`` (with ``edit_card_of``): the card is rendered from the task as it stands when the
    outbox sends it, and ``text`` stays empty until then. The follow-up tick marks thousands of
    cards overdue at once; rendering each when it goes out, under Telegram's pace, keeps the
    tick short and shows the task's latest state rather than the tick's.
    """

    chat_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photo: str | None = None
    card_of: int | None = None
    edit_card_of: int | None = None
    mentions: tuple[tuple[str, str], ...] = ()
    """(user id, name) of people to notify by mention; each name occurs in ``text``."""
    live: bool = False
    hold_until: datetime | None = None
    """A notice to a resident that is not urgent waits for the end of quiet hours: held in the
    outbox, not sent, until this moment (:mod:`bot.desk.notices`)."""
    delete_message_id: int | None = None
    """Not a message but the deletion of the bot's message with this id in ``chat_id`` (an old
    copy of a card, :meth:`bot.desk.desk.Desk.take_down_old_copy`); ``text`` stays empty. A
    message already gone, or too old to delete, counts as done."""
    parts: int = 1
    """How many outbox messages this one says together (:mod:`bot.sending.merging`: waiting
    messages to a WeChat resident merge). Never stored; a sender that could carry only one of
    them (WeChat's template) refuses it, and the outbox sends them one by one."""


class Audience(StrEnum):
    """Who a notice goes to."""

    GROUPS = "groups"  # the chosen grids' group chats
    RESIDENTS = "residents"  # every resident bound to the chosen grids (quiet hours apply)


class BroadcastStatus(StrEnum):
    DRAFT = "draft"  # previewed, waiting for the admin's 确认
    ACTIVE = "active"  # scheduled
    DONE = "done"  # a one-off that went out
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Broadcast:
    """A notice an admin scheduled, once or recurring (DESIGN.md §6)."""

    id: int
    text: str
    audience: Audience
    grid_ids: tuple[str, ...]
    schedule: str
    """As written (``每周一 08:00``); ``cron`` or ``occurrence_at`` say what it means."""
    cron: str | None
    occurrence_at: datetime | None
    """The scheduled moment of the next run."""
    next_run_at: datetime | None
    """When the next run goes out: the occurrence, or the end of quiet hours for residents."""
    status: BroadcastStatus
    created_by: str | None
    source: str
    """``chat``, or ``config:<name>`` for one defined in the config file."""
    places: tuple[str, ...] = ()
    """Single 小区 (configured names) whose residents also get it, beyond whole ``grid_ids``."""
