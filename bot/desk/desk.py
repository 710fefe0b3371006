"""The desk: the one entry point channel adapters call (DESIGN.md §2, §3).

Handlers extract who did what and call one method here with domain values; the desk does the
rest in a transaction and writes what must be said to the outbox. Button presses arrive as
their raw callback data and are parsed and routed here, so a handler never interprets them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot import texts
from bot.config.faq import FaqEntry
from bot.config.settings import LimitSettings
from bot.desk.actions import Verb, parse_action
from bot.desk.asides import Asides
from bot.desk.consultation import Consultation
from bot.desk.context import Actor, Answer, Context, mark_processed
from bot.desk.erasure import Erasure
from bot.desk.feedback import Feedback
from bot.desk.filing import Filing
from bot.desk.intake import Intake
from bot.desk.listings import Listings
from bot.desk.merging import Merging
from bot.desk.recategorising import Recategorising
from bot.desk.resolution import Resolution
from bot.desk.status import Status
from bot.desk.throttle import Throttle, Verdict
from bot.desk.withdrawal import Withdrawal
from bot.desk.work import Work
from bot.desk.workers_own import WorkersOwn
from bot.domain import ACTIVE, Outgoing
from bot.figures.stats_command import Reports
from bot.followup.broadcasts import Broadcasts

if TYPE_CHECKING:  # the web desk's sign-in needs the desk's context, built before it
    from bot.webdesk.signin import SignIn

# C0 and C1 control characters but tab and line breaks: no client types them, PostgreSQL refuses
# NUL in text, and in a group card they would garble what workers read.
_CARD_VERBS = frozenset(
    {Verb.CLAIM, Verb.RESOLVE, Verb.TRANSFER, Verb.TRANSFER_TO, Verb.TRANSFER_CANCEL}
    | {Verb.ESCALATE, Verb.GIVE_BACK, Verb.MERGE, Verb.MERGE_INTO}
)
"""The buttons on a task card in a group."""
_RESIDENT_VERBS = frozenset(
    {Verb.PICK_COMMUNITY, Verb.PICK_PLACE, Verb.PLACE_DRAFT, Verb.PICK_CATEGORY, Verb.SEVERAL}
    | {Verb.RATE, Verb.WITHDRAW, Verb.WITHDRAW_KEEP, Verb.WITHDRAW_PICK, Verb.FAQ_TO_STAFF}
    | {Verb.ERASE_CONFIRM, Verb.ERASE_KEEP}
)
"""The buttons the bot gives a resident in their private chat: pressed anywhere else (a forged
press in a group) they would speak for the resident and move where their messages go."""
_CONTROLS = dict.fromkeys(c for c in (*range(0x20), *range(0x7F, 0xA0)) if chr(c) not in "\t\n\r")


class Desk:
    """Intake, work, and the resident's status, withdrawal and feedback behind one face."""

    def __init__(
        self,
        context: Context,
        limits: LimitSettings | None = None,
        *,
        merge_window: timedelta = timedelta(hours=24),
        tasks_per_day: int = 0,
        draft_expiry: timedelta = timedelta(hours=24),
        faq: tuple[FaqEntry, ...] = (),
        sign_in: SignIn | None = None,
    ) -> None:
        """``limits`` None: no flood guard (a desk driven directly, as in unit tests).
        ``merge_window`` and ``tasks_per_day``: see :mod:`bot.desk.filing`; ``draft_expiry``:
        :class:`bot.desk.intake.Intake`; ``faq``: :mod:`bot.desk.consultation`; ``sign_in``:
        the web desk's links (:meth:`login`), None when there is no web desk."""
        self.context = context
        self.sign_in = sign_in
        limits = limits or LimitSettings(resident_messages_per_minute=0)
        self.throttle = Throttle(
            limits.resident_messages_per_minute, limits.resident_burst, context.clock
        )
        filing = Filing(context, merge_window, tasks_per_day)
        self.work = Work(context)
        self.listings = Listings(context)
        self.status = Status(context)
        self.withdrawal = Withdrawal(context)
        self.erasure = Erasure(context, self.withdrawal)
        self.feedback = Feedback(context, self.work)
        self.asides = Asides(context, filing)
        self.consultation = Consultation(context, faq)
        replies = (
            self.feedback.complaint,  # the answer to "what is wrong?" after 不满意
            self.status.question,
            self.withdrawal.words,
            self.feedback.reply,  # words while a result waits for its rating
            self.asides.thanks,  # 谢谢 / 好的
            self.consultation.answer,  # 物业费怎么交: the FAQ's answer, at once
            self.asides.detail,  # 3号楼 / 从早上就没有 / a photo, minutes after a report
        )
        self.intake = Intake(context, filing, draft_expiry, replies)
        self.workers_own = WorkersOwn(context, self.intake, draft_expiry)
        self.resolution = Resolution(context, self.work)
        self.merging = Merging(context, self.work)
        self.recategorising = Recategorising(context)
        self.broadcasts = Broadcasts(context)
        self.reports = Reports(context)

    async def private_message(
        self,
        actor: Actor,
        text: str,
        photo: str | None,
        update_id: int | None,
        sent_at: datetime | None = None,
    ) -> None:
        """Free text in a private chat: a worker's awaited result note, else a configured
        person's words to sort (:mod:`bot.desk.workers_own`), else a resident's request.

        A resident writing faster than the flood guard allows is dropped here, before intake:
        no task, no draft (see :meth:`admit`).
        """
        if not await self.admit(actor, sent_at, update_id):
            return
        text = text.translate(_CONTROLS)
        async with self.context.store.transaction() as tx:  # one per message, whoever takes it
            if await self.resolution.note(tx, actor, text, photo, update_id):
                return
            if await self.workers_own.message(tx, actor, text, photo, update_id):
                return
            await self.intake.message(tx, actor, text, photo, update_id)

    async def login(self, actor: Actor, update_id: int | None) -> None:
        """``/login``, typed on any channel: a one-time link to the web desk for staff
        (:mod:`bot.webdesk.signin`); without a web desk, an unknown command like any other."""
        if self.sign_in is None:
            await self.intake.unknown_command(actor, update_id)
        else:
            await self.sign_in.login(actor, update_id)

    def serves(self, actor: Actor) -> bool:
        """Whether the bot works where ``actor`` is: their private chat, or a unit's group."""
        return actor.in_private_chat or self.context.unit_by_chat(actor.chat_id) is not None

    async def admit(self, actor: Actor, sent_at: datetime | None, update_id: int | None) -> bool:
        """Whether the flood guard lets something ``actor`` sent through: a text, a photo, a
        command (in their private chat or a group), an edit.

        Everything a person causes takes from one bucket: a hundred ``/my`` a minute cost the
        database what a hundred texts do, and presses count too (:meth:`press`). What comes too
        fast is dropped before it does anything; in a private chat it is answered with one
        kind word per minute of flooding, in a group with silence (a warning there would be
        the noise the guard exists to stop). Configured people are never counted: a worker's
        result note, command or press must not wait.
        """
        verdict = self._verdict(actor, sent_at, update_id)
        if verdict is Verdict.WARN and actor.in_private_chat:
            async with self.context.store.transaction() as tx:
                recent = await tx.tasks_of_resident(actor.user_id, 1)
                reported = bool(recent) and recent[0].status in ACTIVE
                if reported or await tx.draft(actor.user_id) is not None:
                    warning = f"{texts.SLOW_DOWN}{texts.SLOW_DOWN_NO_REPEATS}"
                else:
                    warning = texts.SLOW_DOWN
                await tx.enqueue(Outgoing(actor.chat_id, warning))
                await mark_processed(tx, update_id)
        # DROP writes nothing: the inbox marks the update processed
        return verdict is Verdict.ACCEPT

    def _verdict(self, actor: Actor, sent_at: datetime | None, update_id: int | None) -> Verdict:
        if actor.user_id in self.context.org.people:
            return Verdict.ACCEPT
        return self.throttle.check(actor.user_id, sent_at, message=update_id)

    async def chat_moved(self, old_id: str, new_id: str, update_id: int | None) -> None:
        """Telegram says a group became a supergroup under ``new_id``: remember it, so the
        group's cards go there and its commands and presses count as the configured group's."""
        if self.context.org.unit_by_chat(self.context.chats.configured(old_id)) is None:
            return  # a group the bot does not serve
        async with self.context.store.transaction() as tx:
            await tx.record_chat_move(old_id, new_id)
            await mark_processed(tx, update_id)
        self.context.chats.add(old_id, new_id)

    async def take_down_old_copy(
        self, actor: Actor, data: str | None, message_id: int, buttons: Collection[str]
    ) -> bool:
        """If the pressed group message is an old copy of its task's card, queue its deletion;
        whether it was one.

        A crash between Telegram accepting a card and the outbox recording it makes the next
        run post the card again (nothing can tell whether the first went out); the second
        becomes the card that is kept current. The first, pressed later, is found here and its
        deletion written to the outbox like any other message, so the press never waits on
        Telegram for it (a group's rate limit would hold every update behind the press). The
        channel calls this before :meth:`press`, in a transaction of its own (a refused press
        has none to share): a crash between the two repeats the deletion when the update is
        handled again — the second finds the message gone, which counts as done — rather than
        losing it.

        Only for a press its presser had the right to make: a member of the group's unit
        (anyone else's press changes nothing), with data that is one of the pressed message's
        own ``buttons`` — a client can send any data on any message, but the channel vouches
        for the message, so forged data cannot name another task and take a live card down.
        """
        action = parse_action(data)
        if action is None or action.verb not in _CARD_VERBS or data not in buttons:
            return False
        unit = self.context.unit_by_chat(actor.chat_id)
        if unit is None or not self.context.org.may_act(actor.user_id, unit.ref):
            return False
        async with self.context.store.transaction() as tx:
            card = await tx.card_message_id(action.task_id, actor.chat_id)
            if card is None or card == message_id:
                return False
            await tx.enqueue(Outgoing(actor.chat_id, "", delete_message_id=message_id))
        return True

    async def press(  # noqa: PLR0911, PLR0912 - a dispatcher reads best with one case per verb
        self, actor: Actor, data: str | None, update_id: int | None
    ) -> Answer:
        """A button press; forged, stale or foreign data changes nothing and says so.

        Counted by the flood guard like a message: a pressing loop is answered with one toast,
        then with silence, until the bucket refills (:meth:`admit`).
        """
        match self._verdict(actor, None, update_id):
            case Verdict.WARN:
                return Answer(texts.SLOW_DOWN_PRESS)
            case Verdict.DROP:
                return Answer("")
        action = parse_action(data)
        if action is None:
            return Answer(texts.ANSWER_EXPIRED)
        if action.verb in _RESIDENT_VERBS and not actor.in_private_chat:
            return Answer(texts.ANSWER_PRIVATE_ONLY, alert=True)
        task_id, arg = action.task_id, action.arg
        match action.verb:
            case Verb.CLAIM:
                return await self.work.claim(actor, task_id, update_id)
            case Verb.RESOLVE:
                return await self.resolution.ask(actor, task_id, update_id)
            case Verb.RESULT_CONFIRM:
                return await self.resolution.confirm(actor, task_id, arg, update_id)
            case Verb.RESULT_REVISE:
                return await self.resolution.revise(actor, task_id, update_id)
            case Verb.RESULT_DISCARD:
                return await self.resolution.discard(actor, task_id, update_id)
            case Verb.TRANSFER:
                return await self.work.offer_transfer(actor, task_id, update_id)
            case Verb.TRANSFER_TO:
                return await self.work.transfer(actor, task_id, arg, update_id)
            case Verb.TRANSFER_CANCEL:
                return await self.work.cancel_transfer(actor, task_id, update_id)
            case Verb.ESCALATE:
                return await self.work.escalate(actor, task_id, update_id)
            case Verb.GIVE_BACK:
                return await self.work.give_back(actor, task_id, update_id)
            case Verb.MERGE:
                return await self.merging.offer(actor, task_id, update_id)
            case Verb.RECATEGORISE:
                return await self.recategorising.offer(actor, task_id, update_id)
            case Verb.RECATEGORISE_TO:
                return await self.recategorising.change(actor, task_id, arg, update_id)
            case Verb.MERGE_INTO:
                return await self.merging.merge(actor, task_id, arg, update_id)
            case Verb.RATE:
                return await self.feedback.rate(actor, task_id, arg, update_id)
            case Verb.WITHDRAW:
                return await self.withdrawal.withdraw(actor, task_id, arg, update_id)
            case Verb.WITHDRAW_KEEP:
                return await self.withdrawal.keep(actor, task_id, update_id)
            case Verb.WITHDRAW_PICK:
                return await self.withdrawal.pick(actor, task_id, update_id)
            case (
                Verb.BROADCAST_CONFIRM
                | Verb.BROADCAST_DISCARD
                | Verb.BROADCAST_STOP
                | Verb.BROADCAST_NIGHT
            ):
                return await self.broadcasts.decide(actor, action.verb, task_id, update_id)
            case Verb.WORKER_OWN:
                return await self.workers_own.own(actor, update_id)
            case Verb.WORKER_NOTE:
                return await self.workers_own.about_task(actor, task_id, update_id)
            case Verb.WORKER_DROP:
                return await self.workers_own.drop(actor, update_id)
            case Verb.ERASE_CONFIRM:
                return await self.erasure.confirm(actor, update_id)
            case Verb.ERASE_KEEP:
                return await self.erasure.keep(actor, update_id)
            case Verb.FAQ_TO_STAFF:
                return await self.consultation.to_staff(actor, self.intake, update_id)
            case Verb.SEVERAL:
                ok = await self.intake.several.choose(actor, arg, update_id)
            case Verb.PICK_COMMUNITY:
                ok = await self.intake.pick_community(actor, arg, update_id)
            case Verb.PICK_PLACE:
                ok = await self.intake.pick_place(actor, arg, update_id)
            case Verb.PLACE_DRAFT:
                ok = await self.intake.place_draft(actor, arg, update_id)
            case Verb.PICK_CATEGORY:
                ok = await self.intake.pick_category(actor, arg, update_id)
        return Answer("" if ok else texts.ANSWER_EXPIRED)
