"""``[wechat]``: residents on a WeChat Official Account (公众号/服务号).

The file says which account and where its callback is served; the three secrets come from the
environment, never the file (the file is shared, copied into tickets, committed to repos):

- ``GRIDDESK_WECHAT_APP_SECRET``: the account's AppSecret, for ``access_token``;
- ``GRIDDESK_WECHAT_TOKEN``: the callback Token set in the console (服务器配置), which signs
  every call WeChat makes to us;
- ``GRIDDESK_WECHAT_AES_KEY``: the EncodingAESKey, for safe mode (安全模式); without it only
  plain mode (明文模式) is accepted, and with it only safe mode.

The callback is served on ``[http] listen`` at ``callback_path``; WeChat needs it on a public
https address (a reverse proxy in front holds the certificate), which the README describes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.environment import Secret, read_secrets
from bot.config.serving import SERVED_PATHS, HttpSettings
from bot.config.tomlcheck import Problems, only_keys, string, table

APP_SECRET_VARIABLE = "GRIDDESK_WECHAT_APP_SECRET"
TOKEN_VARIABLE = "GRIDDESK_WECHAT_TOKEN"
AES_KEY_VARIABLE = "GRIDDESK_WECHAT_AES_KEY"

_APP_ID = re.compile(r"wx[0-9a-f]{16}")
_TOKEN = re.compile(r"[A-Za-z0-9]{3,32}")
"""What the console accepts as the callback Token."""
_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")
_APP_SECRET = re.compile(r"[0-9a-f]{32}")
_PATH = re.compile(r"/[A-Za-z0-9/_-]*")
_TEMPLATE_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_FIELD = re.compile(r"[a-z_]+[0-9]*")


@dataclass(frozen=True)
class NoticeTemplate:
    """``[wechat.notice_template]``: the template message (模板消息) a notice about a
    resident's own task falls back to once their customer-service window is closed or spent.

    Each role names the template's own field (``character_string1``, ``thing2``, …, as the
    console lists them after the template is added from the library); :mod:`handlers.wechat.
    templates` fills them in and fits each value to its field's kind.
    """

    template_id: str
    number: str
    """The field for the task's number (工单编号)."""
    summary: str
    """The field for what happened (its first sentence: 已由张三接单, 已办结 …)."""
    remark: str | None = None
    """The field for what to answer (the numbered choices, or 发送 /my 查看详情)."""
    time: str | None = None
    """The field for when (a ``time`` field)."""
    url: str | None = None
    """Where tapping the message leads; None: nowhere."""


@dataclass(frozen=True)
class WeChatSettings:
    """``[wechat]``: the account and its callback."""

    app_id: str
    callback_path: str = "/wechat"
    base_url: str | None = None
    """None: WeChat's own ``https://api.weixin.qq.com`` (a stand-in's address in tests)."""
    menus: bool = False
    """Offer choices as ``msgmenu`` messages (tappable; verified service accounts only) rather
    than as numbered lines the resident answers with a number."""
    notice_template: NoticeTemplate | None = None
    """None: a notice WeChat refuses for the window is recorded as not sent (``doctor``)."""


@dataclass(frozen=True)
class WeChatSecrets:
    """The account's secrets, from the environment."""

    app_secret: str
    token: str
    encoding_aes_key: str | None

    def __repr__(self) -> str:
        return "WeChatSecrets(…)"

    def all(self) -> list[str]:
        """Every secret, for the log filter to blank (:mod:`bot.redact`)."""
        return [s for s in (self.app_secret, self.token, self.encoding_aes_key) if s]


def read_wechat(
    data: Mapping[str, Any] | None, http: HttpSettings, problems: Problems
) -> WeChatSettings | None:
    """``[wechat]``, or None when the file has no such table (no WeChat channel)."""
    if data is None:
        return None
    keys = {"app_id", "callback_path", "base_url", "menus", "notice_template"}
    only_keys(data, "wechat", keys, problems)
    app_id = problems.read(string, data, "app_id", "wechat", default="") or ""
    if not _APP_ID.fullmatch(app_id):
        problems.add("wechat.app_id", f"must be the account's AppID (wx and 16 hex digits), "
                     f"got {app_id!r}")  # fmt: skip
    path = problems.read(string, data, "callback_path", "wechat", default="/wechat") or "/wechat"
    if not _PATH.fullmatch(path) or path.rstrip("/") in {"", *SERVED_PATHS}:
        problems.add("wechat.callback_path", f"must be a path of its own, e.g. /wechat, "
                     f"got {path!r}")  # fmt: skip
    base_url = problems.read(string, data, "base_url", "wechat", default="") or None
    if base_url is not None and not base_url.startswith(("https://", "http://")):
        problems.add("wechat.base_url", f"must be an http(s) URL, got {base_url!r}")
    menus = data.get("menus", False)
    if not isinstance(menus, bool):
        problems.add("wechat.menus", f"must be true or false, got {menus!r}")
        menus = False
    if http.listen is None:
        problems.add("http.listen", "missing: WeChat calls the bot, so [wechat] needs the "
                     "server's host:port")  # fmt: skip
    template = None
    if "notice_template" in data:
        template = problems.read(_notice_template, problems.read(table, data, "notice_template",
                                 "wechat") or {}, problems)  # fmt: skip
    return WeChatSettings(app_id, path, base_url, menus, template)


def _notice_template(data: Mapping[str, Any], problems: Problems) -> NoticeTemplate | None:
    key = "wechat.notice_template"
    only_keys(data, key, {"id", "number", "summary", "remark", "time", "url"}, problems)
    template_id = problems.read(string, data, "id", key, default="") or ""
    if not _TEMPLATE_ID.fullmatch(template_id):
        problems.add(f"{key}.id", f"must be the template's ID from the console, got "
                     f"{template_id!r}")  # fmt: skip
    fields: dict[str, str | None] = {}
    for role in ("number", "summary", "remark", "time"):
        name = problems.read(string, data, role, key, default="") or ""
        if name and not _FIELD.fullmatch(name):
            problems.add(f"{key}.{role}", f"must be one of the template's field names, e.g. "
                         f"thing2, got {name!r}")  # fmt: skip
        elif not name and role in ("number", "summary"):
            problems.add(f"{key}.{role}", "missing: which of the template's fields holds it")
        fields[role] = name or None
    url = problems.read(string, data, "url", key, default="") or None
    if url is not None and not url.startswith("https://"):
        problems.add(f"{key}.url", f"must be an https:// address, got {url!r}")
    return NoticeTemplate(
        template_id,
        fields["number"] or "",
        fields["summary"] or "",
        fields["remark"],
        fields["time"],
        url,
    )


def wechat_secrets() -> WeChatSecrets:
    """The secrets from the environment; one :class:`SettingsError` naming every variable that
    is missing or malformed (never its value)."""
    values = read_secrets(
        [
            Secret(APP_SECRET_VARIABLE, "AppSecret (设置与开发)", _APP_SECRET, "32 hex digits"),
            Secret(TOKEN_VARIABLE, "callback Token", _TOKEN, "3-32 letters or digits"),
            Secret(AES_KEY_VARIABLE, "EncodingAESKey", _AES_KEY, "43 letters or digits",
                   required=False),  # without it: plain mode
        ],
        "the account's",
    )  # fmt: skip
    return WeChatSecrets(
        values[APP_SECRET_VARIABLE], values[TOKEN_VARIABLE], values[AES_KEY_VARIABLE] or None
    )
