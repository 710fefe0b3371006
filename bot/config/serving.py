"""How Telegram's updates reach us, and where our one HTTP server listens.

``[telegram] mode`` is ``polling`` (the default: the bot asks Telegram with ``getUpdates``),
``webhook`` (Telegram posts each update to ``[telegram] webhook_url``, which must reach our
server, usually through a reverse proxy that holds the TLS certificate), or ``off`` (a
deployment on WeChat and WeCom only: no Telegram, no bot token). The webhook's secret
token is a secret, so it comes from ``GRIDDESK_WEBHOOK_SECRET``, never the file.

``[http] listen`` is the server's ``host:port``. It carries ``/healthz``, ``/readyz`` and
``/metrics`` in both modes, and the webhook in webhook mode. It is off unless set: two
instances on one machine (a rolling restart, the crash soak) must not fight over a default
port, and an operator who wants health checks says where they should be served. Webhook mode
needs it. Port 0 takes any free port (tests); the address is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.config.tomlcheck import Mistake, Problems, only_keys, string

POLLING: Literal["polling"] = "polling"
WEBHOOK: Literal["webhook"] = "webhook"
OFF: Literal["off"] = "off"
Mode = Literal["polling", "webhook", "off"]
NO_TELEGRAM_TOKEN = "0:telegram-off"
"""What stands for the bot token with Telegram off: the Application that carries the scheduler
needs one, and nothing ever sends it."""
SERVED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Paths the server answers itself; the webhook must not take one of them."""


@dataclass(frozen=True)
class HttpSettings:
    """``[http]``: where the one HTTP server listens (health, metrics, webhooks)."""

    listen: tuple[str, int] | None = None
    """``(host, port)``; None: no server (polling mode only)."""


def read_http(data: Mapping[str, Any], problems: Problems) -> HttpSettings:
    only_keys(data, "http", {"listen"}, problems)
    return HttpSettings(problems.read(_listen, data))


def read_mode(data: Mapping[str, Any]) -> Mode:
    """``[telegram] mode``: ``polling``, ``webhook``, or ``off`` (no Telegram at all: the
    people are on WeChat and WeCom, and no bot token is needed)."""
    value = data.get("mode", POLLING)
    for mode in (POLLING, WEBHOOK, OFF):
        if value == mode:
            return mode
    raise Mistake("telegram.mode", f"must be 'polling', 'webhook' or 'off', got {value!r}")


def read_webhook_url(data: Mapping[str, Any]) -> str | None:
    """``[telegram] webhook_url``: the public http(s) URL Telegram posts updates to."""
    url = string(data, "webhook_url", "telegram", default="")
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"https", "http"} or not parts.hostname or parts.query:
        raise Mistake(
            "telegram.webhook_url", f"must be an https://host/path URL without a query, got {url!r}"
        )
    if parts.path.rstrip("/") in {"", *SERVED_PATHS}:
        raise Mistake(
            "telegram.webhook_url",
            f"needs a path of its own (e.g. /telegram), not {parts.path or '/'!r}",
        )
    return url


def check_webhook(mode: Mode, url: str | None, http: HttpSettings, problems: Problems) -> None:
    """Webhook mode needs the URL Telegram calls and the server that answers it."""
    if mode != WEBHOOK:
        return
    if url is None:
        problems.add("telegram.webhook_url", "missing: webhook mode needs the URL Telegram calls")
    if http.listen is None:
        problems.add("http.listen", "missing: webhook mode needs the server's host:port")


def webhook_path(url: str) -> str:
    """The path our server answers the webhook on: the public URL's own (a reverse proxy in
    front passes it on unchanged)."""
    return urlsplit(url).path


def _listen(data: Mapping[str, Any]) -> tuple[str, int] | None:
    value = string(data, "listen", "http", default="")
    if not value:
        return None
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")  # an IPv6 address is written [::1]:8080
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise Mistake("http.listen", f"must be host:port, e.g. 127.0.0.1:8080, got {value!r}")
    return host, int(port)
