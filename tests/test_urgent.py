"""Urgent first: the safety advice that fits the danger comes before anything else, at once.

A resident whose kitchen smells of gas must hear "open the windows, touch no switch" in the
very first reply, even when the bot still has to ask where they are, and the community must
hear of it then — not after the resident has answered a question.
"""

from __future__ import annotations

import pytest

from bot import texts
from bot.desk.desk import Desk
from nlp.danger import Danger, dangers
from nlp.taxonomy import Category
from storage.sql_store import SqlStore
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    COMMUNITY_CHAT,
    GRID1,
    GRID1_CHAT,
    RESIDENT,
    STREET_CHAT,
    clock,
    desk,
    latest_task,
    said,
    settings,
    store,
    to,
)


@pytest.mark.parametrize(
    ("text", "category", "expected"),
    [
        ("厨房一股子煤汽味儿", Category.GAS, (Danger.GAS,)),
        ("天然气泄露了", Category.GAS, (Danger.GAS,)),
        ("楼道里着火了，浓烟滚滚", Category.FIRE_SAFETY, (Danger.FIRE,)),
        ("老人在楼梯上摔倒了，流了好多血", Category.OTHER, (Danger.INJURY,)),
        ("电梯困人了，我妈关在里面出不来", Category.ELEVATOR, (Danger.LIFT,)),
        ("小区门口电线掉地上了还冒火花", Category.POWER, (Danger.LIVE_WIRE,)),
        ("水管子爆了，楼下都给淹了", Category.WATER_SUPPLY, (Danger.BURST_MAIN,)),
        ("路面塌陷了一个大坑", Category.ROADS, (Danger.COLLAPSE,)),
        ("着火了，有人受伤了", Category.FIRE_SAFETY, (Danger.FIRE, Danger.INJURY)),
        ("电梯卡住了", Category.ELEVATOR, (Danger.LIFT,)),  # the category names it
        ("情况很危险快来人", Category.OTHER, ()),  # general advice then
        ("我家老人摔倒起不来了", Category.SOCIAL_SERVICES, (Danger.PERSON_DOWN,)),
        ("小区门口井盖丢了", Category.ROADS, (Danger.MANHOLE,)),
        # the same dangers in other words: a fall told with 摔了, a cover called 盖子
        ("我妈一个人在家摔了起不来", Category.SOCIAL_SERVICES, (Danger.PERSON_DOWN,)),
        ("下水井盖子碎了", Category.ROADS, (Danger.MANHOLE,)),
        ("楼下冒黑烟了", Category.FIRE_SAFETY, (Danger.FIRE,)),
        ("暖气管崩了，满屋子热水", Category.HEATING, (Danger.BURST_MAIN,)),
        ("路上有个井没盖子", Category.ROADS, (Danger.MANHOLE,)),
        ("有人坠楼了", Category.OTHER, (Danger.INJURY,)),
        ("路上没井盖了", Category.ROADS, (Danger.MANHOLE,)),
        ("电线杆倒了，电线也断了", Category.POWER, (Danger.FALLEN_POLE,)),
        ("电线掉下来了", Category.POWER, (Danger.LIVE_WIRE,)),
        # as typed in a chat (test_urgent_as_typed.py): each still gets the advice that fits
        ("楼道里电动车电瓶着了", Category.FIRE_SAFETY, (Danger.FIRE,)),
        ("楼下打起来了 拿刀了", Category.NEIGHBOR_DISPUTE, (Danger.INJURY,)),
        ("隔壁老头让人推下台阶了 躺那不动", Category.NEIGHBOR_DISPUTE, (Danger.PERSON_DOWN,)),
        ("对门独居的王大爷两天没见人了 敲门不开", Category.SOCIAL_SERVICES, (Danger.NO_ANSWER,)),
        ("燃气味很大，物业电话不接", Category.GAS, (Danger.GAS,)),  # no one alone named
        ("楼道电表箱里啪啪打火", Category.POWER, (Danger.LIVE_WIRE,)),
        ("一楼地漏往外返黑水 越返越多", Category.DRAINAGE, (Danger.BURST_MAIN,)),
        ("我家厨房有然气味", Category.GAS, (Danger.GAS,)),
        ("暖气片接口呲水呢 热水喷一地", Category.HEATING, (Danger.BURST_MAIN,)),
        ("楼上王奶奶一个人住 喊半天不应", Category.SOCIAL_SERVICES, (Danger.NO_ANSWER,)),
        ("为了车位俩邻居扭打一块了", Category.PARKING, (Danger.INJURY,)),
    ],
)
def test_the_danger_named_decides_the_advice(
    text: str, category: Category, expected: tuple[Danger, ...]
) -> None:
    """Gas, fire, someone hurt, a lift, a live wire, a burst main, a collapse: each its own."""
    assert dangers(text, category) == expected


def test_every_danger_has_advice_that_says_what_to_do() -> None:
    """Gas: windows, no switches or flames, call from outside; fire 119; hurt 120; lift and
    wire their own; advice for no named danger names all three numbers."""
    advice = texts.ADVICE
    assert all(word in advice[Danger.GAS] for word in ("开窗通风", "不要开关电器", "119"))
    assert "119" in advice[Danger.FIRE]
    assert "120" in advice[Danger.INJURY]
    assert "警铃" in advice[Danger.LIFT]
    assert all(number in advice[Danger.NO_ANSWER] for number in ("110", "120"))
    assert "95598" in advice[Danger.LIVE_WIRE]
    assert "总阀" in advice[Danger.BURST_MAIN]
    assert all("120" in advice[d] for d in (Danger.PERSON_DOWN, Danger.FALLEN_POLE))
    assert "120" in advice[Danger.LIVE_WIRE]  # someone touched a wire down
    assert all(w in advice[Danger.MANHOLE] for w in ("绕开", "120"))
    assert set(advice) == set(Danger)
    assert all(n in texts.advice(()) for n in ("119", "110", "120"))


@pytest.mark.asyncio
async def test_an_urgent_report_without_a_place_is_advised_and_alerted_at_once(
    desk: Desk, store: SqlStore
) -> None:
    """Unbound and no place named: the first reply is the gas advice and the question; the
    street (two communities: which one is unknown) is alerted at once; the answer files the
    task, the community is alerted, and the street hears where it went."""
    await desk.private_message(RESIDENT, "厨房一股煤气味，好呛人", None, None)
    messages = await said(store)
    [first] = to(messages, RESIDENT.chat_id)
    assert first.text.startswith(texts.ADVICE[Danger.GAS])
    assert "在哪个小区" in first.text
    [alert] = to(messages, STREET_CHAT)
    assert alert.text.startswith("🔴 紧急情况（地点待确认）：燃气")
    assert await latest_task(store) is None

    await desk.private_message(RESIDENT, "审计厅小区3号楼", None, None)
    task = await latest_task(store)
    assert task is not None
    assert (task.urgent, task.place, task.building) == (True, "审计厅小区", "3")
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert receipt.text.startswith(texts.ADVICE[Danger.GAS])
    assert [m.card_of for m in to(messages, GRID1_CHAT)] == [task.id]
    [community] = to(messages, COMMUNITY_CHAT)
    assert community.text.startswith(f"🔴 紧急工单 {task.number}（燃气）已派给{GRID1}")
    [placed] = to(messages, STREET_CHAT)
    assert placed.text == texts.URGENT_PLACED.format(
        place="审计厅小区 3号楼", number=task.number, unit=GRID1
    )


@pytest.mark.asyncio
async def test_more_words_while_asked_where_do_not_alert_twice(desk: Desk, store: SqlStore) -> None:
    """The street is alerted once per report, however many messages come before the place."""
    await desk.private_message(RESIDENT, "电梯困人了", None, None)
    first = await said(store)
    assert len(to(first, STREET_CHAT)) == 1
    assert to(first, RESIDENT.chat_id)[0].text.startswith(texts.ADVICE[Danger.LIFT])
    await desk.private_message(RESIDENT, "我妈在里面，快点来人啊", None, None)
    assert to(await said(store), STREET_CHAT) == []


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "danger"),
    [
        ("审计厅小区3号楼门口，我家老人摔倒起不来了", Danger.PERSON_DOWN),
        ("审计厅小区3号楼，我妈一个人在家摔了起不来", Danger.PERSON_DOWN),
        ("审计厅小区3号楼门口的下水井盖子碎了", Danger.MANHOLE),
        ("审计厅小区3号楼门口的井盖丢了，晚上看不见", Danger.MANHOLE),
        ("审计厅小区3号楼前面的电线杆倒在路上了", Danger.FALLEN_POLE),
        ("审计厅小区3号楼门口电线掉下来了", Danger.LIVE_WIRE),
    ],
)
async def test_someone_down_an_open_manhole_and_a_pole_or_wire_down_are_urgent(
    desk: Desk, store: SqlStore, text: str, danger: Danger
) -> None:
    """Each is filed urgent at once, its own advice opening the receipt, the community alerted."""
    await desk.private_message(RESIDENT, text, None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.urgent
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert receipt.text.startswith(texts.ADVICE[danger])
    [alert] = to(messages, COMMUNITY_CHAT)
    assert alert.text.startswith(f"🔴 紧急工单 {task.number}")
