"""``[wecom]``: grid workers and community staff on WeCom (企业微信), through a self-built app.

The file names the corp, the app and where its callback is served; the secrets come from the
environment, never the file:

- ``GRIDDESK_WECOM_SECRET``: the app's Secret, for ``access_token``;
- ``GRIDDESK_WECOM_TOKEN`` and ``GRIDDESK_WECOM_AES_KEY``: the callback's Token and
  EncodingAESKey (接收消息 → 设置API接收); WeCom always encrypts, so both are needed.

People are WeCom members when their ``user_id`` is ``"wecom:<UserID>"``; a unit whose ``chat``
is ``"wecom:<any name of its own>"`` reaches its WeCom members, each in their own chat with the
app (WeCom cannot put a card with buttons into a group chat: docs/research/wecom.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.environment import Secret, read_secrets
from bot.config.serving import SERVED_PATHS, HttpSettings
from bot.config.tomlcheck import Problems, integer, only_keys, string

SECRET_VARIABLE = "GRIDDESK_WECOM_SECRET"
TOKEN_VARIABLE = "GRIDDESK_WECOM_TOKEN"
AES_KEY_VARIABLE = "GRIDDESK_WECOM_AES_KEY"

_CORP_ID = re.compile(r"w[wx][0-9a-zA-Z]{6,30}")
_PATH = re.compile(r"/[A-Za-z0-9/_-]*")
_SECRET = re.compile(r"[A-Za-z0-9_-]{20,64}")
_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")
_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")


@dataclass(frozen=True)
class WeComSettings:
    """``[wecom]``: the corp, the app and its callback."""

    corp_id: str
    agent_id: int
    callback_path: str = "/wecom"
    base_url: str | None = None
    """None: WeCom's own ``https://qyapi.weixin.qq.com`` (a stand-in's address in tests)."""


@dataclass(frozen=True)
class WeComSecrets:
    """The app's secrets, from the environment."""

    secret: str
    token: str
    encoding_aes_key: str

    def __repr__(self) -> str:
        return "WeComSecrets(…)"

    def all(self) -> list[str]:
        """Every secret, for the log filter to blank (:mod:`bot.redact`)."""
        return [self.secret, self.token, self.encoding_aes_key]


def read_wecom(
    data: Mapping[str, Any] | None, http: HttpSettings, problems: Problems
) -> WeComSettings | None:
    """``[wecom]``, or None when the file has no such table (no WeCom channel)."""
    if data is None:
        return None
    only_keys(data, "wecom", {"corp_id", "agent_id", "callback_path", "base_url"}, problems)
    corp_id = problems.read(string, data, "corp_id", "wecom", default="") or ""
    if not _CORP_ID.fullmatch(corp_id):
        problems.add("wecom.corp_id", f"must be the corp's CorpID (我的企业 → 企业信息), "
                     f"got {corp_id!r}")  # fmt: skip
    agent_id = problems.read(integer, data, "agent_id", "wecom", least=1, most=2**31 - 1)
    path = problems.read(string, data, "callback_path", "wecom", default="/wecom") or "/wecom"
    if not _PATH.fullmatch(path) or path.rstrip("/") in {"", *SERVED_PATHS}:
        problems.add("wecom.callback_path", f"must be a path of its own, e.g. /wecom, "
                     f"got {path!r}")  # fmt: skip
    base_url = problems.read(string, data, "base_url", "wecom", default="") or None
    if base_url is not None and not base_url.startswith(("https://", "http://")):
        problems.add("wecom.base_url", f"must be an http(s) URL, got {base_url!r}")
    if http.listen is None:
        problems.add("http.listen", "missing: WeCom calls the bot, so [wecom] needs the "
                     "server's host:port")  # fmt: skip
    return WeComSettings(corp_id, agent_id or 0, path, base_url)


def wecom_secrets() -> WeComSecrets:
    """The secrets from the environment; one :class:`SettingsError` naming every variable that
    is missing or malformed (never its value)."""
    values = read_secrets(
        [
            Secret(SECRET_VARIABLE, "app Secret", _SECRET, "20-64 letters, digits, '_' or '-'"),
            Secret(TOKEN_VARIABLE, "callback Token", _TOKEN, "3-32 letters or digits"),
            Secret(AES_KEY_VARIABLE, "callback EncodingAESKey", _AES_KEY, "43 letters or digits"),
        ],
        "the WeCom app's",
    )
    return WeComSecrets(values[SECRET_VARIABLE], values[TOKEN_VARIABLE], values[AES_KEY_VARIABLE])
