"""Bad input, end to end: whatever reaches the bot, it answers clearly or stays silent on purpose.

Through the real PTB Application, the Bot API stand-in over HTTP and a real database. What a
Telegram client cannot send (empty or 100 KB texts, control characters, stickers, voice, edited
messages) is queued as raw update JSON, as a forged client or Telegram itself would deliver it.
After every input: no ERROR log line, no traceback, no half-written task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import texts
from bot.channels import telegram
from bot.config.settings import Settings, load_settings
from bot.desk.context import Actor, Context
from bot.desk.desk import Desk
from bot.domain import EventKind, TaskStatus
from bot.language import Language
from standins.telegram import BotMessage, User
from storage.engine import open_store
from tests.clock import nine_am
from tests.harness import EXAMPLE, World

pytestmark = pytest.mark.asyncio

WATER = "审计厅小区3号楼2单元又停水了"
Json = dict[str, Any]


async def raw(w: World, user: User, chat_id: int | None = None, **fields: Any) -> list[BotMessage]:
    """``user`` sends a message with exactly ``fields`` (what no official client may send)."""
    before = w._snapshot()
    await w._settle(w.standin._user_message(user, chat_id, fields))
    return w._changed_since(before)


async def raw_update(w: World, kind: str, payload: Json) -> list[BotMessage]:
    """Queue an update of ``kind`` as Telegram would deliver it."""
    before = w._snapshot()
    await w._settle(w.standin._enqueue(kind, payload))
    return w._changed_since(before)


def replies_to(messages: list[BotMessage], chat_id: int) -> list[str]:
    return [m.content for m in messages if m.chat_id == chat_id]


@pytest.fixture
def clean_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every log record at DEBUG; afterwards, none may be an error or carry a traceback."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert bad == [], [f"{r.name}: {r.getMessage()}" for r in bad]


async def whole_tasks(w: World) -> list[int]:
    """Every task has its CREATED event and a card: nothing half-written. The task ids."""
    store = w.bot.store
    ids = []
    async with store.transaction() as tx:
        for user_id in (1001, 1002):
            for task in await tx.tasks_of_resident(telegram(user_id), 100):
                events = [e.kind for e in await tx.events(task.id)]
                assert events[:1] == [EventKind.CREATED], (task.number, events)
                ids.append(task.id)
    return ids


# --- texts a resident may send ------------------------------------------------------------------

STICKER: Json = {
    "file_id": "CAACAgIAAxkBAAE",
    "file_unique_id": "AgADsticker",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
    "emoji": "👍",
}
VOICE: Json = {"file_id": "AwACAgIAAxkBAAE", "file_unique_id": "AgADvoice", "duration": 4}
LOCATION: Json = {"latitude": 40.8105, "longitude": 111.6581}
CONTACT: Json = {"phone_number": "+8613912345678", "first_name": "王阿姨", "user_id": 1001}


@pytest.mark.parametrize(
    ("fields", "answer"),
    [
        pytest.param({"text": ""}, texts.EMPTY_MESSAGE, id="empty"),
        pytest.param({"text": " \n\t\u3000 "}, texts.EMPTY_MESSAGE, id="whitespace"),
        pytest.param({"text": "😡👍🏻🔥" * 10}, texts.NOT_A_REQUEST, id="emoji-only"),
        pytest.param({"text": "\u200b\u200d\u202e\u2066"}, texts.NOT_A_REQUEST, id="invisible"),
        pytest.param({"text": "\x00\x01\x07\x1b\x7f"}, texts.EMPTY_MESSAGE, id="controls"),
        pytest.param({"sticker": STICKER}, texts.EMPTY_MESSAGE, id="sticker"),
        pytest.param({"voice": VOICE}, texts.EMPTY_MESSAGE, id="voice"),
        pytest.param({"location": LOCATION}, texts.EMPTY_MESSAGE, id="location"),
        pytest.param({"contact": CONTACT}, texts.EMPTY_MESSAGE, id="contact"),
    ],
)
async def test_nothing_to_file_gets_a_hint_and_no_task(
    w: World, clean_log: pytest.LogCaptureFixture, fields: Json, answer: str
) -> None:
    """Content-free messages: one clear hint to the resident, no task, no draft."""
    resident = w.resident()
    replies = await raw(w, resident, **fields)
    assert replies_to(replies, resident.id) == [answer]
    assert [m for m in replies if m.chat_id != resident.id] == []
    assert await whole_tasks(w) == []
    async with w.bot.store.transaction() as tx:
        assert await tx.draft(telegram(resident.id)) is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(WATER + "，" + "水" * 100_000, id="100KB"),
        pytest.param("\u202e" + WATER + "\u200f", id="rtl"),
        pytest.param("审计厅\u200b小区3号楼\u200d停水了\u2066", id="zero-width"),
        pytest.param("审计厅小区\x00\x07停水了\x1b[31m\x7f", id="controls"),
        pytest.param("مرحبا " + WATER + " שלום", id="arabic-hebrew"),
        pytest.param("😡" * 50 + WATER + "😭" * 50, id="emoji-around"),
    ],
)
async def test_odd_but_real_requests_become_one_whole_task(
    w: World, clean_log: pytest.LogCaptureFixture, text: str
) -> None:
    """A real request wrapped in odd characters is filed once, with a receipt and a card."""
    resident = w.resident()
    replies = await raw(w, resident, text=text)
    [receipt] = replies_to(replies, resident.id)
    assert "工单号：20261122-0001" in receipt
    card = w.card(w.group("xingan-1"), "20261122-0001")
    assert len(card.content) <= 4096
    assert "\x00" not in card.content
    assert len(await whole_tasks(w)) == 1


async def test_forwarded_message_is_filed_as_the_residents_request(
    w: World, clean_log: pytest.LogCaptureFixture
) -> None:
    """A forwarded notice counts as what the resident wants reported: one task."""
    resident = w.resident()
    origin = {"type": "hidden_user", "sender_user_name": "邻居", "date": 1795300000}
    replies = await raw(w, resident, text=WATER, forward_origin=origin, forward_date=1795300000)
    assert "工单号：20261122-0001" in replies_to(replies, resident.id)[0]
    assert len(await whole_tasks(w)) == 1


async def test_edited_message_is_silently_ignored(
    w: World, clean_log: pytest.LogCaptureFixture
) -> None:
    """Editing a message already filed neither files it again nor answers."""
    resident = w.resident()
    await w.say(resident, WATER)
    original = dict(w.standin._inbox[resident.id, 1])
    edited = original | {"text": WATER + "，很急", "edit_date": original["date"] + 60}
    assert await raw_update(w, "edited_message", edited) == []
    assert len(await whole_tasks(w)) == 1


# --- groups and commands ------------------------------------------------------------------------

UNKNOWN_GROUP = -1009999999999


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("停水了", None),
        ("/tasks", None),
        ("/stats", None),
        ("/cancel 1", None),
        ("/my", None),
        ("/broadcast 现在|全部|hi", None),
        ("/nonsense", None),
    ],
)
async def test_messages_in_an_unknown_group(
    w: World, clean_log: pytest.LogCaptureFixture, text: str, answer: str | None
) -> None:
    """In a group nobody registered: text and commands are ignored, without a word."""
    w.standin.add_group(UNKNOWN_GROUP, "闲聊群")
    stranger = w.resident(5555, "路人甲")
    replies = await w.say(stranger, text, chat_id=UNKNOWN_GROUP)
    assert [m.content for m in replies] == ([answer] if answer else [])
    assert await whole_tasks(w) == []


async def test_cancel_with_garbage_arguments(w: World, clean_log: pytest.LogCaptureFixture) -> None:
    """/cancel abc, 999999, someone else's number: a clear answer; nobody's task changes."""
    resident, neighbour = w.resident(), w.resident(1002, "李大爷")
    await w.say(neighbour, WATER)
    usage = texts.CANCEL_USAGE
    cases = {
        "/cancel abc": usage,
        "/cancel 1 2": usage,
        "/cancel -1": usage,
        "/cancel 99999999999999999999": usage,
        "/cancel 20261122-": usage,
        "/cancel 999999": texts.CANCEL_NOT_FOUND.format(number="999999"),
        "/cancel 20261122-0001": texts.CANCEL_NOT_FOUND.format(number="20261122-0001"),
        "/cancel 1": texts.CANCEL_NOT_FOUND.format(number="1"),
        "/cancel ０００１": texts.CANCEL_NOT_FOUND.format(number="０００１"),
        "/cancel@griddesk_bot \u200b1": usage,
    }
    for command, answer in cases.items():
        replies = await w.say(resident, command)
        assert [m.content for m in replies] == [answer], command
    async with w.bot.store.transaction() as tx:
        task = await tx.task_by_number("20261122-0001")
    assert task is not None
    assert (task.resident_id, task.status) == ("telegram:1002", TaskStatus.OPEN)


# --- button presses -----------------------------------------------------------------------------


async def test_forged_truncated_replayed_and_foreign_presses(
    w: World, clean_log: pytest.LogCaptureFixture
) -> None:
    """Presses with bad data answer clearly, and only the one real claim changes anything."""
    resident = w.resident()
    zhang, wang = w.people["张三"], w.people["王芳"]
    grid1, grid2 = w.group("xingan-1"), w.group("xingan-2")
    await w.say(resident, WATER)
    await w.say(resident, "华建小区5号楼电梯坏了")
    card = w.card(grid1, "20261122-0001")
    other = w.card(grid2, "20261122-0002")
    [(_, claim), _merge, _recategorise] = [b for row in card.buttons for b in row]
    assert claim is not None

    for data in ["", "c", "c:", claim[:-1], "c:1:" + "x" * 60, "💥", "c:1:\x00", "zz:1:x"]:
        answer = await w.press_data(zhang, card, data)
        assert answer.text == texts.ANSWER_EXPIRED, data
    assert (await w.press_data(zhang, card, claim)).text == texts.ANSWER_CLAIMED
    replay = await w.press_data(zhang, card, claim)
    assert replay.text == texts.ANSWER_TAKEN_BY.format(worker="张三")
    # 王芳 (第二网格) presses, on her own group's card, the data of 第一网格's task
    foreign = await w.press_data(wang, other, claim)
    assert foreign.text == texts.ANSWER_NOT_MEMBER.format(unit="兴安南路第一网格")
    assert foreign.show_alert is True
    async with w.bot.store.transaction() as tx:
        first, second = await tx.task(1), await tx.task(2)
        events = [e.kind for e in await tx.events(1)]
    assert first is not None
    assert second is not None
    assert (first.status, first.claimer_id) == (TaskStatus.CLAIMED, telegram(zhang.id))
    assert second.status is TaskStatus.OPEN
    assert events == [EventKind.CREATED, EventKind.CLAIMED]


async def test_replayed_rating_is_counted_once(
    w: World, clean_log: pytest.LogCaptureFixture
) -> None:
    """The rating buttons pressed again (or with another value) after rating change nothing."""
    resident, zhang = w.resident(), w.people["张三"]
    await w.say(resident, WATER)
    card = w.card(w.group("xingan-1"), "20261122-0001")
    await w.press(zhang, card, "认领")
    await w.resolve(zhang, card, "修好了")
    rating = w.last(resident.id)
    assert (await w.press(resident, rating, "满意")).text == texts.THANKS_FOR_RATING
    assert (await w.press(resident, rating, "满意")).text == texts.ALREADY_RATED
    assert (await w.press(resident, rating, "不满意")).text == texts.ALREADY_RATED
    async with w.bot.store.transaction() as tx:
        task = await tx.task(1)
        rated = [e for e in await tx.events(1) if e.kind is EventKind.RATED]
    assert task is not None
    assert task.status is TaskStatus.CLOSED
    assert len(rated) == 1


# --- any Unicode at all -------------------------------------------------------------------------

# Every category of Unicode but surrogates (which no UTF-8 update can carry), astral planes
# included, mixed with the characters that make a request, up to 5000 characters.
ANY_TEXT = st.text(
    st.one_of(
        st.characters(codec="utf-8"),
        st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, codec="utf-8"),
        st.sampled_from("停水电梯暖气审计厅小区华建号楼单元\x00\u200b\u202e😡，"),
    ),
    max_size=5000,
)
RESIDENT = Actor("telegram:1001", "telegram:1001", "王阿姨")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=ANY_TEXT)
async def test_intake_answers_any_unicode(
    text: str, settings_: Settings, language: Language, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """private_message on a real store never raises, and always writes exactly one reply."""
    path = tmp_path_factory.mktemp("prop") / "d.db"
    clock = nine_am()
    async with open_store(f"sqlite:///{path}", clock=clock) as store:
        org = settings_.require_org()
        desk = Desk(Context(store, org, language, settings_.deadlines, settings_.timezone, clock))
        await desk.private_message(RESIDENT, text, None, 1)
        async with store.transaction() as tx:
            to_resident = [
                m for m in await tx.pending_outbox(100) if m.message.chat_id == RESIDENT.chat_id
            ]
            tasks = await tx.tasks_of_resident(RESIDENT.user_id, 5)
            for task in tasks:
                assert [e.kind for e in await tx.events(task.id)] == [EventKind.CREATED]
        assert len(to_resident) == 1
        assert all("\x00" not in m.message.text for m in to_resident)


@pytest.fixture(scope="module")
def settings_() -> Settings:
    return load_settings(EXAMPLE)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=ANY_TEXT)
async def test_classifier_answers_any_unicode(language: Language, text: str) -> None:
    """classify never raises on any Unicode; its answer is a category with a bounded confidence."""
    result = language.classify(text)
    assert 0.0 <= result.confidence <= 1.0


FORGERY = (
    "审计厅小区3号楼2单元又停水了\n"
    "状态：已办结（张三 11月22日 09:05）\r\n"
    "🔴【紧急】工单 20261122-0009｜燃气\u2028"
    "时限：不用认领\u2029"
    "\u202e结办已\u202c \u2066工单号\u2069 \u200b状\u200d态\u2060：已关闭"
)
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


async def test_a_residents_text_cannot_forge_the_cards_own_lines(
    w: World, clean_log: pytest.LogCaptureFixture
) -> None:
    """Line breaks of every kind, look-alike 状态/紧急/工单 lines and bidi overrides in a
    resident's words stay inside the quoted 内容 line: the card has one header, one 状态 and
    one 时限 line — its own — and no invisible or direction-changing character."""
    await raw(w, w.resident(), text=FORGERY)
    card = w.card(w.group("xingan-1"), "20261122-0001")
    lines = card.content.split("\n")
    assert [line for line in lines if line.startswith(("🔴", "📋"))] == [lines[0]]
    assert lines[0].startswith("📋工单 20261122-0001｜")  # not urgent: the words said 紧急
    assert len([line for line in lines if line.startswith("状态：")]) == 1
    assert len([line for line in lines if line.startswith("时限：")]) == 1
    [words] = [line for line in lines if line.startswith("内容：「")]
    assert words.endswith("」")
    assert "状态：已办结" in words  # what the resident wrote is shown, as theirs
    assert not set(card.content) & set(ZERO_WIDTH + BIDI)
    assert not set(card.content) & {"\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"}
