"""`griddesk run`, the production entry: long-polls the Bot API, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from standins.telegram import BotApiStandIn
from tests.harness import EXAMPLE

GRIDDESK = Path(sys.executable).parent / "griddesk"
pytestmark = pytest.mark.asyncio


async def test_run_serves_a_resident_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The token from the environment, base_url from the config, SQLite beside the config."""
    async with BotApiStandIn(token="42:RUN") as standin:
        config = tmp_path / "griddesk.toml"
        text = (
            EXAMPLE.read_text("utf-8")
            .replace('base_url = ""', f'base_url = "{standin.base_url}"')
            .replace("poll_timeout = 30", "poll_timeout = 1")
        )
        config.write_text(text, "utf-8")
        resident = standin.add_user(1001, "王阿姨")
        env = {**os.environ, "GRIDDESK_TELEGRAM_TOKEN": "42:RUN", "XDG_CACHE_HOME": str(tmp_path)}
        process = await asyncio.create_subprocess_exec(
            str(GRIDDESK), "run", "--config", str(config), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await standin.until_polling(timeout=30)
            standin.send_text(resident, "审计厅小区3号楼又停水了")
            receipt = await standin.wait_for(lambda m: m.chat_id == resident.id, timeout=20)
            assert "工单号：" in receipt.content
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert process.returncode == 0, stderr.decode()[-2000:]
        log = stderr.decode()
        assert "griddesk stopped" in log
        assert "42:RUN" not in log  # the token never reaches the log
        assert (tmp_path / "griddesk.db").exists()


async def test_run_without_a_token_says_where_it_comes_from(tmp_path: Path) -> None:
    """No token in the environment: exit 2 naming the variable, nothing started."""
    env = {k: v for k, v in os.environ.items() if k != "GRIDDESK_TELEGRAM_TOKEN"}
    process = await asyncio.create_subprocess_exec(
        str(GRIDDESK), "run", "--config", str(EXAMPLE), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 2
    assert "set the environment variable GRIDDESK_TELEGRAM_TOKEN" in stderr.decode()
