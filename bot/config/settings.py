"""The one frozen :class:`Settings`, loaded from TOML and validated at start-up.

Every mistake is reported with its key (``people[2].units[0]: unknown grid 'x'``) so an operator
can fix the file without reading code. Relative paths are resolved against the config file's
folder. Secrets never come from the file: the bot token is read from ``GRIDDESK_TELEGRAM_TOKEN``,
a database URL with a password from ``GRIDDESK_DATABASE_URL``; a file that holds a secret — a
``token`` (or ``password``, ``secret``, ``api_key``) key anywhere, a value that looks like a bot
token, a password in ``database.url`` — is refused, naming the key but never echoing the value.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.org import Org, parse_org
from bot.config.tomlcheck import (
    SettingsError,
    duration,
    integer,
    join,
    only_keys,
    string,
    strings,
    table,
    tables,
)
from bot.config.workhours import WorkingHours
from bot.domain import Audience
from bot.followup.notice_times import (
    ConfiguredBroadcast,
    QuietHours,
    ScheduleError,
    parse_quiet_hours,
    parse_schedule,
)
from nlp.taxonomy import Category

__all__ = ["Settings", "SettingsError", "load_settings"]

TOKEN_VARIABLE = "GRIDDESK_TELEGRAM_TOKEN"
DATABASE_VARIABLE = "GRIDDESK_DATABASE_URL"
"""Overrides ``database.url``; the place for a URL with a password in it."""
_SECRET_HINT = f"secrets never go in the config file: set the environment variable {TOKEN_VARIABLE}"
_SECRET_KEYS = frozenset({"token", "bot_token", "password", "secret", "api_key", "app_secret"})
BOT_TOKEN_PATTERN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
"""What a Telegram bot token looks like; such a value anywhere in the file is refused."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/griddesk``, or ``~/.cache/griddesk``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "griddesk"


@dataclass(frozen=True)
class ClassifierSettings:
    """``[classifier]``: which rules to use and where the tokenizer keeps its cache."""

    rules_file: Path | None = None
    """None: the rules shipped with the package."""
    ask_below: float | None = None
    """None: the rules file's own ``scoring.ask_below``."""
    cache_dir: Path = field(default_factory=default_cache_dir)


@dataclass(frozen=True)
class TelegramSettings:
    """``[telegram]``: where the Bot API is and how long a long poll waits."""

    base_url: str | None = None
    """None: Telegram's own ``https://api.telegram.org/bot``."""
    poll_timeout: int = 30
    send_timeout: int = 5
    """Seconds to wait for the answer to a send or an edit before it counts as failed (and
    the outbox tries again later)."""


@dataclass(frozen=True)
class Deadline:
    """How long a task may wait for a claim, and for its resolution, from its creation."""

    claim: timedelta
    resolve: timedelta


@dataclass(frozen=True)
class DeadlineSettings:
    """``[deadlines]``: defaults from DESIGN.md §6, overridable per category."""

    normal: Deadline = Deadline(timedelta(hours=2), timedelta(days=3))
    urgent: Deadline = Deadline(timedelta(minutes=15), timedelta(hours=4))
    by_category: Mapping[tuple[Category, bool], Deadline] = field(default_factory=dict)
    working_hours: WorkingHours | None = None
    """When set, non-urgent deadlines count only working time; None: the wall clock."""

    def of(self, category: Category, urgent: bool) -> Deadline:
        """The deadline that applies to a task of this category and urgency."""
        default = self.urgent if urgent else self.normal
        return self.by_category.get((category, urgent), default)

    def due(self, start: datetime, span: timedelta, urgent: bool, timezone: ZoneInfo) -> datetime:
        """``start`` plus ``span``, in working time unless the task is urgent or none is set."""
        if urgent or self.working_hours is None:
            return start + span
        return self.working_hours.add(start, span, timezone)


@dataclass(frozen=True)
class FollowupSettings:
    """``[followup]``: the schedule the follow-up engine keeps (DESIGN.md §6)."""

    tick: timedelta = timedelta(minutes=1)
    """How often the engine asks the database what is due."""
    escalate_after: timedelta = timedelta(hours=1)
    """After a reminder, how long until a still unclaimed/unresolved task goes up a level."""
    urgent_escalate_after: timedelta = timedelta(minutes=15)
    ask_rating_again: timedelta = timedelta(days=1)
    """After 办结 without a rating, when to ask the resident once more."""
    close_unrated_after: timedelta = timedelta(days=15)
    """After 办结, when a task still without a rating is closed (15日回访)."""

    def escalation_wait(self, urgent: bool) -> timedelta:
        return self.urgent_escalate_after if urgent else self.escalate_after


@dataclass(frozen=True)
class DigestSettings:
    """``[digests]``: when the morning digest and the weekly figures go out (local time)."""

    morning: time = time(8, 0)
    """Every day: each grid group gets its open, overdue and claimed tasks."""
    weekly_day: int = 0
    """The weekday of the weekly figures, as :meth:`datetime.date.weekday` (0 = Monday)."""
    weekly_time: time = time(8, 0)
    """When on that day each community group gets its grids' figures of the week before."""


@dataclass(frozen=True)
class LimitSettings:
    """``[limits]``: how fast one resident may write before the flood guard steps in."""

    resident_messages_per_minute: int = 20
    """Sustained rate per resident; 0 switches the guard off."""
    resident_burst: int = 10
    """How many messages a resident may send at once before the rate applies."""


@dataclass(frozen=True)
class Settings:
    """Everything griddesk is configured with."""

    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    database_url: str = "sqlite:///griddesk.db"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    deadlines: DeadlineSettings = field(default_factory=DeadlineSettings)
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    digests: DigestSettings = field(default_factory=DigestSettings)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    """Scheduled messages to residents wait out these local hours (default 22:00–07:00)."""
    broadcasts: tuple[ConfiguredBroadcast, ...] = ()
    """``[[broadcasts]]``: notices defined in the config, synced at start-up."""
    limits: LimitSettings = field(default_factory=LimitSettings)
    org: Org | None = None
    """None when the config defines no organisation (enough for the classifier commands)."""

    def require_org(self) -> Org:
        if self.org is None:
            raise SettingsError("street: missing (the bot needs the street, communities and grids)")
        return self.org


def telegram_token() -> str:
    """The bot token from the environment; a clear error when it is missing."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise SettingsError(
            f"the bot token is missing: set the environment variable {TOKEN_VARIABLE}"
        )
    return token


def load_settings(path: Path | None) -> Settings:
    """Read ``path``, or return the defaults when no config file is given."""
    if path is None:
        url = os.environ.get(DATABASE_VARIABLE, "").strip()
        return Settings(database_url=_database_env(url)) if url else Settings()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return _settings(data, path.parent)
    except SettingsError as exc:
        raise SettingsError(f"{path}: {exc}") from None


def _settings(data: Mapping[str, Any], base: Path) -> Settings:
    _refuse_secrets(data, "")
    only_keys(
        data,
        "",
        {"timezone", "classifier", "telegram", "database", "deadlines", "followup", "street",
         "communities", "departments", "people", "quiet_hours", "broadcasts", "digests",
         "limits"},
        hints={"token": _SECRET_HINT},
    )  # fmt: skip
    from_env = os.environ.get(DATABASE_VARIABLE, "").strip()
    return Settings(
        classifier=_classifier(table(data, "classifier"), base),
        telegram=_telegram(table(data, "telegram")),
        database_url=(
            _database_env(from_env) if from_env else _database_url(table(data, "database"), base)
        ),
        limits=_limits(table(data, "limits")),
        timezone=_timezone(data),
        deadlines=_deadlines(table(data, "deadlines")),
        followup=_followup(table(data, "followup")),
        digests=_digests(table(data, "digests")),
        quiet_hours=_quiet_hours(data),
        broadcasts=_broadcasts(data),
        org=parse_org(data) if "street" in data else None,
    )


def _classifier(data: Mapping[str, Any], base: Path) -> ClassifierSettings:
    only_keys(data, "classifier", {"rules_file", "ask_below", "cache_dir"})
    ask_below = data.get("ask_below")
    if ask_below is not None and (
        isinstance(ask_below, bool)
        or not isinstance(ask_below, int | float)
        or not 0 <= ask_below <= 1
    ):
        raise SettingsError(
            f"classifier.ask_below: must be a number from 0 to 1, got {ask_below!r}"
        )
    return ClassifierSettings(
        rules_file=_path(data, "rules_file", "classifier", base),
        ask_below=None if ask_below is None else float(ask_below),
        cache_dir=_path(data, "cache_dir", "classifier", base) or default_cache_dir(),
    )


def _telegram(data: Mapping[str, Any]) -> TelegramSettings:
    keys = {"base_url", "poll_timeout", "send_timeout"}
    only_keys(data, "telegram", keys, hints={"token": _SECRET_HINT})
    base_url = string(data, "base_url", "telegram", default="")
    timeout = integer(data, "poll_timeout", "telegram", default=30)
    if not 1 <= timeout <= 50:
        raise SettingsError(f"telegram.poll_timeout: must be from 1 to 50 seconds, got {timeout}")
    send_timeout = integer(data, "send_timeout", "telegram", default=5)
    if not 1 <= send_timeout <= 60:
        raise SettingsError(
            f"telegram.send_timeout: must be from 1 to 60 seconds, got {send_timeout}"
        )
    return TelegramSettings(base_url or None, timeout, send_timeout)


def _refuse_secrets(data: object, key: str) -> None:
    """Refuse a secret anywhere in the file; the message names the key, never the value."""
    if isinstance(data, Mapping):
        for name, value in data.items():
            where = join(key, name)
            if str(name).lower() in _SECRET_KEYS:
                hint = _SECRET_HINT.replace(TOKEN_VARIABLE, _secret_variable(where))
                raise SettingsError(f"{where}: {hint}")
            _refuse_secrets(value, where)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _refuse_secrets(value, join(key, i))
    elif isinstance(data, str) and BOT_TOKEN_PATTERN.search(data):
        raise SettingsError(f"{key or 'the file'}: looks like a bot token; {_SECRET_HINT}")


def _secret_variable(where: str) -> str:
    if where.startswith("database"):
        return DATABASE_VARIABLE
    if where.startswith("telegram") or where == "token":
        return TOKEN_VARIABLE
    return "GRIDDESK_…"


def _has_password(url: str) -> bool:
    try:
        return urlsplit(url).password is not None
    except ValueError:  # a malformed URL: the scheme check below names the key
        return False


def _database_env(url: str) -> str:
    """``GRIDDESK_DATABASE_URL``, checked like ``database.url`` (a password is fine here)."""
    if not url.startswith(("sqlite", "postgresql")):
        raise SettingsError(
            f"{DATABASE_VARIABLE}: must be sqlite:///… or postgresql://… (value not shown)"
        )
    return url


def _limits(data: Mapping[str, Any]) -> LimitSettings:
    only_keys(data, "limits", {"resident_messages_per_minute", "resident_burst"})
    defaults = LimitSettings()
    rate = integer(data, "resident_messages_per_minute", "limits",
                   default=defaults.resident_messages_per_minute)  # fmt: skip
    burst = integer(data, "resident_burst", "limits", default=defaults.resident_burst)
    if rate < 0:
        raise SettingsError(
            f"limits.resident_messages_per_minute: must be 0 (off) or more, got {rate}"
        )
    if burst < 1:
        raise SettingsError(f"limits.resident_burst: must be 1 or more, got {burst}")
    return LimitSettings(rate, burst)


def _database_url(data: Mapping[str, Any], base: Path) -> str:
    only_keys(data, "database", {"url"})
    url = string(data, "url", "database", default="sqlite:///griddesk.db")
    if _has_password(url):
        raise SettingsError(
            f"database.url: holds a password; secrets never go in the config file: "
            f"set the environment variable {DATABASE_VARIABLE} instead"
        )
    prefix, sep, rest = url.partition(":///")
    if prefix.startswith("sqlite") and sep and not rest.startswith("/") and rest != ":memory:":
        return (
            f"{prefix}:///{base.resolve() / rest}"  # a relative SQLite file lives beside the config
        )
    if not url.startswith(("sqlite", "postgresql")):
        # echoing is safe: a URL with a password was refused above
        raise SettingsError(f"database.url: {url!r} is neither sqlite:///… nor postgresql://…")
    return url


def _timezone(data: Mapping[str, Any]) -> ZoneInfo:
    name = string(data, "timezone", "", default="Asia/Shanghai")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"timezone: unknown time zone {name!r}") from None


def _working_hours(data: Mapping[str, Any]) -> WorkingHours | None:
    """``working_hours = "08:30-17:30"`` with ``holidays`` and ``workdays`` (调休) dates."""
    days = {}
    for name in ("holidays", "workdays"):
        found = set()
        for i, value in enumerate(strings(data, name, "deadlines")):
            try:
                found.add(date.fromisoformat(value))
            except ValueError:
                where = join(join("deadlines", name), i)
                raise SettingsError(f"{where}: {value!r} is not a date like 2026-10-01") from None
        days[name] = frozenset(found)
    text = string(data, "working_hours", "deadlines", default="")
    if not text:
        return None
    try:
        hours = parse_quiet_hours(text)  # the same "HH:MM-HH:MM" shape
    except ScheduleError:
        raise SettingsError(
            f"deadlines.working_hours: {text!r} is not a range like 08:30-17:30"
        ) from None
    if hours.start >= hours.end:
        raise SettingsError("deadlines.working_hours: the day must start before it ends")
    return WorkingHours(
        hours.start, hours.end, holidays=days["holidays"], workdays=days["workdays"]
    )


def _deadlines(data: Mapping[str, Any]) -> DeadlineSettings:
    keys = {"claim", "resolve", "urgent_claim", "urgent_resolve"}
    only_keys(data, "deadlines", keys | {"categories", "working_hours", "holidays", "workdays"})
    defaults = DeadlineSettings()
    normal = Deadline(
        duration(data, "claim", "deadlines", defaults.normal.claim),
        duration(data, "resolve", "deadlines", defaults.normal.resolve),
    )
    urgent = Deadline(
        duration(data, "urgent_claim", "deadlines", defaults.urgent.claim),
        duration(data, "urgent_resolve", "deadlines", defaults.urgent.resolve),
    )
    by_category: dict[tuple[Category, bool], Deadline] = {}
    categories = table(data, "categories", "deadlines")
    for name, value in categories.items():
        key = join("deadlines.categories", name)
        try:
            category = Category(name)
        except ValueError:
            raise SettingsError(f"{key}: unknown category id") from None
        if not isinstance(value, dict):
            raise SettingsError(f"{key}: must be a table")
        only_keys(value, key, keys)
        by_category[category, False] = Deadline(
            duration(value, "claim", key, normal.claim),
            duration(value, "resolve", key, normal.resolve),
        )
        by_category[category, True] = Deadline(
            duration(value, "urgent_claim", key, urgent.claim),
            duration(value, "urgent_resolve", key, urgent.resolve),
        )
    checks = [("deadlines", "", normal), ("deadlines", "urgent_", urgent)]
    checks += [
        (f"deadlines.categories.{category}", "urgent_" if is_urgent else "", deadline)
        for (category, is_urgent), deadline in by_category.items()
    ]
    for where, prefix, deadline in checks:
        if deadline.claim > deadline.resolve:
            raise SettingsError(f"{where}.{prefix}claim: longer than {prefix}resolve")
    return DeadlineSettings(normal, urgent, by_category, _working_hours(data))


def _quiet_hours(data: Mapping[str, Any]) -> QuietHours:
    text = string(data, "quiet_hours", "", default="22:00-07:00")
    try:
        return parse_quiet_hours(text)
    except ScheduleError as exc:
        raise SettingsError(f"quiet_hours: {exc}") from None


def _broadcasts(data: Mapping[str, Any]) -> tuple[ConfiguredBroadcast, ...]:
    """``[[broadcasts]]`` entries; grids are checked against the organisation."""
    grids = {g.ref.id for g in parse_org(data).grids()} if "street" in data else set()
    found: list[ConfiguredBroadcast] = []
    now, zone = datetime.now(UTC), _timezone(data)
    for i, entry in enumerate(tables(data, "broadcasts")):
        key = join("broadcasts", i)
        only_keys(entry, key, {"name", "schedule", "audience", "grids", "text"})
        name = string(entry, "name", key)
        if any(b.name == name for b in found):
            raise SettingsError(f"{join(key, 'name')}: {name!r} is used twice")
        schedule = string(entry, "schedule", key)
        try:
            parse_schedule(schedule, now, zone)
        except ScheduleError as exc:
            raise SettingsError(f"{join(key, 'schedule')}: {exc}") from None
        try:
            audience = Audience(string(entry, "audience", key))
        except ValueError:
            raise SettingsError(f"{join(key, 'audience')}: must be groups or residents") from None
        wanted = strings(entry, "grids", key)
        chosen = sorted(grids) if wanted == ["all"] else wanted
        for j, grid in enumerate(chosen):
            if grid not in grids:
                raise SettingsError(f"{join(join(key, 'grids'), j)}: unknown grid {grid!r}")
        if not chosen:
            raise SettingsError(f'{join(key, "grids")}: name the grids, or ["all"]')
        found.append(
            ConfiguredBroadcast(name, schedule, audience, tuple(chosen), string(entry, "text", key))
        )
    return tuple(found)


def _followup(data: Mapping[str, Any]) -> FollowupSettings:
    defaults = FollowupSettings()
    names = ("tick", "escalate_after", "urgent_escalate_after", "ask_rating_again",
             "close_unrated_after")  # fmt: skip
    only_keys(data, "followup", set(names))
    values = {name: duration(data, name, "followup", getattr(defaults, name)) for name in names}
    settings = FollowupSettings(**values)
    if settings.ask_rating_again >= settings.close_unrated_after:
        raise SettingsError("followup.ask_rating_again: must be shorter than close_unrated_after")
    return settings


def _path(data: Mapping[str, Any], name: str, key: str, base: Path) -> Path | None:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise SettingsError(f"{join(key, name)}: must be a string (a path), got {value!r}")
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def _digests(data: Mapping[str, Any]) -> DigestSettings:
    only_keys(data, "digests", {"morning", "weekly"})
    morning = string(data, "morning", "digests", default="08:00")
    weekly = string(data, "weekly", "digests", default="mon 08:00")
    at = _clock(morning)
    if at is None:
        raise SettingsError(f'digests.morning: {morning!r} is not a time of day like "08:00"')
    day, _, clock = weekly.lower().partition(" ")
    weekly_at = _clock(clock.strip())
    if day not in _WEEKDAYS or weekly_at is None:
        raise SettingsError(
            f'digests.weekly: {weekly!r} is not a weekday and time like "mon 08:00" '
            f"(days: {', '.join(_WEEKDAYS)})"
        )
    return DigestSettings(at, _WEEKDAYS.index(day), weekly_at)


def _clock(text: str) -> time | None:
    """``08:00`` → 08:00; None when it is not a time of day."""
    match = _CLOCK.match(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        return None
    return time(int(match.group(1)), int(match.group(2)))
