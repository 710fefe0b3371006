"""What the web desk shows: the task list, one task with its trail, and the unmasked contact.

Every read checks the viewer's scope first (:class:`~bot.webdesk.viewers.Viewer`): a task outside
it is "not found", by list or by URL alike. Residents' words are masked (:func:`nlp.privacy.
mask_pii`) everywhere but behind the contact button, whose every use is appended to the task's
trail (:attr:`~bot.domain.EventKind.CONTACT_VIEWED`) in the transaction that reads the details.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.config.org import Person
from bot.desk.context import Context
from bot.domain import ACTIVE, EventKind, Task, TaskEvent, TaskStatus
from bot.ports import kept_media_id
from bot.webdesk.ports import TaskQuery, WebStore, WebTransaction
from bot.webdesk.viewers import Viewer
from nlp.privacy import mask_pii, phone_number

LIST_LIMIT = 200
"""Tasks on one list page: the newest; narrower filters find older ones."""
MERGE_CANDIDATES = 20


@dataclass(frozen=True)
class Contact:
    """A resident's unmasked details, shown once to a viewer allowed them (and audited)."""

    name: str
    phone: str | None
    text: str


@dataclass(frozen=True)
class TaskView:
    """One task as its page shows it."""

    task: Task
    masked_text: str
    events: tuple[TaskEvent, ...]
    """The whole trail, notes masked."""
    photos: tuple[int | None, ...]
    """Each photo's kept media id (shown on the page), or None (a platform's file: in chat)."""
    transfer_to: tuple[Person, ...]
    """Who a claimed task may be handed to (the holder's members but the claimer)."""
    merge_into: tuple[Task, ...]
    """The holder's other active tasks, to merge this one into."""
    may_reveal: bool
    may_resolve: bool
    """Whether the viewer holds the claim: 办结 is theirs, as on the card."""
    contact: Contact | None = None


class Pages:
    """Reads for the web desk's pages."""

    def __init__(self, context: Context, store: WebStore) -> None:
        self.ctx = context
        self.store = store

    async def tasks(self, query: TaskQuery) -> Sequence[Task]:
        async with self.store.transaction() as tx:
            return await tx.find_tasks(query, LIST_LIMIT)

    async def task(self, viewer: Viewer, number: str) -> TaskView | None:
        """Task ``number`` for ``viewer``; None when there is none they may see."""
        async with self.store.transaction() as tx:
            task = await tx.task_by_number(number)
            if task is None or not viewer.sees(task):
                return None
            return await self._view(tx, viewer, task, None)

    async def reveal(self, viewer: Viewer, number: str) -> TaskView | None:
        """Task ``number`` with its resident's contact, recorded in its trail; the task
        without it (nothing recorded) when the viewer may see the task but not the contact."""
        async with self.store.transaction() as tx:
            task = await tx.task_by_number(number)
            if task is None or not viewer.sees(task):
                return None
            if not viewer.sees_contact(task):
                return await self._view(tx, viewer, task, None)
            now = self.ctx.clock()
            await tx.add_event(TaskEvent(task.id, EventKind.CONTACT_VIEWED, viewer.user_id, now))
            resident = await tx.resident(task.resident_id)
            contact = Contact(resident.name if resident else "", phone_number(task.text), task.text)
            return await self._view(tx, viewer, task, contact)

    async def _view(
        self, tx: WebTransaction, viewer: Viewer, task: Task, contact: Contact | None
    ) -> TaskView:
        events = tuple(
            TaskEvent(e.task_id, e.kind, e.actor_id, e.at, mask_pii(e.note), e.holder, e.due_at)
            for e in await tx.events(task.id)
        )
        members = self.ctx.org.members(task.holder)
        transfer_to = (
            tuple(p for p in members if p.user_id != task.claimer_id)
            if task.status is TaskStatus.CLAIMED
            else ()
        )
        held = await tx.tasks_held_by(task.holder, ACTIVE, 200) if task.status in ACTIVE else ()
        merge_into = tuple(t for t in held if t.id != task.id)[-MERGE_CANDIDATES:]
        return TaskView(
            task=task,
            masked_text=mask_pii(task.text),
            events=events,
            photos=tuple(kept_media_id(photo) for photo in task.photos),
            transfer_to=transfer_to,
            merge_into=merge_into,
            may_reveal=viewer.sees_contact(task),
            may_resolve=task.status is TaskStatus.CLAIMED and task.claimer_id == viewer.user_id,
            contact=contact,
        )

    async def photo(self, viewer: Viewer, number: str, index: int) -> tuple[bytes, str] | None:
        """The ``index``-th photo of task ``number`` when it is kept here and the viewer may
        see the task."""
        async with self.store.transaction() as tx:
            task = await tx.task_by_number(number)
            if task is None or not viewer.sees(task) or not 0 <= index < len(task.photos):
                return None
            media_id = kept_media_id(task.photos[index])
            return None if media_id is None else await tx.media(media_id)
