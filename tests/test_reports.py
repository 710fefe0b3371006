"""/stats through the real bot, scoped by the chat it is sent in, and `griddesk stats` on a file.

The same figures both ways, computed from the task events; no resident's data in either.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli.main import main
from bot.config.settings import load_settings
from bot.desk.context import Actor, Context
from bot.desk.desk import Desk
from bot.language import Language
from storage.engine import open_store
from tests.clock import FakeClock, nine_am
from tests.harness import EXAMPLE, World

RESIDENT = Actor("telegram:1001", "telegram:1001", "王阿姨")
ZHANG = Actor("telegram:2001", "telegram:-1001000000011", "张三")
PRIVATE_DATA = ("13804711234", "138****1234", "王阿姨", "审计厅", "停水")


async def act_out_a_morning(w: World) -> None:
    """Three reports at 09:00; 0001 claimed at 09:30 and resolved at 10:30, rated 满意;
    0002 claimed late at 11:15 (claim deadline 11:00); 0003 in the second grid untouched."""
    resident, zhang, grid = w.resident(), w.people["张三"], w.group("xingan-1")
    await w.say(resident, "审计厅小区3号楼2单元又停水了，电话13804711234")
    await w.say(resident, "审计厅小区门口路灯不亮")
    await w.say(resident, "华建小区垃圾桶满了没人清")
    w.clock.advance(timedelta(minutes=30))
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    await w.press(zhang, w.card(grid, "20261122-0001"), "办结")
    w.clock.advance(timedelta(hours=1))
    await w.say(zhang, "已抢修完毕，恢复供水")
    await w.press(zhang, w.last(zhang.id), "确认")
    await w.press(resident, w.last(resident.id), "满意")
    w.clock.advance(timedelta(minutes=45))
    await w.press(zhang, w.card(grid, "20261122-0002"), "认领")


@pytest.mark.asyncio
async def test_stats_in_a_grid_group_shows_that_grid(w: World) -> None:
    """A grid's group gets its own figures of the last 7 local days, and nothing personal."""
    await act_out_a_morning(w)
    grid = w.group("xingan-1")
    await w.say(w.people["李四"], "/stats", chat_id=grid)
    reply = w.last(grid).content
    assert reply.splitlines()[:4] == [
        "📊 兴安南路第一网格 近7天统计（11月16日—11月22日）",
        "收到 2 件，按时认领 1 件（已到时限 2 件），办结 1 件，评价 1 件",
        "按期答复率 50%｜办结率 50%｜满意率 100%",
        "用时中位数：认领 1小时22分钟，办结 1小时30分钟",
    ]
    assert "兴安南路第二网格" not in reply
    assert not [word for word in PRIVATE_DATA if word in reply]


@pytest.mark.asyncio
async def test_stats_in_a_community_group_shows_each_grid_and_the_total(w: World) -> None:
    """A community's group gets a block per grid of the community and their total."""
    await act_out_a_morning(w)
    community = w.group("xingannanlu")
    await w.say(w.people["刘书记"], "/stats", chat_id=community)
    lines = w.last(community).content.splitlines()
    assert lines[0] == "📊 兴安南路社区 近7天统计（11月16日—11月22日）"
    blocks = {lines[i]: lines[i + 1 : i + 4] for i, line in enumerate(lines) if line[0] == "【"}
    assert list(blocks) == ["【兴安南路第一网格】", "【兴安南路第二网格】", "【合计】"]
    assert blocks["【兴安南路第二网格】"] == [
        "收到 1 件，按时认领 0 件（已到时限 1 件），办结 0 件，评价 0 件",
        "按期答复率 0%｜办结率 0%｜满意率 —",
        "用时中位数：认领 —，办结 —",
    ]
    assert blocks["【合计】"][:2] == [
        "收到 3 件，按时认领 1 件（已到时限 3 件），办结 1 件，评价 1 件",
        "按期答复率 33.3%｜办结率 33.3%｜满意率 100%",
    ]


@pytest.mark.asyncio
async def test_the_street_and_an_admin_see_every_grid(w: World) -> None:
    """The street's group, and an admin in a private chat, get all grids of the street."""
    await act_out_a_morning(w)
    street = w.group("daxuexilu")
    await w.say(w.people["张三"], "/stats", chat_id=street)
    in_group = w.last(street).content
    admin = w.people["街道值班员"]
    await w.say(admin, "/stats")
    in_private = w.last(admin.id).content
    assert in_group == in_private
    assert in_group.startswith("📊 大学西路街道 近7天统计（11月16日—11月22日）")
    for name in ("【兴安南路第一网格】", "【兴安南路第二网格】", "【四千米第一网格】", "【合计】"):
        assert name in in_group


@pytest.mark.asyncio
async def test_stats_elsewhere_says_where_it_works(w: World) -> None:
    """A resident's private chat and a department's group get a clear answer, not figures."""
    resident = w.resident()
    await w.say(resident, "/stats")
    assert w.last(resident.id).content == (
        "统计按网格和社区提供：请在网格群、社区群或街道群里发送 /stats。"
    )
    water = w.group("water")
    await w.say(w.people["供水公司老周"], "/stats", chat_id=water)
    assert "请在网格群、社区群或街道群里发送 /stats" in w.last(water).content


# --- griddesk stats ---------------------------------------------------------------------------


async def fill(config: Path, language: Language, clock: FakeClock) -> None:
    """Two reports on the configured SQLite file; the first claimed 20 minutes later."""
    settings = load_settings(config)
    async with open_store(settings.database_url, clock=clock) as store:
        async with store.transaction() as tx:
            await tx.sync_places([p for g in settings.require_org().grids() for p in g.places])
        context = Context(
            store, settings.require_org(), language, settings.deadlines, settings.timezone, clock
        )
        desk = Desk(context)
        await desk.private_message(RESIDENT, "审计厅小区3号楼停水了", None, None)
        await desk.private_message(RESIDENT, "乳品厂小区路灯不亮", None, None)
        clock.advance(timedelta(minutes=20))
        async with store.transaction() as tx:
            task = await tx.task_by_number("20261122-0001")
        assert task is not None
        await desk.work.claim(ZHANG, task.id, None)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The example config in a temporary folder: its SQLite file lives there."""
    path = tmp_path / "griddesk.toml"
    path.write_text(EXAMPLE.read_text("utf-8"), "utf-8")
    return path


@pytest.mark.asyncio
async def test_cli_prints_per_grid_figures(
    config: Path, language: Language, capsys: pytest.CaptureFixture[str]
) -> None:
    """`griddesk stats --since … --until …` prints a row per grid and the total."""
    await fill(config, language, nine_am())
    args = ["stats", "--config", str(config), "--since", "2026-11-16", "--until", "2026-11-23"]
    assert await _main(args) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("tasks received 2026-11-16 … 2026-11-22 (Asia/Shanghai)")
    rows = {line.split()[0]: line.split()[-10:] for line in lines[4:]}
    assert rows == {
        "兴安南路第一网格": ["1", "1", "1", "100%", "0%", "—", "20m", "—", "0", "0"],
        "兴安南路第二网格": ["0", "0", "0", "—", "—", "—", "—", "—", "0", "0"],
        "四千米第一网格": ["1", "1", "0", "0%", "0%", "—", "—", "—", "0", "0"],
        "total": ["2", "2", "1", "50%", "0%", "—", "20m", "—", "0", "0"],
    }
    assert "王阿姨" not in out


@pytest.mark.asyncio
async def test_cli_window_is_local_days(
    config: Path, language: Language, capsys: pytest.CaptureFixture[str]
) -> None:
    """--until is the first day not counted: the 22nd's tasks are outside ..2026-11-22."""
    await fill(config, language, nine_am())
    args = ["stats", "--config", str(config), "--since", "2026-11-15", "--until", "2026-11-22"]
    assert await _main(args) == 0
    total = capsys.readouterr().out.splitlines()[-1].split()
    assert total[:3] == ["total", "0", "0"]


@pytest.mark.asyncio
async def test_cli_counts_through_today_by_default(
    config: Path, language: Language, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --until the window ends with today, local time."""
    await fill(config, language, nine_am())
    assert await _main(["stats", "--config", str(config), "--since", "2020-01-01"]) == 0
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert capsys.readouterr().out.startswith(f"tasks received 2020-01-01 … {today} ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "16.11.2026"], "--since: '16.11.2026' is not a day like 2026-11-16"),
        (["--since", "2026-11-23", "--until", "2026-11-16"], "--until 2026-11-16 must come after"),
        (["--since", "2026-11-16"], "database.url: there is no database at"),
    ],
)
def test_cli_mistakes_exit_2(
    config: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad days, an empty window and a missing database file are one line and status 2."""
    assert main(["stats", "--config", str(config), *args]) == 2
    assert message in capsys.readouterr().err


async def _main(args: list[str]) -> int:
    """The CLI runs its own event loop: call it from a thread, away from the test's loop."""
    return await asyncio.to_thread(main, args)
