"""What ``check-config`` says about the channels: which run, and whether their secrets are in
this environment.

The file can be right while the machine is not ready: a secret missing from the environment
stops ``griddesk run`` at start. ``check-config`` runs where the bot will run, so it says so
there too, one line per channel, without failing (the file is what it checks, and a file
checked on a laptop is not wrong for want of production's secrets).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config.environment import telegram_token
from bot.config.serving import OFF
from bot.config.settings import Settings
from bot.config.tomlcheck import SettingsError
from bot.config.wechat import wechat_secrets
from bot.config.wecom import wecom_secrets


def channel_lines(settings: Settings) -> list[str]:
    """One line per channel this file sets up: where it is served, and its secrets' state."""
    lines = []
    if settings.telegram.mode != OFF:
        said = _missing(telegram_token) or "the bot token is set"
        lines.append(f"Telegram ({settings.telegram.mode}): {said}")
    if settings.wechat is not None:
        said = _missing(wechat_secrets) or "its secrets are set"
        lines.append(f"WeChat {settings.wechat.app_id} at {settings.wechat.callback_path}: {said}")
    if settings.wecom is not None:
        said = _missing(wecom_secrets) or "its secrets are set"
        wecom = settings.wecom
        lines.append(f"WeCom {wecom.corp_id} app {wecom.agent_id} at {wecom.callback_path}: {said}")
    return lines


def _missing(read: Callable[[], object]) -> str:
    """What reading the secrets says is wrong ("" when nothing), on one line."""
    try:
        read()
    except SettingsError as exc:
        return "not ready here: " + "; ".join(str(exc).splitlines())
    return ""
