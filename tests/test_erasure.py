"""Personal data is kept no longer than needed, and deleted when a resident asks (PIPL arts. 19
and 47): /forget with its confirmation, ``griddesk erase`` for a request taken on the phone,
the retention sweep, and processed updates that keep no raw JSON. After an erasure the phone
number is in no byte of the SQLite file or its write-ahead log; the figures stay.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.channels import telegram
from bot.cli.main import main
from bot.domain import EventKind, TaskStatus
from bot.followup.retention import Retention
from standins.telegram import User
from storage.erasure_rows import ANONYMOUS
from tests.harness import EXAMPLE, World

pytestmark = pytest.mark.asyncio

PHONE = "13904715566"
REPORT = f"审计厅小区3号楼2单元又停水了，我是王阿姨，电话{PHONE}"
LAMP = f"电影厂小区5号楼门口路灯不亮，电话{PHONE}"


def _files(w: World) -> list[Path]:
    """The SQLite database file and its write-ahead log, as they are on disk."""
    url = w.bot.store._engine.url  # type: ignore[attr-defined]
    database = Path(str(url.database))
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def _on_disk(w: World, *needles: str) -> list[str]:
    data = b"".join(path.read_bytes() for path in _files(w))
    return [needle for needle in needles if needle.encode() in data]


async def _report_and_work(w: World, resident: User) -> None:
    """Two reports by 王阿姨: the water claimed by 张三, the lamp resolved and rated."""
    zhang = w.people["张三"]
    await w.say(resident, REPORT)
    await w.press(zhang, w.card(w.group("xingan-1"), "20261122-0001"), texts.CLAIM)
    await w.say(resident, LAMP)
    lamp = w.card(w.group("xingan-1"), "20261122-0002")
    await w.press(zhang, lamp, texts.CLAIM)
    await w.resolve(zhang, w.card(w.group("xingan-1"), "20261122-0002"), "灯泡换好了")
    await w.press(resident, w.last(resident.id), "满意")


async def test_forget_erases_everything_personal_and_keeps_the_figures(w: World) -> None:
    """/forget, 确认删除: the open task is withdrawn (its card says why, 张三 is asked to stop
    and delete the contact), both tasks keep their figures without words or owner, the trail
    says an erasure happened, and the phone is in no byte of the database or its WAL."""
    if w.bot.store._engine.dialect.name != "sqlite":  # type: ignore[attr-defined]
        pytest.skip("the files of a PostgreSQL server are not ours to read")
    resident, zhang, grid = w.resident(), w.people["张三"], w.group("xingan-1")
    await _report_and_work(w, resident)
    assert _on_disk(w, PHONE)  # the words were written

    [ask] = await w.say(resident, "/forget")
    assert ask.content == texts.ERASE_ASK
    await w.press(resident, ask, texts.ERASE_CONFIRM)

    assert w.last(resident.id).content == texts.ERASED_DONE.format(count=2)
    water = w.card(grid, "20261122-0001")
    assert texts.STATUS_ERASED in water.content
    assert texts.ERASED_WORDS in water.content
    assert PHONE[-4:] not in water.content
    assert w.last(zhang.id).content == texts.NOTICE_ERASED_TO_WORKER.format(number="20261122-0001")
    async with w.bot.store.transaction() as tx:
        assert await tx.resident(telegram(resident.id)) is None
        assert await tx.tasks_of_resident(telegram(resident.id), 10) == []
        first = await tx.task_by_number("20261122-0001")
        second = await tx.task_by_number("20261122-0002")
        assert first is not None
        assert second is not None
        assert (first.status, first.resident_id, first.text) == (
            TaskStatus.CANCELLED,
            ANONYMOUS,
            "",
        )
        assert (second.status, second.rating, second.text) == (TaskStatus.CLOSED, "satisfied", "")
        assert second.result == ""
        for task in (first, second):
            trail = list(await tx.events(task.id))
            assert trail[-1].kind is EventKind.ERASED
            assert all(e.note in ("",) or e.kind is EventKind.REMINDED for e in trail)
            assert all(e.actor_id != telegram(resident.id) for e in trail)
    assert _on_disk(w, PHONE, "王阿姨", "停水了", "灯泡换好了") == []


async def test_keeping_ones_data_changes_nothing(w: World) -> None:
    """先不删: a plain answer, the task and the record stay."""
    resident = w.resident()
    await w.say(resident, REPORT)
    [ask] = await w.say(resident, "/forget")
    await w.press(resident, ask, texts.ERASE_KEEP)
    assert w.last(resident.id).content == texts.ERASE_KEPT
    async with w.bot.store.transaction() as tx:
        [task] = await tx.tasks_of_resident(telegram(resident.id), 10)
    assert (task.status, task.text) == (TaskStatus.OPEN, REPORT)


async def test_processed_updates_keep_no_raw_json(w: World) -> None:
    """Once acted on, an update row holds no text, name or phone: only its id (the offset)."""
    await w.say(w.resident(), REPORT)
    async with w.bot.store.transaction() as tx:
        assert await tx.unprocessed_updates(10) == []
        assert await tx.last_update_id() is not None
    async with w.bot.store._engine.connect() as connection:  # type: ignore[attr-defined]
        raws = (await connection.exec_driver_sql("SELECT raw FROM inbox")).scalars().all()
    assert raws
    assert all(raw == "" for raw in raws)


async def test_retention_forgets_finished_tasks_and_keeps_figures(w: World) -> None:
    """Past the retention period a finished task is forgotten (its figures stay: status,
    rating, times), its sent messages are deleted; an open task and a recent one are not."""
    resident = w.resident()
    await _report_and_work(w, resident)  # 0001 claimed (open work), 0002 closed and rated
    retention = Retention(w.bot.desk.context, timedelta(days=180))
    assert await retention.sweep(w.clock() + timedelta(days=179)) == 0
    async with w.bot.store.transaction() as tx:
        before = await tx.task_by_number("20261122-0002")
    assert before is not None

    assert await retention.sweep(w.clock() + timedelta(days=181)) == 1
    async with w.bot.store.transaction() as tx:
        kept = await tx.task_by_number("20261122-0001")
        gone = await tx.task_by_number("20261122-0002")
        assert gone is not None
        assert kept is not None
        assert (kept.text, kept.resident_id) == (REPORT, telegram(resident.id))
        assert (gone.text, gone.resident_id, gone.result) == ("", ANONYMOUS, "")
        for field in ("status", "rating", "category", "grid_id", "created_at", "claimed_at"):
            assert getattr(gone, field) == getattr(before, field), field
        assert gone.claimer_id == before.claimer_id
        assert [e.kind for e in await tx.events(gone.id)][-1] is EventKind.ERASED
        assert await tx.resident(telegram(resident.id)) is not None  # they still have an open task
    async with w.bot.store._engine.connect() as connection:  # type: ignore[attr-defined]
        sent = (await connection.exec_driver_sql("SELECT count(*) FROM outbox")).scalar()
    assert sent == 0  # everything sent is older than the cutoff now


async def test_an_operator_erases_for_a_phone_in_request(w: World, tmp_path: Path) -> None:
    """``griddesk erase --phone``: the resident found by the number in their report, erased
    as /forget does, told in their chat; a number nobody gave finds nobody."""
    if w.bot.store._engine.dialect.name != "sqlite":  # type: ignore[attr-defined]
        pytest.skip("the CLI test reads the world's SQLite file")
    resident = w.resident()
    await w.say(resident, REPORT)
    url = w.bot.store._engine.url  # type: ignore[attr-defined]
    config = tmp_path / "griddesk.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    config.write_text(
        text.replace('url = "sqlite:///griddesk.db"', f'url = "sqlite:///{url.database}"')
    )
    assert f"sqlite:///{url.database}" in config.read_text(encoding="utf-8")

    nobody = ["erase", "--config", str(config), "--phone", "13900000000", "--yes"]
    assert await asyncio.to_thread(main, nobody) == 1
    found = ["erase", "--config", str(config), "--phone", PHONE, "--yes"]
    assert await asyncio.to_thread(main, found) == 0
    async with w.bot.store.transaction() as tx:
        assert await tx.resident(telegram(resident.id)) is None
        task = await tx.task_by_number("20261122-0001")
        assert task is not None
        assert (task.status, task.text) == (TaskStatus.CANCELLED, "")
    await w.bot.telegram.outbox.settled()  # the running bot sends what the CLI queued
    assert w.last(resident.id).content == texts.ERASED_DONE.format(count=1)
    assert texts.STATUS_ERASED in w.card(w.group("xingan-1"), "20261122-0001").content


async def test_forget_takes_a_photo_card_down_not_only_its_words(w: World) -> None:
    """A card that went out as a photo cannot become text by an edit (Telegram refuses): on
    erasure the photo message is deleted and the erased card posted as text in its place, so
    neither the resident's picture nor their words stay in the group."""
    resident, grid = w.resident(), w.group("xingan-1")
    await w.send_photo(resident, "审计厅小区3号楼楼道灯坏了")
    photo_card = w.card(grid, "20261122-0001")
    assert photo_card.photo
    [ask] = await w.say(resident, "/forget")
    await w.press(resident, ask, texts.ERASE_CONFIRM)
    in_group = [m for m in w.chat(grid) if "20261122-0001" in m.content]
    assert [m.photo for m in in_group] == [None]
    assert texts.STATUS_ERASED in in_group[0].content
    assert all(m.message_id != photo_card.message_id for m in w.chat(grid))
