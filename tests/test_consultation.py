"""Questions that are not repairs (issue 11, point 7): told apart from repairs, answered from
the operator's ``[[faq]]`` at once, and handed to staff when the answer did not help."""

from __future__ import annotations

import csv
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.config.faq import find_answer, read_faq
from bot.config.settings import Settings
from bot.config.tomlcheck import Problems
from bot.desk.actions import Verb
from bot.desk.context import Answer, Context
from bot.desk.desk import Desk
from bot.domain import DraftReason, TaskKind
from bot.language import Language
from nlp.questions import is_consultation, is_question_task
from storage.sql_store import SqlStore
from tests.clock import FakeClock
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    COMMUNITY_CHAT,
    LIU,
    RESIDENT,
    act,
    actions,
    bind,
    clock,
    draft_of,
    labels,
    latest_task,
    pressed_in,
    private,
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
    "这个事能不能管管",
    "能不能派人来看看？",
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


@pytest.mark.asyncio
async def test_a_question_no_faq_answers_is_a_question_with_an_answer_deadline(
    desk: Desk, store: SqlStore, clock: FakeClock
) -> None:
    """居住证怎么办 (no FAQ entry): a 咨询 for the community desk, no category question; the
    receipt and the card say 答复 and give one day to answer, not a repair's three."""
    await bind(desk, store, "xingan-1", 1)
    await desk.private_message(RESIDENT, "居住证怎么办？", None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.kind is TaskKind.QUESTION
    assert task.resolve_due_at == clock.now + timedelta(days=1)
    messages = await said(store)
    [receipt] = to(messages, RESIDENT.chat_id)
    assert receipt.text.startswith("已收到您的咨询，已转给工作人员答复。\n")
    assert "时限：今天 11:00前有人接手，明天 09:00前答复您" in receipt.text
    [card] = to(messages, COMMUNITY_CHAT)
    assert card.text.startswith(f"📋咨询 {task.number}｜")
    assert "前认领，11月23日 09:00 前答复" in card.text


@pytest.mark.asyncio
async def test_the_answer_reaches_the_resident_as_an_answer(desk: Desk, store: SqlStore) -> None:
    """The worker answers through the same confirmed 办结; the resident reads "答复如下"."""
    await bind(desk, store, "xingan-1", 1)
    await desk.private_message(RESIDENT, "居住证怎么办？", None, None)
    task = await latest_task(store)
    assert task is not None
    liu = pressed_in(LIU, COMMUNITY_CHAT)
    assert await desk.press(liu, act(Verb.CLAIM, task.id), None) == Answer(texts.ANSWER_CLAIMED)
    await said(store)
    await desk.press(liu, act(Verb.RESOLVE, task.id), None)
    await desk.private_message(
        private(LIU), "带身份证和租房合同到社区服务站办理，当场可以办", None, None
    )
    [preview] = [m for m in await said(store) if m.buttons]
    assert "“您咨询的问题" in preview.text
    await desk.press(private(LIU), actions(preview)[0], None)
    [answer] = to(await said(store), RESIDENT.chat_id)
    assert answer.text.startswith(f"您咨询的问题（{task.number}）答复如下：\n带身份证和租房合同")
    assert labels(answer) == ["满意", "基本满意", "不满意"]


@pytest.mark.asyncio
async def test_a_repair_asked_as_a_question_stays_a_repair(desk: Desk, store: SqlStore) -> None:
    await desk.private_message(RESIDENT, "审计厅小区3号楼暖气怎么还不热？", None, None)
    task = await latest_task(store)
    assert task is not None
    assert task.kind is TaskKind.REPAIR
    [receipt] = to(await said(store), RESIDENT.chat_id)
    assert receipt.text.startswith("已收到您反映的问题")


@pytest.mark.parametrize("name", ["dev.csv", "holdout.csv"])
def test_no_labelled_repair_is_filed_as_a_question(name: str, language: Language) -> None:
    """On our labelled sets, every message filed as a 咨询 is labelled 其他 or 民政帮办: a repair
    asked as a question (水箱多少年没洗了？) keeps its repair deadline. Questions are found too."""
    with (Path(__file__).parent / "data" / name).open(encoding="utf-8") as rows:
        labelled = [(row["text"], row["label"]) for row in csv.DictReader(rows)]
    asked = [(t, label) for t, label in labelled if is_question_task(t, language.classify(t))]
    assert {label for _, label in asked} <= {"other", "social_services"}, asked
    assert len(asked) >= 10
