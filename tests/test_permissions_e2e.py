"""Who may do what, through Telegram: the actor is built from the update (which user, which
chat), then refused or served as in tests/test_permissions.py's table.

A few cells of that table, pressed and typed through the real bot and the Bot API stand-in on
SQLite and PostgreSQL: a worker of another grid on grid 1's card (in its group, and a copy in
her own), a stranger, and a resident trying the admins' commands. A refusal answers in words
and changes nothing on any screen or in the database.
"""

from __future__ import annotations

import pytest

from bot import texts
from bot.channels import telegram, telegram_id
from bot.domain import BroadcastStatus, UnitKind
from standins.telegram import BotMessage, CallbackAnswer, User
from tests.desk_support import GRID1, LATER, NOTICE, NUMBER, PHONE, WATER_TEXT
from tests.harness import World

pytestmark = pytest.mark.asyncio
ONLY_ADMINS = texts.BROADCAST_ONLY_ADMINS


def _screens(w: World, *users: User) -> dict[tuple[int, int], str]:
    """Every bot message in every group and in these users' and the staff's private chats."""
    chats = [telegram_id(unit.chat_id) for kind in UnitKind for unit in w.org.units(kind)]
    chats += [person.id for person in (*w.people.values(), *users)]
    return {(m.chat_id, m.message_id): f"{m.content}|{m.buttons}" for c in chats for m in w.chat(c)}


async def _stored(w: World, *numbers: str) -> tuple[object, ...]:
    """The tasks by number with their trails, every broadcast, every awaited note."""
    async with w.bot.store.transaction() as tx:
        tasks = []
        for number in numbers:
            task = await tx.task_by_number(number)
            assert task is not None
            tasks.append((task, list(await tx.events(task.id))))
        notices = list(await tx.broadcasts(frozenset(BroadcastStatus)))
        notes = [await tx.awaited_note(telegram(user.id)) for user in w.people.values()]
    return tuple(tasks), notices, notes


async def _refused(
    w: World, user: User, carrier: BotMessage, data: str, numbers: tuple[str, ...], *others: User
) -> CallbackAnswer:
    """``user`` presses ``data`` on ``carrier``; nothing in any group, in the staff's, the
    presser's or ``others``' private chats, or in the database moves."""
    screens, stored = _screens(w, user, *others), await _stored(w, *numbers)
    answer = await w.press_data(user, carrier, data)
    assert _screens(w, user, *others) == screens
    assert await _stored(w, *numbers) == stored
    return answer


def _data(card: BotMessage, label: str) -> str:
    data = next((d for row in card.buttons for text, d in row if text == label), None)
    assert data is not None, f"no {label} on {card.content}"
    return data


async def test_through_telegram_a_worker_of_another_grid_may_not_claim_or_resolve(
    w: World,
) -> None:
    """王芳 (第二网格) presses 认领, then 办结, on 第一网格's card in its group and on a copy in
    her own group: each an alert naming the grid, nothing changes; 张三 in the group claims."""
    wang, zhang = w.people["王芳"], w.people["张三"]
    grid, own = w.group("xingan-1"), w.group("xingan-2")
    residents = (w.resident(), w.resident(1002, "李大爷"))
    await w.say(residents[0], WATER_TEXT)
    await w.say(residents[1], "华建小区5号楼门口路灯不亮")
    card = w.card(grid, NUMBER)
    # Telegram tells the bot the chat a button was pressed in; a card forwarded to her own
    # group is pressed there. The stand-in forwards nothing, so the press rides on a bot
    # message in that group: the bot sees the same user, chat and data.
    copy = w.card(own, "20261122-0002")
    numbers = (NUMBER, "20261122-0002")
    refusal = texts.ANSWER_NOT_MEMBER.format(unit=GRID1)

    for carrier in (card, copy):
        answer = await _refused(w, wang, carrier, _data(card, texts.CLAIM), numbers, *residents)
        assert (answer.text, answer.show_alert) == (refusal, True)
    assert (await w.press(zhang, card, texts.CLAIM)).text == texts.ANSWER_CLAIMED
    card = w.card(grid, NUMBER)
    for carrier in (card, copy):
        answer = await _refused(w, wang, carrier, _data(card, texts.RESOLVE), numbers, *residents)
        assert (answer.text, answer.show_alert) == (refusal, True)
    assert "张三 于" in w.card(grid, NUMBER).content


async def test_through_telegram_a_stranger_may_not_claim(w: World) -> None:
    """Somebody in no config presses 认领 in the grid's group, or on a copy in their private
    chat: an alert naming the grid; the card still waits, nobody gets the contact."""
    grid, resident = w.group("xingan-1"), w.resident()
    await w.say(resident, WATER_TEXT)
    stranger = w.resident(5555, "路人甲")
    card = w.card(grid, NUMBER)
    [hint] = await w.say(stranger, "你好")  # a bot message in the stranger's private chat
    refusal = texts.ANSWER_NOT_MEMBER.format(unit=GRID1)

    for carrier in (card, hint):
        answer = await _refused(w, stranger, carrier, _data(card, texts.CLAIM), (NUMBER,), resident)
        assert (answer.text, answer.show_alert) == (refusal, True)
    assert [t for row in w.card(grid, NUMBER).buttons for t, _ in row] == [
        texts.CLAIM,
        texts.MERGE,
        texts.RECATEGORISE,
    ]
    assert all(PHONE not in m.content for m in w.chat(stranger.id))


async def test_through_telegram_a_resident_may_not_broadcast(w: World) -> None:
    """A resident's /broadcast, /broadcasts and a forged 确认发送 of the admin's draft are
    refused in words; no notice is stored or changed, no group hears anything."""
    resident, admin = w.resident(), w.people["街道值班员"]
    [preview] = await w.say(admin, f"/broadcast {LATER}")
    confirm = _data(preview, texts.BROADCAST_CONFIRM)
    async with w.bot.store.transaction() as tx:
        [draft] = await tx.broadcasts(frozenset(BroadcastStatus))
    groups = [telegram_id(unit.chat_id) for kind in UnitKind for unit in w.org.units(kind)]

    assert [m.content for m in await w.say(resident, f"/broadcast {NOTICE}")] == [ONLY_ADMINS]
    assert [m.content for m in await w.say(resident, "/broadcasts")] == [ONLY_ADMINS]
    reply = w.last(resident.id)
    answer = await _refused(w, resident, reply, confirm, (), admin)
    assert (answer.text, answer.show_alert) == (ONLY_ADMINS, True)

    async with w.bot.store.transaction() as tx:
        assert list(await tx.broadcasts(frozenset(BroadcastStatus))) == [draft]
    assert all(w.chat(chat) == [] for chat in groups)
    scheduled = await w.press(admin, preview, texts.BROADCAST_CONFIRM)  # the admin may
    assert scheduled.text == texts.BROADCAST_SCHEDULED.format(
        id=draft.id, first="明天（11月23日 周一）08:00"
    )


async def test_through_telegram_a_forged_press_cannot_take_a_card_down(w: World) -> None:
    """A card whose press names another task is not "an old copy" of that task: neither a
    stranger's forged 认领 nor a member's takes the live card down. Only the card's own button,
    pressed by a member, removes a real old copy (tests/test_e2e_faults.py)."""
    grid, zhang = w.group("xingan-1"), w.people["张三"]
    resident, stranger = w.resident(), w.resident(5555, "路人甲")
    await w.say(resident, WATER_TEXT)
    await w.say(w.resident(1002, "李大爷"), "电影厂小区5号楼门口路灯不亮")
    first, second = w.card(grid, NUMBER), w.card(grid, "20261122-0002")
    forged = _data(second, texts.CLAIM)  # the second task's claim, pressed on the first card

    answer = await w.press_data(stranger, first, forged)
    assert answer.text == texts.ANSWER_NOT_MEMBER.format(unit=GRID1)
    await w.press_data(zhang, first, forged)
    assert w.card(grid, NUMBER).message_id == first.message_id  # both cards still stand
    assert "张三 于" in w.card(grid, "20261122-0002").content
    assert "张三 于" not in w.card(grid, NUMBER).content


async def test_through_telegram_resident_buttons_work_only_in_their_private_chat(
    w: World,
) -> None:
    """A resident's place picker, rating and withdraw buttons, forged onto a card in a group,
    are refused with an alert: the resident's home and the chat their messages go to stay,
    and nothing is said in the group."""
    grid, resident = w.group("xingan-1"), w.resident()
    await w.say(resident, WATER_TEXT)
    card = w.card(grid, NUMBER)
    async with w.bot.store.transaction() as tx:
        before = await tx.resident(telegram(resident.id))
        task = await tx.task_by_number(NUMBER)
    assert before is not None
    assert task is not None
    forged = (
        "pp:0:xingan-2:0",
        f"r:{task.id}:satisfied",
        f"wr:{task.id}:solved",
        "pc:0:xingannanlu",
    )
    for data in forged:
        answer = await _refused(w, resident, card, data, (NUMBER,))
        assert (answer.text, answer.show_alert) == (texts.ANSWER_PRIVATE_ONLY, True)
    async with w.bot.store.transaction() as tx:
        assert await tx.resident(telegram(resident.id)) == before
