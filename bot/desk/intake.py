"""The resident's side of the desk: from private messages to a complete report (DESIGN.md §5).

When the bot must ask before it can file — where is it, which kind of problem, what does the
photo show — what the resident wrote is kept as a draft, and everything they write while the
question is open joins it, words and photos in order: nothing is dropped, and the task carries
all of it. An answer naming a known place files the report there; other words are added and
the question is asked again, saying so. Once complete, :mod:`bot.desk.filing` files it.

Two rules a resident relies on:

- answering "where is it?" places that one report; the home address (``/start``) changes only
  when the resident says so (the receipt offers a button);
- an urgent report never waits for its place to get help: the first reply is the safety advice
  for its danger, and the street's (or the only community's) group is alerted at once.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot import texts
from bot.config.org import Org
from bot.desk.actions import Action, Verb
from bot.desk.category_choice import UNSURE, category_buttons, danger_buttons, parse_choice
from bot.desk.context import Actor, Context, mark_processed
from bot.desk.filing import Filing, Report
from bot.desk.several import Several, choice_buttons
from bot.domain import Button, Draft, DraftReason, Outgoing, Resident, UnitKind, UnitRef
from bot.ports import Transaction
from nlp.classifier import Classification
from nlp.danger import dangers
from nlp.normalize import normalize
from nlp.places import Address, names_a_place, parse_address
from nlp.privacy import mask_pii
from nlp.questions import is_question_task
from nlp.taxonomy import Category

# "你好" / "谢谢" / "在吗" are not requests: an unclassified message this short gets a hint,
# not a task on the community desk.
_CHAT_MAX_CHARS = 6
# An unknown answer to "where?" this short was meant as a place name (火星小区), not more detail.
_PLACE_ATTEMPT_CHARS = 12
Reply = Callable[[Transaction, Resident, Draft | None, str, str | None], Coroutine[Any, Any, bool]]
"""A flow that may answer a resident's message before it is taken as a report (True: it did):
:mod:`bot.desk.status`, :mod:`bot.desk.withdrawal`, :mod:`bot.desk.feedback`."""
FOR_DRAFT = "d"
"""The community buttons' argument suffix when they answer "where?" rather than bind a home."""


class Intake:
    """Everything a resident writes or picks in their private chat with the bot."""

    def __init__(
        self,
        context: Context,
        filing: Filing,
        draft_expiry: timedelta,
        replies: Sequence[Reply] = (),
    ) -> None:
        self.ctx = context
        self.filing = filing
        self.draft_expiry = draft_expiry
        """A question unanswered this long no longer holds the resident's next message: the
        report expires, saying so (the follow-up tick usually gets there first)."""
        self.replies = tuple(replies)
        """Asked in order before a message is taken as a report; the first that answers it
        takes it (status questions, withdrawals, words about a result)."""
        self.several = Several(context, filing, self._locate)
        """Several problems in one message: one task each, or one task?"""

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

    async def pick_community(self, actor: Actor, arg: str, update_id: int | None) -> bool:
        """Show a community's places (小区) as buttons: to bind a home, or to say where the
        waiting report is (``:d``); False for an unknown community."""
        community_id, _, purpose = arg.partition(":")
        rows = place_buttons(self.ctx.org, community_id, purpose)
        if not rows:
            return False
        async with self.ctx.store.transaction() as tx:
            if purpose == FOR_DRAFT:  # the question is now which of its places: remembered
                await self._narrow_draft(tx, actor, community_id)
            question = texts.PICK_REPORT_PLACE if purpose == FOR_DRAFT else texts.PICK_GRID
            await tx.enqueue(Outgoing(actor.chat_id, question, rows))
            await mark_processed(tx, update_id)
        return True

    async def _narrow_draft(self, tx: Transaction, actor: Actor, community_id: str) -> None:
        """The waiting report's place is in ``community_id``: its reminder, if one comes,
        offers that community's places, and counts from this question."""
        resident = await self._resident(tx, actor)
        draft = await tx.draft(resident.user_id)
        if draft is not None and draft.reason is DraftReason.NEED_PLACE:
            now = self.ctx.clock()
            await tx.save_draft(replace(draft, community=community_id, asked_at=now))

    async def pick_place(self, actor: Actor, arg: str, update_id: int | None) -> bool:
        """Bind the resident's home to a place picked from buttons (``/start``, or the offer on
        a receipt); a report waiting for its place is filed there. False for a stale button."""
        picked = self._picked(arg)
        if picked is None:
            return False
        grid_id, place = picked
        async with self.ctx.store.transaction() as tx:
            resident = replace(await self._resident(tx, actor), grid_id=grid_id, place=place)
            await tx.save_resident(resident)
            await tx.enqueue(Outgoing(resident.chat_id, texts.BOUND.format(place=place)))
            draft = await tx.draft(resident.user_id)
            if draft is not None and draft.reason is DraftReason.NEED_PLACE:
                await self._decide(tx, resident, draft)
            await mark_processed(tx, update_id)
        return True

    async def place_draft(self, actor: Actor, arg: str, update_id: int | None) -> bool:
        """The waiting report is at the place picked from buttons; False when none waits."""
        picked = self._picked(arg)
        if picked is None:
            return False
        grid_id, place = picked
        async with self.ctx.store.transaction() as tx:
            resident = await self._resident(tx, actor)
            draft = await tx.draft(resident.user_id)
            if draft is None or draft.reason is not DraftReason.NEED_PLACE:
                return False
            where = (grid_id, place, parse_address(draft.text))
            await self._decide(tx, resident, draft, where)
            await mark_processed(tx, update_id)
        return True

    async def pick_category(self, actor: Actor, value: str, update_id: int | None) -> bool:
        """The resident chose the category of the waiting report (a dangerous kind asks
        现在有危险吗 first: :mod:`bot.desk.category_choice`); False when nothing waits."""
        choice = parse_choice(value)
        if choice is None:
            return False
        async with self.ctx.store.transaction() as tx:
            resident = await self._resident(tx, actor)
            draft = await tx.draft(resident.user_id)
            if draft is None or draft.reason is not DraftReason.NEED_CATEGORY:
                return False
            where = self._locate(resident, draft.text)
            if where is None:
                return False
            if choice.asks_danger:
                question = texts.ask_danger(choice.category)
                await self._keep(tx, resident, draft, question, danger_buttons(choice.category))
            else:
                result = replace(
                    self.ctx.language.classify(draft.text),
                    category=choice.category,
                    ask=False,
                    urgent=bool(choice.danger),
                )
                await self.filing.file(tx, resident, self._report(draft, result, where))
            await mark_processed(tx, update_id)
        return True

    async def take(self, tx: Transaction, actor: Actor, text: str, photos: tuple[str, ...]) -> None:
        """Words and photos kept elsewhere while the bot asked something (a worker saying what
        they wrote is a report of their own) go through intake as if just written."""
        resident = await self._resident(tx, actor)
        draft = Draft(resident.user_id, text, photos, DraftReason.NEED_TEXT, self.ctx.clock())
        if not text:
            await self._keep(tx, resident, draft, texts.ASK_TEXT)
            return
        await self._decide(tx, resident, draft)

    async def message(
        self, tx: Transaction, actor: Actor, text: str, photo: str | None, update_id: int | None
    ) -> None:
        """A resident's free text (or photo with caption): a new report, or more of the one
        the bot is asking about. Runs in the desk's transaction for the message."""
        text = text.strip()
        resident = await self._resident(tx, actor)
        draft = await tx.draft(resident.user_id)
        if draft is not None and self._expired(draft):
            await expire(tx, resident.chat_id, draft, self.ctx.timezone)
            draft = None
        if draft is not None and draft.reason is DraftReason.FAQ:
            # the FAQ answered it: what comes next is a new message, not more of the question
            await tx.delete_draft(resident.user_id)
            draft = None
        if await self._replied(tx, resident, draft, text, photo):
            await mark_processed(tx, update_id)
            return
        if draft is None:
            await self._new_report(tx, resident, text, photo)
        else:
            await self._more(tx, resident, draft, text, photo)
        await mark_processed(tx, update_id)

    async def _replied(
        self, tx: Transaction, resident: Resident, draft: Draft | None, text: str, photo: str | None
    ) -> bool:
        for reply in self.replies:
            if await reply(tx, resident, draft, text, photo):
                return True
        return False

    def _expired(self, draft: Draft) -> bool:
        return draft.asked_at is not None and draft.asked_at <= self.ctx.clock() - self.draft_expiry

    async def _new_report(
        self, tx: Transaction, resident: Resident, text: str, photo: str | None
    ) -> None:
        photos = (photo,) if photo else ()
        draft = Draft(resident.user_id, text, photos, DraftReason.NEED_TEXT, self.ctx.clock())
        if not text:
            if photo:  # a photo alone: ask what it shows, keeping it
                await self._keep(tx, resident, draft, texts.ASK_TEXT)
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
        await self._decide(tx, resident, draft)

    async def file_question(self, tx: Transaction, resident: Resident, draft: Draft) -> None:
        """File a question the FAQ did not settle as it stands: staff are asked to answer, and
        the resident is not asked "which kind of problem?" about something that is not one."""
        result = replace(self.ctx.language.classify(draft.text), ask=False)
        where = self._locate(resident, draft.text)
        if where is None:
            await self._ask_place(tx, resident, draft, result)
            return
        await self.filing.file(tx, resident, self._report(draft, result, where))

    async def _more(
        self, tx: Transaction, resident: Resident, draft: Draft, text: str, photo: str | None
    ) -> None:
        """A message while the bot waits for an answer: it joins the report, and answers the
        question when it can."""
        joined = draft.joined(text, photo)
        if not text:  # a further photo (an album arrives one photo at a time): kept, no reply
            await tx.save_draft(joined)
            return
        if draft.reason is DraftReason.NEED_TEXT:
            await self._decide(tx, resident, joined)
            return
        if draft.reason is DraftReason.NEED_PLACE:
            match = self.ctx.org.gazetteer.find(text)
            if match is not None:
                address = match.address if match.address.building else parse_address(draft.text)
                where = (match.place.grid_id, match.place.name, address)
                await self._decide(tx, resident, joined, where)
                return
            attempt = len(normalize(text)) <= _PLACE_ATTEMPT_CHARS and names_a_place(text)
            question = (
                texts.PLACE_NOT_FOUND.format(text=texts.shorten(text, 12))
                if attempt
                else texts.ADDED_ASK_PLACE
            )
            # asked again with the same choices: her community's places once she picked it
            await self._keep(tx, resident, joined, question, question_buttons(self.ctx.org, joined))
            return
        # waiting for a category (or a choice about several problems): the added words may
        # make it clear
        asked_category = draft.reason is not DraftReason.SEVERAL
        await self._decide(tx, resident, joined, asked_category=asked_category)

    async def _decide(
        self,
        tx: Transaction,
        resident: Resident,
        draft: Draft,
        where: tuple[str, str, Address] | None = None,
        *,
        asked_category: bool = False,
    ) -> None:
        """File the report, or keep it and ask the one question that stands in the way.

        ``where``: the place the resident gave in answer to "where?" (else it is looked for in
        the words, then the home)."""
        result = self.ctx.language.classify(draft.text)
        answered = where is not None
        where = where or self._locate(resident, draft.text)
        if where is None:
            await self._ask_place(tx, resident, draft, result)
            return
        if await self.several.offer(tx, resident, draft, where, result):
            return
        # an urgent report is never held up by a question, and a question (咨询) has no kind;
        # while the resident is being asked which kind, words that still name none (only weak
        # evidence, or none) do not settle it: the question stands
        unsure = result.ask or (
            asked_category and result.confidence < self.ctx.language.rules.scoring.ask_below
        )
        if unsure and not result.urgent and not is_question_task(draft.text, result):
            question = texts.ADDED_PICK_CATEGORY if asked_category else texts.ASK_CATEGORY
            buttons = () if asked_category else category_buttons(result)
            kept = replace(draft, reason=DraftReason.NEED_CATEGORY)
            await self._keep(tx, resident, kept, question, buttons)
            return
        report = self._report(draft, result, where, placed_by_answer=answered)
        await self.filing.file(tx, resident, report)

    async def _ask_place(
        self, tx: Transaction, resident: Resident, draft: Draft, result: Classification
    ) -> None:
        """Ask where; an urgent report gets its safety advice first and is alerted at once."""
        draft = replace(draft, reason=DraftReason.NEED_PLACE)
        if not result.urgent:
            await self._keep(tx, resident, draft, texts.ASK_PLACE, self._communities(FOR_DRAFT))
            return
        advice = texts.advice(dangers(draft.text, result.category))
        if draft.alert_chat is None:
            chat = self._duty_chat()
            alert = texts.URGENT_ALERT_UNPLACED.format(
                category=result.category.zh, text=texts.shorten(mask_pii(draft.text), 60)
            )
            await tx.enqueue(Outgoing(chat, alert))
            draft = replace(draft, alert_chat=chat)
        question = texts.ASK_PLACE_URGENT.format(advice=advice)
        await self._keep(tx, resident, draft, question, self._communities(FOR_DRAFT))

    def _duty_chat(self) -> str:
        """Who hears of an urgent report whose place is unknown: the community, when there is
        only one; else the street, which oversees them all."""
        communities = self.ctx.org.units(UnitKind.COMMUNITY)
        unit = communities[0] if len(communities) == 1 else self.ctx.org.street
        return unit.chat_id

    def _report(
        self,
        draft: Draft,
        result: Classification,
        where: tuple[str, str, Address],
        *,
        placed_by_answer: bool = False,
    ) -> Report:
        grid_id, place, address = where
        return Report(
            draft.text,
            draft.photos,
            result,
            grid_id,
            place,
            address,
            alert_chat=draft.alert_chat,
            placed_by_answer=placed_by_answer,
        )

    def _locate(self, resident: Resident, text: str) -> tuple[str, str, Address] | None:
        """(grid id, place, address): the place named in the text wins over the home."""
        match = self.ctx.org.gazetteer.find(text)
        if match is not None:
            return match.place.grid_id, match.place.name, match.address
        if resident.grid_id and resident.place:
            return resident.grid_id, resident.place, parse_address(text)
        return None

    def _picked(self, arg: str) -> tuple[str, str] | None:
        """(grid id, place name) of a place button's ``grid:index``; None when stale."""
        grid_id, _, index = arg.partition(":")
        grid = self.ctx.org.grid(grid_id)
        if grid is None or not index.isdigit() or int(index) >= len(grid.places):
            return None
        return grid_id, grid.places[int(index)].name

    async def _keep(
        self,
        tx: Transaction,
        resident: Resident,
        draft: Draft,
        question: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> None:
        """Keep the report and ask the one question that stands between it and a task; the
        reminder and the expiry count from now."""
        await tx.save_draft(replace(draft, asked_at=self.ctx.clock(), reminded=False))
        await tx.enqueue(Outgoing(resident.chat_id, question, buttons))

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

    def _communities(self, purpose: str = "") -> tuple[tuple[Button, ...], ...]:
        return community_buttons(self.ctx.org, purpose)


def community_buttons(org: Org, purpose: str = "") -> tuple[tuple[Button, ...], ...]:
    """One button per community: to bind a home, or (``purpose`` "d") to say where the
    waiting report is."""
    suffix = f":{purpose}" if purpose else ""
    return tuple(
        (Button(unit.name, Action(Verb.PICK_COMMUNITY, 0, unit.ref.id + suffix).encode()),)
        for unit in org.units(UnitKind.COMMUNITY)
    )


def place_buttons(org: Org, community_id: str, purpose: str = "") -> tuple[tuple[Button, ...], ...]:
    """One button per place (小区) of a community: to bind a home, or (``purpose`` "d") to say
    where the waiting report is; none for an unknown community."""
    verb = Verb.PLACE_DRAFT if purpose == FOR_DRAFT else Verb.PICK_PLACE
    return tuple(
        (Button(place.name, Action(verb, 0, f"{grid.ref.id}:{i}").encode()),)
        for grid in org.children(UnitRef(UnitKind.COMMUNITY, community_id))
        for i, place in enumerate(grid.places)
    )


def question_buttons(
    org: Org, draft: Draft, result: Classification | None = None
) -> tuple[tuple[Button, ...], ...]:
    """The buttons that answer the question a draft waits on; ``result``, the draft's words
    classified, puts the likeliest kinds on the category question; where the resident picked
    a community already, that community's places."""
    if draft.reason is DraftReason.NEED_PLACE:
        narrowed = place_buttons(org, draft.community, FOR_DRAFT) if draft.community else ()
        return narrowed or community_buttons(org, FOR_DRAFT)
    if draft.reason is DraftReason.NEED_CATEGORY:
        return category_buttons(result or UNSURE)
    if draft.reason is DraftReason.SEVERAL:
        return choice_buttons()
    return ()


async def expire(tx: Transaction, chat_id: str, draft: Draft, timezone: ZoneInfo) -> None:
    """Drop a report whose question went unanswered too long, telling the resident."""
    await tx.delete_draft(draft.resident_id)
    asked = (draft.asked_at or draft.created_at).astimezone(timezone)
    text = texts.DRAFT_EXPIRED.format(
        day=texts.day(asked.date()),
        text=texts.shorten(draft.text, 20) if draft.text else texts.PHOTO,
        needs=texts.DRAFT_STILL_NEEDS[draft.reason],
    )
    await tx.enqueue(Outgoing(chat_id, text))
