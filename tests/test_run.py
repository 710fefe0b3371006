"""`griddesk run`, the production entry: long-polls the Bot API, stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import UnitKind, UnitRef
from standins.telegram import BotApiStandIn
from storage.engine import open_store
from tests.harness import EXAMPLE

GRIDDESK = Path(sys.executable).parent / "griddesk"
pytestmark = pytest.mark.asyncio
XINGAN_1 = UnitRef(UnitKind.GRID, "xingan-1")


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


def _config_at(tmp_path: Path, base_url: str) -> Path:
    """The example on ``base_url``, with the morning digest at midnight: always due already."""
    config = tmp_path / "griddesk.toml"
    text = (
        EXAMPLE.read_text("utf-8")
        .replace('base_url = ""', f'base_url = "{base_url}"')
        .replace('morning = "08:00"', 'morning = "00:00"')
    )
    config.write_text(text, "utf-8")
    return config


async def _run_until_exit(config: Path, token: str, tmp_path: Path) -> tuple[int, str]:
    """``griddesk run`` with ``token``; its exit status and stderr once it has stopped."""
    env = {**os.environ, "GRIDDESK_TELEGRAM_TOKEN": token, "XDG_CACHE_HOME": str(tmp_path)}
    process = await asyncio.create_subprocess_exec(
        str(GRIDDESK), "run", "--config", str(config), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def _existing_install(tmp_path: Path) -> None:
    """A database beside the config that has sent digests before, so start-up would catch up."""
    database = f"sqlite:///{tmp_path / 'griddesk.db'}"
    async with open_store(database) as store, store.transaction() as tx:
        await tx.claim_digest(XINGAN_1, "morning:2026-01-01", datetime.now(UTC))


async def _queued(tmp_path: Path) -> int:
    """How many messages wait in the outbox of the database beside the config."""
    database = f"sqlite:///{tmp_path / 'griddesk.db'}"
    async with open_store(database) as store, store.transaction() as tx:
        return len(await tx.pending_outbox(100))


def _one_clean_line(stderr: str, token: str) -> str:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("griddesk: ")
    assert "Traceback" not in stderr
    assert token not in stderr
    return lines[0]


@pytest.mark.parametrize("token", ["abc", "123456:has spaces in it"])
async def test_run_refuses_a_malformed_token_before_anything(token: str, tmp_path: Path) -> None:
    """Not shaped like a bot token: one line naming the variable, exit 2, before the database
    is opened or the Bot API asked (nothing listens at its address: asking would say so)."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        config = _config_at(tmp_path, f"http://127.0.0.1:{closed.getsockname()[1]}/bot")
        status, stderr = await _run_until_exit(config, token, tmp_path)
    assert status == 2
    line = _one_clean_line(stderr, token)
    assert "GRIDDESK_TELEGRAM_TOKEN: does not look like a bot token" in line
    assert not (tmp_path / "griddesk.db").exists()


async def test_run_with_a_rejected_token_exits_2_and_posts_nothing(tmp_path: Path) -> None:
    """The Bot API answers 401: one line, exit 2, nothing sent and nothing queued to send."""
    async with BotApiStandIn(token="42:RUN") as standin:
        await _existing_install(tmp_path)
        status, stderr = await _run_until_exit(
            _config_at(tmp_path, standin.base_url), "42:WRONG", tmp_path
        )
        assert all(standin.chat(chat) == [] for chat in (1001, -1001000000011))
    assert status == 2
    line = _one_clean_line(stderr, "42:WRONG")
    assert "rejected" in line
    assert "GRIDDESK_TELEGRAM_TOKEN" in line
    assert await _queued(tmp_path) == 0


async def test_run_with_the_bot_api_unreachable_exits_2_and_posts_nothing(
    tmp_path: Path,
) -> None:
    """Nothing listens at base_url: one line naming the address, exit 2, nothing queued."""
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{closed.getsockname()[1]}"
        config = _config_at(tmp_path, f"http://{address}/bot")
        await _existing_install(tmp_path)
        status, stderr = await _run_until_exit(config, "42:RUN", tmp_path)
    assert status == 2
    line = _one_clean_line(stderr, "42:RUN")
    assert f"cannot reach the Bot API at http://{address}" in line
    assert await _queued(tmp_path) == 0
