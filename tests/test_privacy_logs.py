"""Privacy over a whole loop: phone, ID card and room numbers reach the claimer and nobody else.

Report → claim → resolve → rate, end to end, with every logger captured at DEBUG under the
entry point's logging configuration: no group message, no log line and no error report holds
the resident's phone, ID or room number; the claimer gets them privately; /my shows a resident
only their own tasks; /stats shows no personal data.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from bot.cli import _configure_logging
from bot.domain import EventKind, TaskEvent, UnitKind
from storage.sql_store import SqlStore
from tests.harness import World

pytestmark = pytest.mark.asyncio

PHONE = "13912345678"
ID_CARD = "110101199003071234"
ROOM = "3-2-502"
SECRETS = (PHONE, ID_CARD, ROOM)
REPORT = f"审计厅小区停水了，我的电话{PHONE}，身份证{ID_CARD}，住{ROOM}"


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


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


async def test_full_loop_keeps_personal_numbers_private(
    w: World, production_logging: pytest.LogCaptureFixture
) -> None:
    """Only the claimer's private chat holds the numbers; groups and logs never do."""
    resident, neighbour = w.resident(), w.resident(1002, "李大爷")
    zhang = w.people["张三"]
    await w.say(resident, REPORT)
    card = w.card(w.group("xingan-1"), "20261122-0001")
    assert "139****5678" in card.content
    await w.press(zhang, card, "认领")
    await w.press(zhang, card, "办结")
    await w.say(zhang, f"已修好，回访电话{PHONE}已打通")
    rating = w.last(resident.id)
    await w.press(resident, rating, "不满意")  # reopened: cards and alerts in two groups
    await w.say(neighbour, "/my")
    await w.say(zhang, "/stats", chat_id=w.group("xingan-1"))
    await w.say(w.people["刘书记"], "/stats", chat_id=w.group("xingannanlu"))

    groups = [unit.chat_id for kind in UnitKind for unit in w.org.units(kind)]
    for chat_id in groups:
        for message in w.chat(chat_id):
            assert _leaks(message.content) == [], (chat_id, message.content)
    contact = "\n".join(m.content for m in w.chat(zhang.id))
    assert PHONE in contact
    assert ID_CARD in contact
    assert ROOM in contact
    for other in ("李四", "王芳", "刘书记", "街道值班员"):
        for message in w.chat(w.people[other].id):
            assert _leaks(message.content) == []
    assert _leaks(w.last(neighbour.id).content) == []
    assert "20261122-0001" not in w.last(neighbour.id).content

    records = production_logging.records
    assert logging.getLogger("bot").getEffectiveLevel() == logging.DEBUG
    for record in records:
        line = record.getMessage() + (production_logging.text if record.exc_info else "")
        assert _leaks(line) == [], f"{record.name}: {line[:300]}"
    assert [r for r in records if r.levelno >= logging.ERROR] == []


async def test_a_failing_statement_does_not_name_its_values(store: SqlStore) -> None:
    """Database errors are logged with their traceback: they carry the SQL, never the
    resident's words (the engine hides bound parameters)."""
    event = TaskEvent(424242, EventKind.CREATED, None, datetime.now(UTC), note=REPORT)
    with pytest.raises(DBAPIError) as failure:  # no such task: the foreign key refuses it
        async with store.transaction() as tx:
            await tx.add_events([event])
    assert "task_events" in str(failure.value)
    assert not any(secret in str(failure.value) for secret in SECRETS)
