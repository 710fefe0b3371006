"""Secrets: the bot token never reaches a log or an error, and a config file holding one is
refused with a pointer to the environment variable."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import running_bot
from bot.config.settings import DATABASE_VARIABLE, TOKEN_VARIABLE, SettingsError, load_settings
from bot.errors import StartupError
from bot.redact import MASK, Redactor
from standins.telegram import BotApiStandIn
from tests.databases import database_url
from tests.harness import EXAMPLE, STEP_TIMEOUT, TOKEN, example_settings, world

__all__ = ["database_url"]  # the fixture, imported so that pytest finds it here

GRIDDESK = Path(sys.executable).parent / "griddesk"
REAL_LOOKING = "7312345678:AAFq3kT0ZxN1-pQ9vR2sL8mW4yH6jC5bD7e"
"""Shaped like a real token (so the config check must catch it); no bot has it."""
NOISY = ("httpx", "httpcore", "telegram", "aiohttp", "asyncio", "hpack", "bot", "handlers")


def _config(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "griddesk.toml"
    text = EXAMPLE.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), "utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key", "variable"),
    [
        (
            "[telegram]\n",
            f'[telegram]\ntoken = "{REAL_LOOKING}"\n',
            "telegram.token",
            TOKEN_VARIABLE,
        ),
        (
            'name = "张三"\n',
            'name = "张三"\npassword = "hunter22"\n',
            "people[0].password",
            "GRIDDESK_",
        ),
        ('name = "大学西路街道"', f'name = "{REAL_LOOKING}"', "street.name", TOKEN_VARIABLE),
        (
            'url = "sqlite:///griddesk.db"',
            'url = "postgresql://griddesk:s3cret-pw@db.example:5432/griddesk"',
            "database.url",
            DATABASE_VARIABLE,
        ),
    ],
    ids=["token-key", "nested-password-key", "token-shaped-value", "database-password"],
)
def test_config_with_a_secret_is_refused(
    tmp_path: Path, old: str, new: str, key: str, variable: str
) -> None:
    """The error names the key and the environment variable, and never echoes the secret."""
    with pytest.raises(SettingsError) as refused:
        load_settings(_config(tmp_path, old, new))
    message = str(refused.value)
    assert key in message
    assert f"environment variable {variable}" in message
    for secret in (REAL_LOOKING, "hunter22", "s3cret-pw"):
        assert secret not in message


def test_database_url_with_password_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GRIDDESK_DATABASE_URL overrides database.url, password and all."""
    url = "postgresql://griddesk:s3cret-pw@127.0.0.1:5432/griddesk"
    monkeypatch.setenv(DATABASE_VARIABLE, url)
    assert load_settings(EXAMPLE).database_url == url
    assert load_settings(None).database_url == url
    monkeypatch.setenv(DATABASE_VARIABLE, "mysql://root:pw@x/y")
    with pytest.raises(SettingsError, match=DATABASE_VARIABLE) as refused:
        load_settings(EXAMPLE)
    assert "pw@" not in str(refused.value)


def test_redactor_blanks_message_arguments_and_traceback() -> None:
    """The filter rewrites every part of a record a formatter prints."""
    redactor = Redactor([REAL_LOOKING])
    try:
        raise RuntimeError(f"GET https://api.telegram.org/bot{REAL_LOOKING}/getMe failed")
    except RuntimeError:
        record = logging.LogRecord(
            "httpx", logging.INFO, __file__, 1, "HTTP Request: %s", (f"bot{REAL_LOOKING}",),
            sys.exc_info(), sinfo="stack with " + REAL_LOOKING,
        )  # fmt: skip
    assert redactor.filter(record)
    out = logging.Formatter().format(record)
    assert REAL_LOOKING not in out
    assert record.getMessage() == f"HTTP Request: bot{MASK}"
    assert record.exc_text is not None
    assert f"bot{MASK}/getMe" in record.exc_text
    assert record.stack_info == f"stack with {MASK}"


@pytest.mark.asyncio
async def test_token_is_in_no_log_record_even_at_debug(
    database_url: str, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The whole bot at DEBUG for every logger, with Telegram failing: the token never shows."""
    caplog.set_level(logging.DEBUG)
    for name in NOISY:
        caplog.set_level(logging.DEBUG, logger=name)
    async with world(database_url, cache_dir) as w:
        resident = w.resident()
        w.standin.fail_next("sendMessage", 500, "Internal Server Error")
        w.standin.fail_next("getUpdates", 502, "Bad Gateway")
        w.standin.drop_next("getUpdates")
        await w.say(resident, "审计厅小区3号楼又停水了")
        w.clock.advance(timedelta(minutes=1))  # the failed send's retry falls due
        async with asyncio.timeout(STEP_TIMEOUT):
            await w.bot.telegram.outbox.settled()
        assert "工单号：" in w.last(resident.id).content
    records = caplog.records
    assert any(r.name.startswith("httpx") for r in records), "httpx did not log: nothing proven"
    assert any(MASK in r.getMessage() for r in records)
    for record in records:
        assert TOKEN not in record.getMessage(), record.name
    assert TOKEN not in caplog.text


@pytest.mark.asyncio
async def test_token_rejected_by_telegram_is_not_in_the_error(
    tmp_path: Path, cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """getMe answers 401: the bot stops with StartupError, whose message and trace hide it."""
    caplog.set_level(logging.DEBUG)
    for name in NOISY:
        caplog.set_level(logging.DEBUG, logger=name)
    async with BotApiStandIn(token=TOKEN) as standin:
        standin.fail_next("getMe", 401, "Unauthorized")
        settings = example_settings(f"sqlite:///{tmp_path / 'd.db'}", cache_dir, standin.base_url)
        with pytest.raises(StartupError) as rejected:
            async with asyncio.timeout(STEP_TIMEOUT), running_bot(settings, TOKEN):
                pass
    shown = "".join(traceback.format_exception(rejected.value))
    assert TOKEN not in shown
    assert TOKEN not in caplog.text


@pytest.mark.asyncio
async def test_griddesk_run_with_a_rejected_token_keeps_it_out_of_stderr(tmp_path: Path) -> None:
    """The production entry point, token refused by the server: stderr never holds the token."""
    async with BotApiStandIn(token=REAL_LOOKING) as standin:
        standin.fail_next("getMe", 401, "Unauthorized")
        config = _config(tmp_path, 'base_url = ""', f'base_url = "{standin.base_url}"')
        env = {**os.environ, TOKEN_VARIABLE: REAL_LOOKING, "XDG_CACHE_HOME": str(tmp_path)}
        process = await asyncio.create_subprocess_exec(
            str(GRIDDESK), "run", "--config", str(config), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode != 0
    assert "Unauthorized" in stderr.decode() or "InvalidToken" in stderr.decode()
    assert REAL_LOOKING not in stderr.decode() + stdout.decode()
