"""Who may do what, as one table: every role of config.example.toml × every guarded action.

The card verbs (claim, resolve, transfer, escalate, give back) by role are pinned in
tests/test_desk.py (``PERMISSIONS``); this table adds the department liaison there and here
covers the rest: reopen (不满意), cancel (/cancel), broadcast (/broadcast and its confirm
button) and stats (/stats). Each person acts where they would: staff in their unit's group,
residents and strangers in their private chat. A refusal answers in words and changes nothing:
the task, its trail and the broadcasts stay as they were, and the only new outbox row is the
refusal itself.
"""

# ruff: noqa: F811 - the fixtures imported from tests/test_desk.py are parameters by name
from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot import texts
from bot.actions import Action, Verb
from bot.context import Actor, Answer
from bot.desk import Desk
from bot.domain import BroadcastStatus, EventKind, Outgoing, Rating, TaskStatus
from storage.sql_store import SqlStore
from tests.test_desk import (  # noqa: F401 - the fixtures are used by name
    ADMIN,
    COMMUNITY_CHAT,
    GRID1_CHAT,
    LIU,
    RESIDENT,
    STREET_CHAT,
    WANG,
    WATER_CHAT,
    ZHANG,
    ZHOU,
    clock,
    desk,
    resolved,
    said,
    settings,
    snapshot,
    store,
)

pytestmark = pytest.mark.asyncio

NUMBER = "20261122-0001"
# Everyone in the place they act from (config.example.toml's people).
WHO: dict[str, Actor] = {
    "resident": RESIDENT,  # reported the task, private chat
    "worker of this grid": ZHANG,  # 张三, claimed and resolved it, in 兴安南路第一网格's group
    "worker of another grid": Actor(WANG.user_id, -1001000000012, WANG.name),  # 王芳, 第二网格
    "community staff": LIU,  # 刘书记, 兴安南路社区's group
    "department liaison": ZHOU,  # 供水公司老周, the water company's group
    "admin": ADMIN,  # 街道值班员, the street's group
    "stranger": Actor(5555, 5555, "路人甲"),  # nobody, private chat
}


def private(actor: Actor) -> Actor:
    return Actor(actor.user_id, actor.user_id, actor.name, actor.username)


@dataclass(frozen=True)
class Allowed:
    """The action goes through (what it then does is pinned elsewhere)."""


ALLOWED = Allowed()
NOT_YOURS = Answer(texts.ANSWER_NOT_YOURS, alert=True)
NOT_FOUND = texts.CANCEL_NOT_FOUND.format(number=NUMBER)
ONLY_ADMINS = texts.BROADCAST_ONLY_ADMINS
ONLY_ADMINS_ALERT = Answer(texts.BROADCAST_ONLY_ADMINS, alert=True)
WHERE = texts.STATS_WHERE

ACTIONS = ("reopen", "cancel", "broadcast", "confirm broadcast", "stats")
# reopen: 不满意 on the rating buttons; cancel: /cancel in private; broadcast: /broadcast in
# private; confirm: 确认发送 on an admin's preview (forged by anyone else); stats: /stats where
# they are. Allowed, or the refusal (an Answer for a press, the text for a command).
TABLE: dict[str, tuple[Allowed | Answer | str, ...]] = {
    #                        reopen     cancel     broadcast    confirm            stats
    "resident": (ALLOWED, ALLOWED, ONLY_ADMINS, ONLY_ADMINS_ALERT, WHERE),
    "worker of this grid": (NOT_YOURS, NOT_FOUND, ONLY_ADMINS, ONLY_ADMINS_ALERT, ALLOWED),
    "worker of another grid": (NOT_YOURS, NOT_FOUND, ONLY_ADMINS, ONLY_ADMINS_ALERT, ALLOWED),
    "community staff": (NOT_YOURS, NOT_FOUND, ONLY_ADMINS, ONLY_ADMINS_ALERT, ALLOWED),
    "department liaison": (NOT_YOURS, NOT_FOUND, ONLY_ADMINS, ONLY_ADMINS_ALERT, WHERE),
    "admin": (NOT_YOURS, NOT_FOUND, ALLOWED, ALLOWED, ALLOWED),
    "stranger": (NOT_YOURS, NOT_FOUND, ONLY_ADMINS, ONLY_ADMINS_ALERT, WHERE),
}
CELLS = [
    pytest.param(who, action, outcome, id=f"{who}-{action}")
    for who, outcomes in TABLE.items()
    for action, outcome in zip(ACTIONS, outcomes, strict=True)
]


async def _broadcasts(store: SqlStore) -> list[object]:
    async with store.transaction() as tx:
        return [(b.id, b.status) for b in await tx.broadcasts(frozenset(BroadcastStatus))]


async def _draft_by_admin(desk: Desk, store: SqlStore) -> int:
    """An admin's preview waiting for 确认发送; its broadcast id."""
    await desk.broadcasts.draft(private(ADMIN), "现在 | 群:全部 | 明天停水", None)
    [preview] = await said(store)
    [confirm, _] = [b.action for row in preview.buttons for b in row]
    action = confirm.split(":")
    return int(action[1])


async def _act(desk: Desk, store: SqlStore, actor: Actor, action: str, broadcast: int) -> object:
    """Do ``action`` as ``actor``; the press's Answer, or None for a command."""
    match action:
        case "reopen":
            data = Action(Verb.RATE, 1, Rating.UNSATISFIED.value).encode()
            return await desk.press(actor, data, 7)
        case "cancel":
            await desk.tracking.cancel(private(actor), NUMBER, 7)
        case "broadcast":
            await desk.broadcasts.draft(private(actor), "现在 | 群:全部 | 明天停水", 7)
        case "confirm broadcast":
            data = Action(Verb.BROADCAST_CONFIRM, broadcast).encode()
            return await desk.press(actor, data, 7)
        case "stats":
            await desk.reports.stats(actor, 7)
    return None


@pytest.mark.parametrize(("who", "action", "outcome"), CELLS)
async def test_who_may_do_what(
    desk: Desk, store: SqlStore, who: str, action: str, outcome: Allowed | Answer | str
) -> None:
    """Each role × action: allowed, or refused in words with nothing else changed."""
    actor = WHO[who]
    task = await resolved(desk, store)  # reported by the resident, claimed and resolved by 张三
    broadcast = await _draft_by_admin(desk, store)
    before = (await snapshot(store, task.id), await _broadcasts(store))

    answer = await _act(desk, store, actor, action, broadcast)
    written = await said(store)

    if isinstance(outcome, Allowed):
        assert answer is None or answer.text not in {  # type: ignore[attr-defined]
            texts.ANSWER_NOT_YOURS,
            texts.BROADCAST_ONLY_ADMINS,
        }
        assert written, "an allowed action says or changes something"
        assert all(m.text not in {NOT_FOUND, ONLY_ADMINS, WHERE} for m in written)
        return
    after = (await snapshot(store, task.id), await _broadcasts(store))
    assert after == before
    if isinstance(outcome, Answer):
        assert answer == outcome
        assert written == []
    else:
        chat = actor.chat_id if action == "stats" else actor.user_id
        assert written == [Outgoing(chat, outcome)]


async def test_allowed_reopen_and_cancel_do_what_they_say(desk: Desk, store: SqlStore) -> None:
    """The two resident-only actions, done by the resident, leave their event on the task."""
    task = await resolved(desk, store)
    data = Action(Verb.RATE, task.id, Rating.UNSATISFIED.value).encode()
    assert await desk.press(RESIDENT, data, None) == Answer(texts.THANKS_FOR_RATING)
    await desk.tracking.cancel(RESIDENT, NUMBER, None)
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
    desk: Desk, store: SqlStore, chat_id: int, scoped: bool
) -> None:
    """/stats in a grid's, community's or street's group answers with figures; elsewhere, where."""
    await desk.reports.stats(Actor(2001, chat_id, "张三"), None)
    [first, *_] = await said(store)
    assert (first.text != WHERE) is scoped
