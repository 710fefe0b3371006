"""config.example.toml documents every key, parses, and gives the defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.settings import ClassifierSettings, Settings, default_cache_dir, load_settings

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_example_parses_to_the_defaults() -> None:
    """The shipped example is valid and changes nothing."""
    assert load_settings(EXAMPLE) == Settings()


def test_example_documents_every_key() -> None:
    """Every settings field appears in the example, with its table."""
    text = EXAMPLE.read_text("utf-8")
    for table in dataclasses.fields(Settings):
        assert f"[{table.name}]" in text
    for field in dataclasses.fields(ClassifierSettings):
        assert f"{field.name} =" in text, field.name


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    """rules_file and cache_dir are relative to the config file's folder, not the cwd."""
    config = tmp_path / "conf" / "griddesk.toml"
    config.parent.mkdir()
    config.write_text('[classifier]\nrules_file = "r.toml"\ncache_dir = "cache"\nask_below = 0.3\n')
    settings = load_settings(config).classifier
    assert settings.rules_file == tmp_path / "conf" / "r.toml"
    assert settings.cache_dir == tmp_path / "conf" / "cache"
    assert settings.ask_below == 0.3


def test_no_config_means_defaults() -> None:
    """Running without --config uses the built-in rules and the user cache dir."""
    assert load_settings(None).classifier == ClassifierSettings(cache_dir=default_cache_dir())
