"""The one frozen :class:`Settings`, loaded from TOML and validated at start-up.

Every mistake is reported with its key (``people[2].units[0]: unknown grid 'x'``), all of them in
one run, one line each, a misspelt id or key with the nearest valid one, so an operator fixes
the file in one round without reading code. Relative paths are resolved against the config
file's folder. Secrets never come from the file: the bot token is read from
``GRIDDESK_TELEGRAM_TOKEN``, a database URL with a password from ``GRIDDESK_DATABASE_URL``; a
file that holds a secret is refused, naming the key but never echoing the value
(:mod:`bot.config.environment`).

Tables are read beside their settings — :mod:`bot.config.timing` (``[deadlines]``,
``[followup]``, ``[digests]``), :mod:`bot.config.residents` (``[limits]``, ``[intake]``),
:mod:`bot.config.notices` (``[[broadcasts]]``, ``quiet_hours``) and
:mod:`bot.config.org_reader` (the organisation), each recording its mistakes in one
:class:`~bot.config.tomlcheck.Problems`; this module reads the rest and puts them together.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.channels import Channel
from bot.config.channels_served import check_channels
from bot.config.environment import (
    BOT_TOKEN_PATTERN,
    DATABASE_VARIABLE,
    SECRET_HINT,
    TOKEN_VARIABLE,
    database_from_environment,
    has_password,
    hide_tokens,
    refuse_secrets,
    telegram_token,
)
from bot.config.faq import FaqEntry, read_faq
from bot.config.notices import read_broadcasts, read_quiet_hours
from bot.config.org import Org
from bot.config.org_reader import declared_grids, parse_org
from bot.config.residents import (
    IntakeSettings,
    LimitSettings,
    PrivacySettings,
    read_intake,
    read_limits,
    read_privacy,
)
from bot.config.serving import (
    OFF,
    HttpSettings,
    Mode,
    check_webhook,
    read_http,
    read_mode,
    read_webhook_url,
)
from bot.config.timing import (
    Deadline,
    DeadlineSettings,
    DigestSettings,
    FollowupSettings,
    read_deadlines,
    read_digests,
    read_followup,
)
from bot.config.tomlcheck import (
    Mistake,
    Problems,
    SettingsError,
    did_you_mean,
    integer,
    join,
    only_keys,
    string,
    table,
)
from bot.config.web import WebSettings, read_web
from bot.config.wechat import WeChatSettings, read_wechat
from bot.config.wecom import WeComSettings, read_wecom
from bot.followup.notice_times import ConfiguredBroadcast, QuietHours

__all__ = [
    "BOT_TOKEN_PATTERN",
    "DATABASE_VARIABLE",
    "TOKEN_VARIABLE",
    "ClassifierSettings",
    "Deadline",
    "DeadlineSettings",
    "DigestSettings",
    "FollowupSettings",
    "HttpSettings",
    "IntakeSettings",
    "LimitSettings",
    "PrivacySettings",
    "Settings",
    "SettingsError",
    "TelegramSettings",
    "default_cache_dir",
    "load_settings",
    "telegram_token",
]

_TABLES = {"timezone", "classifier", "telegram", "database", "deadlines", "followup", "street",
           "communities", "departments", "people", "quiet_hours", "broadcasts", "digests",
           "limits", "intake", "faq", "privacy", "http", "wechat", "wecom", "web"}  # fmt: skip
_SHANGHAI = "Asia/Shanghai"


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
    """``[telegram]``: where the Bot API is, how updates arrive, how long a long poll waits."""

    base_url: str | None = None
    """None: Telegram's own ``https://api.telegram.org/bot``."""
    poll_timeout: int = 30
    send_timeout: int = 5
    """Seconds to wait for the answer to a send or an edit before it counts as failed (and
    the outbox tries again later)."""
    mode: Mode = "polling"
    """``polling`` (``getUpdates``) or ``webhook`` (:mod:`bot.config.serving`)."""
    webhook_url: str | None = None
    """Webhook mode: the public URL Telegram posts updates to."""
    poll_lease: int = 10
    """Seconds the polling instance's lease lasts unless renewed (it renews it every third of
    that): when it dies, another instance polls once it runs out (:mod:`handlers.telegram.
    polling`)."""


@dataclass(frozen=True)
class Settings:
    """Everything griddesk is configured with."""

    classifier: ClassifierSettings = field(default_factory=ClassifierSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    """``[http]``: the server for health, metrics and webhooks (off unless ``listen`` is set)."""
    database_url: str = "sqlite:///griddesk.db"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo(_SHANGHAI))
    deadlines: DeadlineSettings = field(default_factory=DeadlineSettings)
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    digests: DigestSettings = field(default_factory=DigestSettings)
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    """Scheduled messages to residents wait out these local hours (default 22:00–07:00)."""
    broadcasts: tuple[ConfiguredBroadcast, ...] = ()
    """``[[broadcasts]]``: notices defined in the config, synced at start-up."""
    limits: LimitSettings = field(default_factory=LimitSettings)
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    faq: tuple[FaqEntry, ...] = ()
    """``[[faq]]``: common questions the bot answers at once (:mod:`bot.config.faq`)."""
    wechat: WeChatSettings | None = None
    """``[wechat]``: residents on a WeChat Official Account; None: not on WeChat."""
    wecom: WeComSettings | None = None
    """``[wecom]``: workers on WeCom through a self-built app; None: not on WeCom."""
    web: WebSettings | None = None
    """``[web]``: the operators' web desk (:mod:`bot.config.web`); None: no desk."""
    org: Org | None = None
    """None when the config defines no organisation (enough for the classifier commands)."""

    def require_org(self) -> Org:
        if self.org is None:
            raise SettingsError("street: missing (the bot needs the street, communities and grids)")
        return self.org


def load_settings(path: Path | None) -> Settings:
    """Read ``path``, or return the defaults when no config file is given.

    Raises one :class:`SettingsError` listing every mistake, one ``FILE: key: what`` line each.
    """
    if path is None:
        url = database_from_environment()
        return Settings(database_url=url) if url else Settings()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    problems = Problems()
    settings = _settings(data, path.parent, problems)
    if problems:
        raise SettingsError("\n".join(f"{path}: {hide_tokens(line)}" for line in problems.lines()))
    return settings


def _settings(data: Mapping[str, Any], base: Path, problems: Problems) -> Settings:
    """Every table read, in the example's order, each mistake recorded; defaults stand in for
    what was wrong (the caller raises when anything was)."""
    refuse_secrets(data, "", problems)
    only_keys(data, "", _TABLES, problems, hints={"token": SECRET_HINT})

    def section(name: str) -> dict[str, Any]:
        return problems.read(table, data, name) or {}

    zone = problems.read(_timezone, data) or ZoneInfo(_SHANGHAI)
    quiet_hours = problems.read(read_quiet_hours, data) or QuietHours()
    classifier = _classifier(section("classifier"), base, problems)
    telegram = _telegram(section("telegram"), problems)
    http = read_http(section("http"), problems)
    check_webhook(telegram.mode, telegram.webhook_url, http, problems)
    wechat = read_wechat(problems.read(table, data, "wechat") if "wechat" in data else None,
                         http, problems)  # fmt: skip
    wecom = read_wecom(problems.read(table, data, "wecom") if "wecom" in data else None,
                       http, problems)  # fmt: skip
    web = read_web(section("web"), http, problems)
    # the file's URL is checked even when the environment's replaces it: the file is shared
    file_database_url = _database_url(section("database"), base, problems)
    database_url = problems.read(database_from_environment) or file_database_url
    limits = read_limits(section("limits"), problems)
    intake = read_intake(section("intake"), problems)
    privacy = read_privacy(section("privacy"), problems)
    deadlines = read_deadlines(section("deadlines"), problems)
    followup = read_followup(section("followup"), problems)
    digests = read_digests(section("digests"), problems)
    grids = declared_grids(data) if "street" in data else set()
    broadcasts = read_broadcasts(data, zone, grids, problems)
    faq = read_faq(data, problems)
    org = parse_org(data, problems) if "street" in data else None
    if org is not None:
        running = {Channel.TELEGRAM} if telegram.mode != OFF else set()
        running |= {Channel.WECHAT} if wechat is not None else set()
        running |= {Channel.WECOM} if wecom is not None else set()
        check_channels(org, frozenset(running), problems)
    return Settings(
        classifier=classifier,
        telegram=telegram,
        http=http,
        database_url=database_url,
        timezone=zone,
        deadlines=deadlines,
        followup=followup,
        digests=digests,
        quiet_hours=quiet_hours,
        broadcasts=broadcasts,
        limits=limits,
        intake=intake,
        privacy=privacy,
        faq=faq,
        wechat=wechat,
        wecom=wecom,
        web=web,
        org=org,
    )


def _classifier(data: Mapping[str, Any], base: Path, problems: Problems) -> ClassifierSettings:
    only_keys(data, "classifier", {"rules_file", "ask_below", "cache_dir"}, problems)
    rules_file = problems.read(_path, data, "rules_file", "classifier", base)
    cache_dir = problems.read(_path, data, "cache_dir", "classifier", base)
    return ClassifierSettings(
        rules_file, problems.read(_ask_below, data), cache_dir or default_cache_dir()
    )


def _ask_below(data: Mapping[str, Any]) -> float | None:
    value = data.get("ask_below")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise Mistake("classifier.ask_below", f"must be a number from 0 to 1, got {value!r}")
    return float(value)


def _path(data: Mapping[str, Any], name: str, key: str, base: Path) -> Path | None:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise Mistake(join(key, name), f"must be a string (a path), got {value!r}")
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _telegram(data: Mapping[str, Any], problems: Problems) -> TelegramSettings:
    keys = {"base_url", "poll_timeout", "poll_lease", "send_timeout", "mode", "webhook_url"}
    only_keys(data, "telegram", keys, problems, hints={"token": SECRET_HINT})
    defaults = TelegramSettings()
    base_url = problems.read(string, data, "base_url", "telegram", default="")
    poll = problems.read(integer, data, "poll_timeout", "telegram", defaults.poll_timeout,
                         least=1, most=50, unit=" seconds")  # fmt: skip
    send = problems.read(integer, data, "send_timeout", "telegram", defaults.send_timeout,
                         least=1, most=60, unit=" seconds")  # fmt: skip
    lease = problems.read(integer, data, "poll_lease", "telegram", defaults.poll_lease,
                          least=3, most=60, unit=" seconds")  # fmt: skip
    return TelegramSettings(
        base_url or None,
        defaults.poll_timeout if poll is None else poll,
        defaults.send_timeout if send is None else send,
        problems.read(read_mode, data) or defaults.mode,
        problems.read(read_webhook_url, data),
        poll_lease=defaults.poll_lease if lease is None else lease,
    )


def _database_url(data: Mapping[str, Any], base: Path, problems: Problems) -> str:
    only_keys(data, "database", {"url"}, problems)
    default = "sqlite:///griddesk.db"
    url = problems.read(string, data, "url", "database", default=default) or default
    if has_password(url):
        problems.add("database.url", "holds a password; secrets never go in the config file: "
                     f"set the environment variable {DATABASE_VARIABLE} instead")  # fmt: skip
        return default
    prefix, sep, rest = url.partition(":///")
    if prefix.startswith("sqlite") and sep and not rest.startswith("/") and rest != ":memory:":
        return (
            f"{prefix}:///{base.resolve() / rest}"  # a relative SQLite file lives beside the config
        )
    if not url.startswith(("sqlite", "postgresql")):
        # echoing is safe: a URL with a password was refused above
        problems.add("database.url", f"{url!r} is neither sqlite:///… nor postgresql://…")
    return url


def _timezone(data: Mapping[str, Any]) -> ZoneInfo:
    name = string(data, "timezone", "", default=_SHANGHAI)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = did_you_mean(name, available_timezones())
        raise Mistake("timezone", f"unknown time zone {name!r}{hint}") from None
