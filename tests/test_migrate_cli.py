"""``griddesk migrate``: the operator's upgrade, outside a start-up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.conftest import DATA

pytestmark = pytest.mark.empty_database  # migrations and backups need nothing there

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
RELEASE_0_1 = DATA / "release_0_1.sqlite"
"""A database of release 0.1 (see tests/test_schema.py)."""


def test_griddesk_migrate_upgrades_a_copy_and_then_finds_nothing_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The operator's ``griddesk migrate`` on a 0.1 file (the example config's database is
    ``griddesk.db`` beside it) names the revisions, then says it is up to date."""
    config = tmp_path / "griddesk.toml"
    config.write_text(EXAMPLE.read_text("utf-8"), "utf-8")
    shutil.copy(RELEASE_0_1, tmp_path / "griddesk.db")

    assert main(["migrate", "--config", str(config)]) == 0
    assert "applied revision(s) 0001, 0002" in capsys.readouterr().out
    assert main(["migrate", "--config", str(config)]) == 0
    assert "already up to date" in capsys.readouterr().out


def test_griddesk_migrate_refuses_a_missing_database_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in the path must not create and 'migrate' an empty database."""
    config = tmp_path / "griddesk.toml"
    config.write_text(EXAMPLE.read_text("utf-8"), "utf-8")
    assert main(["migrate", "--config", str(config)]) == 2
    assert "there is no database at" in capsys.readouterr().err
    assert not (tmp_path / "griddesk.db").exists()
