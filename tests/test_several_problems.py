"""Several problems in one message (issue 11, point 8): each is named, the resident chooses one
task per problem or one task, and nothing they named is dropped.

Detection is pure (:mod:`nlp.problems`) and tested on real-sounding messages that must and must
not be split, and on the labelled sets; the flow (:mod:`bot.desk.several`) is tested through
the desk on SQLite and once end to end through the Bot API stand-in.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import texts
from bot.cli.arguments import read_labelled_csv
from bot.config.settings import Settings
from bot.desk.actions import Verb
from bot.desk.context import Answer, Context
from bot.desk.desk import Desk
from bot.desk.several import EACH, ONE
from bot.domain import DraftReason, TaskStatus
from bot.followup.drafts import DraftFollowUp
from bot.language import Language
from nlp.problems import problems
from nlp.taxonomy import Category
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.conftest import DATA
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    GRID1_CHAT,
    RESIDENT,
    act,
    actions,
    clock,
    desk,
    draft_of,
    labels,
    latest_task,
    said,
    settings,
    store,
    task_of,
    to,
)
from tests.harness import World

W, D, H = Category.WATER_SUPPLY, Category.DRAINAGE, Category.HEATING
L, S, E = Category.STREET_LIGHTS, Category.SANITATION, Category.ELEVATOR
N, G, P = Category.NOISE, Category.GREENERY, Category.PUBLIC_FACILITIES
F, PM, SS = Category.FIRE_SAFETY, Category.PROPERTY_MGMT, Category.SOCIAL_SERVICES

MUST_SPLIT = {
    "3号楼停水两天了，楼下垃圾也没人清，楼道灯还坏了": (W, S, L),
    "暖气不热，屋里才十五度，另外单元门口的垃圾桶好几天没人倒了": (H, S),
    "电梯又坏了，楼道灯也不亮": (E, L),
    "下水道堵了往上返水，楼下的路灯也坏了好几天": (D, L),
    "楼上天天装修吵得不行，装修垃圾也堆在楼道里": (N, S),
    "自来水发黄，另外3号楼的电梯也老是停": (W, E),
    "楼道里的声控灯坏了，垃圾站也好几天没清运": (L, S),
    "家里没水了，电梯也停了": (W, E),
    "树枝都伸到窗户上了该修剪了，顺便问下暖气啥时候能热": (G, H),
    "广场舞天天放到十点太吵了，还有健身器材坏了好几个": (N, P),
    "暖气漏水了，楼道灯也不亮": (H, L),
    "停水两天了 垃圾也没人收": (W, S),
    "楼下烧烤摊油烟大，垃圾也扔一地没人管，另外小区里的车乱停把消防通道都堵了": (N, S, F),
    "我妈的高龄补贴还没到账，还有我们楼电梯又坏了": (SS, E),
}
"""Messages a good 网格员 files as one task per problem, with the problems in order."""

MUST_NOT_SPLIT = [
    "停水了，水管也坏了",
    "3号楼停水两天了，水龙头一滴都没有，自来水公司电话也打不通",
    "暖气不热，暖气片上面温乎下面冰凉，屋里才十五度",
    "下水道堵了，污水返上来一股臭味",
    "楼道灯坏了，晚上上楼黑咕隆咚的，老人摔了一跤",
    "电梯坏了三天了，我妈腿脚不好下不了楼",
    "楼上装修吵死了，中午都不让人睡觉",
    "物业啥也不管，门禁坏了，楼道也没人扫",
    "楼上漏水到我家，找他不管还骂人",
    "垃圾桶满了好几天没人清，臭气熏天，苍蝇乱飞",
    "停电了，冰箱里的肉都化了，电梯也跟着停了",
    "水压太小了，热水器都打不着火",
    "燃气味很大，楼道灯也坏了",
    "我家暖气从上礼拜就不热了，屋里才十三度，老人冻得直哆嗦，给热力公司打了好几次电话说"
    "排队，到现在也没人来，能不能帮忙催一下，另外暖气费我们是按时交了的",
]
"""One complaint told with related words, its background or its consequences (or urgent, which
is never held up by a question): one task, no question."""

SPLIT_OFFERS = {"dev.csv": 25, "holdout.csv": 3}
"""Ceilings on how many labelled messages are offered a split (measured: dev 23 of 592, of which
2 are one problem; holdout 2 of 264, of which 1 is one problem)."""

EXAMPLE = "审计厅小区3号楼停水两天了，楼下垃圾也没人清，楼道灯还坏了"


# --- detection (pure) ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", sorted(MUST_SPLIT))
def test_a_message_naming_several_problems_is_split(language: Language, text: str) -> None:
    """Each problem named with strong evidence of its own, in the order told."""
    found = problems(text, language.rules, language.tokenizer)
    assert tuple(problem.category for problem in found) == MUST_SPLIT[text]


@pytest.mark.parametrize("text", MUST_NOT_SPLIT)
def test_one_problem_told_at_length_is_not_split(language: Language, text: str) -> None:
    """Related words, background, consequences and quarrels stay one complaint."""
    assert problems(text, language.rules, language.tokenizer) == ()


def test_every_word_belongs_to_some_problem(language: Language) -> None:
    """Words naming nothing go with the problem before them (the first ones with the first)."""
    text = "你好，3号楼停水两天了，一滴都没有，楼道灯也坏了，麻烦快点"
    found = problems(text, language.rules, language.tokenizer)
    assert [(p.category, p.text) for p in found] == [
        (W, "你好，3号楼停水两天了，一滴都没有"),
        (L, "楼道灯也坏了，麻烦快点"),
    ]
    assert found[0].matched == ("停水",)


@pytest.mark.parametrize("name", sorted(SPLIT_OFFERS))
def test_split_offers_stay_rare_on_the_labelled_sets(language: Language, name: str) -> None:
    """A question to someone who wrote about one problem costs more than a missed split."""
    rows = read_labelled_csv(DATA / name)
    offered = [text for text, _ in rows if problems(text, language.rules, language.tokenizer)]
    assert len(offered) <= SPLIT_OFFERS[name], offered


# --- the desk ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_question_names_each_problem_and_files_nothing_yet(
    desk: Desk, store: SqlStore
) -> None:
    """One question naming the three problems, with two buttons; the report waits as a draft."""
    await desk.private_message(RESIDENT, EXAMPLE, None, None)
    [question] = await said(store)
    assert question.chat_id == RESIDENT.chat_id
    assert question.text == texts.SEVERAL_ASK.format(
        count=3,
        lines="1. 供水：审计厅小区3号楼停水两天了\n"
        "2. 环境卫生：楼下垃圾也没人清\n"
        "3. 路灯照明：楼道灯还坏了",
    )
    assert labels(question) == ["分开办（3个工单）", "合成一个工单"]
    assert actions(question) == ["sv:0:each", "sv:0:one"]
    draft = await draft_of(store)
    assert draft is not None
    assert (draft.reason, draft.text) == (DraftReason.SEVERAL, EXAMPLE)
    assert await latest_task(store) is None


@pytest.mark.asyncio
async def test_one_task_per_problem_each_with_its_words_its_card_and_the_photos(
    desk: Desk, store: SqlStore
) -> None:
    """分开办: three tasks, each carrying its part and the whole message, three cards in the
    grid's group, every photo with every task, and one receipt listing them all."""
    await desk.private_message(RESIDENT, EXAMPLE, "photo-1", None)
    await said(store)
    assert await desk.press(RESIDENT, act(Verb.SEVERAL, 0, EACH), None) == Answer("")

    tasks = [await task_of(store, task_id) for task_id in (1, 2, 3)]
    whole = texts.SEVERAL_WHOLE.format(text=EXAMPLE)
    assert [(t.category, t.text) for t in tasks] == [
        (W, f"审计厅小区3号楼停水两天了\n{whole}"),
        (S, f"楼下垃圾也没人清\n{whole}"),
        (L, f"楼道灯还坏了\n{whole}"),
    ]
    assert {(t.status, t.place, t.building, t.photos) for t in tasks} == {
        (TaskStatus.OPEN, "审计厅小区", "3", ("photo-1",))
    }
    assert [t.matched for t in tasks] == [("停水",), ("垃圾",), ("楼道灯还坏",)]
    messages = await said(store)
    cards = to(messages, GRID1_CHAT)
    assert [card.card_of for card in cards] == [1, 2, 3]
    [receipt] = to(messages, RESIDENT.chat_id)
    assert receipt.text.startswith("已收到，您说的 3 件事分别登记了工单：\n")
    assert "1. 供水｜工单号 20261122-0001\n2. 环境卫生｜工单号 20261122-0002\n" in receipt.text
    assert "3. 路灯照明｜工单号 20261122-0003\n负责：兴安南路第一网格" in receipt.text
    assert await draft_of(store) is None


@pytest.mark.asyncio
async def test_one_task_lists_every_problem_named(desk: Desk, store: SqlStore) -> None:
    """合成一个工单: one task, one card; its words and the receipt name every problem."""
    await desk.private_message(RESIDENT, EXAMPLE, None, None)
    await said(store)
    assert await desk.press(RESIDENT, act(Verb.SEVERAL, 0, ONE), None) == Answer("")

    task = await latest_task(store)
    assert task is not None
    assert task.number == "20261122-0001"
    listed = texts.SEVERAL_ONE_LINE.format(count=3, categories="供水、环境卫生、路灯照明")
    assert (task.category, task.text) == (W, f"{EXAMPLE}\n{listed}")
    messages = await said(store)
    [card] = to(messages, GRID1_CHAT)
    assert card.card_of == task.id
    [receipt] = to(messages, RESIDENT.chat_id)
    assert "工单号：20261122-0001" in receipt.text
    assert receipt.text.endswith("这个工单包括您说的 3 件事：供水、环境卫生、路灯照明。")


@pytest.mark.asyncio
async def test_the_waiting_choice_survives_a_restart(
    desk: Desk, store: SqlStore, settings: Settings, language: Language, clock: FakeClock
) -> None:
    """The draft is stored: a desk started afresh on the same database files the choice."""
    await desk.private_message(RESIDENT, EXAMPLE, None, None)
    await said(store)
    context = Context(
        store, settings.require_org(), language, settings.deadlines, settings.timezone, clock
    )
    restarted = Desk(context)
    assert await restarted.press(RESIDENT, act(Verb.SEVERAL, 0, EACH), None) == Answer("")
    assert [(await task_of(store, i)).category for i in (1, 2, 3)] == [W, S, L]


@pytest.mark.asyncio
async def test_a_stale_or_forged_choice_changes_nothing(desk: Desk, store: SqlStore) -> None:
    """No report waiting, a forged argument, or a second press: the button has expired and no
    task is filed."""
    expired = Answer(texts.ANSWER_EXPIRED)
    assert await desk.press(RESIDENT, act(Verb.SEVERAL, 0, EACH), None) == expired
    await desk.private_message(RESIDENT, EXAMPLE, None, None)
    await said(store)
    assert await desk.press(RESIDENT, act(Verb.SEVERAL, 0, "all"), None) == expired
    assert await latest_task(store) is None
    assert await desk.press(RESIDENT, act(Verb.SEVERAL, 0, ONE), None) == Answer("")
    assert await desk.press(RESIDENT, act(Verb.SEVERAL, 0, EACH), None) == expired
    task = await latest_task(store)
    assert task is not None
    assert task.id == 1


@pytest.mark.asyncio
async def test_words_added_while_the_choice_waits_join_it_and_the_question_is_asked_again(
    desk: Desk, store: SqlStore
) -> None:
    """More words join the waiting report; the question names the problems again."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼停水两天了，楼道灯也坏了", None, None)
    await said(store)
    await desk.private_message(RESIDENT, "电梯也停了", None, None)
    [again] = await said(store)
    assert again.text.startswith("收到。您这条消息说了 3 件事：")
    assert "3. 电梯：电梯也停了" in again.text
    await desk.press(RESIDENT, act(Verb.SEVERAL, 0, EACH), None)
    assert [(await task_of(store, i)).category for i in (1, 2, 3)] == [W, L, E]


@pytest.mark.asyncio
async def test_the_unanswered_choice_is_reminded_once_with_its_buttons(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """Thirty minutes without a choice: one reminder that says what is still needed, with
    buttons that still work; the choice then files the report."""
    follow = DraftFollowUp(desk.context, timedelta(minutes=30), timedelta(hours=24))
    await desk.private_message(RESIDENT, EXAMPLE, None, None)
    await said(store)
    clock.advance(timedelta(minutes=30))
    assert await follow.tick(clock()) == 1
    [reminder] = await said(store)
    assert reminder.text == texts.DRAFT_REMINDER.format(
        text=texts.shorten(EXAMPLE, 20), needs=texts.DRAFT_STILL_NEEDS[DraftReason.SEVERAL]
    )
    assert labels(reminder) == [texts.SEVERAL_EACH_ANY, texts.SEVERAL_ONE]
    assert await desk.press(RESIDENT, actions(reminder)[0], None) == Answer("")
    assert [(await task_of(store, i)).category for i in (1, 2, 3)] == [W, S, L]


@pytest.mark.asyncio
async def test_an_urgent_message_naming_several_problems_is_filed_at_once(
    desk: Desk, store: SqlStore
) -> None:
    """Danger is never held up by a question: one urgent task, the safety advice first."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼燃气味很大，楼道灯也坏了", None, None)
    task = await latest_task(store)
    assert task is not None
    assert (task.category, task.urgent) == (Category.GAS, True)
    [receipt] = to(await said(store), RESIDENT.chat_id)
    assert receipt.text.startswith("⚠️")
    assert await draft_of(store) is None


@pytest.mark.asyncio
async def test_a_place_picked_from_buttons_holds_for_the_choice(
    desk: Desk, store: SqlStore
) -> None:
    """Asked where, the resident picks the place from buttons; the several problems are then
    offered, and the tasks the choice files are at that place."""
    await desk.private_message(RESIDENT, "3号楼停水两天了，楼下垃圾也没人清", None, None)
    [where] = await said(store)
    assert where.text == texts.ASK_PLACE
    assert await desk.press(RESIDENT, act(Verb.PLACE_DRAFT, 0, "xingan-1:1"), None) == Answer("")
    [question] = await said(store)
    assert question.text.startswith("收到。您这条消息说了 2 件事：")
    await desk.press(RESIDENT, act(Verb.SEVERAL, 0, EACH), None)
    tasks = [await task_of(store, i) for i in (1, 2)]
    assert [(t.category, t.place, t.building) for t in tasks] == [
        (W, "审计厅小区", "3"),
        (S, "审计厅小区", "3"),
    ]


@pytest.mark.asyncio
async def test_one_complaint_with_related_words_is_filed_without_a_question(
    desk: Desk, store: SqlStore
) -> None:
    """停水 and 水管 in one complaint: one task at once, as before."""
    await desk.private_message(RESIDENT, "审计厅小区3号楼停水了，水管也坏了", None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.category is W
    assert await draft_of(store) is None


# --- end to end ----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_several_problems_end_to_end(w: World) -> None:
    """Through the Bot API stand-in: the question, the press, three cards and one receipt."""
    resident = w.resident()
    grid = w.group("xingan-1")
    replies = await w.say(resident, EXAMPLE)
    [question] = [m for m in replies if m.chat_id == resident.id]
    assert "您这条消息说了 3 件事" in question.content
    assert w.chat(grid) == []

    await w.press(resident, question, "分开办（3个工单）")
    for number, kind in (("0001", "供水"), ("0002", "环境卫生"), ("0003", "路灯照明")):
        card = w.card(grid, f"20261122-{number}")
        assert f"｜{kind}" in card.content
        assert "居民原话：" in card.content
    receipt = w.last(resident.id).content
    assert receipt.startswith("已收到，您说的 3 件事分别登记了工单")
    assert "20261122-0003" in receipt
