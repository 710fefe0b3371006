"""Secrets come from the environment, never from the config file.

The bot token is read from ``GRIDDESK_TELEGRAM_TOKEN``, a database URL with a password from
``GRIDDESK_DATABASE_URL``. A config file is shared, copied into tickets and committed to
repositories; a file that holds a secret — a ``token`` (or ``password``, ``secret``,
``api_key``) key anywhere, a value that looks like a bot token — is refused, naming the key but
never echoing the value, and anything that looks like a bot token is blanked from every message
of the load (:func:`hide_tokens`), whichever check quoted it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from bot.config.tomlcheck import Mistake, Problems, SettingsError, join

TOKEN_VARIABLE = "GRIDDESK_TELEGRAM_TOKEN"
DATABASE_VARIABLE = "GRIDDESK_DATABASE_URL"
"""Overrides ``database.url``; the place for a URL with a password in it."""
SECRET_HINT = f"secrets never go in the config file: set the environment variable {TOKEN_VARIABLE}"
_SECRET_KEYS = frozenset({"token", "bot_token", "password", "secret", "api_key", "app_secret"})
BOT_TOKEN_PATTERN = re.compile(r"\d{6,}:[A-Za-z0-9_-]{30,}")
"""What a Telegram bot token looks like; such a value anywhere in the file is refused."""
_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
"""The shape any bot token has (the bot's id, a colon, the secret), checked before the first
call. Looser than :data:`BOT_TOKEN_PATTERN` on purpose: lengths are Telegram's business and a
local Bot API server may issue short tokens; spaces, quotes or a missing colon never work."""


def telegram_token() -> str:
    """The bot token from the environment; a clear error when it is missing or malformed.

    A malformed token is refused here, before the database is opened or the Bot API asked;
    the message never quotes it.
    """
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise SettingsError(
            f"the bot token is missing: set the environment variable {TOKEN_VARIABLE}"
        )
    if not _TOKEN_SHAPE.fullmatch(token):
        raise SettingsError(
            f"{TOKEN_VARIABLE}: does not look like a bot token (the bot's id, a colon, then "
            "letters, digits, '-' or '_', as @BotFather gives it; value not shown)"
        )
    return token


def database_from_environment() -> str | None:
    """``GRIDDESK_DATABASE_URL`` when set, checked like ``database.url`` (a password is fine)."""
    url = os.environ.get(DATABASE_VARIABLE, "").strip()
    if url and not url.startswith(("sqlite", "postgresql")):
        raise Mistake(DATABASE_VARIABLE, "must be sqlite:///… or postgresql://… (value not shown)")
    return url or None


def has_password(url: str) -> bool:
    try:
        return urlsplit(url).password is not None
    except ValueError:  # a malformed URL: the scheme check names the key
        return False


def refuse_secrets(data: object, key: str, problems: Problems) -> None:
    """Record every secret in the file; each line names the key, never the value."""
    if isinstance(data, Mapping):
        for name, value in data.items():
            where = join(key, name)
            if str(name).lower() in _SECRET_KEYS:
                problems.add(where, SECRET_HINT.replace(TOKEN_VARIABLE, _variable(where)))
            else:
                refuse_secrets(value, where, problems)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            refuse_secrets(value, join(key, i), problems)
    elif isinstance(data, str) and BOT_TOKEN_PATTERN.search(data):
        problems.add(key or "the file", f"looks like a bot token; {SECRET_HINT}")


def hide_tokens(line: str) -> str:
    """``line`` with anything shaped like a bot token blanked, whoever quoted it."""
    return BOT_TOKEN_PATTERN.sub("<hidden>", line)


def _variable(where: str) -> str:
    if where.startswith("database"):
        return DATABASE_VARIABLE
    if where.startswith("telegram") or where == "token":
        return TOKEN_VARIABLE
    return "GRIDDESK_…"
