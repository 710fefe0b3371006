"""Privacy over a whole loop: phone, ID card and room numbers reach the claimer and nobody else.

Report → claim → resolve → rate, end to end, with every logger captured at DEBUG under the
entry point's logging configuration: no group message, no log line and no error report holds
the resident's phone, ID or room number; the claimer gets them privately; /my shows a resident
only their own tasks; /stats shows no personal data. The same for an urgent report, whose alert
goes to the community group at once, and for what the clock brings: the follow-up steps, the
morning digest and the weekly figures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import DBAPIError

from bot import texts
from bot.channels import telegram_id
from bot.cli.main import _configure_logging
from bot.domain import EventKind, TaskEvent, UnitKind
from storage.sql_store import SqlStore
from tests.harness import World

pytestmark = pytest.mark.asyncio

PHONE = "13912345678"
ID_CARD = "110101199003071234"
ROOM = "3-2-502"
SECRETS = (PHONE, ID_CARD, ROOM)
REPORT = f"审计厅小区停水了，我的电话{PHONE}，身份证{ID_CARD}，住{ROOM}"
# All three within the 40 characters of the urgent alert, so a leak could not be cut off there.
URGENT = f"502室煤气泄漏！{PHONE}，{ID_CARD}"
URGENT_SECRETS = (PHONE, ID_CARD, "502室")
# The same numbers as residents also write them: no marker on the room, dots in the phone, the
# ID number in groups, a zero-width space inside. The digits alone count as a leak too.
HARD_REPORT = (
    "审计厅小区停水了，楼上4\u200b02也没水，我电话139.1234.5678，身份证110101 19900307 1234"
)
HARD_WRITTEN = ("楼上4\u200b02", "139.1234.5678", "110101 19900307 1234")
HARD_SECRETS = (*HARD_WRITTEN, "楼上402", PHONE, ID_CARD)


@pytest.fixture
def production_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The entry point's logger levels, everything else at DEBUG; restored afterwards."""
    loggers = [logging.getLogger(name) for name in logging.root.manager.loggerDict]
    levels = {logger.name: logger.level for logger in loggers if isinstance(logger, logging.Logger)}
    _configure_logging()
    caplog.set_level(logging.DEBUG)
    yield caplog
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _leaks(text: str, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    return [secret for secret in secrets if secret in text]


def _assert_clean_logs(captured: pytest.LogCaptureFixture, secrets: tuple[str, ...]) -> None:
    """No log line (nor traceback) holds a secret, and nothing was logged as an error."""
    assert logging.getLogger("bot").getEffectiveLevel() == logging.DEBUG
    for record in captured.records:
        line = record.getMessage() + (captured.text if record.exc_info else "")
        assert _leaks(line, secrets) == [], f"{record.name}: {line[:300]}"
    assert [r for r in captured.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("report", "written", "secrets"),
    [(REPORT, SECRETS, SECRETS), (HARD_REPORT, HARD_WRITTEN, HARD_SECRETS)],
    ids=["plain", "as-residents-write"],
)
async def test_full_loop_keeps_personal_numbers_private(
    w: World,
    production_logging: pytest.LogCaptureFixture,
    report: str,
    written: tuple[str, ...],
    secrets: tuple[str, ...],
) -> None:
    """Only the claimer's private chat holds the numbers; groups and logs never do."""
    resident, neighbour = w.resident(), w.resident(1002, "李大爷")
    zhang = w.people["张三"]
    await w.say(resident, report)
    card = w.card(w.group("xingan-1"), "20261122-0001")
    assert "139****5678" in card.content
    await w.press(zhang, card, "认领")
    await w.resolve(zhang, card, f"已修好，回访电话{PHONE}已打通")
    rating = w.last(resident.id)
    await w.press(resident, rating, "不满意")  # reopened: cards and alerts in two groups
    await w.say(neighbour, "/my")
    await w.say(zhang, "/stats", chat_id=w.group("xingan-1"))
    await w.say(w.people["刘书记"], "/stats", chat_id=w.group("xingannanlu"))

    groups = [telegram_id(unit.chat_id) for kind in UnitKind for unit in w.org.units(kind)]
    for chat_id in groups:
        for message in w.chat(chat_id):
            assert _leaks(message.content, secrets) == [], (chat_id, message.content)
    contact = "\n".join(m.content for m in w.chat(zhang.id))
    assert _leaks(contact, written) == list(written)
    for other in ("李四", "王芳", "刘书记", "街道值班员"):
        for message in w.chat(w.people[other].id):
            assert _leaks(message.content, secrets) == []
    assert _leaks(w.last(neighbour.id).content, secrets) == []
    assert "20261122-0001" not in w.last(neighbour.id).content

    _assert_clean_logs(production_logging, secrets)


async def _run_job(w: World, name: str) -> None:
    """Run one of the bot's scheduled jobs now, as the JobQueue would, and let it be sent."""
    queue = w.bot.telegram.application.job_queue
    assert queue is not None
    [job] = queue.get_jobs_by_name(name)
    await job.run(w.bot.telegram.application)
    await w.bot.telegram.outbox.settled()


async def test_urgent_alert_digests_and_figures_keep_personal_numbers_private(
    w: World, production_logging: pytest.LogCaptureFixture
) -> None:
    """煤气泄漏 with a room, a phone and an ID number: the community's alert, the cards, the
    follow-up, the morning digest, the weekly figures and /stats hold none; the claimer has all."""
    resident, zhang = w.resident(), w.people["张三"]
    grid, community, street = w.group("xingan-1"), w.group("xingannanlu"), w.group("daxuexilu")
    welcome = (await w.say(resident, "/start"))[-1]
    await w.press(resident, welcome, "兴安南路社区")
    await w.press(resident, w.last(resident.id), "审计厅小区")
    await w.say(resident, URGENT)

    [alert] = [m for m in w.chat(community) if "紧急工单 20261122-0001" in m.content]
    assert alert.content == texts.URGENT_ALERT.format(
        number="20261122-0001",
        category="燃气",
        unit="兴安南路第一网格",
        text="***室煤气泄漏！139****5678，******************",
    )
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    await _run_job(w, "griddesk-morning-digest")  # Sunday 09:00
    w.clock.advance(timedelta(days=1, minutes=30))  # Monday 09:30: overdue, a new week
    await _run_job(w, "griddesk-morning-digest")
    await w.bot.followup.tick(w.clock())  # reminders, then up the chain to the street
    await w.bot.telegram.outbox.settled()
    await _run_job(w, "griddesk-weekly-digest")
    await w.say(zhang, "/stats", chat_id=grid)
    await w.say(w.people["刘书记"], "/stats", chat_id=community)
    await w.say(w.people["街道值班员"], "/stats", chat_id=street)

    digests = [m.content for m in w.chat(grid) if "今日待办" in m.content]
    assert len(digests) == 2
    assert all("• 20261122-0001｜燃气｜审计厅小区｜张三办理" in digest for digest in digests)
    assert "⚠️ 已超时 1 件" in digests[1]
    street_card = w.card(street, "20261122-0001")
    assert "139****5678" in street_card.content
    weekly = next(m.content for m in w.chat(community) if "上周统计" in m.content)
    assert "【兴安南路第一网格】\n收到 1 件" in weekly
    stats = [w.last(chat).content for chat in (grid, community, street)]
    assert all(figures.startswith("📊 ") and "收到 1 件" in figures for figures in stats)
    groups = [telegram_id(unit.chat_id) for kind in UnitKind for unit in w.org.units(kind)]
    for chat_id in groups:
        for message in w.chat(chat_id):
            assert _leaks(message.content, URGENT_SECRETS) == [], (chat_id, message.content)
    for person in w.people.values():
        if person is not zhang:
            for message in w.chat(person.id):
                assert _leaks(message.content, URGENT_SECRETS) == [], message.content
    contact = next(m.content for m in w.chat(zhang.id) if "您认领了工单 20261122-0001" in m.content)
    assert _leaks(contact, URGENT_SECRETS) == list(URGENT_SECRETS)
    _assert_clean_logs(production_logging, URGENT_SECRETS)


async def test_a_failing_statement_does_not_name_its_values(store: SqlStore) -> None:
    """Database errors are logged with their traceback: they carry the SQL, never the
    resident's words (the engine hides bound parameters)."""
    event = TaskEvent(424242, EventKind.CREATED, None, datetime.now(UTC), note=REPORT)
    with pytest.raises(DBAPIError) as failure:  # no such task: the foreign key refuses it
        async with store.transaction() as tx:
            await tx.add_events([event])
    assert "task_events" in str(failure.value)
    assert not any(secret in str(failure.value) for secret in SECRETS)
