"""The desk on its own: real Desk, real SQLite store, the example org, a fake clock, no Telegram.

Each test is a small dialogue: actors call desk methods with domain values, and the test reads
what the desk committed — the task, its audit trail, and the messages it wrote to the outbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from bot import texts
from bot.desk.actions import Verb, person_key
from bot.desk.context import Actor, Answer
from bot.desk.desk import Desk
from bot.domain import (
    DraftReason,
    EventKind,
    Rating,
    Task,
    TaskStatus,
    UnitRef,
)
from nlp.danger import Danger
from nlp.taxonomy import Category
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    ADMIN,
    CHEN,
    COMMUNITY,
    COMMUNITY_CHAT,
    GRID1,
    GRID1_CHAT,
    GRID2_CHAT,
    HEAT_CHAT,
    LI,
    LIU,
    NEIGHBOUR,
    RESIDENT,
    STRANGER,
    STREET_CHAT,
    WANG,
    WATER_CHAT,
    WATER_TEXT,
    ZHANG,
    ZHAO,
    ZHOU,
    act,
    actions,
    bind,
    claimed,
    clock,
    desk,
    draft_of,
    events_of,
    kinds,
    labels,
    latest_task,
    pressed_in,
    private,
    report,
    resolved,
    said,
    settings,
    snapshot,
    store,
    task_of,
    to,
)

pytestmark = pytest.mark.asyncio

# --- intake: from a message to a task ----------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "number"),
    [
        (datetime(2026, 11, 22, 1, 0, tzinfo=UTC), "20261122-0001"),
        (datetime(2026, 11, 22, 15, 59, tzinfo=UTC), "20261122-0001"),
        (datetime(2026, 11, 22, 16, 0, tzinfo=UTC), "20261123-0001"),
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "20261123-0001"),
    ],
    ids=["09:00", "23:59", "00:00 next day", "07:30 next day"],
)
async def test_task_number_counts_the_local_day(
    desk: Desk, store: SqlStore, clock: FakeClock, utc: datetime, number: str
) -> None:
    """Task numbers are YYYYMMDD-NNNN of the day in Asia/Shanghai, not of the UTC day."""
    clock.now = utc
    task = await report(desk, store)
    assert task.number == number


async def test_message_with_place_becomes_task_receipt_and_masked_card(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """A message naming a place: task, CREATED event, receipt to resident, masked card to grid."""
    clock.now = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    await desk.private_message(RESIDENT, WATER_TEXT, None, None)

    task = await latest_task(store)
    assert task is not None
    assert task.number == "20261123-0001"
    assert (task.category, task.urgent, task.status) == (
        Category.WATER_SUPPLY,
        False,
        TaskStatus.OPEN,
    )
    assert (task.grid_id, task.place, task.building, task.unit) == (
        "xingan-1",
        "审计厅小区",
        "3",
        "2",
    )
    assert task.holder == UnitRef.parse("grid:xingan-1")
    assert task.claim_due_at == clock.now + timedelta(hours=2)
    assert task.resolve_due_at == clock.now + timedelta(days=3)
    assert [(e.kind, e.actor_id, e.holder) for e in await events_of(store, task.id)] == [
        (EventKind.CREATED, RESIDENT.user_id, task.holder)
    ]
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert "工单号：20261123-0001" in receipt.text
    assert "类别：供水" in receipt.text
    assert f"负责：{GRID1}" in receipt.text
    assert "时限：今天 09:30前有人接单，11月26日 07:30前办好" in receipt.text  # local time
    [card] = to(messages, GRID1_CHAT)
    assert card.card_of == task.id
    assert card.edit_card_of is None
    assert "工单 20261123-0001｜供水" in card.text
    assert "地点：审计厅小区 3号楼2单元" in card.text
    assert "138****1234" in card.text
    assert "13804711234" not in card.text
    assert "502" not in card.text
    assert labels(card) == ["认领", "合并", "改类别"]
    assert actions(card) == [f"c:{task.id}:", f"m:{task.id}:", f"k:{task.id}:"]
    assert len(messages) == 2

    await desk.private_message(RESIDENT, "审计厅小区3号楼暖气不热", None, None)
    second = await latest_task(store)
    assert second is not None
    assert second.number == "20261123-0002"


async def test_place_named_in_message_overrides_binding(desk: Desk, store: SqlStore) -> None:
    """Bound to 华建小区 but naming 审计厅小区: the task goes to 审计厅小区's grid."""
    await bind(desk, store, "xingan-2", 0)
    task = await report(desk, store, "审计厅小区3号楼又停水了")
    assert (task.grid_id, task.place) == ("xingan-1", "审计厅小区")
    plain = await report(desk, store, "3号楼又停水了")
    assert (plain.grid_id, plain.place) == ("xingan-2", "华建小区")


async def test_category_other_goes_to_community_desk(desk: Desk, store: SqlStore) -> None:
    """A message of category `other` is held by the grid's community and carded there."""
    await desk.private_message(RESIDENT, "审计厅小区快递柜被偷了东西怎么办", None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.category is Category.OTHER
    assert task.holder == UnitRef.parse("community:xingannanlu")
    assert task.grid_id == "xingan-1"
    messages = await said(store)
    assert f"负责：{COMMUNITY}" in to(messages, RESIDENT.chat_id)[0].text
    [card] = to(messages, COMMUNITY_CHAT)
    assert card.card_of == task.id
    assert to(messages, GRID1_CHAT) == []


@pytest.mark.parametrize("answer", ["typed", "picked"])
async def test_unbound_resident_without_place_is_asked_and_draft_becomes_task(
    desk: Desk, store: SqlStore, answer: str
) -> None:
    """No place and no binding: ask where, keep the message; the answer places that one task
    (the home stays unbound, and the receipt offers to bind it)."""
    text = "3号楼楼道灯坏了好几天了"
    await desk.private_message(RESIDENT, text, None, None)

    [ask] = await said(store)
    assert (ask.chat_id, ask.text) == (RESIDENT.chat_id, texts.ASK_PLACE)
    assert actions(ask) == ["pc:0:xingannanlu:d", "pc:0:siqianmi:d"]
    draft = await draft_of(store)
    assert draft is not None
    assert (draft.text, draft.reason) == (text, DraftReason.NEED_PLACE)
    assert await latest_task(store) is None

    if answer == "typed":
        await desk.private_message(RESIDENT, "华建小区", None, None)
    else:
        assert await desk.press(RESIDENT, "pc:0:xingannanlu:d", None) == Answer("")
        [picker] = await said(store)
        assert picker.text == texts.PICK_REPORT_PLACE, "where it is, not where she lives"
        assert labels(picker) == [
            "电影制片厂小区",
            "审计厅小区",
            "华建小区",
            "林业厅小区",
            "乌兰牧骑小区",
        ]
        data = actions(picker)[labels(picker).index("华建小区")]
        assert data.startswith("pd:0:")
        assert await desk.press(RESIDENT, data, None) == Answer("")

    task = await latest_task(store)
    assert task is not None
    assert task.text == (f"{text}\n华建小区" if answer == "typed" else text)
    assert (task.grid_id, task.place, task.building) == ("xingan-2", "华建小区", "3")
    assert task.category is Category.STREET_LIGHTS
    assert await draft_of(store) is None
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert "工单号：20261122-0001" in receipt.text
    assert labels(receipt) == [texts.SET_HOME.format(place="华建小区")]
    assert [m.card_of for m in to(messages, GRID2_CHAT)] == [task.id]
    async with store.transaction() as tx:
        resident = await tx.resident(RESIDENT.user_id)
    assert resident is not None
    assert (resident.grid_id, resident.place) == (None, None)  # answering where is not home

    assert await desk.press(RESIDENT, actions(receipt)[0], None) == Answer("")
    [bound] = await said(store)
    assert bound.text == texts.BOUND.format(place="华建小区")
    async with store.transaction() as tx:
        resident = await tx.resident(RESIDENT.user_id)
    assert resident is not None
    assert (resident.grid_id, resident.place) == ("xingan-2", "华建小区")


async def test_unknown_place_answer_keeps_draft_and_asks_again(desk: Desk, store: SqlStore) -> None:
    """An answer naming a place we do not serve says so; other words join the report; the
    communities are offered again each time, and every word is in the task at the end."""
    await desk.private_message(RESIDENT, "3号楼楼道灯坏了好几天了", None, None)
    await said(store)
    await desk.private_message(RESIDENT, "火星小区", None, None)
    [reply] = await said(store)
    assert reply.text == texts.PLACE_NOT_FOUND.format(text="火星小区")
    assert actions(reply) == ["pc:0:xingannanlu:d", "pc:0:siqianmi:d"]
    await desk.private_message(RESIDENT, "不知道叫啥，晚上黑咕隆咚的", None, None)
    [reply] = await said(store)
    assert reply.text == texts.ADDED_ASK_PLACE
    draft = await draft_of(store)
    assert draft is not None
    assert draft.text == "3号楼楼道灯坏了好几天了\n火星小区\n不知道叫啥，晚上黑咕隆咚的"
    assert await latest_task(store) is None
    await desk.private_message(RESIDENT, "乳品厂", None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.text == f"{draft.text}\n乳品厂"
    assert (task.place, task.building) == ("乳品厂小区", "3")


@pytest.mark.parametrize(
    ("category", "chat"),
    [(Category.SANITATION, GRID1_CHAT), (Category.OTHER, COMMUNITY_CHAT)],
    ids=["sanitation", "other"],
)
async def test_vague_message_asks_category_and_pick_creates_task(
    desk: Desk, store: SqlStore, category: Category, chat: str
) -> None:
    """An unsure classification offers a few kinds and 其他 (tests/test_category_choice.py);
    the pick creates the kept message's task."""
    text = "审计厅小区那边有点情况想反映一下"
    await desk.private_message(RESIDENT, text, None, None)

    [ask] = await said(store)
    assert ask.text == texts.ASK_CATEGORY
    assert f"pk:0:{category.value}" in actions(ask)
    assert len(actions(ask)) <= 7
    assert all(len(row) <= 3 for row in ask.buttons)
    draft = await draft_of(store)
    assert draft is not None
    assert draft.reason is DraftReason.NEED_CATEGORY
    assert await latest_task(store) is None

    assert await desk.press(RESIDENT, f"pk:0:{category.value}", None) == Answer("")
    task = await latest_task(store)
    assert task is not None
    assert (task.text, task.category, task.place) == (text, category, "审计厅小区")
    assert await draft_of(store) is None
    assert [m.card_of for m in to(await said(store), chat)] == [task.id]

    assert await desk.press(RESIDENT, f"pk:0:{category.value}", None) == Answer(
        texts.ANSWER_EXPIRED
    )
    assert await said(store) == []


async def test_photo_without_text_asks_description_and_keeps_photo(
    desk: Desk, store: SqlStore
) -> None:
    """A bare photo is kept while the bot asks what it shows; the description makes the task."""
    await desk.private_message(RESIDENT, "", "AgAC-photo-1", None)
    [ask] = await said(store)
    assert (ask.chat_id, ask.text) == (RESIDENT.chat_id, texts.ASK_TEXT)
    draft = await draft_of(store)
    assert draft is not None
    assert (draft.photos, draft.reason) == (("AgAC-photo-1",), DraftReason.NEED_TEXT)

    await desk.private_message(RESIDENT, "审计厅小区3号楼楼道里堆满了杂物", None, None)
    task = await latest_task(store)
    assert task is not None
    assert (task.photo, task.category) == ("AgAC-photo-1", Category.SANITATION)
    [card] = to(await said(store), GRID1_CHAT)
    assert (card.photo, card.card_of) == ("AgAC-photo-1", task.id)
    assert await draft_of(store) is None


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("你好", texts.NOT_A_REQUEST),
        ("在吗", texts.NOT_A_REQUEST),
        ("谢谢你们", texts.WELCOME_THANKS),
        ("好的", texts.WELCOME_THANKS),
        ("👍👍👍", texts.WELCOME_THANKS),
        ("", texts.EMPTY_MESSAGE),
        ("  \n ", texts.EMPTY_MESSAGE),
    ],
)
async def test_chit_chat_and_empty_messages_make_no_task(
    desk: Desk, store: SqlStore, text: str, reply: str
) -> None:
    """Greetings, thanks, emoji and blank messages get a hint, never a task or a draft."""
    await desk.private_message(RESIDENT, text, None, None)
    assert [(m.chat_id, m.text) for m in await said(store)] == [(RESIDENT.chat_id, reply)]
    assert await latest_task(store) is None
    assert await draft_of(store) is None


async def test_urgent_message_advises_emergency_numbers_and_alerts_community(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """煤气味: urgent task with the shortest deadline, 119/110/120 advice, community alerted."""
    await bind(desk, store, "xingan-1", 1)  # 审计厅小区
    await desk.private_message(RESIDENT, "厨房一股煤气味", None, None)

    task = await latest_task(store)
    assert task is not None
    assert (task.category, task.urgent, task.place) == (Category.GAS, True, "审计厅小区")
    assert task.claim_due_at == clock.now + timedelta(minutes=10)  # gas: urgent_claim = 10m
    assert task.resolve_due_at == clock.now + timedelta(hours=4)
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert receipt.text.startswith(texts.ADVICE[Danger.GAS])  # what to do now, before numbers
    assert receipt.text.index("开窗通风") < receipt.text.index("工单号")
    assert "🔴 已按紧急情况处理" in receipt.text
    [card] = to(messages, GRID1_CHAT)
    assert card.text.startswith(f"🔴【紧急】工单 {task.number}｜燃气")
    [alert] = to(messages, COMMUNITY_CHAT)
    assert alert.text == texts.URGENT_ALERT.format(
        number=task.number, category="燃气", unit=GRID1, text="厨房一股煤气味"
    )


async def test_oversized_message_becomes_one_task(desk: Desk, store: SqlStore) -> None:
    """A 100 KB message is classified on its head and stored whole; nothing breaks."""
    text = "审计厅小区3号楼停水了。" + "真的没水。" * 20_000
    await desk.private_message(RESIDENT, text, None, None)
    task = await latest_task(store)
    assert task is not None
    assert (task.text, task.category) == (text, Category.WATER_SUPPLY)
    assert len(to(await said(store), GRID1_CHAT)) == 1


# --- work: who may do what ----------------------------------------------------------------------

NOT_MEMBER = Answer(texts.ANSWER_NOT_MEMBER.format(unit=GRID1), alert=True)
NOT_CLAIMER = Answer(texts.ANSWER_NOT_CLAIMER.format(worker="张三"), alert=True)
ALLOWED = {
    Verb.CLAIM: Answer(texts.ANSWER_CLAIMED),
    Verb.RESOLVE: Answer(texts.ANSWER_ASK_RESULT, alert=True, repeats_a_message=True),
    Verb.TRANSFER: Answer(texts.TRANSFER_PICK),
    Verb.ESCALATE: Answer(texts.ANSWER_ESCALATED.format(unit=COMMUNITY)),
    Verb.GIVE_BACK: Answer(texts.ANSWER_RETURNED),
    Verb.MERGE: Answer(texts.ANSWER_MERGE_PICK),
}
VERBS = (Verb.CLAIM, Verb.RESOLVE, Verb.TRANSFER, Verb.ESCALATE, Verb.GIVE_BACK, Verb.MERGE)
# Who presses the card of a task of 兴安南路第一网格 (claim: while open; the rest: once 张三 holds
# the claim), and what they are answered. Everyone presses where the card is, in the grid's group,
# except the resident, whose press can only be forged from their private chat. 转交 and 退回 are
# also the community's staff's and admins' (改派, DESIGN.md §8), not another community's staff's.
NM, NC = NOT_MEMBER, NOT_CLAIMER
PERMISSIONS: dict[str, tuple[Actor, tuple[Answer | None, ...]]] = {
    #                 claim, resolve, transfer, escalate, give back, merge (None: allowed)
    "claimer": (ZHANG, (None,) * 6),
    "same grid, not claimer": (LI, (None, *(NOT_CLAIMER,) * 5)),
    "other grid": (WANG, (NOT_MEMBER,) * 6),
    "community staff": (pressed_in(LIU, GRID1_CHAT), (NM, NM, None, NM, None, NM)),
    "other community's staff": (pressed_in(CHEN, GRID1_CHAT), (NOT_MEMBER,) * 6),
    "department liaison": (pressed_in(ZHOU, GRID1_CHAT), (NOT_MEMBER,) * 6),
    "admin": (pressed_in(ADMIN, GRID1_CHAT), (None, NC, None, NC, None, NC)),
    "resident": (RESIDENT, (NOT_MEMBER,) * 6),
    "stranger": (STRANGER, (NOT_MEMBER,) * 6),
}
CELLS = [
    (who, verb, answer)
    for who, (_, answers) in PERMISSIONS.items()
    for verb, answer in zip(VERBS, answers, strict=True)
]
REFUSED = [pytest.param(w, v, a, id=f"{w}-{v.name.lower()}") for w, v, a in CELLS if a]
PERMITTED = [pytest.param(w, v, id=f"{w}-{v.name.lower()}") for w, v, a in CELLS if not a]


async def _task_for(desk: Desk, store: SqlStore, verb: Verb) -> Task:
    """Claim needs an open task; the claimer's verbs need one claimed by 张三 (and merging,
    another task of the group to merge into)."""
    if verb is Verb.MERGE:
        await report(desk, store, "审计厅小区1号楼楼道灯坏了", NEIGHBOUR)
    return await report(desk, store) if verb is Verb.CLAIM else await claimed(desk, store)


@pytest.mark.parametrize(("who", "verb", "refusal"), REFUSED)
async def test_refused_press_answers_why_and_changes_nothing(
    desk: Desk, store: SqlStore, who: str, verb: Verb, refusal: Answer
) -> None:
    """A press by someone not entitled answers with a clear alert; task, trail, outbox unchanged."""
    actor = PERMISSIONS[who][0]
    task = await _task_for(desk, store, verb)
    before = await snapshot(store, task.id)
    assert await desk.press(actor, act(verb, task.id), 7) == refusal
    assert await snapshot(store, task.id) == before


@pytest.mark.parametrize(("who", "verb"), PERMITTED)
async def test_permitted_press_acts(desk: Desk, store: SqlStore, who: str, verb: Verb) -> None:
    """A press by someone entitled gets its success answer and leaves a trace."""
    actor = PERMISSIONS[who][0]
    task = await _task_for(desk, store, verb)
    before = await snapshot(store, task.id)
    assert await desk.press(actor, act(verb, task.id), None) == ALLOWED[verb]
    assert await snapshot(store, task.id) != before
    if verb is Verb.CLAIM:
        assert (await task_of(store, task.id)).claimer_id == actor.user_id


@pytest.mark.parametrize("verb", [Verb.RESOLVE, Verb.TRANSFER, Verb.GIVE_BACK])
async def test_claimer_verbs_on_open_task_say_it_is_unclaimed(
    desk: Desk, store: SqlStore, verb: Verb
) -> None:
    """办结/转交/退回 on a task nobody claimed yet answers so and changes nothing."""
    task = await report(desk, store)
    before = await snapshot(store, task.id)
    assert await desk.press(ZHANG, act(verb, task.id), None) == Answer(
        texts.ANSWER_NOT_CLAIMED, alert=True
    )
    assert await snapshot(store, task.id) == before


async def test_claim_edits_card_tells_resident_and_gives_claimer_contact(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """认领: claimed by the presser, card edited with work buttons, resident told, contact sent."""
    task = await report(desk, store)
    clock.advance(timedelta(minutes=5))
    assert await desk.press(ZHANG, act(Verb.CLAIM, task.id), None) == Answer(texts.ANSWER_CLAIMED)

    now = await task_of(store, task.id)
    assert (now.status, now.claimer_id, now.claimed_at) == (
        TaskStatus.CLAIMED,
        ZHANG.user_id,
        clock.now,
    )
    assert await kinds(store, task.id) == [EventKind.CREATED, EventKind.CLAIMED]
    messages = await said(store)
    [card] = to(messages, GRID1_CHAT)
    assert card.edit_card_of == task.id
    assert "张三 于 11月22日 09:05 认领，办理中" in card.text
    assert labels(card) == ["办结", "转交", "上报", "退回", "合并", "改类别"]
    [notice] = to(messages, RESIDENT.chat_id)
    assert notice.text == texts.NOTICE_CLAIMED.format(
        number=task.number, worker="张三", resolve_by="11月25日 09:00"
    )
    [contact] = to(messages, ZHANG.user_id)
    assert "13804711234" in contact.text
    assert "502室" in contact.text
    assert "tg://user?id=1001" in contact.text
    assert "（@wangayi）" in contact.text


async def test_second_claim_is_told_who_won(desk: Desk, store: SqlStore) -> None:
    """Of two claims the first wins; the second presser is told who has it, nothing changes."""
    task = await claimed(desk, store)
    before = await snapshot(store, task.id)
    assert await desk.press(LI, act(Verb.CLAIM, task.id), None) == Answer(
        texts.ANSWER_TAKEN_BY.format(worker="张三"), alert=True
    )
    assert await snapshot(store, task.id) == before


async def test_transfer_to_member_changes_claimer_and_tells_resident(
    desk: Desk, store: SqlStore
) -> None:
    """转交: the picker lists the other members; picking one moves the claim and says so."""
    task = await claimed(desk, store)
    assert await desk.press(ZHANG, act(Verb.TRANSFER, task.id), None) == Answer(texts.TRANSFER_PICK)
    [picker] = await said(store)
    assert (picker.chat_id, picker.edit_card_of) == (GRID1_CHAT, task.id)
    assert labels(picker) == ["李四", "取消"]
    assert actions(picker) == [f"u:{task.id}:{person_key(LI.user_id)}", f"x:{task.id}:"]
    assert (await task_of(store, task.id)).claimer_id == ZHANG.user_id

    assert await desk.press(ZHANG, actions(picker)[0], None) == Answer(
        texts.ANSWER_TRANSFERRED.format(worker="李四")
    )
    now = await task_of(store, task.id)
    assert (now.status, now.claimer_id) == (TaskStatus.CLAIMED, LI.user_id)
    last = (await events_of(store, task.id))[-1]
    assert (last.kind, last.actor_id, last.note) == (EventKind.TRANSFERRED, ZHANG.user_id, "李四")
    messages = await said(store)
    assert "李四 于" in to(messages, GRID1_CHAT)[0].text
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.NOTICE_TRANSFERRED.format(
            number=task.number, worker="李四", resolve_by="11月25日 09:00"
        )
    ]
    assert "13804711234" in to(messages, LI.user_id)[0].text


@pytest.mark.parametrize(
    "target",
    [person_key("telegram:2001"), person_key("telegram:2003"), person_key("telegram:9999"),
     "abc", ""],
)  # fmt: skip
async def test_transfer_to_non_member_is_refused(desk: Desk, store: SqlStore, target: str) -> None:
    """转交 to oneself, another grid's worker, a stranger or garbage changes nothing."""
    task = await claimed(desk, store)
    before = await snapshot(store, task.id)
    assert await desk.press(ZHANG, act(Verb.TRANSFER_TO, task.id, target), None) == Answer(
        texts.ANSWER_EXPIRED, alert=True
    )
    assert await snapshot(store, task.id) == before


async def test_transfer_cancel_restores_the_card(desk: Desk, store: SqlStore) -> None:
    """取消 on the picker puts the working buttons back; the claim stays."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.TRANSFER, task.id), None)
    await said(store)
    assert await desk.press(ZHANG, act(Verb.TRANSFER_CANCEL, task.id), None) == Answer(
        texts.ANSWER_OK
    )
    [card] = await said(store)
    assert labels(card) == ["办结", "转交", "上报", "退回", "合并", "改类别"]
    assert (await task_of(store, task.id)).claimer_id == ZHANG.user_id


async def test_transfer_with_no_other_member_says_so(desk: Desk, store: SqlStore) -> None:
    """A grid of one has nobody to hand over to: an alert, and the card stays as it is."""
    task = await claimed(desk, store, "乳品厂小区2号楼停水了", worker=ZHAO)
    before = await snapshot(store, task.id)
    assert await desk.press(ZHAO, act(Verb.TRANSFER, task.id), None) == Answer(
        texts.NO_ONE_TO_TRANSFER, alert=True
    )
    assert await snapshot(store, task.id) == before


async def test_give_back_reopens_for_a_new_claim(desk: Desk, store: SqlStore) -> None:
    """退回: open and unclaimed again, card shows 认领, resident told; another worker can claim."""
    task = await claimed(desk, store)
    assert await desk.press(ZHANG, act(Verb.GIVE_BACK, task.id), None) == Answer(
        texts.ANSWER_RETURNED
    )
    now = await task_of(store, task.id)
    assert (now.status, now.claimer_id, now.claimed_at) == (TaskStatus.OPEN, None, None)
    assert (await kinds(store, task.id))[-1] is EventKind.RETURNED
    messages = await said(store)
    [card] = to(messages, GRID1_CHAT)
    assert (card.edit_card_of, labels(card)) == (task.id, ["认领", "合并", "改类别"])
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.NOTICE_RETURNED.format(number=task.number, claim_by="今天 11:00")
    ]
    assert await desk.press(LI, act(Verb.CLAIM, task.id), None) == Answer(texts.ANSWER_CLAIMED)


async def test_resolve_asks_for_note_and_note_resolves(desk: Desk, store: SqlStore) -> None:
    """办结 asks privately for a note; a blank note is asked again; the note, confirmed,
    resolves the task."""
    task = await claimed(desk, store)
    assert await desk.press(ZHANG, act(Verb.RESOLVE, task.id), None) == Answer(
        texts.ANSWER_ASK_RESULT, alert=True, repeats_a_message=True
    )
    ask = texts.ASK_RESULT.format(number=task.number)
    assert [(m.chat_id, m.text) for m in await said(store)] == [(ZHANG.user_id, ask)]
    assert (await task_of(store, task.id)).status is TaskStatus.CLAIMED

    await desk.private_message(private(ZHANG), "  ", None, None)
    assert [(m.chat_id, m.text) for m in await said(store)] == [(ZHANG.user_id, ask)]

    note = "管道已修好，有问题打13900001111"
    await desk.private_message(private(ZHANG), note, "AgAC-result", None)
    [preview] = await said(store)
    assert (await task_of(store, task.id)).status is TaskStatus.CLAIMED
    answer = await desk.press(private(ZHANG), actions(preview)[0], None)
    assert answer == Answer(texts.ANSWER_RESULT_SENT)
    now = await task_of(store, task.id)
    assert (now.status, now.result, now.result_photo) == (
        TaskStatus.RESOLVED,
        note,
        "AgAC-result",
    )
    last = (await events_of(store, task.id))[-1]
    assert (last.kind, last.actor_id, last.note) == (EventKind.RESOLVED, ZHANG.user_id, note)
    messages = await said(store)
    [card] = to(messages, GRID1_CHAT)
    assert "办理结果：管道已修好，有问题打139****1111" in card.text
    assert card.buttons == ()
    [rating] = to(messages, RESIDENT.chat_id)
    assert note in rating.text
    assert rating.photo == "AgAC-result"
    assert labels(rating) == ["满意", "基本满意", "不满意"]
    assert actions(rating) == [f"r:{task.id}:{r.value}" for r in Rating]
    assert [m.text for m in to(messages, ZHANG.user_id)] == [
        texts.RESULT_SAVED.format(number=task.number)
    ]
    async with store.transaction() as tx:
        assert await tx.awaited_note(ZHANG.user_id) is None


@pytest.mark.parametrize(
    ("rating", "label"), [(Rating.SATISFIED, "满意"), (Rating.BASICALLY, "基本满意")]
)
async def test_good_rating_closes(desk: Desk, store: SqlStore, rating: Rating, label: str) -> None:
    """满意 / 基本满意 close the task with the rating; a second press says it is already rated."""
    task = await resolved(desk, store)
    data = act(Verb.RATE, task.id, rating.value)
    assert await desk.press(RESIDENT, data, None) == Answer(texts.THANKS_FOR_RATING)
    now = await task_of(store, task.id)
    assert (now.status, now.rating) == (TaskStatus.CLOSED, rating)
    trail = await events_of(store, task.id)
    assert [(e.kind, e.note) for e in trail[-2:]] == [
        (EventKind.RATED, rating.value),
        (EventKind.CLOSED, ""),
    ]
    messages = await said(store)
    assert f"已完成（居民评价：{label}）" in to(messages, GRID1_CHAT)[0].text
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [texts.THANKS_FOR_RATING]

    before = await snapshot(store, task.id)
    assert await desk.press(RESIDENT, data, None) == Answer(texts.ALREADY_RATED)
    assert await snapshot(store, task.id) == before


@pytest.mark.parametrize(
    ("actor", "value", "answer"),
    [
        (NEIGHBOUR, "satisfied", Answer(texts.ANSWER_NOT_YOURS, alert=True)),
        (private(ZHANG), "satisfied", Answer(texts.ANSWER_NOT_YOURS, alert=True)),
        (ZHANG, "satisfied", Answer(texts.ANSWER_PRIVATE_ONLY, alert=True)),  # in the group
        (RESIDENT, "great", Answer(texts.ANSWER_EXPIRED)),
    ],
    ids=["neighbour", "worker", "worker-in-group", "bad-value"],
)
async def test_rating_by_others_or_with_bad_value_changes_nothing(
    desk: Desk, store: SqlStore, actor: Actor, value: str, answer: Answer
) -> None:
    """Only the resident who reported may rate, and only with a known rating."""
    task = await resolved(desk, store)
    before = await snapshot(store, task.id)
    assert await desk.press(actor, act(Verb.RATE, task.id, value), None) == answer
    assert await snapshot(store, task.id) == before


async def test_unsatisfied_reopens_one_level_up_and_tells_everyone(
    desk: Desk, store: SqlStore
) -> None:
    """不满意: open again at the community, the disputed result kept for the next worker;
    resident (asked what is wrong) and both groups told."""
    task = await resolved(desk, store)
    answer = await desk.press(RESIDENT, act(Verb.RATE, task.id, "unsatisfied"), None)
    assert answer == Answer(texts.ANSWER_REOPENED)

    now = await task_of(store, task.id)
    assert now.status is TaskStatus.OPEN
    assert now.holder == UnitRef.parse("community:xingannanlu")
    assert (now.level, now.reopen_count) == (1, 1)
    assert (now.claimer_id, now.claimed_at) == (None, None)
    assert (now.result, now.rating) == (task.result, None)
    trail = await events_of(store, task.id)
    assert [(e.kind, e.note, e.holder) for e in trail[-2:]] == [
        (EventKind.RATED, "unsatisfied", None),
        (EventKind.REOPENED, "", now.holder),
    ]
    messages = await said(store)
    [new_card] = to(messages, COMMUNITY_CHAT)
    assert new_card.card_of == task.id
    assert labels(new_card) == ["认领", "合并", "改类别"]
    assert f"上次办理结果：{task.result}" in new_card.text
    assert f"状态：{texts.STATUS_REOPENED}" in new_card.text
    old_card, alert = to(messages, GRID1_CHAT)
    assert old_card.edit_card_of == task.id
    assert texts.STATUS_REOPENED_AWAY.format(unit=COMMUNITY) in old_card.text
    assert alert.text == texts.REOPENED_ALERT.format(number=task.number, unit=COMMUNITY)
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [
        texts.REOPENED_ASK_WHY.format(number=task.number, unit=COMMUNITY)
    ]
    assert await desk.press(LIU, act(Verb.CLAIM, task.id), None) == Answer(texts.ANSWER_CLAIMED)


# --- escalation (吹哨) ----------------------------------------------------------------------------

CHAINS = {
    "water_supply": (
        "审计厅小区3号楼又停水了",
        [
            (ZHANG, "community:xingannanlu", COMMUNITY_CHAT, COMMUNITY),
            (LIU, "department:water", WATER_CHAT, "首府供水公司"),
            (ZHOU, "street:daxuexilu", STREET_CHAT, "大学西路街道"),
        ],
    ),
    "heating": (
        "审计厅小区3号楼暖气不热",
        [
            (ZHANG, "community:xingannanlu", COMMUNITY_CHAT, COMMUNITY),
            (LIU, "department:heat", HEAT_CHAT, "热力公司"),
            (pressed_in(ADMIN, HEAT_CHAT), "street:daxuexilu", STREET_CHAT, "大学西路街道"),
        ],
    ),
    "sanitation (no department)": (
        "审计厅小区3号楼楼道里堆满了杂物",
        [
            (ZHANG, "community:xingannanlu", COMMUNITY_CHAT, COMMUNITY),
            (LIU, "street:daxuexilu", STREET_CHAT, "大学西路街道"),
        ],
    ),
}


@pytest.mark.parametrize("chain", CHAINS)
async def test_escalation_chain_up_to_the_street_then_refused(
    desk: Desk, store: SqlStore, chain: str
) -> None:
    """上报 goes grid → community → the category's department (if any) → street → refused."""
    text, steps = CHAINS[chain]
    task = await claimed(desk, store, text)
    old_chat = GRID1_CHAT
    for level, (actor, holder, chat, unit) in enumerate(steps, start=1):
        answer = await desk.press(actor, act(Verb.ESCALATE, task.id), None)
        assert answer == Answer(texts.ANSWER_ESCALATED.format(unit=unit))
        now = await task_of(store, task.id)
        assert (now.holder, now.level, now.status) == (
            UnitRef.parse(holder),
            level,
            TaskStatus.OPEN,
        )
        assert now.claimer_id is None
        last = (await events_of(store, task.id))[-1]
        assert (last.kind, last.actor_id, last.holder) == (
            EventKind.ESCALATED,
            actor.user_id,
            now.holder,
        )
        messages = await said(store)
        [new_card] = to(messages, chat)
        assert (new_card.card_of, labels(new_card)) == (task.id, ["认领", "合并", "改类别"])
        [away] = to(messages, old_chat)
        assert away.edit_card_of == task.id
        assert f"状态：{texts.STATUS_ESCALATED_AWAY.format(unit=unit)}" in away.text
        assert away.buttons == ()
        [notice] = to(messages, RESIDENT.chat_id)  # why, who has it now, by when
        assert notice.text.startswith(
            f"您反映的问题（{task.number}）需要{unit}协调解决，已上报{unit}，由他们安排人员处理，"
        )
        assert notice.text.endswith("前办好。")
        assert "前有人接单、" in notice.text
        old_chat = chat

    before = await snapshot(store, task.id)
    top = pressed_in(ADMIN, STREET_CHAT)
    assert await desk.press(top, act(Verb.ESCALATE, task.id), None) == Answer(
        texts.ANSWER_TOP_LEVEL, alert=True
    )
    assert await snapshot(store, task.id) == before


async def test_stale_card_press_after_escalation_says_where_it_went(
    desk: Desk, store: SqlStore
) -> None:
    """A grid worker pressing the old card after 上报 is told which unit has the task now."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.ESCALATE, task.id), None)
    await said(store)
    before = await snapshot(store, task.id)
    assert await desk.press(ZHANG, act(Verb.CLAIM, task.id), None) == Answer(
        texts.ANSWER_MOVED.format(unit=COMMUNITY), alert=True
    )
    assert await snapshot(store, task.id) == before


async def test_escalated_card_does_not_claim_the_receiver_escalated_it(
    desk: Desk, store: SqlStore
) -> None:
    """The new card after 上报 names where the task came from, not the group reading it."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.ESCALATE, task.id), None)
    [card] = to(await said(store), COMMUNITY_CHAT)
    assert f"待认领（{GRID1}的工单，已上报{COMMUNITY}）" in card.text


# --- tracking: /my and /cancel ------------------------------------------------------------------


async def test_my_lists_own_tasks_only(desk: Desk, store: SqlStore) -> None:
    """/my shows the resident's own tasks, newest first, and none of a neighbour's."""
    water = await report(desk, store)
    heating = await report(desk, store, "审计厅小区3号楼暖气不热")
    other = await report(desk, store, "华建小区停水了", actor=NEIGHBOUR)

    await desk.status.my_tasks(RESIDENT, None)
    [reply] = await said(store)
    assert reply.chat_id == RESIDENT.chat_id
    assert reply.text.startswith(texts.MY_TASKS_HEADER.format(count=2))
    assert reply.text.index(heating.number) < reply.text.index(water.number)
    assert other.number not in reply.text
    assert "｜供暖｜待认领" in reply.text

    await desk.status.my_tasks(pressed_in(LI, LI.user_id), None)
    assert [m.text for m in await said(store)] == [texts.NO_TASKS]


@pytest.mark.parametrize(
    ("argument", "reply"),
    [
        ("20261122-0001", texts.CANCELLED.format(number="20261122-0001")),
        ("  20261122-0001 ", texts.CANCELLED.format(number="20261122-0001")),
        ("1", texts.CANCELLED.format(number="20261122-0001")),
        ("0001", texts.CANCELLED.format(number="20261122-0001")),
        ("abc", texts.CANCEL_USAGE),
        ("20261122-", texts.CANCEL_USAGE),
        ("20261122-0099", texts.CANCEL_NOT_FOUND.format(number="20261122-0099")),
        ("99", texts.CANCEL_NOT_FOUND.format(number="99")),
        ("20261122-0002", texts.CANCEL_NOT_FOUND.format(number="20261122-0002")),
        ("2", texts.CANCEL_NOT_FOUND.format(number="2")),
    ],
    ids=[
        "full",
        "full-spaced",
        "serial",
        "padded-serial",
        "garbage",
        "day-only",
        "unknown",
        "unknown-serial",
        "neighbours-number",
        "neighbours-serial",
    ],
)
async def test_cancel_by_number(desk: Desk, store: SqlStore, argument: str, reply: str) -> None:
    """/cancel takes a full number or a short serial of one's own task; else says why not."""
    mine = await report(desk, store)
    theirs = await report(desk, store, "华建小区停水了", actor=NEIGHBOUR)
    assert (mine.number, theirs.number) == ("20261122-0001", "20261122-0002")

    await desk.withdrawal.cancel(RESIDENT, argument, None)
    messages = await said(store)
    assert [m.text for m in to(messages, RESIDENT.chat_id)] == [reply]
    assert (await task_of(store, theirs.id)).status is TaskStatus.OPEN
    assert await kinds(store, theirs.id) == [EventKind.CREATED]
    if reply.startswith("工单"):
        assert (await task_of(store, mine.id)).status is TaskStatus.CANCELLED
        assert (await kinds(store, mine.id))[-1] is EventKind.CANCELLED
        [card] = to(messages, GRID1_CHAT)
        assert card.edit_card_of == mine.id
        assert f"状态：{texts.STATUS_CANCELLED}" in card.text
        assert card.buttons == ()
    else:
        assert (await task_of(store, mine.id)).status is TaskStatus.OPEN
        assert len(messages) == 1


async def test_cancel_claimed_task_tells_the_claimer(desk: Desk, store: SqlStore) -> None:
    """Withdrawing a claimed task tells its claimer privately that the work is off."""
    task = await claimed(desk, store)
    await desk.withdrawal.cancel(RESIDENT, task.number, None)
    messages = await said(store)
    assert [m.text for m in to(messages, ZHANG.user_id)] == [
        texts.NOTICE_CANCELLED_TO_WORKER.format(number=task.number)
    ]
    assert (await task_of(store, task.id)).status is TaskStatus.CANCELLED


async def test_cancel_closed_task_is_refused(desk: Desk, store: SqlStore) -> None:
    """A closed task cannot be withdrawn: the reply says so and nothing changes."""
    task = await resolved(desk, store)
    await desk.press(RESIDENT, act(Verb.RATE, task.id, "satisfied"), None)
    await said(store)
    before = await events_of(store, task.id)
    await desk.withdrawal.cancel(RESIDENT, task.number, None)
    [reply] = await said(store)
    assert reply.chat_id == RESIDENT.chat_id
    assert task.number in reply.text
    assert "不能再撤回" in reply.text
    assert (await task_of(store, task.id)).status is TaskStatus.CLOSED
    assert await events_of(store, task.id) == before


async def test_cancel_refusal_reads_naturally(desk: Desk, store: SqlStore) -> None:
    """The "cannot withdraw" reply does not say 已经已… ."""
    task = await report(desk, store)
    await desk.withdrawal.cancel(RESIDENT, task.number, None)
    await said(store)
    await desk.withdrawal.cancel(RESIDENT, task.number, None)
    [reply] = await said(store)
    assert "不能再撤回" in reply.text
    assert "已经已" not in reply.text


# --- forged and stale presses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "data"),
    [
        (ZHANG, "zz:1:x"),
        (ZHANG, None),
        (ZHANG, ""),
        (ZHANG, "c:999999:"),
        (ZHANG, "d:999999:"),
        (ZHANG, "c:1"),
        (ZHANG, "c:-1:"),
        (ZHANG, "c:x:"),
        (ZHANG, "c:1:" + "x" * 100),
        (ZHANG, "x" * 100_000),
        (ZHANG, "c:1:<script>"),
        (RESIDENT, "r:1:excellent"),
        (RESIDENT, "pk:0:no_such_category"),
        (RESIDENT, "pk:0:water_supply"),  # no draft waits for a category
        (RESIDENT, "pp:0:no-such-grid:0"),
        (RESIDENT, "pp:0:xingan-1:9"),
        (RESIDENT, "pp:0:xingan-1:x"),
        (RESIDENT, "pp:0:xingan-1"),
    ],
)
async def test_forged_or_stale_callback_data_expires_and_changes_nothing(
    desk: Desk, store: SqlStore, actor: Actor, data: str | None
) -> None:
    """Garbage, forged, oversized or stale button data answers "expired" and touches nothing."""
    task = await report(desk, store)
    assert task.id == 1
    before = await snapshot(store, task.id)
    answer = await desk.press(actor, data, None)
    assert answer.text == texts.ANSWER_EXPIRED
    assert await snapshot(store, task.id) == before
    async with store.transaction() as tx:
        resident = await tx.resident(RESIDENT.user_id)
    assert resident is not None
    assert resident.grid_id is None


async def test_forged_community_pick_expires_and_writes_nothing(
    desk: Desk, store: SqlStore
) -> None:
    """A press for a community that does not exist answers "expired" and sends nothing."""
    answer = await desk.press(RESIDENT, "pc:0:no-such-community", None)
    assert answer.text == texts.ANSWER_EXPIRED
    assert await said(store) == []


# --- the inbox row is marked in the desk's own transaction --------------------------------------

Step = Callable[[Desk, SqlStore], Awaitable[None]]


async def _message(desk: Desk, store: SqlStore) -> None:
    await desk.private_message(RESIDENT, WATER_TEXT, None, 42)


async def _chit_chat(desk: Desk, store: SqlStore) -> None:
    await desk.private_message(RESIDENT, "你好", None, 42)


async def _start(desk: Desk, store: SqlStore) -> None:
    await desk.intake.start(RESIDENT, 42)


async def _help(desk: Desk, store: SqlStore) -> None:
    await desk.intake.help(RESIDENT, 42)


async def _my(desk: Desk, store: SqlStore) -> None:
    await desk.status.my_tasks(RESIDENT, 42)


async def _cancel(desk: Desk, store: SqlStore) -> None:
    task = await report(desk, store)
    await desk.withdrawal.cancel(RESIDENT, task.number, 42)


async def _tasks(desk: Desk, store: SqlStore) -> None:
    await desk.listings.open_tasks(ZHANG, 42)


async def _mine(desk: Desk, store: SqlStore) -> None:
    await desk.listings.my_work(ZHANG, 42)


async def _claim(desk: Desk, store: SqlStore) -> None:
    task = await report(desk, store)
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), 42)


async def _note(desk: Desk, store: SqlStore) -> None:
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.RESOLVE, task.id), None)
    await desk.private_message(private(ZHANG), "修好了", None, 42)


async def _rate(desk: Desk, store: SqlStore) -> None:
    task = await resolved(desk, store)
    await desk.press(RESIDENT, act(Verb.RATE, task.id, "satisfied"), 42)


async def _escalate(desk: Desk, store: SqlStore) -> None:
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.ESCALATE, task.id), 42)


async def _pick_community(desk: Desk, store: SqlStore) -> None:
    await desk.press(RESIDENT, "pc:0:xingannanlu", 42)


async def _pick_place(desk: Desk, store: SqlStore) -> None:
    await desk.press(RESIDENT, "pp:0:xingan-1:1", 42)


async def _pick_category(desk: Desk, store: SqlStore) -> None:
    await desk.private_message(RESIDENT, "审计厅小区那边有点情况想反映一下", None, None)
    await desk.press(RESIDENT, "pk:0:sanitation", 42)


async def _processed_after(desk: Desk, store: SqlStore, step: Step) -> list[tuple[int, str]]:
    async with store.transaction() as tx:
        await tx.store_updates([(42, "{}")])
        assert await tx.unprocessed_updates(10) == [(42, "{}")]
    await step(desk, store)
    async with store.transaction() as tx:
        return list(await tx.unprocessed_updates(10))


@pytest.mark.parametrize(
    "step",
    [
        _message,
        _chit_chat,
        _start,
        _help,
        _my,
        _cancel,
        _tasks,
        _mine,
        _claim,
        _note,
        _rate,
        _escalate,
    ],
    ids=lambda step: step.__name__.strip("_"),
)
async def test_update_is_marked_processed_with_its_effects(
    desk: Desk, store: SqlStore, step: Step
) -> None:
    """The desk marks the causing update processed inside the transaction of its effects."""
    assert await _processed_after(desk, store, step) == []


@pytest.mark.parametrize(
    "step",
    [_pick_community, _pick_place, _pick_category],
    ids=lambda step: step.__name__.strip("_"),
)
async def test_picks_mark_their_update_processed(desk: Desk, store: SqlStore, step: Step) -> None:
    """A pick from the resident's buttons marks its update processed with its effects."""
    assert await _processed_after(desk, store, step) == []


async def test_refused_press_leaves_the_update_to_the_inbox(desk: Desk, store: SqlStore) -> None:
    """A refused press writes nothing, not even the processed mark (the inbox marks it after)."""
    task = await report(desk, store)
    async with store.transaction() as tx:
        await tx.store_updates([(42, "{}")])
    await desk.press(STRANGER, act(Verb.CLAIM, task.id), 42)
    async with store.transaction() as tx:
        assert await tx.unprocessed_updates(10) == [(42, "{}")]


# --- group commands ----------------------------------------------------------------------------


async def test_tasks_and_mine_list_the_units_and_the_workers_tasks(
    desk: Desk, store: SqlStore
) -> None:
    """/tasks lists the group's active tasks; /mine lists what the worker holds; others refused."""
    first = await claimed(desk, store)
    second = await report(desk, store, "审计厅小区3号楼暖气不热")

    await desk.listings.open_tasks(ZHANG, None)
    [listing] = await said(store)
    assert listing.chat_id == GRID1_CHAT
    assert listing.text.startswith(texts.OPEN_TASKS_HEADER.format(unit=GRID1, count=2))
    assert listing.text.index(first.number) < listing.text.index(second.number)

    await desk.listings.open_tasks(pressed_in(ZHANG, GRID2_CHAT), None)
    assert [m.text for m in await said(store)] == [texts.NO_OPEN_TASKS]
    await desk.listings.open_tasks(pressed_in(ZHANG, "telegram:-100999"), None)
    assert [m.text for m in await said(store)] == [texts.NOT_A_KNOWN_GROUP]

    await desk.listings.my_work(ZHANG, None)
    [mine] = await said(store)
    assert mine.text.startswith(texts.MINE_HEADER.format(worker="张三", count=1))
    assert first.number in mine.text
    assert second.number not in mine.text
    await desk.listings.my_work(LI, None)
    assert [m.text for m in await said(store)] == [texts.NO_MINE]
    await desk.listings.my_work(RESIDENT, None)
    assert [m.text for m in await said(store)] == [texts.NOT_STAFF]


@pytest.mark.parametrize("verb", [Verb.CLAIM, Verb.ESCALATE, Verb.RESOLVE, Verb.GIVE_BACK])
async def test_stale_press_on_cancelled_task_says_it_was_withdrawn(
    desk: Desk, store: SqlStore, verb: Verb
) -> None:
    """A press on the card of a withdrawn task says it was withdrawn and changes nothing."""
    task = await claimed(desk, store)
    await desk.withdrawal.cancel(RESIDENT, task.number, None)
    await said(store)
    before = await snapshot(store, task.id)
    answer = await desk.press(ZHANG, act(verb, task.id), None)
    assert answer.alert
    assert texts.STATUS_ZH[TaskStatus.CANCELLED] in answer.text
    assert await snapshot(store, task.id) == before


async def test_note_for_withdrawn_task_gets_an_answer(desk: Desk, store: SqlStore) -> None:
    """The claimer's note for a task withdrawn meanwhile is answered, not silently dropped."""
    task = await claimed(desk, store)
    await desk.press(ZHANG, act(Verb.RESOLVE, task.id), None)
    await desk.withdrawal.cancel(RESIDENT, task.number, None)
    await said(store)
    await desk.private_message(private(ZHANG), "已经修好了", None, None)
    assert (await task_of(store, task.id)).status is TaskStatus.CANCELLED
    assert to(await said(store), ZHANG.user_id) != []
