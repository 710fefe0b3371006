"""The ports the desk needs from storage, as Protocols (storage/ implements them).

One :class:`Transaction` is one database transaction: every change a user action causes — the
task row, its audit event, the outbox messages that tell people about it, the inbox row marked
processed — is committed together or not at all (DESIGN.md §7). The desk never sees SQL.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.channels import Channel
from bot.domain import (
    Broadcast,
    BroadcastStatus,
    Draft,
    NewTask,
    Outgoing,
    Rating,
    Resident,
    ResultNote,
    Stage,
    Task,
    TaskEvent,
    TaskStatus,
    UnitRef,
)
from nlp.places import Place
from nlp.taxonomy import Category

UNSENT_CHATS = f"{Channel.HOTLINE}:"
"""The start of every chat nobody can be sent a message in (a 12345 caller's, told by the
platform: :mod:`bot.hotline`): the outbox queues nothing for them, not even to give it up."""


@dataclass(frozen=True)
class OutboxItem:
    """A message waiting in the outbox."""

    id: int
    message: Outgoing
    attempts: int
    next_attempt_at: datetime
    maybe_posted: bool = False
    """An earlier attempt to post this card may have reached the chat: a crash, or a reply
    lost on the way back, came between sending it and recording its message id."""
    fan_out: bool = False
    """One copy of a message sent to many (a broadcast run × recipient): the only kind the
    outbox gives up for transient trouble (:mod:`bot.sending.outbox`)."""


@dataclass(frozen=True)
class OutboxHealth:
    """The outbox as operators see it (``griddesk doctor``)."""

    pending: int
    """Messages not yet delivered nor given up."""
    retrying: int
    """Of those, the ones waiting for a retry (a 429, a network error)."""
    failed: tuple[tuple[str, int], ...]
    """Messages given up, by their last error, most first."""


@dataclass(frozen=True)
class Backlog:
    """What waits, for ``/readyz`` and ``/metrics`` (handlers/http/)."""

    inbox: int
    """Updates stored and not yet handled."""
    oldest_outbox_at: datetime | None
    """When the oldest message still pending in the outbox was written; None: none waits."""


@dataclass(frozen=True)
class GridLoad:
    """One grid's tasks that are still somebody's job, for ``/metrics``."""

    grid_id: str | None
    """None: tasks whose place is unknown (the community desk's)."""
    open: int
    """Tasks open or claimed."""
    overdue: int
    """Of those, past their claim deadline (open) or their resolve deadline (claimed)."""


class HealthQueries(Protocol):
    """Cheap reads for the health check and the metrics (part of every :class:`Transaction`);
    each answers from an index, since load balancers and Prometheus ask every few seconds."""

    async def backlog(self) -> Backlog: ...
    async def grid_loads(self, now: datetime) -> Sequence[GridLoad]: ...


@dataclass(frozen=True)
class TaskChange:
    """Fields to set on a task; None leaves a field as it is.

    ``clear_claimer`` empties the claim; ``clear_result`` empties the result and the rating (a
    task reopened by 不满意 keeps its result: its card shows what the resident disputes, as
    上次办理结果, until the next 办结 replaces it). ``text`` and ``photos`` replace the
    resident's words and all their photos (an addition is appended by the desk); the card's
    photo never changes.
    """

    status: TaskStatus | None = None
    holder: UnitRef | None = None
    level: int | None = None
    claimer_id: str | None = None
    claimed_at: datetime | None = None
    clear_claimer: bool = False
    clear_result: bool = False
    stage: Stage | None = None
    next_followup_at: datetime | None = None
    stop_followup: bool = False
    """Set ``next_followup_at`` to NULL: the engine has nothing more to do with the task."""
    result: str | None = None
    result_photo: str | None = None
    rating: Rating | None = None
    reopen_count: int | None = None
    claim_due_at: datetime | None = None
    resolve_due_at: datetime | None = None
    merged_into: str | None = None
    clear_merge: bool = False
    """Empty ``merged_into``: the task it was merged into was withdrawn; it goes on alone."""
    text: str | None = None
    photos: tuple[str, ...] | None = None
    category: Category | None = None
    """A worker's correction of the classifier (改类别, :mod:`bot.desk.recategorising`)."""


class BroadcastTransaction(Protocol):
    """What scheduled notices need from a transaction (part of every :class:`Transaction`)."""

    async def add_broadcast(self, broadcast: Broadcast) -> Broadcast:
        """Insert (``id`` is ignored) and return it with its id."""
        ...

    async def broadcast(self, broadcast_id: int) -> Broadcast | None: ...
    async def broadcasts(self, statuses: frozenset[BroadcastStatus]) -> Sequence[Broadcast]: ...
    async def save_broadcast(
        self, broadcast: Broadcast, *, only_if: BroadcastStatus | None = None
    ) -> bool:
        """Overwrite the row with ``broadcast``; False when ``only_if`` did not hold."""
        ...

    async def due_broadcasts(self, now: datetime, limit: int) -> Sequence[Broadcast]:
        """Active broadcasts due at ``now``, locked like :meth:`Transaction.due_tasks`."""
        ...

    async def resident_chats(
        self, grid_ids: Sequence[str], places: Sequence[str] = ()
    ) -> Sequence[str]:
        """Private chat ids of the residents bound to these grids or to these 小区."""
        ...

    async def enqueue_once(self, messages: Sequence[tuple[Outgoing, str]]) -> int:
        """Queue each message unless its key was queued before; return how many were new."""
        ...


class ResultNotes(Protocol):
    """A worker's 办结 in progress, one per worker (part of every :class:`Transaction`)."""

    async def awaited_note(self, worker_id: str) -> int | None:
        """The task whose result note the worker was asked for, written or not."""
        ...

    async def await_note(self, worker_id: str, task_id: int) -> None:
        """Ask for a fresh note on ``task_id``: whatever was written before is dropped."""
        ...

    async def result_note(self, worker_id: str) -> ResultNote | None: ...
    async def save_result_note(self, worker_id: str, note: ResultNote) -> None: ...
    async def clear_awaited_note(self, worker_id: str) -> None: ...


@dataclass(frozen=True)
class PollConflict:
    """The last time the platform refused our long poll because someone else receives the bot's
    updates (Telegram's 409 Conflict), as operators see it (``griddesk doctor``)."""

    at: datetime
    webhook: bool
    """A webhook is set for the token (rather than another client polling with it)."""


CHANNEL_UPDATE_IDS = 1 << 40
"""The first update id :meth:`InboxTransaction.store_message` gives a message of a channel
without ids of its own; Telegram's update ids (in practice below 2**31) stay far below it, so an
id tells whose it is and the two never meet."""


class InboxTransaction(Protocol):
    """The inbox: updates in, stored before the platform is told they arrived (DESIGN.md §7, §9).

    With several instances on one database each update is handled by one of them: an instance
    claims the updates it is about to handle (:meth:`claim_updates`), and the desk marks an
    update processed in the transaction that acts on it, on the condition that nobody did
    before (:meth:`mark_update_processed`).
    """

    async def store_updates(
        self, updates: Sequence[tuple[int, str]], lanes: Mapping[int, str] | None = None
    ) -> None:
        """Insert (update_id, raw JSON) pairs; an update id already stored is ignored.

        ``lanes``: the lane of each update id (for Telegram, its chat): updates of one lane are
        handed out in id order, one instance at a time (:meth:`claim_updates`). An update
        without one shares the empty lane ("") with every other such update.
        """
        ...

    async def store_message(self, channel: str, key: str, raw: str, lane: str) -> int | None:
        """Store one message of a channel whose messages carry no update id of ours (WeChat,
        WeCom): it gets the next such id, which is returned; None when a message with this
        (channel, key) is stored already (a platform's retry), which is left as it was.

        The ids come after every Telegram update id and are never given twice; the message is
        then claimed, handled and marked like any update, in ``lane`` (its chat's address).
        """
        ...

    async def claim_updates(
        self, holder: str, until: datetime, now: datetime, limit: int
    ) -> Sequence[tuple[int, str, str]]:
        """Claim for ``holder`` until ``until`` the first ``limit`` unprocessed updates it may
        handle, lowest id first, and return them (update_id, raw JSON, lane).

        An update claimed by another holder whose claim runs past ``now`` is not handed out,
        nor is any later update of its lane, so a lane's updates are handled in order even by
        several instances. ``holder``'s own claims are renewed; expired ones are taken over.
        """
        ...

    async def release_updates(self, holder: str) -> None:
        """End ``holder``'s claims on updates it did not process (a clean stop)."""
        ...

    async def unprocessed_updates(self, limit: int) -> Sequence[tuple[int, str]]:
        """Stored updates not yet acted on, lowest id first, claimed or not."""
        ...

    async def last_update_id(self) -> int | None:
        """The highest Telegram update id stored (where polling resumes); None when none is.
        Messages stored with :meth:`store_message` are never counted."""
        ...

    async def mark_update_processed(self, update_id: int) -> None:
        """Mark the update processed, in the transaction that acted on it.

        Raises :class:`~bot.errors.AlreadyProcessed` when it was marked before (another
        instance handled it): the caller's transaction must then not commit, and the raise
        sees to that. An update id never stored has nothing to mark: nothing happens.
        """
        ...

    async def mark_updates_done(self, update_ids: Sequence[int]) -> None:
        """Mark processed those of ``update_ids`` nobody marked yet: updates whose handling
        wrote nothing (ignored, dropped, answered by a toast), so there is no transaction of
        their own to mark them in."""
        ...

    async def record_poll_conflict(self, at: datetime, *, webhook: bool) -> None:
        """Remember that the platform refused our poll at ``at`` (see :class:`PollConflict`)."""
        ...

    async def poll_conflict(self) -> PollConflict | None:
        """The last conflict recorded, if any."""
        ...


class ChoiceTransaction(Protocol):
    """Numbered choices offered where there are no buttons (part of every :class:`Transaction`).

    A WeChat resident is offered "回复 1：满意 …" rather than buttons; the chat's reply "1" is
    turned back into the press it stands for with what was remembered here.
    """

    async def offer_choices(
        self, chat_id: str, choices: Sequence[tuple[str, str]], at: datetime
    ) -> None:
        """Remember the choices (label, button data) just offered in ``chat_id``, replacing any
        offered before; none (empty ``choices``) forgets them."""
        ...

    async def offered_choices(self, chat_id: str) -> Sequence[tuple[str, str]]:
        """The choices last offered in ``chat_id`` (label, button data), in order; empty when
        none."""
        ...


@dataclass(frozen=True)
class PlatformCard:
    """A card sent on a platform that changes a card only with a code it handed out (WeCom's
    ``response_code``): what was sent, and the code for the next change."""

    card_id: int
    """Ours: what the outbox knows the card by (its message id)."""
    channel: str
    chat_id: str
    task_key: str
    """The platform's id of the card (WeCom's ``task_id``), unique for ever."""
    content: str
    """What it shows now, as the channel's adapter wrote it (JSON)."""
    response_code: str | None
    """The one code that may change it next; None when there is none (used up)."""
    coded_at: datetime | None
    """When that code was handed out (it lasts 72 hours on WeCom)."""


class CardTransaction(Protocol):
    """Cards on platforms that change them by code (part of every :class:`Transaction`)."""

    async def new_platform_card(
        self, channel: str, chat_id: str, task_key: str, content: str, at: datetime
    ) -> int:
        """Record a card about to be sent; its id (its message id for the outbox)."""
        ...

    async def platform_card(self, card_id: int) -> PlatformCard | None: ...
    async def platform_card_by_key(self, channel: str, task_key: str) -> PlatformCard | None: ...
    async def update_platform_card(
        self,
        card_id: int,
        *,
        response_code: str | None,
        coded_at: datetime | None,
        content: str | None = None,
    ) -> None:
        """Keep the card's new code (None: used up) and, when given, what it shows now."""
        ...


KEPT_PHOTO = "media:"
"""How a photo kept in the database (:class:`MediaTransaction`) is named wherever a photo goes
by a platform's file id (a task's photos, :attr:`~bot.domain.Outgoing.photo`): ``media:12``.
No platform's file id starts so (Telegram's are base64)."""


def kept_photo(media_id: int) -> str:
    """The photo reference of kept media ``media_id``."""
    return f"{KEPT_PHOTO}{media_id}"


def kept_media_id(photo: str | None) -> int | None:
    """The kept media a photo reference names; None for a platform's file id (or no photo)."""
    if photo is None or not photo.startswith(KEPT_PHOTO):
        return None
    number = photo.removeprefix(KEPT_PHOTO)
    return int(number) if number.isascii() and number.isdecimal() else None


class MediaTransaction(Protocol):
    """Files kept in the database (part of every :class:`Transaction`).

    A WeChat resident's photo lives on WeChat's server for 3 days and only that account may
    fetch it, so it is fetched when the message is handled and kept here; the workers' channels
    are sent its bytes. A task names it as :func:`kept_photo` does, and it is personal data: it
    goes when no task or waiting report names it any longer (the task's photos erased,
    :mod:`storage.erasure_rows`).
    """

    async def keep_media(self, content: bytes, content_type: str, at: datetime) -> int:
        """Keep a file received at ``at`` (its ``Content-Type`` as the platform said); its id."""
        ...

    async def media(self, media_id: int) -> tuple[bytes, str] | None:
        """A kept file's bytes and content type; None when it is not kept (any more)."""
        ...


class Transaction(
    BroadcastTransaction,
    ResultNotes,
    InboxTransaction,
    ChoiceTransaction,
    CardTransaction,
    MediaTransaction,
    HealthQueries,
    Protocol,
):
    """What one unit of work can read and write."""

    # places, copied from the configuration at start-up
    async def sync_places(self, places: Sequence[Place]) -> None:
        """Make the places table equal to ``places`` (the configuration is the truth)."""
        ...

    # residents and their pending messages
    async def resident(self, user_id: str) -> Resident | None: ...
    async def save_resident(self, resident: Resident) -> None: ...
    async def draft(self, resident_id: str) -> Draft | None: ...
    async def save_draft(self, draft: Draft) -> None: ...
    async def delete_draft(self, resident_id: str) -> None: ...
    async def due_drafts(
        self, remind_before: datetime, expire_before: datetime, limit: int
    ) -> Sequence[Draft]:
        """Drafts whose question was asked before ``remind_before`` and not yet reminded, or
        before ``expire_before`` (reminded or not), oldest first, locked like
        :meth:`due_tasks`."""
        ...

    # tasks and their audit trail
    async def add_task(self, new: NewTask, day: str) -> Task:
        """Insert the task with the next number of ``day`` (``YYYYMMDD``, local)."""
        ...

    async def task(self, task_id: int) -> Task | None: ...
    async def task_by_number(self, number: str) -> Task | None: ...
    async def change_task(
        self,
        task_id: int,
        change: TaskChange,
        *,
        only_if: frozenset[TaskStatus] | None = None,
        only_if_claimer: str | None = None,
    ) -> Task | None:
        """Apply ``change`` atomically when the task is in one of ``only_if`` (and claimed by
        ``only_if_claimer`` when given); return the changed task, or None when the condition
        did not hold. This conditional update decides the one winner of two racing claims."""
        ...

    async def due_tasks(self, now: datetime, limit: int) -> Sequence[Task]:
        """Tasks whose next follow-up is due at ``now``, earliest first, locked until the
        transaction ends; rows another transaction holds are skipped (PostgreSQL
        ``FOR UPDATE SKIP LOCKED``), so two instances never act on the same task twice."""
        ...

    async def move_schedules(self, moves: Sequence[tuple[int, Stage, datetime]]) -> None:
        """Set (stage, next_followup_at) of many tasks in one round trip. Unconditional: only
        for rows this transaction holds locked (:meth:`due_tasks`)."""
        ...

    async def add_event(self, event: TaskEvent) -> None: ...
    async def add_events(self, events: Sequence[TaskEvent]) -> None:
        """Append several events, in order, in one round trip."""
        ...

    async def events(self, task_id: int) -> Sequence[TaskEvent]: ...
    async def tasks_of_resident(self, resident_id: str, limit: int) -> Sequence[Task]: ...
    async def tasks_held_by(
        self, holder: UnitRef, statuses: frozenset[TaskStatus], limit: int
    ) -> Sequence[Task]: ...
    async def tasks_claimed_by(self, worker_id: str, limit: int) -> Sequence[Task]: ...
    async def tasks_merged_into(self, number: str) -> Sequence[Task]:
        """The tasks merged into task ``number`` (status ``merged``), oldest first."""
        ...

    # the outbox: messages out (DESIGN.md §7)
    async def enqueue(self, message: Outgoing) -> None: ...
    async def enqueue_many(self, messages: Sequence[Outgoing]) -> None:
        """Queue several messages, in order, in one round trip."""
        ...

    async def release_held(self, now: datetime) -> int:
        """Held notices (``Outgoing.hold_until``) due by ``now`` become pending; how many."""
        ...

    async def pending_outbox(
        self,
        limit: int,
        *,
        due_at: datetime | None = None,
        per_chat: int | None = None,
        skip_chats: Collection[str] = (),
    ) -> Sequence[OutboxItem]:
        """Unsent messages, each chat's in the order they were written.

        With ``due_at``, only what may be sent then: a chat whose oldest unsent message waits
        for a retry contributes nothing (its later messages must not overtake it). With
        ``per_chat``, at most that many of each chat's first messages, and every chat's first
        before any chat's second, so one chat's backlog cannot fill the batch. Nothing of
        ``skip_chats`` (the reader has all it could take of them in hand already).
        """
        ...

    async def outbox_sent(self, item_id: int, message_id: int | None) -> None:
        """Mark sent; for a card (``card_of``), remember ``message_id`` for later edits."""
        ...

    async def outbox_posting(self, item_id: int, since: datetime | None) -> None:
        """Note, in its own commit before the call, that a new card is being posted
        (``since``); None when the attempt surely did not reach the chat."""
        ...

    async def outbox_retry(
        self, item_id: int, error: str, at: datetime, *, counted: bool = True
    ) -> None:
        """Try again at ``at``; ``counted``: the failed attempt adds to ``attempts`` (a wait the
        channel asked for does not)."""
        ...

    async def outbox_failed(self, item_id: int, error: str) -> None:
        """Give up on the message (it stays in the table, visible to operators)."""
        ...

    async def outbox_unreachable(self, item_id: int, error: str) -> None:
        """Give up on a card (or card edit) because its chat could not be reached; counted as
        given up, and handed back once by :meth:`take_unreachable_cards`."""
        ...

    async def unreachable_card_chats(self) -> Sequence[str]:
        """The chats (as written) that have cards given up as unreachable, not yet taken."""
        ...

    async def take_unreachable_cards(self, chat_ids: Sequence[str]) -> Sequence[int]:
        """The tasks whose cards to these chats were given up as unreachable, each once: their
        rows become ordinary failures, so a second call returns nothing for them."""
        ...

    async def take_lease(self, name: str, holder: str, until: datetime, now: datetime) -> bool:
        """Hold (or renew) the lease ``name`` until ``until`` unless another holder's lease is
        still running at ``now``; True when ``holder`` holds it now."""
        ...

    async def renew_lease(self, name: str, holder: str, until: datetime) -> bool:
        """Hold the lease ``name`` until ``until`` if ``holder`` is still the one named on it
        (nobody else has held it since, even if it ran out meanwhile); True when renewed."""
        ...

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up at once if ``holder`` has it (a clean shutdown)."""
        ...

    async def chat_moves(self) -> Mapping[str, str]:
        """Chats that live under a new id now (a group became a supergroup): old → new."""
        ...

    async def record_chat_move(self, old_id: str, new_id: str) -> None: ...
    async def outbox_health(self, since: datetime, now: datetime) -> OutboxHealth:
        """Pending and retrying counts at ``now``; messages written since ``since`` and given
        up, by reason."""
        ...

    async def card_message_id(self, task_id: int, chat_id: str) -> int | None: ...
    async def remember_card(self, task_id: int, chat_id: str, message_id: int) -> None:
        """Record (or replace) which platform message is the task's card in that chat."""
        ...

    # statistics and digests (bot/stats.py, bot/digests.py)
    async def tasks_created_between(
        self, since: datetime, until: datetime, grid_ids: Sequence[str]
    ) -> Sequence[tuple[Task, Sequence[TaskEvent]]]:
        """The tasks created in ``[since, until)`` in these grids (``Task.grid_id``), oldest
        first, each with its whole audit trail in the order written."""
        ...

    async def claim_digest(self, unit: UnitRef, period: str, at: datetime) -> bool:
        """Record that ``unit``'s digest for ``period`` is being sent; False when it was
        recorded before (by this or another instance): the one insert that succeeds wins."""
        ...

    async def any_digest_claimed(self) -> bool:
        """Whether this database ever recorded a digest (False on a brand-new install)."""
        ...

    # forgetting residents (storage/erasure_rows.py): erasure on request, retention
    async def tasks_finished_before(self, cutoff: datetime, limit: int) -> Sequence[int]:
        """Finished tasks, not yet forgotten, whose last event is older than ``cutoff``."""
        ...

    async def forget_tasks(self, task_ids: Sequence[int]) -> None:
        """Strip the tasks of words, photos, notes and owner; their figures stay."""
        ...

    async def forget_resident(self, user_id: str) -> Sequence[str]:
        """Erase a resident and every message naming their tasks; their task numbers."""
        ...

    async def forget_idle_residents(self, cutoff: datetime) -> int:
        """Delete residents unchanged since ``cutoff`` with no task or draft left; how many."""
        ...

    async def residents_mentioning(self, fragment: str) -> Sequence[str]:
        """Residents whose task holds ``fragment`` (a phone number) or is numbered so."""
        ...

    async def drop_old_messages(self, cutoff: datetime) -> int:
        """Delete messages sent, updates processed, choices offered, code-changed cards sent
        and photos kept (that no task or waiting report names) before ``cutoff``; how many
        rows."""
        ...

    # platform access tokens, shared by every instance (handlers/tencent/tokens.py)
    async def platform_token(self, name: str) -> tuple[str, datetime] | None:
        """The token stored under ``name`` (``wechat:<appid>``) and when it expires; None when
        none is. Held until the transaction ends (PostgreSQL: a lock on ``name``; SQLite: the
        write lock), so of several instances finding it stale one replaces it and the others
        then read the new one."""
        ...

    async def save_platform_token(
        self, name: str, token: str, expires_at: datetime, fetched_by: str
    ) -> None:
        """Store (or replace) the token under ``name``; ``fetched_by`` names the instance."""
        ...


class Store(Protocol):
    """Opens transactions."""

    def transaction(self) -> AbstractAsyncContextManager[Transaction]: ...

    async def reclaim(self) -> None:
        """Make erased data unrecoverable from the database's files where the engine allows."""
        ...


class Sender(Protocol):
    """Delivers outbox messages on a channel (Telegram in handlers/).

    Raises the :mod:`bot.errors` delivery errors; never a channel's own exception types.
    """

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        """Send ``message`` (or edit message ``edit_message_id`` in its chat); return the
        platform message id. An edit that changes nothing counts as delivered; an edit of a
        message that is gone posts ``message`` anew and returns the new message's id. A
        deletion (``message.delete_message_id``) returns that id, also when the message was
        gone already or is too old to delete.

        ``before_request`` is awaited when the request is about to be written, after any wait
        for the channel's rate limits: from then on the message may reach the chat even if no
        answer comes back, and not before."""
        ...
