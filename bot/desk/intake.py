"""The resident's side of the desk: from a private message to a routed task (DESIGN.md §5).

A message becomes a task in one transaction with its audit event, the resident's receipt and
the card for the grid's group. When the bot must ask first — where is it, which kind of
problem, what does the photo show — the message is kept as a draft, so nothing the resident
wrote is lost, and the answer picks it up again.
"""

from __future__ import annotations

from dataclasses import replace

from bot import texts
from bot.desk.actions import Action, Verb
from bot.desk.context import Actor, Context, mark_processed
from bot.domain import (
    Button,
    Draft,
    DraftReason,
    EventKind,
    NewTask,
    Outgoing,
    Resident,
    Stage,
    Task,
    TaskEvent,
    UnitKind,
    UnitRef,
)
from bot.ports import Transaction
from nlp.classifier import Classification
from nlp.normalize import normalize
from nlp.places import Address, PlaceMatch, parse_address
from nlp.privacy import mask_pii
from nlp.taxonomy import Category

# "你好" / "谢谢" / "在吗" are not requests: an unclassified message this short gets a hint,
# not a task on the community desk.
_CHAT_MAX_CHARS = 6


class Intake:
    """Everything a resident does in their private chat with the bot."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    async def start(self, actor: Actor, update_id: int | None) -> None:
        """Greet, and offer the communities to bind a home address."""
        async with self.ctx.store.transaction() as tx:
            resident = await self._resident(tx, actor)
            text = (
                texts.WELCOME_BOUND.format(place=resident.place)
                if resident.place
                else texts.WELCOME
            )
            await tx.enqueue(Outgoing(actor.chat_id, text, self._communities()))
            await mark_processed(tx, update_id)

    async def help(self, actor: Actor, update_id: int | None) -> None:
        await self._say(actor, texts.HELP, update_id)

    async def unknown_command(self, actor: Actor, update_id: int | None) -> None:
        await self._say(actor, texts.UNKNOWN_COMMAND, update_id)

    async def _say(self, actor: Actor, text: str, update_id: int | None) -> None:
        async with self.ctx.store.transaction() as tx:
            await tx.enqueue(Outgoing(actor.chat_id, text))
            await mark_processed(tx, update_id)

    async def pick_community(self, actor: Actor, community_id: str, update_id: int | None) -> bool:
        """Show the places (小区) of a community as buttons; False for an unknown community."""
        ref = UnitRef(UnitKind.COMMUNITY, community_id)
        rows = tuple(
            (Button(place.name, Action(Verb.PICK_PLACE, 0, f"{grid.ref.id}:{i}").encode()),)
            for grid in self.ctx.org.children(ref)
            for i, place in enumerate(grid.places)
        )
        if not rows:
            return False
        async with self.ctx.store.transaction() as tx:
            await tx.enqueue(Outgoing(actor.chat_id, texts.PICK_GRID, rows))
            await mark_processed(tx, update_id)
        return True

    async def pick_place(self, actor: Actor, arg: str, update_id: int | None) -> bool:
        """Bind the resident to a place picked from buttons; False when the button is stale."""
        grid_id, _, index = arg.partition(":")
        grid = self.ctx.org.grid(grid_id)
        if grid is None or not index.isdigit() or int(index) >= len(grid.places):
            return False
        place = grid.places[int(index)]
        async with self.ctx.store.transaction() as tx:
            resident = await self._resident(tx, actor)
            await self._bind(tx, resident, grid_id, place.name)
            await mark_processed(tx, update_id)
        return True

    async def message(
        self, actor: Actor, text: str, photo: str | None, update_id: int | None
    ) -> None:
        """A resident's free text (or photo with caption): a task, or one question first."""
        text = text.strip()
        async with self.ctx.store.transaction() as tx:
            resident = await self._resident(tx, actor)
            draft = await tx.draft(resident.user_id)
            if draft and draft.reason is DraftReason.NEED_PLACE and text and not photo:
                await self._answer_place(tx, resident, draft, text)
            elif draft and draft.reason is DraftReason.NEED_TEXT and text:
                await self._submit(tx, resident, text, photo or draft.photo)
            else:
                await self._submit(tx, resident, text, photo)
            await mark_processed(tx, update_id)

    async def pick_category(self, actor: Actor, value: str, update_id: int | None) -> bool:
        """The resident chose the category of the waiting draft; False when nothing waits."""
        try:
            category = Category(value)
        except ValueError:
            return False
        async with self.ctx.store.transaction() as tx:
            resident = await self._resident(tx, actor)
            draft = await tx.draft(resident.user_id)
            if draft is None or draft.reason is not DraftReason.NEED_CATEGORY:
                return False
            found = self._locate(resident, draft.text)
            if found is None:
                return False
            result = replace(self.ctx.language.classify(draft.text), category=category)
            await self._create(
                tx, resident, text=draft.text, photo=draft.photo, result=result, found=found
            )
            await mark_processed(tx, update_id)
        return True

    async def _answer_place(
        self, tx: Transaction, resident: Resident, draft: Draft, text: str
    ) -> None:
        match = self.ctx.org.gazetteer.find(text)
        if match is None:
            shown = texts.shorten(text, 12)
            await tx.enqueue(
                Outgoing(
                    resident.chat_id,
                    texts.PLACE_NOT_FOUND.format(text=shown),
                    self._communities(),
                )
            )
            return
        await self._bind(tx, resident, match.place.grid_id, match.place.name)

    async def _bind(self, tx: Transaction, resident: Resident, grid_id: str, place: str) -> None:
        bound = replace(resident, grid_id=grid_id, place=place)
        await tx.save_resident(bound)
        await tx.enqueue(Outgoing(resident.chat_id, texts.BOUND.format(place=place)))
        draft = await tx.draft(resident.user_id)
        if draft is not None and draft.reason is DraftReason.NEED_PLACE:
            await self._submit(tx, bound, draft.text, draft.photo)

    async def _submit(
        self, tx: Transaction, resident: Resident, text: str, photo: str | None
    ) -> None:
        """Decide what the message is; ask one question or create the task."""
        if not text:
            if photo:
                await self._keep(tx, self._draft(resident, "", photo, DraftReason.NEED_TEXT),
                                 texts.ASK_TEXT)  # fmt: skip
            else:
                await tx.enqueue(Outgoing(resident.chat_id, texts.EMPTY_MESSAGE))
            return
        result = self.ctx.language.classify(text)
        if (
            result.category is Category.OTHER
            and not photo
            and len(normalize(text)) <= _CHAT_MAX_CHARS
        ):
            await tx.enqueue(Outgoing(resident.chat_id, texts.NOT_A_REQUEST))
            return
        found = self._locate(resident, text)
        if found is None:
            draft = self._draft(resident, text, photo, DraftReason.NEED_PLACE)
            await self._keep(tx, draft, texts.ASK_PLACE, self._communities())
            return
        if result.ask:
            draft = self._draft(resident, text, photo, DraftReason.NEED_CATEGORY)
            await self._keep(tx, draft, texts.ASK_CATEGORY, _category_buttons())
            return
        await self._create(tx, resident, text=text, photo=photo, result=result, found=found)

    def _locate(self, resident: Resident, text: str) -> tuple[str, str, Address] | None:
        """(grid id, place, address): the place named in the text wins over the binding."""
        match: PlaceMatch | None = self.ctx.org.gazetteer.find(text)
        if match is not None:
            return match.place.grid_id, match.place.name, match.address
        if resident.grid_id and resident.place:
            return resident.grid_id, resident.place, parse_address(text)
        return None

    async def _create(
        self,
        tx: Transaction,
        resident: Resident,
        *,
        text: str,
        photo: str | None,
        result: Classification,
        found: tuple[str, str, Address],
    ) -> Task:
        grid_id, place, address = found
        now = self.ctx.clock()
        grid = UnitRef(UnitKind.GRID, grid_id)
        community = self.ctx.org.community_of(grid_id)
        # `other` is not a grid matter: the community desk triages it (DESIGN.md §4)
        holder = community if result.category is Category.OTHER and community else grid
        deadline = self.ctx.deadlines.of(result.category, result.urgent)
        claim_due = self.ctx.deadlines.due(now, deadline.claim, result.urgent, self.ctx.timezone)
        task = await tx.add_task(
            NewTask(
                resident_id=resident.user_id,
                text=text,
                photo=photo,
                category=result.category,
                urgent=result.urgent,
                confidence=result.confidence,
                matched=result.matched,
                grid_id=grid_id,
                place=place,
                building=address.building,
                unit=address.unit,
                holder=holder,
                created_at=now,
                claim_due_at=claim_due,
                resolve_due_at=self.ctx.deadlines.due(
                    now, deadline.resolve, result.urgent, self.ctx.timezone
                ),
                stage=Stage.CLAIM_DUE,
                next_followup_at=claim_due,
            ),
            self.ctx.today(now),
        )
        await tx.add_event(TaskEvent(task.id, EventKind.CREATED, resident.user_id, now,
                                     holder=holder))  # fmt: skip
        await tx.delete_draft(resident.user_id)
        presenter = self.ctx.presenter
        holder_unit = self.ctx.org.unit(holder)
        await tx.enqueue(
            Outgoing(
                resident.chat_id,
                texts.received(
                    task.number,
                    task.category,
                    holder_unit.name,
                    presenter.when(task.claim_due_at),
                    task.urgent,
                ),
            )
        )
        await tx.enqueue(presenter.live_card(task, new=True))
        if task.urgent and community is not None and holder != community:
            alert = texts.URGENT_ALERT.format(
                number=task.number,
                category=task.category.zh,
                unit=holder_unit.name,
                text=texts.shorten(mask_pii(task.text), 40),
            )
            await tx.enqueue(Outgoing(self.ctx.org.unit(community).chat_id, alert))
        return task

    def _draft(
        self, resident: Resident, text: str, photo: str | None, reason: DraftReason
    ) -> Draft:
        return Draft(resident.user_id, text, photo, reason, self.ctx.clock())

    async def _keep(
        self,
        tx: Transaction,
        draft: Draft,
        question: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> None:
        """Keep the message and ask the one question that stands between it and a task."""
        await tx.save_draft(draft)
        resident = await tx.resident(draft.resident_id)
        chat = resident.chat_id if resident else draft.resident_id
        await tx.enqueue(Outgoing(chat, question, buttons))

    async def _resident(self, tx: Transaction, actor: Actor) -> Resident:
        """The resident record, created on first contact and kept up to date."""
        known = await tx.resident(actor.user_id)
        current = Resident(
            actor.user_id,
            actor.chat_id,
            actor.name,
            actor.username,
            known.grid_id if known else None,
            known.place if known else None,
        )
        if current != known:
            await tx.save_resident(current)
        return current

    def _communities(self) -> tuple[tuple[Button, ...], ...]:
        return tuple(
            (Button(unit.name, Action(Verb.PICK_COMMUNITY, 0, unit.ref.id).encode()),)
            for unit in self.ctx.org.units(UnitKind.COMMUNITY)
        )


def _category_buttons() -> tuple[tuple[Button, ...], ...]:
    buttons = [Button(c.zh, Action(Verb.PICK_CATEGORY, 0, c.value).encode()) for c in Category]
    return tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
