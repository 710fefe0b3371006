"""`griddesk claims`: an admin lists, and releases, the claims of someone who left (issue point
7; DESIGN.md §3). Through the CLI's main function on a real SQLite file: the bot's desk fills
it, then the admin takes the worker out of the config and runs the command.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.cli.main import main
from bot.config.settings import load_settings
from bot.desk.actions import Verb
from bot.desk.context import Actor, Context
from bot.desk.desk import Desk
from bot.domain import EventKind, Outgoing, Task, TaskEvent, TaskStatus
from bot.language import Language
from storage.engine import open_store
from tests.clock import nine_am
from tests.desk_support import (
    GRID1_CHAT,
    LI,
    NEIGHBOUR,
    PHONE,
    RESIDENT,
    ZHANG,
    act,
    labels,
    report,
    said,
)
from tests.harness import EXAMPLE

pytestmark = pytest.mark.asyncio

ZHANG_IN_CONFIG = """[[people]]
user_id = 2001
name = "张三"
role = "grid_worker"
units = ["xingan-1"]
"""
WATER, LIGHT, NOISE = "20261122-0001", "20261122-0002", "20261122-0003"
THIRD = Actor("telegram:1003", "telegram:1003", "赵大妈")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The example config in a temporary folder: its SQLite file lives there."""
    path = tmp_path / "griddesk.toml"
    path.write_text(EXAMPLE.read_text("utf-8"), "utf-8")
    return path


async def _fill(config: Path, language: Language) -> None:
    """Three reports in 兴安南路第一网格 at 09:00; 20 minutes later 张三 claims the first two
    and 李四 the third."""
    settings, clock = load_settings(config), nine_am()
    org = settings.require_org()
    async with open_store(settings.database_url, clock=clock) as store:
        async with store.transaction() as tx:
            await tx.sync_places([place for grid in org.grids() for place in grid.places])
        desk = Desk(Context(store, org, language, settings.deadlines, settings.timezone, clock))
        water = await report(desk, store)
        light = await report(desk, store, "审计厅小区1号楼楼道灯坏了", NEIGHBOUR)
        noise = await report(desk, store, "电影厂小区楼上装修太吵了", THIRD)
        clock.advance(timedelta(minutes=20))
        for worker, task in ((ZHANG, water), (ZHANG, light), (LI, noise)):
            assert not (await desk.press(worker, act(Verb.CLAIM, task.id), None)).alert
        await said(store)


def _left(config: Path) -> None:
    """张三 left: the admin takes him out of the config."""
    text = config.read_text("utf-8")
    assert ZHANG_IN_CONFIG in text
    config.write_text(text.replace(ZHANG_IN_CONFIG, ""), "utf-8")


async def _claims(config: Path, *more: str) -> int:
    """``griddesk claims`` for 张三, by the bare Telegram id an admin types (the CLI runs its
    own event loop: called from a thread, away from the test's)."""
    args = ["claims", "--config", str(config), "--worker", "2001", *more]
    return await asyncio.to_thread(main, args)


async def _database(
    config: Path,
) -> tuple[dict[str, Task], dict[str, list[TaskEvent]], list[Outgoing]]:
    """Every task by number with its trail, and the messages waiting in the outbox (read once)."""
    settings = load_settings(config)
    async with open_store(settings.database_url) as store:
        async with store.transaction() as tx:
            tasks = {n: await tx.task_by_number(n) for n in (WATER, LIGHT, NOISE)}
            found = {n: t for n, t in tasks.items() if t is not None}
            events = {n: list(await tx.events(t.id)) for n, t in found.items()}
        return found, events, await said(store)


async def test_claims_lists_what_someone_who_left_holds(
    config: Path, language: Language, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each task 张三 holds, by number, category, when claimed and its resolve deadline in
    local time; nothing of the residents; nothing changed, nothing said."""
    await _fill(config, language)
    _left(config)
    before = await _database(config)

    assert await _claims(config) == 0

    out = capsys.readouterr().out
    assert out.splitlines() == [
        "user telegram:2001 (not in the config) holds 2 claimed task(s):",
        f"  {WATER}  water_supply (供水)  claimed 2026-11-22 09:20  due 2026-11-25 09:00",
        f"  {LIGHT}  street_lights (路灯照明)  claimed 2026-11-22 09:20  due 2026-11-25 09:00",
    ]
    for private in (PHONE, "502", RESIDENT.name, NEIGHBOUR.name, "审计厅", "停水"):
        assert private not in out
    assert await _database(config) == before


async def test_release_puts_each_claim_back_to_open_once(
    config: Path, language: Language, capsys: pytest.CaptureFixture[str]
) -> None:
    """--release: 张三's two tasks are open again with a RETURNED event noting the admin's
    release, each card shows 认领 again and the grid's group is told; 李四's task is left
    alone, and a second run releases nothing and says nothing."""
    await _fill(config, language)
    _left(config)

    assert await _claims(config, "--release") == 0

    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == [
        f"released {WATER}: open again in 兴安南路第一网格",
        f"released {LIGHT}: open again in 兴安南路第一网格",
        "released 2 of 2; the running bot tells each group that they wait for a claim again.",
    ]
    tasks, events, written = await _database(config)
    for number in (WATER, LIGHT):
        task, last = tasks[number], events[number][-1]
        assert (task.status, task.claimer_id, task.claimed_at) == (TaskStatus.OPEN, None, None)
        assert (last.kind, last.actor_id, last.note) == (
            EventKind.RETURNED,
            None,
            texts.CLAIM_RELEASED_NOTE,
        )
        [card] = [m for m in written if m.edit_card_of == task.id]
        assert (card.chat_id, labels(card)) == (
            GRID1_CHAT,
            [texts.CLAIM, texts.MERGE, texts.RECATEGORISE],
        )
        assert texts.STATUS_OPEN in card.text
    told = [
        Outgoing(GRID1_CHAT, texts.CLAIM_RELEASED.format(number=WATER, category="供水")),
        Outgoing(GRID1_CHAT, texts.CLAIM_RELEASED.format(number=LIGHT, category="路灯照明")),
    ]
    assert [m for m in written if m.edit_card_of is None] == told
    assert "已退回待认领" in told[0].text
    assert (tasks[NOISE].status, tasks[NOISE].claimer_id) == (TaskStatus.CLAIMED, LI.user_id)
    assert [e.kind for e in events[NOISE]][-1] is EventKind.CLAIMED

    assert await _claims(config, "--release") == 0

    assert (
        capsys.readouterr().out
        == "user telegram:2001 (not in the config) holds no claimed tasks.\n"
    )
    again, trail, said_again = await _database(config)
    assert (again, trail, said_again) == (tasks, events, [])


async def test_claims_of_someone_still_configured_name_them(
    config: Path, language: Language, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command works for anyone: a configured worker is named (and nothing is released
    without --release)."""
    await _fill(config, language)

    assert await _claims(config) == 0

    assert capsys.readouterr().out.startswith("张三 (telegram:2001) holds 2 claimed task(s):\n")


async def test_claims_without_a_database_is_one_line(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No SQLite file where the config points: status 2 and one line, no empty file made."""
    assert await _claims(config) == 2
    assert "database.url: there is no database at" in capsys.readouterr().err
    assert not (config.parent / "griddesk.db").exists()
