"""The web desk's pages and actions: scope by role, filters, the task page, the desk's rules
and events for every action, the audited contact, and the figures."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
import pytest_asyncio

from bot.domain import EventKind, TaskStatus
from bot.export import headers
from bot.figures.compute import compute, percent
from bot.webdesk.weekly import weeks_to
from tests.webdesk_world import Browser, DeskWorld, browser, desk_world

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(90)]

WATER = "审计厅小区3号楼2单元又停水了，电话13804711234"  # grid xingan-1
LAMP = "华建小区门口路灯不亮了"  # grid xingan-2
TRASH = "储运小区垃圾桶满了没人清"  # grid siqianmi-1


@pytest_asyncio.fixture
async def dw(database_url: str, cache_dir: Path) -> AsyncIterator[DeskWorld]:
    async with desk_world(database_url, cache_dir) as running:
        yield running


async def signed_in(dw: DeskWorld, name: str, b: Browser) -> Browser:
    status, _ = await b.sign_in(await dw.link(dw.person(name)))
    assert status == 200
    return b


def numbers(page: str) -> set[str]:
    return set(re.findall(r'href="/desk/tasks/(\d{8}-\d{4})"', page))


async def test_each_role_sees_its_own_tasks(dw: DeskWorld) -> None:
    """A grid worker sees their grid, community staff their community, admins everything; a
    task outside the scope is not found by URL either."""
    water = await dw.report(WATER, 1001)
    lamp = await dw.report(LAMP, 1002)
    trash = await dw.report(TRASH, 1003)
    seen = {}
    for name in ("张三", "刘书记", "街道值班员"):
        async with browser(dw.base_url) as b:
            await signed_in(dw, name, b)
            seen[name] = numbers((await b.get("/desk/tasks"))[1])
    assert seen["张三"] == {water.number}
    assert seen["刘书记"] == {water.number, lamp.number}
    assert seen["街道值班员"] == {water.number, lamp.number, trash.number}
    async with browser(dw.base_url) as b:
        await signed_in(dw, "张三", b)
        status, page = await b.get(f"/desk/tasks/{lamp.number}")
        assert status == 404
        assert lamp.number not in page


async def test_a_grid_worker_cannot_act_on_another_grids_task(dw: DeskWorld) -> None:
    """A POST naming a task outside the worker's grid changes nothing and writes no event."""
    lamp = await dw.report(LAMP, 1002)
    async with browser(dw.base_url) as b:
        await signed_in(dw, "张三", b)
        await b.get("/desk/tasks")
        status, _ = await b.post(f"/desk/tasks/{lamp.number}/escalate")
        assert status == 404
    after, events = await dw.task(lamp.number)
    assert after.holder == lamp.holder
    assert [e.kind for e in events] == [EventKind.CREATED]


async def test_filters_and_search(dw: DeskWorld) -> None:
    """Status, category, unit, overdue, urgent, dates and words each narrow the list."""
    water = await dw.report(WATER, 1001)
    lamp = await dw.report(LAMP, 1002)
    dw.world.clock.advance(timedelta(hours=3))  # past the normal claim deadline (2 h)
    trash = await dw.report(TRASH, 1003)
    async with browser(dw.base_url) as b:
        await signed_in(dw, "街道值班员", b)

        async def listed(query: str) -> set[str]:
            status, page = await b.get(f"/desk/tasks?{query}")
            assert status == 200
            return numbers(page)

        assert await listed("unit=grid:xingan-2") == {lamp.number}
        assert await listed("unit=community:xingannanlu") == {water.number, lamp.number}
        assert await listed(f"category={water.category.value}") == {water.number}
        assert await listed("overdue=1") == {water.number, lamp.number}
        assert await listed("status=claimed") == set()
        assert await listed("status=open") == {water.number, lamp.number, trash.number}
        assert await listed(f"q={trash.number}") == {trash.number}
        assert await listed("q=路灯") == {lamp.number}
        assert await listed("q=100%25") == set()
        assert await listed("urgent=1") == set()
        assert await listed("from=2026-11-23") == set()
        assert await listed("from=2026-11-22&to=2026-11-22") == {
            water.number, lamp.number, trash.number,
        }  # fmt: skip
        status, page = await b.get("/desk/tasks?status=nonsense&from=yesterday")
        assert status == 200
        assert "已忽略：status、from" in page


async def test_task_page_masks_and_shows_the_trail(dw: DeskWorld) -> None:
    """The page shows the masked words, the deadlines and every event; never the phone."""
    water = await dw.report(WATER, 1001)
    async with browser(dw.base_url) as b:
        await signed_in(dw, "张三", b)
        status, page = await b.get(f"/desk/tasks/{water.number}")
    assert status == 200
    assert "13804711234" not in page
    assert "审计厅小区" in page
    assert "受理" in page
    assert "认领期限" in page
    assert "显示联系方式" not in page  # a grid worker who has not claimed it


async def test_contact_is_shown_to_staff_and_audited(dw: DeskWorld) -> None:
    """Community staff press 显示联系方式: the phone is shown and the view is in the trail; a
    grid worker's POST reveals nothing and records nothing."""
    water = await dw.report(WATER, 1001)
    async with browser(dw.base_url) as worker:
        await signed_in(dw, "张三", worker)
        await worker.get(f"/desk/tasks/{water.number}")
        status, page = await worker.post(f"/desk/tasks/{water.number}/contact")
        assert status == 200
        assert "13804711234" not in page
    _, events = await dw.task(water.number)
    assert EventKind.CONTACT_VIEWED not in [e.kind for e in events]
    async with browser(dw.base_url) as staff:
        await signed_in(dw, "刘书记", staff)
        status, page = await staff.get(f"/desk/tasks/{water.number}")
        assert "显示联系方式" in page
        status, page = await staff.post(f"/desk/tasks/{water.number}/contact")
        assert status == 200
        assert "13804711234" in page
    _, events = await dw.task(water.number)
    viewed = [e for e in events if e.kind is EventKind.CONTACT_VIEWED]
    assert [(e.actor_id, e.note) for e in viewed] == [("telegram:3001", "")]


async def test_reassign_is_the_chat_transfer(dw: DeskWorld) -> None:
    """Community staff reassign a claimed task: the claimer changes and the same 转交 event
    as in chat is written; the former claimer is told in chat."""
    water = await dw.report(WATER, 1001)
    zhang, li = dw.person("张三"), dw.person("李四")
    card = dw.world.card(dw.world.group("xingan-1"), water.number)
    await dw.world.press(zhang, card, "认领")
    async with browser(dw.base_url) as b:
        await signed_in(dw, "刘书记", b)
        await b.get(f"/desk/tasks/{water.number}")
        status, page = await b.post(f"/desk/tasks/{water.number}/reassign", to=f"telegram:{li.id}")
        assert status == 200
        assert "李四" in page
    await dw.world.bot.telegram.outbox.settled()
    after, events = await dw.task(water.number)
    assert after.claimer_id == f"telegram:{li.id}"
    transfers = [e for e in events if e.kind is EventKind.TRANSFERRED]
    assert [(e.actor_id, e.note) for e in transfers] == [("telegram:3001", "李四")]
    assert water.number in dw.world.last(zhang.id).content


async def test_refused_action_leaves_nothing(dw: DeskWorld) -> None:
    """A grid worker may not reassign another's claim: the desk's answer is shown, nothing
    changes, no event is written."""
    water = await dw.report(WATER, 1001)
    card = dw.world.card(dw.world.group("xingan-1"), water.number)
    await dw.world.press(dw.person("张三"), card, "认领")
    li = dw.person("李四")
    async with browser(dw.base_url) as b:
        await signed_in(dw, "李四", b)
        await b.get(f"/desk/tasks/{water.number}")
        status, page = await b.post(f"/desk/tasks/{water.number}/reassign", to=f"telegram:{li.id}")
        assert status == 200
        assert "张三" in re.search(r'<p class="said" id="said">(.*?)</p>', page, re.S).group(1)  # type: ignore[union-attr]
    after, events = await dw.task(water.number)
    assert after.claimer_id == f"telegram:{dw.person('张三').id}"
    assert [e.kind for e in events] == [EventKind.CREATED, EventKind.CLAIMED]


async def test_escalate_recategorise_and_merge(dw: DeskWorld) -> None:
    """上报, 改类别 and 合并 from the web write the chat's events and change the task."""
    first = await dw.report(WATER, 1001)
    second = await dw.report("审计厅小区5号楼也停水了", 1002)
    async with browser(dw.base_url) as b:
        await signed_in(dw, "张三", b)
        await b.get(f"/desk/tasks/{first.number}")
        _, page = await b.post(f"/desk/tasks/{first.number}/recategorise", category="drainage")
        assert "认领" in page  # as in chat: a grid worker corrects only a task they claimed
        card = dw.world.card(dw.world.group("xingan-1"), first.number)
        await dw.world.press(dw.person("张三"), card, "认领")
        await b.post(f"/desk/tasks/{first.number}/recategorise", category="drainage")
        await b.post(f"/desk/tasks/{second.number}/merge", into=str(first.id))
        await b.post(f"/desk/tasks/{first.number}/escalate")
    first_now, first_events = await dw.task(first.number)
    second_now, second_events = await dw.task(second.number)
    assert first_now.category.value == "drainage"
    assert str(first_now.holder) == "community:xingannanlu"
    assert second_now.status is TaskStatus.MERGED
    kinds = [e.kind for e in first_events]
    assert EventKind.RECATEGORISED in kinds
    assert EventKind.MERGED_IN in kinds
    assert EventKind.ESCALATED in kinds
    assert [e.note for e in second_events if e.kind is EventKind.MERGED] == [first.number]


async def test_figures_equal_bot_figures(dw: DeskWorld) -> None:
    """The figures page shows, per grid and week, what bot.figures computes for that week."""
    water = await dw.report(WATER, 1001)
    await dw.report(LAMP, 1002)
    card = dw.world.card(dw.world.group("xingan-1"), water.number)
    await dw.world.press(dw.person("张三"), card, "认领")
    dw.world.clock.advance(timedelta(hours=3))
    async with browser(dw.base_url) as b:
        await signed_in(dw, "刘书记", b)
        status, page = await b.get("/desk/figures")
    assert status == 200
    assert "<svg" in page
    bot = dw.world.bot
    window = weeks_to(dw.world.clock(), bot.desk.context)[-1]
    grid_ids = ["xingan-1", "xingan-2"]
    async with bot.store.transaction() as tx:
        history = await tx.tasks_created_between(window.since, window.until, grid_ids)
    stats = compute(history, grid_ids, window, dw.world.clock())
    rows = re.findall(
        r'<tr[^>]*data-grid="([^"]+)"><td>[^<]*</td><td>(\d+)</td><td>([^<]+)</td>', page
    )
    this_week = {grid: (int(n), rate) for grid, n, rate in rows[:3]}
    for figures in (*stats.grids, stats.total):
        key = figures.grid_id or "total"
        assert this_week[key] == (figures.received, percent(figures.on_time_rate)), key
    assert this_week["xingan-1"] == (1, "100%")
    assert this_week["xingan-2"] == (1, "0%")


async def test_excel_exports_hold_the_viewers_tasks_masked(dw: DeskWorld) -> None:
    """导出台账 gives a grid worker their grid's tasks, with the phone masked; 导出周统计 the
    weekly figures of the same grids; neither without a session."""
    water = await dw.report(WATER, 1001)
    lamp = await dw.report(LAMP, 1002)
    async with browser(dw.base_url) as anonymous:
        status, _ = await anonymous.get("/desk/export/ledger.xlsx")
        assert status == 401
    async with browser(dw.base_url) as b:
        await signed_in(dw, "张三", b)
        async with b.session.get(f"{dw.base_url}/desk/export/ledger.xlsx") as response:
            assert response.status == 200
            assert "attachment" in response.headers["Content-Disposition"]
            ledger = openpyxl.load_workbook(io.BytesIO(await response.read()))
        url = f"{dw.base_url}/desk/export/figures.xlsx?since=2026-11-16&until=2026-11-22"
        async with b.session.get(url) as response:
            assert response.status == 200
            figures = openpyxl.load_workbook(io.BytesIO(await response.read()))
    sheet = ledger[headers.LEDGER_SHEET]
    cells = [str(cell) for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert water.number in cells
    assert lamp.number not in cells  # another grid's
    assert not any("13804711234" in cell for cell in cells)
    assert any("138****1234" in cell for cell in cells)
    weekly = figures[headers.FIGURES_SHEET]
    column = headers.FIGURES_COLUMNS.index("网格")
    grids = {row[column] for row in weekly.iter_rows(min_row=2, values_only=True)}
    assert "兴安南路第一网格" in grids
    assert "兴安南路第二网格" not in grids


async def test_the_claimer_resolves_after_seeing_what_the_resident_will_read(
    dw: DeskWorld,
) -> None:
    """办结 on the web is the chat's: a result that says nothing is refused in the chat's words,
    a good one is first shown as "将告知居民：…" (nothing changes), and only 确认 resolves the task
    and tells the resident. Someone who does not hold the claim is refused."""
    water = await dw.report(WATER, 1001)
    zhang = dw.person("张三")
    card = dw.world.card(dw.world.group("xingan-1"), water.number)
    await dw.world.press(zhang, card, "认领")
    result = "已联系供水公司修好阀门，3号楼下午两点恢复供水"
    async with browser(dw.base_url) as other:
        await signed_in(dw, "李四", other)
        status, page = await other.get(f"/desk/tasks/{water.number}")
        assert 'id="resolve-form"' not in page  # only the claimer's page offers it
        status, page = await other.post(
            f"/desk/tasks/{water.number}/resolve", result=result, confirm="1"
        )
        assert "张三" in page  # ANSWER_NOT_CLAIMER names who holds it
    async with browser(dw.base_url) as b:
        await signed_in(dw, "张三", b)
        await b.get(f"/desk/tasks/{water.number}")
        status, page = await b.post(f"/desk/tasks/{water.number}/resolve", result="好了")
        assert "居民看不出办了什么" in page
        status, page = await b.post(  # a forged 确认 of a thin result: the same refusal
            f"/desk/tasks/{water.number}/resolve", result="好了", confirm="1"
        )
        assert "居民看不出办了什么" in page
        status, page = await b.post(f"/desk/tasks/{water.number}/resolve", result=result)
        assert 'id="preview"' in page
        assert f"办理结果：{result}" in page
        after, events = await dw.task(water.number)
        assert after.status is TaskStatus.CLAIMED
        assert [e.kind for e in events] == [EventKind.CREATED, EventKind.CLAIMED]
        status, page = await b.post(
            f"/desk/tasks/{water.number}/resolve", result=result, confirm="1"
        )
        assert status == 200
        assert "已办结，结果已告诉居民" in page
    await dw.world.bot.telegram.outbox.settled()
    after, events = await dw.task(water.number)
    assert after.status is TaskStatus.RESOLVED
    assert after.result == result
    resolved = [e for e in events if e.kind is EventKind.RESOLVED]
    assert [(e.actor_id, e.note) for e in resolved] == [(f"telegram:{zhang.id}", result)]
    assert result in dw.world.last(1001).content


async def test_staff_may_take_the_ledger_with_contacts_and_each_task_records_it(
    dw: DeskWorld,
) -> None:
    """Community staff ask for the 台账 with contacts: the phone is in the file, and every task
    in it gets 查看了联系方式 in its trail. A grid worker asking the same gets it masked, and
    nothing is recorded."""
    water = await dw.report(WATER, 1001)
    async with browser(dw.base_url) as worker:
        await signed_in(dw, "张三", worker)
        _, page = await worker.get("/desk/tasks")
        assert 'id="export-contacts"' not in page
        url = f"{dw.base_url}/desk/export/ledger.xlsx?contacts=1"
        async with worker.session.get(url) as response:
            masked = openpyxl.load_workbook(io.BytesIO(await response.read()))
    _, events = await dw.task(water.number)
    assert EventKind.CONTACT_VIEWED not in [e.kind for e in events]
    async with browser(dw.base_url) as staff:
        await signed_in(dw, "刘书记", staff)
        _, page = await staff.get("/desk/tasks")
        assert 'id="export-contacts"' in page
        async with staff.session.get(url) as response:
            unmasked = openpyxl.load_workbook(io.BytesIO(await response.read()))

    def cells(book: openpyxl.Workbook) -> list[str]:
        rows = book[headers.LEDGER_SHEET].iter_rows(values_only=True)
        return [str(cell) for row in rows for cell in row if cell]

    assert not any("13804711234" in cell for cell in cells(masked))
    assert any("13804711234" in cell for cell in cells(unmasked))
    _, events = await dw.task(water.number)
    viewed = [e for e in events if e.kind is EventKind.CONTACT_VIEWED]
    assert [(e.actor_id, e.note) for e in viewed] == [
        (f"telegram:{dw.person('刘书记').id}", "台账导出")
    ]
