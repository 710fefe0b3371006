"""Questions that are not repairs (issue 11, point 7): told apart from repairs, answered from
the operator's ``[[faq]]`` at once, and handed to staff when the answer did not help."""

from __future__ import annotations

import tomllib

import pytest

from bot import texts
from bot.config.faq import find_answer, read_faq
from bot.config.settings import Settings
from bot.config.tomlcheck import Problems
from bot.desk.actions import Verb
from bot.desk.context import Answer, Context
from bot.desk.desk import Desk
from bot.domain import DraftReason
from bot.language import Language
from nlp.questions import is_consultation
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    COMMUNITY_CHAT,
    RESIDENT,
    act,
    actions,
    bind,
    clock,
    draft_of,
    labels,
    latest_task,
    said,
    settings,
    store,
    to,
)
from tests.harness import World

CONSULTATIONS = [
    "物业费怎么交",
    "物业费在哪交？",
    "垃圾分类哪天收大件",
    "社区几点下班",
    "居住证怎么办",
    "社区在哪",
    "能不能办老年卡",
    "可以开居住证明吗？",
    "疫苗在哪打",
    "低保怎么申请",
    "停车证怎么办理",
    "门禁卡在哪里补办？",
    "有线电视怎么报装",
    "社区食堂几点开门",
    "请问物业电话是多少",
]
REPAIRS = [
    "暖气怎么还不热？",
    "电梯坏了怎么办",
    "楼道灯不亮了，什么时候能修？",
    "下水道堵了怎么办",
    "家里停水了？",
    "几点来修电梯",
    "路灯怎么不亮",
    "垃圾没人清理怎么回事",
    "隔壁装修太吵了能不能管管",
    "燃气有味道怎么办",
    "厨房漏水了怎么办？",
    "楼道里着火了怎么办",
    "审计厅小区3号楼又停水了",
    "物业费交了，楼道还是很脏",
]


@pytest.mark.parametrize("text", CONSULTATIONS)
def test_questions_are_consultations(text: str, language: Language) -> None:
    assert is_consultation(text, language.classify(text))


@pytest.mark.parametrize("text", REPAIRS)
def test_a_fault_stays_a_repair_even_as_a_question(text: str, language: Language) -> None:
    assert not is_consultation(text, language.classify(text))


def test_faq_entries_match_every_word_of_one_keyword_entry(settings: Settings) -> None:
    assert settings.faq, "the example documents [[faq]] with live entries"
    fee = find_answer(settings.faq, "物业费在哪交？")
    hours = find_answer(settings.faq, "社区几点下班？")
    assert fee is not None
    assert "物业服务中心" in fee.answer
    assert hours is not None
    assert "8:30" in hours.answer
    assert find_answer(settings.faq, "几点了") is None
    assert find_answer(settings.faq, "电费怎么交") is None


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ('keywords = ["a"]\nanswer = "b"', "faq[0].question: missing"),
        ('question = "q"\nanswer = "b"', "faq[0].keywords: must list at least one keyword"),
        ('question = "q"\nkeywords = "a"\nanswer = "b"', "faq[0].keywords: must be a list"),
        ('question = "q"\nkeywords = ["a", ""]\nanswer = "b"', "faq[0].keywords[1]: must be"),
        ('question = "q"\nkeywords = ["a"]', "faq[0].answer: missing"),
        ('question = "q"\nkeywords = ["a"]\nanswer = "b"\nanwser = "c"', "faq[0].anwser: unknown"),
    ],
)
def test_faq_mistakes_name_their_key(entry: str, error: str) -> None:
    problems = Problems()
    read_faq(tomllib.loads(f"[[faq]]\n{entry}\n"), problems)
    assert any(line.startswith(error) for line in problems.lines()), problems.lines()


@pytest.fixture
def desk(store: SqlStore, settings: Settings, language: Language, clock: FakeClock) -> Desk:
    org = settings.require_org()
    context = Context(store, org, language, settings.deadlines, settings.timezone, clock)
    return Desk(context, faq=settings.faq)


@pytest.mark.asyncio
async def test_a_common_question_is_answered_at_once_without_a_task(
    desk: Desk, store: SqlStore
) -> None:
    await desk.private_message(RESIDENT, "物业费怎么交？", None, None)
    [reply] = await said(store)
    assert reply.chat_id == RESIDENT.chat_id
    assert "物业服务中心" in reply.text
    assert labels(reply) == [texts.FAQ_TO_STAFF]
    assert await latest_task(store) is None
    kept = await draft_of(store)
    assert kept is not None
    assert kept.reason is DraftReason.FAQ
    assert kept.asked_at is None


@pytest.mark.asyncio
async def test_the_button_hands_the_question_to_staff(desk: Desk, store: SqlStore) -> None:
    await bind(desk, store, "xingan-1", 1)
    await desk.private_message(RESIDENT, "社区几点下班？", None, None)
    [reply] = await said(store)
    assert await desk.press(RESIDENT, actions(reply)[0], None) == Answer("")
    task = await latest_task(store)
    assert task is not None
    assert task.text == "社区几点下班？"
    messages = await said(store)
    assert [m.card_of for m in to(messages, COMMUNITY_CHAT)] == [task.id], messages
    assert not any(m.text == texts.ASK_CATEGORY for m in messages)
    assert await draft_of(store) is None
    # pressed again: nothing kept, nothing filed twice
    assert await desk.press(RESIDENT, act(Verb.FAQ_TO_STAFF), None) == Answer(texts.ANSWER_EXPIRED)
    assert await said(store) == []


@pytest.mark.asyncio
async def test_the_next_message_is_new_not_more_of_the_question(
    desk: Desk, store: SqlStore
) -> None:
    await bind(desk, store, "xingan-1", 1)
    await desk.private_message(RESIDENT, "物业费怎么交？", None, None)
    await said(store)
    await desk.private_message(RESIDENT, "审计厅小区3号楼又停水了", None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.text == "审计厅小区3号楼又停水了"
    assert await draft_of(store) is None
    assert await desk.press(RESIDENT, act(Verb.FAQ_TO_STAFF), None) == Answer(texts.ANSWER_EXPIRED)


@pytest.mark.asyncio
async def test_a_repair_asked_as_a_question_is_filed(desk: Desk, store: SqlStore) -> None:
    """物业费 is in the FAQ, but this names a fault: it is a task, not the fee's answer."""
    await bind(desk, store, "xingan-1", 1)
    await desk.private_message(RESIDENT, "物业费交了，楼道怎么还是这么脏？", None, None)
    assert await latest_task(store) is not None
    assert not any("物业服务中心" in m.text for m in await said(store))


@pytest.mark.asyncio
async def test_faq_end_to_end(w: World) -> None:
    """Through the stand-in: the answer at once, then the button files it for the grid."""
    resident = w.resident()
    await w.say(resident, "/start")
    [answer] = await w.say(resident, "物业费在哪交")
    assert "物业服务中心" in answer.content
    assert w.chat(w.group("xingan-1")) == []
    await w.press(resident, answer, texts.FAQ_TO_STAFF)
    assert "在哪个小区" in w.last(resident.id).content
