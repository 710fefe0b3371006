"""Turning tasks into messages: the task card in a unit's group, and what residents are told.

Channel-neutral: the result is an :class:`~bot.domain.Outgoing` with text and buttons that the
outbox sends through whatever channel; Telegram specifics stay in handlers/. Group-facing text
is always masked (:func:`nlp.privacy.mask_pii`); only the claimer's private message is not.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import texts
from bot.channels import profile_link
from bot.config.org import Org, Person
from bot.desk.actions import Action, Verb, person_key
from bot.domain import (
    ACTIVE,
    FORGOTTEN,
    Button,
    Outgoing,
    Rating,
    Resident,
    Stage,
    Task,
    TaskKind,
    TaskStatus,
)
from nlp.privacy import mask_phone, mask_pii, phone_number
from nlp.taxonomy import Category

CAPTION_LIMIT = 1024
"""Characters a photo's caption holds (Telegram's limit, the tightest of our channels)."""
TEXT_LIMIT = 4096
"""Characters a text message holds."""
_CARD_MARGIN = len(texts.CARD_REPOSTED) + 8
"""Room left on every card for the note of a re-post, and for emoji that some clients count
twice (UTF-16)."""


class Presenter:
    """Builds cards and notices for one organisation and time zone."""

    def __init__(self, org: Org, timezone: ZoneInfo) -> None:
        self.org = org
        self.timezone = timezone

    def when(self, moment: datetime) -> str:
        return texts.when(moment.astimezone(self.timezone))

    def place(self, task: Task) -> str:
        """Where, down to building and unit (never the room): what the worker walks to."""
        return place_of(task)

    def card(
        self,
        task: Task,
        status_line: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
        *,
        chat_id: str | None = None,
        new: bool = False,
    ) -> Outgoing:
        """The card of ``task`` in ``chat_id`` (default: its holder's group), new or edited."""
        chat = chat_id if chat_id is not None else self.org.unit(task.holder).chat_id
        text = texts.card(
            number=task.number,
            category=task.category,
            urgent=task.urgent,
            place=_masked_place(self.place(task)),
            text=texts.one_line(mask_pii(task.text)),
            photos=_more_photos(task),
            matched=task.matched,
            claim_by=self.when(task.claim_due_at),
            resolve_by=self.when(task.resolve_due_at),
            status_line=status_line,
            result=mask_pii(task.result) if task.result else None,
            earlier_result=task.status in ACTIVE,  # kept from before a 不满意 reopened it
            limit=(CAPTION_LIMIT if task.photo else TEXT_LIMIT) - _CARD_MARGIN,
            received=self.when(task.created_at),
            phone=mask_phone(phone) if (phone := phone_number(task.text)) else None,
            question=task.kind is TaskKind.QUESTION,
            erased=task.resident_id == FORGOTTEN,
            reachable=task.resident_id != FORGOTTEN and bool(profile_link(task.resident_id)),
        )
        # the photo rides along on edits too: a photo's card is edited through its caption
        if new:
            return Outgoing(chat, text, buttons, photo=task.photo, card_of=task.id)
        return Outgoing(chat, text, buttons, photo=task.photo, edit_card_of=task.id)

    def live_card(self, task: Task, *, new: bool = False) -> Outgoing:
        """The card as the task stands, with the buttons its status allows."""
        if task.status is TaskStatus.OPEN:
            status = (
                texts.STATUS_OPEN
                if task.level == 0
                else texts.STATUS_OPEN_ESCALATED.format(
                    origin=self._origin(task), unit=self.org.unit(task.holder).name
                )
            )
            if task.reopen_count:  # 不满意, not a late escalation (bot.desk.feedback)
                status = texts.STATUS_REOPENED
            if task.stage is Stage.CLAIM_REMINDED:
                status = f"{texts.OVERDUE_CLAIM}｜{status}"
            claim = (
                _row(
                    task,
                    (texts.CLAIM, Verb.CLAIM),
                    (texts.MERGE, Verb.MERGE),
                    (texts.RECATEGORISE, Verb.RECATEGORISE),
                ),
            )
            return self.card(task, status, claim, new=new)
        if task.status is TaskStatus.CLAIMED and task.claimer_id and task.claimed_at:
            status = texts.STATUS_CLAIMED.format(
                worker=self.org.name(task.claimer_id), at=self.when(task.claimed_at)
            )
            if task.stage is Stage.RESOLVE_REMINDED:
                status = f"{status}｜{texts.OVERDUE_RESOLVE}"
            buttons = (
                _row(task, (texts.RESOLVE, Verb.RESOLVE), (texts.TRANSFER, Verb.TRANSFER)),
                _row(task, (texts.ESCALATE, Verb.ESCALATE), (texts.GIVE_BACK, Verb.GIVE_BACK)),
                _row(task, (texts.MERGE, Verb.MERGE), (texts.RECATEGORISE, Verb.RECATEGORISE)),
            )
            return self.card(task, status, buttons, new=new)
        if task.status is TaskStatus.RESOLVED:
            worker = self.org.name(task.claimer_id) if task.claimer_id else ""
            return self.card(task, texts.STATUS_RESOLVED.format(worker=worker), new=new)
        if task.status is TaskStatus.CLOSED:
            status = (
                texts.STATUS_CLOSED.format(rating=texts.RATING_ZH[task.rating])
                if task.rating
                else texts.STATUS_CLOSED_UNRATED
            )
            return self.card(task, status, new=new)
        if task.status is TaskStatus.MERGED:
            merged = texts.STATUS_MERGED.format(number=task.merged_into or "")
            return self.card(task, merged, new=new)
        return self.card(task, texts.STATUS_CANCELLED, new=new)

    def live_card_later(self, task: Task) -> Outgoing:
        """The card in its holder's group, rendered as the task stands when it is sent."""
        chat = self.org.unit(task.holder).chat_id
        return Outgoing(chat, "", edit_card_of=task.id, live=True)

    def _origin(self, task: Task) -> str:
        """The grid the problem is in, where every escalation chain starts."""
        grid = self.org.grid(task.grid_id) if task.grid_id else None
        return grid.name if grid else self.org.unit(task.holder).name

    def transfer_picker(self, task: Task, members: list[Person]) -> Outgoing:
        """The card with one button per member the claimer can hand the task to."""
        rows = tuple(
            (
                Button(
                    person.name,
                    Action(Verb.TRANSFER_TO, task.id, person_key(person.user_id)).encode(),
                ),
            )
            for person in members
        )
        cancel = _row(task, (texts.CANCEL_TRANSFER, Verb.TRANSFER_CANCEL))
        return self.card(task, texts.TRANSFER_PICK, (*rows, cancel))

    def claimer_contact(
        self, task: Task, resident: Resident | None, claimer_chat: str, *, giver: str = ""
    ) -> tuple[Outgoing, ...]:
        """The unmasked details, privately, for the worker who claimed the task (or to whom
        ``giver`` transferred it); then every photo the card does not show."""
        name = resident.name if resident else ""
        username = f"（@{resident.username}）" if resident and resident.username else ""
        link = (profile_link(resident.user_id) if resident else "") or texts.NO_DIRECT_CONTACT
        opening = texts.TRANSFERRED_TO_YOU if giver else texts.CLAIMED_BY_YOU
        phone = phone_number(task.text)
        text = texts.CLAIMER_CONTACT.format(
            opening=opening.format(giver=giver, number=task.number, category=task.category.zh),
            phone=texts.CLAIMER_PHONE.format(phone=phone) if phone else "",
            name=name,
            username=username,
            link=link,
            place=self.place(task),
            text=task.text,
        )
        unseen = [photo for photo in task.photos if photo != task.photo]
        return (
            Outgoing(claimer_chat, text),
            *(
                Outgoing(
                    claimer_chat,
                    texts.CLAIMER_PHOTO.format(number=task.number, index=i, count=len(unseen)),
                    photo=photo,
                )
                for i, photo in enumerate(unseen, start=1)
            ),
        )

    def category_picker(self, task: Task) -> Outgoing:
        """The card with a button for each category but its own, three to a row (改类别)."""
        kinds = [
            Button(kind.zh, Action(Verb.RECATEGORISE_TO, task.id, kind.value).encode())
            for kind in Category
            if kind is not task.category
        ]
        rows = tuple(tuple(kinds[i : i + 3]) for i in range(0, len(kinds), 3))
        cancel = _row(task, (texts.CANCEL_TRANSFER, Verb.TRANSFER_CANCEL))
        return self.card(task, texts.RECATEGORISE_PICK, (*rows, cancel))

    def merge_picker(self, task: Task, candidates: Sequence[Task]) -> Outgoing:
        """The card with one button per task of the same group it can be merged into."""
        rows = tuple(
            (
                Button(
                    texts.MERGE_INTO.format(
                        number=other.number,
                        category=other.category.zh,
                        text=texts.shorten(mask_pii(other.text), 10),
                    ),
                    Action(Verb.MERGE_INTO, task.id, str(other.id)).encode(),
                ),
            )
            for other in candidates
        )
        cancel = _row(task, (texts.CANCEL_TRANSFER, Verb.TRANSFER_CANCEL))
        return self.card(task, texts.MERGE_PICK, (*rows, cancel))

    def rating_request(self, task: Task, resident_chat: str) -> Outgoing:
        buttons = (
            tuple(
                Button(texts.RATING_ZH[rating], Action(Verb.RATE, task.id, rating.value).encode())
                for rating in Rating
            ),
        )
        notice = texts.NOTICE_ANSWERED if task.kind is TaskKind.QUESTION else texts.NOTICE_RESOLVED
        text = notice.format(number=task.number, result=task.result or "")
        return Outgoing(resident_chat, text, buttons, photo=task.result_photo)


def place_of(task: Task) -> str:
    """Where, down to building and unit (never the room): what the worker walks to."""
    parts = [task.place or texts.UNKNOWN_PLACE]
    if task.building:
        parts.append(f"{task.building}号楼" + (f"{task.unit}单元" if task.unit else ""))
    elif task.unit:
        parts.append(f"{task.unit}单元")
    return " ".join(parts)


def masked_place_of(task: Task) -> str:
    """:func:`place_of`, as a group may read it."""
    return _masked_place(place_of(task))


@functools.lru_cache(maxsize=4096)
def _masked_place(place: str) -> str:
    """Places repeat (a few hundred 小区 × buildings): each is masked once."""
    return mask_pii(place)


def _more_photos(task: Task) -> str | None:
    """The card's line about photos it cannot show (a card carries one)."""
    shown = 1 if task.photo else 0
    if len(task.photos) <= shown:
        return None
    return texts.MORE_PHOTOS.format(count=len(task.photos))


def _row(task: Task, *buttons: tuple[str, Verb]) -> tuple[Button, ...]:
    return tuple(Button(label, Action(verb, task.id).encode()) for label, verb in buttons)
