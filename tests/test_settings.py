"""config.example.toml documents every key and parses; every config mistake names its key."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.cli.org_tree import org_tree
from bot.config.org import Role
from bot.config.settings import (
    ClassifierSettings,
    DeadlineSettings,
    IntakeSettings,
    Settings,
    SettingsError,
    TelegramSettings,
    default_cache_dir,
    load_settings,
)
from bot.domain import UnitKind, UnitRef
from handlers.telegram.polling import LEASE_TIME
from nlp.taxonomy import Category

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_example_parses_with_its_organisation() -> None:
    """The shipped example is valid: street, communities, grids, departments, people."""
    settings = load_settings(EXAMPLE)
    org = settings.require_org()
    assert org.street.name == "大学西路街道"
    assert [g.ref.id for g in org.grids()] == ["xingan-1", "xingan-2", "siqianmi-1"]
    assert org.grid("xingan-1") is not None
    assert {p.name for p in org.members(UnitRef(UnitKind.GRID, "xingan-1"))} == {"张三", "李四"}
    assert org.people["telegram:9001"].role is Role.ADMIN
    assert settings.deadlines.of(Category.GAS, urgent=True).claim == timedelta(minutes=10)
    assert settings.deadlines.of(Category.NOISE, urgent=False).resolve == timedelta(days=3)
    assert settings.database_url == f"sqlite:///{EXAMPLE.parent.resolve() / 'griddesk.db'}"
    assert settings.classifier == ClassifierSettings(cache_dir=default_cache_dir())


def test_example_documents_every_key() -> None:
    """Every settings field appears in the example (commented keys count), with its table."""
    text = EXAMPLE.read_text("utf-8")
    documented = set(re.findall(r"^#?\s*([a-z_]+)\s*=", text, re.MULTILINE))
    for section in (ClassifierSettings, TelegramSettings, IntakeSettings):
        for field in dataclasses.fields(section):
            assert field.name in documented, field.name
    for key in ("url", "claim", "resolve", "urgent_claim", "urgent_resolve", "timezone"):
        assert key in documented, key
    for table in ("[classifier]", "[telegram]", "[database]", "[deadlines]", "[intake]", "[street]",
                  "[[communities]]", "[[communities.grids]]", "[[departments]]", "[[people]]"):  # fmt: skip
        assert table in text, table


def test_check_config_prints_the_tree() -> None:
    """The report shows every unit with its chat and members, and the deadlines."""
    report = org_tree(load_settings(EXAMPLE))
    assert "兴安南路第一网格  [grid xingan-1, chat telegram:-1001000000011]  — 张三, 李四" in report
    assert "· 电影制片厂小区 (电影厂小区, 电影厂家属院)" in report
    assert "首府供水公司" in report
    assert "drainage, water_supply" in report
    assert "deadlines: claim 2h, resolve 3d; urgent claim 15m, resolve 4h" in report


def test_no_config_means_defaults() -> None:
    """Running the classifier commands without --config needs no organisation."""
    settings = load_settings(None)
    assert settings == Settings()
    assert settings.deadlines == DeadlineSettings()
    with pytest.raises(SettingsError, match="street: missing"):
        settings.require_org()


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    """rules_file and cache_dir are relative to the config file's folder, not the cwd."""
    config = tmp_path / "conf" / "griddesk.toml"
    config.parent.mkdir()
    config.write_text('[classifier]\nrules_file = "r.toml"\ncache_dir = "cache"\nask_below = 0.3\n')
    settings = load_settings(config).classifier
    assert settings.rules_file == tmp_path / "conf" / "r.toml"
    assert settings.cache_dir == tmp_path / "conf" / "cache"
    assert settings.ask_below == 0.3


def _replace(old: str, new: str) -> str:
    text = EXAMPLE.read_text("utf-8")
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (_replace('units = ["xingan-1"]', 'units = ["xingan-9"]'), "people[0].units[0]: unknown grid 'xingan-9'"),
        (_replace("chat_id = -1001000000012", "chat_id = -1001000000011"), "chat_id telegram:-1001000000011 is used by both grid:xingan-1 and grid:xingan-2"),
        (_replace('claim = "1h"', 'claim = "1 hour"'), "deadlines.categories.heating.claim: '1 hour' is not a duration"),
        (_replace('claim = "2h"', 'claim = "5d"'), "deadlines.claim: longer than resolve"),
        (_replace("[deadlines.categories.gas]", "[deadlines.categories.gaz]"), "deadlines.categories.gaz: unknown category id"),
        (_replace('[telegram]\n', '[telegram]\ntoken = "123:ABC"\n'), "telegram.token: secrets never go in the config file: set the environment variable GRIDDESK_TELEGRAM_TOKEN"),
        (_replace('timezone = "Asia/Shanghai"', 'token = "123:ABC"'), "token: secrets never go in the config file"),
        (_replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"'), "timezone: unknown time zone 'Mars/Olympus'"),
        (_replace('categories = ["heating"]', 'categories = ["heat"]'), "departments[1].categories[0]: unknown category id 'heat'"),
        (_replace('categories = ["heating"]', 'categories = ["drainage"]'), "departments[1].categories[0]: drainage already belongs to department 'water'"),
        (_replace("user_id = 2002", "user_id = 2001"), "people[1].user_id: telegram:2001 is listed twice"),
        (_replace('role = "admin"', 'role = "boss"'), "people[7].role: must be one of grid_worker"),
        (_replace('role = "admin"', 'role = "admin"\nunits = ["xingan-1"]'), "people[7].units[0]: admins belong to the whole street"),
        (_replace('id = "xingan-2"', 'id = "兴安二"'), "communities[0].grids[1].id: '兴安二' must be 1-24 letters"),
        (_replace('id = "xingan-2"', 'id = "xingan-1"'), "grid id 'xingan-1' is used twice"),
        (_replace('places = ["华建小区"', 'places = ["审计厅小区"'), "'审计厅小区' is claimed by grids 'xingan-1' and 'xingan-2'"),
        (_replace('name = "大学西路街道"\n', ""), "street.name: missing"),
        (_replace("poll_timeout = 30", "poll_timeout = 90"), "telegram.poll_timeout: must be from 1 to 50 seconds"),
        (_replace("poll_lease = 10", "poll_lease = 1"), "telegram.poll_lease: must be from 3 to 60 seconds, got 1"),
        (_replace('url = "sqlite:///griddesk.db"', 'url = "mysql://x"'), "database.url: 'mysql://x' is neither"),
        (_replace("[[people]]\nuser_id = 2001", "[[people]]\nuser_id = 2001\nphone = 1"), "people[0].phone: unknown key"),
        (_replace('role = "grid_worker"\nunits = ["xingan-1"]', 'role = "grid_worker"'), "people[0].units: a grid_worker needs at least one unit"),
    ],
)  # fmt: skip
def test_config_mistakes_name_their_key(config: str, message: str, tmp_path: Path) -> None:
    """Each mistake an operator can make is reported with the key that is wrong."""
    path = tmp_path / "griddesk.toml"
    path.write_text(config, "utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_working_hours_are_read(tmp_path: Path) -> None:
    """working_hours, holidays and 调休 workdays become the deadlines' calendar."""
    path = tmp_path / "griddesk.toml"
    path.write_text(
        _replace('working_hours = ""', 'working_hours = "08:30-17:30"').replace(
            "holidays = []", 'holidays = ["2026-10-01"]'
        ),
        "utf-8",
    )
    hours = load_settings(path).deadlines.working_hours
    assert hours is not None
    assert (hours.start.hour, hours.end.hour) == (8, 17)
    assert not hours.is_working_day(date(2026, 10, 1))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('working_hours = ""', 'working_hours = "9-5"', "deadlines.working_hours: '9-5' is not a range"),
        ('working_hours = ""', 'working_hours = "18:00-08:00"', "deadlines.working_hours: the day must start before it ends"),
        ("holidays = []", 'holidays = ["十月一日"]', "deadlines.holidays[0]: '十月一日' is not a date"),
        ('ask_rating_again = "1d"', 'ask_rating_again = "20d"', "followup.ask_rating_again: must be shorter"),
        ('tick = "1m"', 'tick = "soon"', "followup.tick: 'soon' is not a duration"),
    ],
)  # fmt: skip
def test_schedule_mistakes_name_their_key(old: str, new: str, message: str, tmp_path: Path) -> None:
    """Working hours and follow-up timing errors are reported with their key."""
    path = tmp_path / "griddesk.toml"
    path.write_text(_replace(old, new), "utf-8")
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(path)


BROADCAST = """
[[broadcasts]]
name = "weekly-safety"
schedule = "每周一 08:00"
audience = "groups"
grids = ["all"]
text = "安全提示"
"""


def test_config_notices_and_quiet_hours_are_read(tmp_path: Path) -> None:
    """The example's commented [[broadcasts]] block, switched on, parses; quiet hours too."""
    path = tmp_path / "griddesk.toml"
    path.write_text(EXAMPLE.read_text("utf-8") + BROADCAST, "utf-8")
    settings = load_settings(path)
    [notice] = settings.broadcasts
    assert (notice.name, notice.grid_ids) == (
        "weekly-safety",
        ("siqianmi-1", "xingan-1", "xingan-2"),
    )
    assert (settings.quiet_hours.start.hour, settings.quiet_hours.end.hour) == (22, 7)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('schedule = "每周一 08:00"', 'schedule = "周一早上"', "broadcasts[0].schedule:"),
        ('audience = "groups"', 'audience = "everyone"', "broadcasts[0].audience: must be groups or residents"),
        ('grids = ["all"]', 'grids = ["xingan-9"]', "broadcasts[0].grids[0]: unknown grid 'xingan-9'"),
    ],
)  # fmt: skip
def test_config_notice_mistakes_name_their_key(
    old: str, new: str, message: str, tmp_path: Path
) -> None:
    """A wrong schedule, audience or grid in [[broadcasts]] is reported with its key."""
    path = tmp_path / "griddesk.toml"
    path.write_text(EXAMPLE.read_text("utf-8") + BROADCAST.replace(old, new), "utf-8")
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(path)


def test_bad_quiet_hours_name_the_key(tmp_path: Path) -> None:
    """quiet_hours must be a range of two times."""
    path = tmp_path / "griddesk.toml"
    path.write_text(_replace('quiet_hours = "22:00-07:00"', 'quiet_hours = "晚上"'), "utf-8")
    with pytest.raises(SettingsError, match="quiet_hours:"):
        load_settings(path)


# --- every mistake in one run ----------------------------------------------------------------

MANY_MISTAKES = [
    ('timezone = "Asia/Shanghai"', 'timezone = "Asia/Shangai"', "timezone: unknown time zone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)"),
    ("[classifier]", "[clasifier]", "clasifier: unknown key (did you mean 'classifier'?)"),
    ("poll_timeout = 30", "poll_timeout = 90", "telegram.poll_timeout: must be from 1 to 50 seconds, got 90"),
    ("send_timeout = 5", "send_timeout = 0", "telegram.send_timeout: must be from 1 to 60 seconds, got 0"),
    ("resident_burst = 10", "resident_bursts = 10", "limits.resident_bursts: unknown key (did you mean 'resident_burst'?)"),
    ('claim = "2h"', 'claim = "2 hours"', """deadlines.claim: '2 hours' is not a duration like "15m", "2h" or "3d\""""),
    ("[deadlines.categories.gas]", "[deadlines.categories.gaz]", "deadlines.categories.gaz: unknown category id (did you mean 'gas'?)"),
    ('tick = "1m"', 'tick = "0m"', """followup.tick: '0m' is not a duration like "15m", "2h" or "3d\""""),
    ('morning = "08:00"', 'morning = "8am"', """digests.morning: '8am' is not a time of day like "08:00\""""),
    ('draft_reminder = "30m"', 'draft_reminder = "2d"', "intake.draft_reminder: must be shorter than draft_expiry"),
    ('categories = ["heating"]', 'categories = ["heatng"]', "departments[1].categories[0]: unknown category id 'heatng' (did you mean 'heating'?)"),
    ('units = ["xingan-1"]', 'units = ["xingan-l"]', "people[0].units[0]: unknown grid 'xingan-l' (did you mean 'xingan-1'?)"),
    ('name = "李四"', 'nmae = "李四"', "people[1].nmae: unknown key (did you mean 'name'?)"),
    ('units = ["xingannanlu"]', 'units = ["xingannan"]', "people[4].units[0]: unknown community 'xingannan' (did you mean 'xingannanlu'?)"),
    ('units = ["water"]', 'units = ["watr"]', "people[6].units[0]: unknown department 'watr' (did you mean 'water'?)"),
    (BROADCAST, BROADCAST.replace('["all"]', '["siqianmi1"]'), "broadcasts[0].grids[0]: unknown grid 'siqianmi1' (did you mean 'siqianmi-1'?)"),
]  # fmt: skip


def test_every_mistake_is_reported_with_its_key_and_a_suggestion(tmp_path: Path) -> None:
    """One run reports every mistake in every section, one line each, misspelt ids corrected."""
    text = EXAMPLE.read_text("utf-8") + BROADCAST
    for old, new, _ in MANY_MISTAKES:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "griddesk.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    expected = [line for _, _, line in MANY_MISTAKES] + ["people[1].name: missing"]
    assert sorted(str(caught.value).splitlines()) == sorted(f"{path}: {line}" for line in expected)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('name = "兴安南路第二网格"\n', "", "communities[0].grids[1].name: missing"),
        ("chat_id = -1001000000010", 'chat_id = "群"', "communities[0].chat_id: must start with its channel (telegram, wechat, wecom) and a colon, got '群'"),
        ('name = "首府供水公司"', "name = 1", "departments[0].name: must be a non-empty string, got 1"),
        ('role = "grid_worker"\nunits = ["xingan-1"]', 'role = "gridworker"\nunits = ["xingan-1"]', "people[0].role: must be one of grid_worker, community_staff, department_liaison, admin (did you mean 'grid_worker'?)"),
        ('role = "admin"', 'role = "boss"', "people[7].role: must be one of grid_worker"),
        ('claim = "2h"', 'claim = "2 hours"', "deadlines.claim: '2 hours' is not a duration"),
        ('resolve = "3d"', 'resolve = "1h"', "deadlines.claim: longer than resolve"),
        ('categories = ["water_supply", "drainage"]', 'categories = ["water_suply", "drainage"]', "departments[0].categories[0]: unknown category id 'water_suply' (did you mean 'water_supply'?)"),
    ],
)  # fmt: skip
def test_one_mistake_is_one_line(old: str, new: str, message: str, tmp_path: Path) -> None:
    """A wrong value does not cascade: a grid without a name is still a grid its workers are in."""
    path = tmp_path / "griddesk.toml"
    path.write_text(_replace(old, new), "utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    [line] = str(caught.value).splitlines()
    assert line.startswith(f"{path}: {message}")


def test_a_secret_is_never_echoed_among_other_mistakes(tmp_path: Path) -> None:
    """A token-shaped value where an id goes is refused by key; the other mistakes still show."""
    secret = "7312345678:AAFq3kT0ZxN1-pQ9vR2sL8mW4yH6jC5bD7e"
    path = tmp_path / "griddesk.toml"
    path.write_text(
        _replace('id = "xingan-2"', f'id = "{secret}"').replace(
            "poll_timeout = 30", "poll_timeout = 0"
        ),
        "utf-8",
    )
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert secret not in message
    assert "communities[0].grids[1].id: looks like a bot token" in message
    assert "telegram.poll_timeout: must be from 1 to 50 seconds, got 0" in message


def test_the_poll_lease_is_read_and_its_default_is_the_pollers(tmp_path: Path) -> None:
    """``[telegram] poll_lease`` is the example's 10 s, the poller's own default, and can change."""
    assert load_settings(EXAMPLE).telegram.poll_lease == 10
    assert timedelta(seconds=TelegramSettings().poll_lease) == LEASE_TIME
    path = tmp_path / "griddesk.toml"
    path.write_text(_replace("poll_lease = 10", "poll_lease = 4"), "utf-8")
    assert load_settings(path).telegram.poll_lease == 4


# --- [intake] --------------------------------------------------------------------------------


def test_intake_settings_are_read(tmp_path: Path) -> None:
    """The example documents [intake] at its defaults; every key can be changed."""
    assert load_settings(EXAMPLE).intake == IntakeSettings()
    assert IntakeSettings() == IntakeSettings(
        merge_window=timedelta(hours=24),
        tasks_per_day=20,
        draft_reminder=timedelta(minutes=30),
        draft_expiry=timedelta(hours=24),
    )
    path = tmp_path / "griddesk.toml"
    text = _replace('merge_window = "24h"', 'merge_window = "2d"')
    text = text.replace("tasks_per_day = 20", "tasks_per_day = 0")
    text = text.replace('draft_reminder = "30m"', 'draft_reminder = "1h"')
    text = text.replace('draft_expiry = "24h"', 'draft_expiry = "3d"')
    path.write_text(text, "utf-8")
    assert load_settings(path).intake == IntakeSettings(
        timedelta(days=2), 0, timedelta(hours=1), timedelta(days=3)
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('merge_window = "24h"', 'merge_window = "a day"', "intake.merge_window: 'a day' is not a duration"),
        ('merge_window = "24h"', 'merge_window = "0h"', "intake.merge_window: '0h' is not a duration"),
        ("tasks_per_day = 20", "tasks_per_day = -1", "intake.tasks_per_day: must be 0 or more, got -1"),
        ("tasks_per_day = 20", 'tasks_per_day = "20"', "intake.tasks_per_day: must be a whole number, got '20'"),
        ('draft_reminder = "30m"', 'draft_reminder = "0m"', "intake.draft_reminder: '0m' is not a duration"),
        ('draft_expiry = "24h"', 'draft_expiry = "30m"', "intake.draft_reminder: must be shorter than draft_expiry"),
        ('draft_expiry = "24h"', 'draft_expiry = "24h"\ndraft_expire = "1d"', "intake.draft_expire: unknown key (did you mean 'draft_expiry'?)"),
    ],
)  # fmt: skip
def test_intake_mistakes_name_their_key(old: str, new: str, message: str, tmp_path: Path) -> None:
    """Each mistake in [intake] is one line naming its key."""
    path = tmp_path / "griddesk.toml"
    path.write_text(_replace(old, new), "utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    [line] = str(caught.value).splitlines()
    assert line.startswith(f"{path}: {message}")
