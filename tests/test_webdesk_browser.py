"""The web desk in a real browser: headless Chromium (Debian's package) driven by Selenium.

Sign in by the link the bot sent, filter the list, open a task, reassign it, look at the
figures, download the 台账 — on SQLite and PostgreSQL — saving screenshots of the list, a task
and the figures to ``$GRIDDESK_SCREENSHOTS`` (else the test's tmp_path). Selenium is blocking,
so each browser step runs on a worker thread while the bot's server keeps serving on the event
loop.

Without chromium and chromedriver the test is skipped, saying so; under CI (``CI=true``) it
fails instead, since a CI run that skipped it would prove nothing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import openpyxl
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import Select, WebDriverWait

from bot.export import headers
from tests.webdesk_world import desk_world

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
T = TypeVar("T")


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def driver(downloads: Path) -> Iterator[webdriver.Chrome]:
    """Headless Chromium through the system's chromedriver; no downloaded browser builds."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if shutil.which(p) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (Debian: chromium, chromium-driver)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run in CI: {reason}")
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    options.add_argument("--lang=zh-CN")
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    chrome = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    chrome.implicitly_wait(5)
    behaviour = {"behavior": "allow", "downloadPath": str(downloads)}
    chrome.execute_cdp_cmd("Page.setDownloadBehavior", behaviour)
    try:
        yield chrome
    finally:
        chrome.quit()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("GRIDDESK_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def step(action: Callable[[], T]) -> T:
    """One blocking browser step, off the event loop the desk serves on."""
    return await asyncio.to_thread(action)


async def downloaded(folder: Path, pattern: str) -> Path:
    """The file matching ``pattern`` once Chromium has finished writing it (10 s at most)."""
    for _ in range(100):
        found = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"nothing like {pattern} was downloaded: {list(folder.iterdir())}")


async def test_sign_in_filter_open_reassign_and_export(
    database_url: str, cache_dir: Path, driver: webdriver.Chrome, shots: Path, downloads: Path
) -> None:
    """Community staff sign in by link, filter by number, open the task, reassign it, and
    download the 台账."""
    engine = database_url.split(":", maxsplit=1)[0]
    async with desk_world(database_url, cache_dir) as dw:
        water = await dw.report("审计厅小区3号楼2单元又停水了，电话13804711234", 1001)
        await dw.report("华建小区门口路灯不亮了", 1002)
        card = dw.world.card(dw.world.group("xingan-1"), water.number)
        await dw.world.press(dw.person("张三"), card, "认领")
        link = await dw.link(dw.person("刘书记"))

        await step(lambda: driver.get(link))
        await step(lambda: driver.find_element(By.ID, "sign-in").click())
        rows = await step(lambda: driver.find_elements(By.CSS_SELECTOR, "#task-list tbody tr"))
        assert len(rows) == 2
        await step(lambda: driver.save_screenshot(str(shots / f"tasks-{engine}.png")))

        search = await step(lambda: driver.find_element(By.NAME, "q"))
        await step(lambda: search.send_keys(water.number))
        unfiltered = await step(lambda: driver.find_element(By.ID, "task-list"))
        await step(lambda: driver.find_element(By.ID, "apply").click())
        # the filtered page replaces this one: read its list, not the old one's (gone stale)
        await step(lambda: WebDriverWait(driver, 10).until(staleness_of(unfiltered)))
        links = await step(lambda: driver.find_elements(By.CSS_SELECTOR, "#task-list a"))
        assert [link.text for link in await step(lambda: list(links))] == [water.number]

        await step(links[0].click)
        number = await step(lambda: driver.find_element(By.ID, "number").text)
        assert water.number in number
        text = await step(lambda: driver.find_element(By.ID, "text").text)
        assert "13804711234" not in text
        await step(lambda: driver.save_screenshot(str(shots / f"task-{engine}.png")))

        chooser = await step(lambda: Select(driver.find_element(By.ID, "reassign-to")))
        await step(lambda: chooser.select_by_visible_text("李四"))
        await step(lambda: driver.find_element(By.ID, "reassign").click())
        said = await step(lambda: driver.find_element(By.ID, "said").text)
        assert "李四" in said
        claimer = await step(lambda: driver.find_element(By.ID, "claimer").text)
        assert claimer == "李四"
        after, _ = await dw.task(water.number)
        assert after.claimer_id == f"telegram:{dw.person('李四').id}"

        await step(lambda: driver.get(f"{dw.base_url}/desk/figures"))
        charts = await step(lambda: driver.find_elements(By.CSS_SELECTOR, "figure.chart svg"))
        assert len(charts) == 3
        await step(lambda: driver.save_screenshot(str(shots / f"figures-{engine}.png")))

        await step(lambda: driver.get(f"{dw.base_url}/desk/tasks"))
        await step(lambda: driver.find_element(By.ID, "export-ledger").click())
        ledger = openpyxl.load_workbook(await downloaded(downloads, "ledger-*.xlsx"))
        sheet = ledger[headers.LEDGER_SHEET]
        cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
        assert water.number in cells
        assert not any("13804711234" in cell for cell in cells)
    for name in ("tasks", "task", "figures"):
        assert (shots / f"{name}-{engine}.png").stat().st_size > 10_000
