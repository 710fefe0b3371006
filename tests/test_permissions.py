"""Who may do what, as one table: every role of config.example.toml × every guarded action.

The card verbs (claim, resolve, transfer, escalate, give back, merge) by role are pinned in
tests/test_desk.py (``PERMISSIONS``); this table adds the department liaison there and here
covers the rest: reopen (不满意), cancel (/cancel), broadcast (/broadcast and the 确认发送 and
取消 buttons of its preview, and 取消 #id on /broadcasts), stats (/stats), and the steps that
move a claimed task on (pressing a member's name after 转交, and 退回), which are the claimer's
and, to reassign it (改派), the community's staff's and admins'. Each person acts where they
would: staff in their unit's group, residents and strangers in their private chat, notices in
private chats.
A refusal answers in words and changes nothing: the task, its trail, the broadcasts, drafts
and awaited notes stay as they were, and the only new outbox row is the refusal itself. An
allowed action does what it says, checked cell by cell.

The desk is driven directly here, on SQLite and PostgreSQL; tests/test_permissions_e2e.py
presses through the real bot and the Bot API stand-in, where the actor is built from the
Telegram update.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio

from bot import texts
from bot.desk.actions import Action, Verb, parse_action, person_key
from bot.desk.context import Actor, Answer
from bot.desk.desk import Desk
from bot.domain import (
    Audience,
    Broadcast,
    BroadcastStatus,
    EventKind,
    Outgoing,
    Rating,
    Task,
    TaskEvent,
    TaskStatus,
    UnitKind,
    UnitRef,
)
from storage.engine import open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - the fixtures are used by name
    ADMIN,
    CHEN,
    COMMUNITY_CHAT,
    GRID1,
    GRID1_CHAT,
    GRID2_CHAT,
    LATER,
    LI,
    LIU,
    NOTICE,
    NUMBER,
    PHONE,
    RESIDENT,
    SIQIANMI_GRID_CHAT,
    STREET_CHAT,
    WANG,
    WATER_CHAT,
    WATER_TEXT,
    ZHANG,
    ZHOU,
    act,
    claimed,
    clock,
    desk,
    pressed_in,
    resolved,
    said,
    settings,
    snapshot,
    to,
)

pytestmark = pytest.mark.asyncio

STRANGER = Actor("telegram:5555", "telegram:5555", "路人甲")
# Everyone in the place they act from (config.example.toml's people).
WHO: dict[str, Actor] = {
    "resident": RESIDENT,  # reported the task, private chat
    "worker of this grid": ZHANG,  # 张三, claimed the task, in 兴安南路第一网格's group
    "worker of another grid": Actor(WANG.user_id, GRID2_CHAT, WANG.name),  # 王芳, 第二网格
    "community staff": LIU,  # 刘书记, 兴安南路社区's group
    "department liaison": ZHOU,  # 供水公司老周, the water company's group
    "admin": ADMIN,  # 街道值班员, the street's group
    "stranger": STRANGER,  # nobody, private chat
}
EVERYONE = (*WHO.values(), LI)
COMMUNITY_REF = UnitRef(UnitKind.COMMUNITY, "xingannanlu")


@pytest_asyncio.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[SqlStore]:
    """The desk's store on the test's database, SQLite and PostgreSQL, on the fake clock."""
    async with open_store(database_url, clock=clock) as opened:
        yield opened


def private(actor: Actor) -> Actor:
    return Actor(actor.user_id, actor.user_id, actor.name, actor.username)


@dataclass(frozen=True)
class Allowed:
    """The action goes through; what it does is checked by ``EFFECTS``."""


ALLOWED = Allowed()
NOT_YOURS = Answer(texts.ANSWER_NOT_YOURS, alert=True)
NOT_FOUND = texts.CANCEL_NOT_FOUND.format(number=NUMBER)
ONLY_ADMINS = texts.BROADCAST_ONLY_ADMINS
ONLY_ADMINS_ALERT = Answer(texts.BROADCAST_ONLY_ADMINS, alert=True)
WHERE = texts.STATS_WHERE

ACTIONS = ("reopen", "cancel", "broadcast", "confirm", "discard", "stop", "stats")
# reopen: 不满意 on the rating buttons, forged by anyone else from their private chat (pressed
# in a group, every resident's button is refused as private-only: see the end of this file);
# cancel: /cancel in private; broadcast: /broadcast in private; confirm and discard: 确认发送
# and 取消 on an admin's preview, stop: 取消 #id on an admin's list of scheduled notices (all
# three forged by anyone else, from their private chat); stats: /stats where they are.
# Allowed, or the refusal (an Answer for a press, the text for a command).
# OK allowed; NY not yours; NF not found; AD only admins (said), AA (alert); WH where.
OK, NY, NF, AD, AA, WH = ALLOWED, NOT_YOURS, NOT_FOUND, ONLY_ADMINS, ONLY_ADMINS_ALERT, WHERE
TABLE: dict[str, tuple[Allowed | Answer | str, ...]] = {
    #                          reopen cancel broadcast confirm discard stop stats
    "resident":               (OK,    OK,    AD,       AA,     AA,     AA,  WH),
    "worker of this grid":    (NY,    NF,    AD,       AA,     AA,     AA,  OK),
    "worker of another grid": (NY,    NF,    AD,       AA,     AA,     AA,  OK),
    "community staff":        (NY,    NF,    AD,       AA,     AA,     AA,  OK),
    "department liaison":     (NY,    NF,    AD,       AA,     AA,     AA,  WH),
    "admin":                  (NY,    NF,    OK,       OK,     OK,     OK,  OK),
    "stranger":               (NY,    NF,    AD,       AA,     AA,     AA,  WH),
}  # fmt: skip
CELLS = [
    pytest.param(who, action, outcome, id=f"{who}-{action}")
    for who, outcomes in TABLE.items()
    for action, outcome in zip(ACTIONS, outcomes, strict=True)
]
# /stats where it is allowed: the scope's name and the blocks of figures, each with what it
# received (the one task, of 兴安南路第一网格).
GRID1_BLOCK = ("兴安南路第一网格", 1)
STATS_SCOPES: dict[str, tuple[str, tuple[tuple[str | None, int], ...]]] = {
    "worker of this grid": (GRID1, ((None, 1),)),
    "worker of another grid": ("兴安南路第二网格", ((None, 0),)),
    "community staff": ("兴安南路社区", (GRID1_BLOCK, ("兴安南路第二网格", 0), ("合计", 1))),
    "admin": (
        "大学西路街道",
        (GRID1_BLOCK, ("兴安南路第二网格", 0), ("四千米第一网格", 0), ("合计", 1)),
    ),
}


@dataclass(frozen=True)
class Scene:
    """What every cell starts from: the resident's task and two of the admin's notices."""

    task: Task
    draft: int
    """A broadcast previewed and waiting for 确认发送 (sent "现在")."""
    scheduled: int
    """A broadcast confirmed for tomorrow 08:00."""


async def _drafted(desk: Desk, store: SqlStore, argument: str) -> int:
    """The admin writes /broadcast ``argument``; the id on its preview's buttons."""
    await desk.broadcasts.draft(private(ADMIN), argument, None)
    [preview] = await said(store)
    confirm = parse_action(preview.buttons[0][0].action)
    assert confirm is not None
    return confirm.task_id


async def _scene(desk: Desk, store: SqlStore, action: str) -> Scene:
    """Cancel needs a task still in hand (张三 claimed it); the rest one 张三 resolved."""
    task = await claimed(desk, store) if action == "cancel" else await resolved(desk, store)
    scheduled = await _drafted(desk, store, LATER)
    data = Action(Verb.BROADCAST_CONFIRM, scheduled).encode()
    assert not (await desk.press(private(ADMIN), data, None)).alert
    await said(store)
    draft = await _drafted(desk, store, NOTICE)
    return Scene(task, draft, scheduled)


async def _broadcasts(store: SqlStore) -> dict[int, Broadcast]:
    async with store.transaction() as tx:
        return {b.id: b for b in await tx.broadcasts(frozenset(BroadcastStatus))}


async def _state(store: SqlStore, task_id: int) -> tuple[object, ...]:
    """Everything a refusal must leave alone: the task, its trail, the outbox, every draft
    and awaited note, every broadcast."""
    async with store.transaction() as tx:
        people = [(await tx.draft(p.user_id), await tx.awaited_note(p.user_id)) for p in EVERYONE]
    return (await snapshot(store, task_id), people, await _broadcasts(store))


async def _act(desk: Desk, actor: Actor, action: str, scene: Scene) -> Answer | None:
    """Do ``action`` as ``actor``; the press's Answer, or None for a command."""
    match action:
        case "reopen":
            data = Action(Verb.RATE, scene.task.id, Rating.UNSATISFIED.value).encode()
            return await desk.press(private(actor), data, 7)
        case "cancel":
            await desk.withdrawal.cancel(private(actor), NUMBER, 7)
        case "broadcast":
            await desk.broadcasts.draft(private(actor), NOTICE, 7)
        case "confirm":
            data = Action(Verb.BROADCAST_CONFIRM, scene.draft).encode()
            return await desk.press(private(actor), data, 7)
        case "discard":
            data = Action(Verb.BROADCAST_DISCARD, scene.draft).encode()
            return await desk.press(private(actor), data, 7)
        case "stop":
            data = Action(Verb.BROADCAST_STOP, scene.scheduled).encode()
            return await desk.press(private(actor), data, 7)
        case "stats":
            await desk.reports.stats(actor, 7)
    return None


@pytest.mark.parametrize(("who", "action", "outcome"), CELLS)
async def test_who_may_do_what(
    desk: Desk,
    store: SqlStore,
    clock: FakeClock,
    who: str,
    action: str,
    outcome: Allowed | Answer | str,
) -> None:
    """Each role × action: done with its effect, or refused in words with nothing else changed."""
    actor = WHO[who]
    scene = await _scene(desk, store, action)
    before = await _state(store, scene.task.id)

    answer = await _act(desk, actor, action, scene)
    written = await said(store)

    if isinstance(outcome, Allowed):
        await EFFECTS[action](await _done(desk, store, clock, (who, scene), answer, written))
        return
    assert await _state(store, scene.task.id) == before
    if isinstance(outcome, Answer):
        assert answer == outcome
        assert written == []
    else:
        chat = actor.chat_id if action == "stats" else actor.user_id
        assert written == [Outgoing(chat, outcome)]


@dataclass(frozen=True)
class Done:
    """An allowed cell once acted: the answer, what was written, and the state afterwards."""

    desk: Desk
    store: SqlStore
    clock: FakeClock
    who: str
    scene: Scene
    answer: Answer | None
    written: list[Outgoing]
    task: Task
    events: list[TaskEvent]
    notices: dict[int, Broadcast]


async def _done(
    desk: Desk,
    store: SqlStore,
    clock: FakeClock,
    cell: tuple[str, Scene],
    answer: Answer | None,
    written: list[Outgoing],
) -> Done:
    who, scene = cell
    async with store.transaction() as tx:
        task = await tx.task(scene.task.id)
        events = list(await tx.events(scene.task.id))
    assert task is not None
    notices = await _broadcasts(store)
    return Done(desk, store, clock, who, scene, answer, written, task, events, notices)


async def _reopened(done: Done) -> None:
    """Open again, one level up at the community, claimer and result cleared, with its trail;
    a new card there; the resident told where it went."""
    task, events = done.task, done.events
    assert done.answer == Answer(texts.ANSWER_REOPENED)
    assert (task.status, task.holder, task.level) == (
        TaskStatus.OPEN,
        COMMUNITY_REF,
        done.scene.task.level + 1,
    )
    assert (task.claimer_id, task.result, task.reopen_count) == (None, done.scene.task.result, 1)
    assert [e.kind for e in events[-2:]] == [EventKind.RATED, EventKind.REOPENED]
    assert (events[-1].actor_id, events[-1].holder) == (RESIDENT.user_id, COMMUNITY_REF)
    [card] = to(done.written, COMMUNITY_CHAT)
    assert card.card_of == task.id
    assert [b.text for row in card.buttons for b in row] == [
        texts.CLAIM,
        texts.MERGE,
        texts.RECATEGORISE,
    ]
    told = texts.REOPENED_ASK_WHY.format(number=NUMBER, unit="兴安南路社区")
    assert to(done.written, RESIDENT.chat_id) == [Outgoing(RESIDENT.chat_id, told)]


async def _cancelled(done: Done) -> None:
    """Withdrawn with its event; the resident, the card and the claimer are told."""
    assert done.task.status is TaskStatus.CANCELLED
    last = done.events[-1]
    assert (last.kind, last.actor_id) == (EventKind.CANCELLED, RESIDENT.user_id)
    assert to(done.written, RESIDENT.chat_id) == [
        Outgoing(RESIDENT.chat_id, texts.CANCELLED.format(number=NUMBER))
    ]
    assert to(done.written, ZHANG.user_id) == [
        Outgoing(ZHANG.user_id, texts.NOTICE_CANCELLED_TO_WORKER.format(number=NUMBER))
    ]
    [card] = to(done.written, GRID1_CHAT)
    assert done.task.id in (card.card_of, card.edit_card_of)


async def _drafted_notice(done: Done) -> None:
    """A new draft, previewed privately with 确认发送 / 取消; nothing scheduled yet."""
    scene = done.scene
    [new] = [b for i, b in done.notices.items() if i not in {scene.draft, scene.scheduled}]
    assert (new.status, new.text, new.audience, new.created_by) == (
        BroadcastStatus.DRAFT,
        "明天停水",
        Audience.GROUPS,
        ADMIN.user_id,
    )
    [preview] = done.written
    assert preview.chat_id == ADMIN.user_id
    assert [(b.text, b.action) for row in preview.buttons for b in row] == [
        (texts.BROADCAST_CONFIRM, Action(Verb.BROADCAST_CONFIRM, new.id).encode()),
        (texts.BROADCAST_DISCARD, Action(Verb.BROADCAST_DISCARD, new.id).encode()),
    ]


async def _confirmed(done: Done) -> None:
    """Scheduled for now, said so; the next tick sends it to every grid's group."""
    reply = texts.BROADCAST_SENDING_NOW.format(id=done.scene.draft)
    assert done.answer == Answer(reply)
    assert done.written == [Outgoing(ADMIN.user_id, reply)]
    notice = done.notices[done.scene.draft]
    assert (notice.status, notice.next_run_at) == (BroadcastStatus.ACTIVE, done.clock.now)
    assert await done.desk.broadcasts.tick(done.clock.now) == 3
    sent = sorted(m.chat_id for m in await said(done.store))
    assert sent == sorted([GRID1_CHAT, GRID2_CHAT, SIQIANMI_GRID_CHAT])


async def _discarded(done: Done) -> None:
    """The draft cancelled, said so; its 确认发送, pressed later, finds it gone."""
    assert done.answer == Answer(texts.BROADCAST_DISCARDED)
    assert done.written == [Outgoing(ADMIN.user_id, texts.BROADCAST_DISCARDED)]
    notice = done.notices[done.scene.draft]
    assert (notice.status, notice.next_run_at) == (BroadcastStatus.CANCELLED, None)
    confirm = Action(Verb.BROADCAST_CONFIRM, done.scene.draft).encode()
    gone = Answer(texts.BROADCAST_GONE, alert=True)
    assert await done.desk.press(private(ADMIN), confirm, None) == gone


async def _stopped(done: Done) -> None:
    """The scheduled notice cancelled, said so; when its time comes, the tick sends nothing."""
    reply = texts.BROADCAST_STOPPED.format(id=done.scene.scheduled)
    assert done.answer == Answer(reply)
    assert done.written == [Outgoing(ADMIN.user_id, reply)]
    notice = done.notices[done.scene.scheduled]
    assert (notice.status, notice.next_run_at) == (BroadcastStatus.CANCELLED, None)
    assert await done.desk.broadcasts.tick(done.clock.now + timedelta(days=2)) == 0


async def _figures(done: Done) -> None:
    """One message in the chat: the scope's title, a block per grid (and the total), the
    note; the one task counted where it belongs; nothing of the resident's request."""
    name, blocks = STATS_SCOPES[done.who]
    [message] = done.written
    assert message.chat_id == WHO[done.who].chat_id
    lines = message.text.splitlines()
    assert lines[0] == texts.STATS_TITLE.format(scope=name, first="11月16日", last="11月22日")
    assert lines[-1] == texts.STATS_NOTE
    headers = [line for line in lines if line.startswith("【")]
    assert headers == [f"【{block}】" for block, _ in blocks if block is not None]
    received = [line.split("，")[0] for line in lines if line.startswith("收到")]
    assert received == [f"收到 {count} 件" for _, count in blocks]
    assert PHONE not in message.text
    assert "502" not in message.text


EFFECTS: dict[str, Callable[[Done], Awaitable[None]]] = {
    "reopen": _reopened,
    "cancel": _cancelled,
    "broadcast": _drafted_notice,
    "confirm": _confirmed,
    "discard": _discarded,
    "stop": _stopped,
    "stats": _figures,
}
"""What each action does where it is allowed."""


async def test_allowed_reopen_and_cancel_do_what_they_say(desk: Desk, store: SqlStore) -> None:
    """不满意 then /cancel by the resident: the reopened task is withdrawn, both events kept."""
    task = await resolved(desk, store)
    data = Action(Verb.RATE, task.id, Rating.UNSATISFIED.value).encode()
    assert await desk.press(RESIDENT, data, None) == Answer(texts.ANSWER_REOPENED)
    await desk.withdrawal.cancel(RESIDENT, NUMBER, None)
    async with store.transaction() as tx:
        after = await tx.task(task.id)
        kinds = [e.kind for e in await tx.events(task.id)]
    assert after is not None
    assert after.status is TaskStatus.CANCELLED
    assert EventKind.REOPENED in kinds
    assert kinds[-1] is EventKind.CANCELLED


@pytest.mark.parametrize(
    ("chat_id", "scoped"),
    [(GRID1_CHAT, True), (COMMUNITY_CHAT, True), (STREET_CHAT, True), (WATER_CHAT, False)],
)
async def test_stats_scope_follows_the_chat(
    desk: Desk, store: SqlStore, chat_id: str, scoped: bool
) -> None:
    """/stats in a grid's, community's or street's group answers with figures; elsewhere, where."""
    await desk.reports.stats(Actor(ZHANG.user_id, chat_id, "张三"), None)
    [first, *_] = await said(store)
    assert (first.text != WHERE) is scoped


# --- 转交 and 退回 of a claimed task: the claimer's, and 改派 by the staff above the grid -------

NOT_MEMBER = Answer(texts.ANSWER_NOT_MEMBER.format(unit=GRID1), alert=True)
NOT_CLAIMER = Answer(texts.ANSWER_NOT_CLAIMER.format(worker="张三"), alert=True)
# 张三 claimed the task and pressed 转交; the card shows 李四's name, and 退回. Who presses one,
# and what they are answered (None: the task moves to 李四, or back to open). The claimer, the
# staff of the grid's community (DESIGN.md §8) and admins may; no one else.
TRANSFER: dict[str, tuple[Actor, Answer | None]] = {
    "claimer": (ZHANG, None),
    "worker of this grid, not the claimer": (LI, NOT_CLAIMER),
    "worker of another grid": (WHO["worker of another grid"], NOT_MEMBER),
    "community staff": (LIU, None),
    "staff of another community": (CHEN, NOT_MEMBER),
    "department liaison": (ZHOU, NOT_MEMBER),
    "admin": (ADMIN, None),
    "resident": (RESIDENT, NOT_MEMBER),
    "stranger": (STRANGER, NOT_MEMBER),
}
STEPS = ("to 李四", "退回")
TRANSFER_CELLS = [
    pytest.param(who, chat, step, answer, id=f"{who}-{step}-{where}")
    for who, (actor, answer) in TRANSFER.items()
    for where, chat in (("on the card", GRID1_CHAT), ("in their own chat", actor.chat_id))
    if where == "on the card" or chat != GRID1_CHAT
    for step in STEPS
]


@pytest.mark.parametrize(("who", "chat_id", "step", "refusal"), TRANSFER_CELLS)
async def test_who_may_hand_the_task_on(
    desk: Desk,
    store: SqlStore,
    clock: FakeClock,
    who: str,
    chat_id: str,
    step: str,
    refusal: Answer | None,
) -> None:
    """Pressing 李四 on the picker, or 退回: the claimer, the community's staff and admins move
    the task (张三 told privately when it was not his own doing); anyone else, on the card or a
    copy of it in their own chat, is answered why and the task, trail, outbox and drafts stay."""
    actor = Actor(TRANSFER[who][0].user_id, chat_id, TRANSFER[who][0].name)
    task = await claimed(desk, store)
    offered = await desk.press(ZHANG, Action(Verb.TRANSFER, task.id).encode(), None)
    assert offered == Answer(texts.TRANSFER_PICK)
    [picker] = await said(store)
    to_li = Action(Verb.TRANSFER_TO, task.id, person_key(LI.user_id)).encode()
    assert to_li in [b.action for row in picker.buttons for b in row]
    data = to_li if step == "to 李四" else Action(Verb.GIVE_BACK, task.id).encode()
    before = await _state(store, task.id)
    clock.advance(timedelta(minutes=3))

    answer = await desk.press(actor, data, 7)

    if refusal is not None:
        assert answer == refusal
        assert await _state(store, task.id) == before
        return
    async with store.transaction() as tx:
        moved = await tx.task(task.id)
        last = list(await tx.events(task.id))[-1]
    assert moved is not None
    written = await said(store)
    [card] = to(written, GRID1_CHAT)
    assert task.id in (card.card_of, card.edit_card_of)
    [notice] = to(written, RESIDENT.chat_id)
    if step == "退回":
        assert answer == Answer(texts.ANSWER_RETURNED)
        assert (moved.status, moved.claimer_id) == (TaskStatus.OPEN, None)
        assert (last.kind, last.actor_id) == (EventKind.RETURNED, actor.user_id)
        assert notice.text.startswith(f"您反映的问题（{NUMBER}）原来的工作人员处理不了")
        by = texts.RETURNED_FROM_YOU.format(number=NUMBER, staff=actor.name)
    else:
        assert answer == Answer(texts.ANSWER_TRANSFERRED.format(worker="李四"))
        assert (moved.status, moved.claimer_id, moved.claimed_at) == (
            TaskStatus.CLAIMED,
            LI.user_id,
            clock.now,
        )
        assert (last.kind, last.actor_id, last.note) == (
            EventKind.TRANSFERRED,
            actor.user_id,
            "李四",
        )
        assert notice.text.startswith(f"您反映的问题（{NUMBER}）已转交给李四继续处理，")
        [contact] = to(written, LI.user_id)
        assert PHONE in contact.text
        by = texts.REASSIGNED_FROM_YOU.format(number=NUMBER, staff=actor.name, worker="李四")
    told = [] if actor.user_id == ZHANG.user_id else [Outgoing(ZHANG.user_id, by)]
    assert to(written, ZHANG.user_id) == told


RESIDENT_BUTTONS = (
    (Verb.PICK_COMMUNITY, "xingannanlu"),
    (Verb.PICK_PLACE, "xingan-2:0"),
    (Verb.PLACE_DRAFT, "xingan-2:0"),
    (Verb.PICK_CATEGORY, "1"),
    (Verb.SEVERAL, "each"),
    (Verb.RATE, Rating.SATISFIED.value),
    (Verb.WITHDRAW, "solved"),
    (Verb.WITHDRAW_KEEP, ""),
    (Verb.WITHDRAW_PICK, ""),
    (Verb.FAQ_TO_STAFF, ""),
    (Verb.ERASE_CONFIRM, ""),
    (Verb.ERASE_KEEP, ""),
)


@pytest.mark.parametrize(
    ("verb", "arg"), RESIDENT_BUTTONS, ids=[v.name for v, _ in RESIDENT_BUTTONS]
)
@pytest.mark.parametrize("where", [GRID1_CHAT, COMMUNITY_CHAT])
async def test_resident_buttons_are_refused_outside_their_private_chat(
    desk: Desk, store: SqlStore, verb: Verb, arg: str, where: str
) -> None:
    """Every button the bot gives a resident, pressed by that resident in a group (a forged
    press): an alert, and the task, trail, outbox, draft and the resident's record stay — the
    chat their messages go to is never moved to the group."""
    task = await resolved(desk, store)
    before = await snapshot(store, task.id)
    async with store.transaction() as tx:
        resident = await tx.resident(RESIDENT.user_id)

    answer = await desk.press(pressed_in(RESIDENT, where), act(verb, task.id, arg), 7)

    assert answer == Answer(texts.ANSWER_PRIVATE_ONLY, alert=True)
    assert await snapshot(store, task.id) == before
    async with store.transaction() as tx:
        assert await tx.resident(RESIDENT.user_id) == resident
