"""Shared fixtures: one real language core per test session, the databases, the running bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config.settings import ClassifierSettings, Settings, load_settings
from bot.language import Language
from tests.clock import FakeClock, nine_am
from tests.harness import World, shared_language, world

# `database_url` (SQLite and PostgreSQL) and `store`: see tests/databases.py
pytest_plugins = ("tests.databases",)

DATA = Path(__file__).parent / "data"
# As in production (bot/cli/main.py): PTB 22 hands out retry_after as a timedelta, without warnings.
os.environ.setdefault("PTB_TIMEDELTA", "true")


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A jieba cache private to this test run, so tests never touch the user's cache."""
    return tmp_path_factory.mktemp("jieba-cache")


@pytest.fixture(scope="session")
def language(cache_dir: Path) -> Language:
    """The shipped rules with a real tokenizer, built once (the worlds' bots share it too)."""
    return shared_language(ClassifierSettings(cache_dir=cache_dir))


@pytest.fixture(autouse=True)
def private_cache_home(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point XDG_CACHE_HOME at the test cache so the CLI's default cache dir is private too."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_dir))


@pytest_asyncio.fixture
async def w(database_url: str, cache_dir: Path) -> AsyncIterator[World]:
    """The example organisation's bot running against a fresh Bot API stand-in, at 09:00."""
    async with world(database_url, cache_dir) as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    """Sunday 2026-11-22 09:00 in Hohhot; moves only when the test advances it."""
    return nine_am()


@pytest.fixture(scope="session")
def settings() -> Settings:
    """config.example.toml, the example organisation the tests act in."""
    return load_settings(Path(__file__).parent.parent / "config.example.toml")
