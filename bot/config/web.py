"""``[web]``: the operators' web desk on the one HTTP server (DESIGN.md §11), and its secret.

Staff sign in with a one-time link the bot sends on ``/login``, so the desk needs to know the
address people reach it at (``base_url``: the link is ``<base_url>/login/<token>``) and the
server it runs on (``[http] listen``). Its session cookies are signed with a key that is a
secret, so it comes from ``GRIDDESK_WEB_SECRET``, never the file; the desk refuses to start
without it rather than sign with something guessable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.config.serving import HttpSettings
from bot.config.tomlcheck import Mistake, Problems, SettingsError, integer, only_keys, string

WEB_SECRET_VARIABLE = "GRIDDESK_WEB_SECRET"
WEB_SECRET_LEAST = 32
"""Characters the signing key must have at least: a short key can be guessed offline from
one cookie."""


@dataclass(frozen=True)
class WebSettings:
    """``[web]``: where the desk is reached, how long a sign-in link and a session last."""

    base_url: str
    """``https://desk.example.gov.cn`` (no trailing slash): links and the Secure flag."""
    link_minutes: int = 10
    session_hours: int = 12

    @property
    def link_lifetime(self) -> timedelta:
        return timedelta(minutes=self.link_minutes)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_hours)

    @property
    def secure(self) -> bool:
        """Cookies only over https when the desk is reached over https."""
        return self.base_url.startswith("https://")


def read_web(data: Mapping[str, Any], http: HttpSettings, problems: Problems) -> WebSettings | None:
    """The ``[web]`` table; None when it is absent or ``enabled = false``."""
    only_keys(data, "web", {"enabled", "base_url", "link_minutes", "session_hours"}, problems)
    enabled = data.get("enabled", False)
    if not isinstance(enabled, bool):
        problems.add("web.enabled", f"must be true or false, got {enabled!r}")
        return None
    if not enabled:
        return None
    if http.listen is None:
        problems.add("http.listen", "missing: the web desk ([web] enabled) needs the server")
    base_url = problems.read(_base_url, data)
    minutes = problems.read(integer, data, "link_minutes", "web", 10, least=1, most=60)
    hours = problems.read(integer, data, "session_hours", "web", 12, least=1, most=24 * 7)
    if base_url is None or minutes is None or hours is None:
        return None
    return WebSettings(base_url, minutes, hours)


def _base_url(data: Mapping[str, Any]) -> str:
    url = string(data, "base_url", "web")
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.query:
        raise Mistake("web.base_url", f"must be an https://host[/path] URL, got {url!r}")
    return url.rstrip("/")


def web_secret() -> str:
    """The key session cookies are signed with; a clear error when it is missing or short.
    The value is never quoted."""
    secret = os.environ.get(WEB_SECRET_VARIABLE, "").strip()
    if len(secret) < WEB_SECRET_LEAST:
        raise SettingsError(
            f"the web desk needs a signing key: set the environment variable "
            f"{WEB_SECRET_VARIABLE} to at least {WEB_SECRET_LEAST} random characters "
            "(e.g. the output of `openssl rand -hex 32`; value not shown)"
        )
    return secret
