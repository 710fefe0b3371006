"""Secrets come from the environment, never from the config file.

The bot token is read from ``GRIDDESK_TELEGRAM_TOKEN``, a database URL with a password from
``GRIDDESK_DATABASE_URL``. A config file is shared, copied into tickets and committed to
repositories; a file that holds a secret — a ``token`` (or ``password``, ``secret``,
``api_key``) key anywhere, a value that looks like a bot token, a database URL with a password —
is refused, naming the key but never echoing the value, and anything that looks like a bot token
is blanked from every message of the load (:func:`hide_tokens`), whichever check quoted it.

A database URL hides a password in two places: the user info (``postgresql://u:pw@host/db``)
and the query (``?password=pw``, ``?sslpassword=pw``; ``?passfile=`` names a file and is no
secret). :func:`blank_password` knows both, and is the one way a URL is shown to anyone: the
config check refuses a URL that blanking would change, and the CLI prints only blanked URLs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from bot.config.tomlcheck import Mistake, Problems, SettingsError, join

TOKEN_VARIABLE = "GRIDDESK_TELEGRAM_TOKEN"
DATABASE_VARIABLE = "GRIDDESK_DATABASE_URL"
"""Overrides ``database.url``; the place for a URL with a password in it."""
WEBHOOK_SECRET_VARIABLE = "GRIDDESK_WEBHOOK_SECRET"
"""Webhook mode: the secret token Telegram sends back with every update (checked on arrival)."""
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
"""What Telegram accepts as a webhook's ``secret_token``."""
SECRET_HINT = f"secrets never go in the config file: set the environment variable {TOKEN_VARIABLE}"
_SECRET_KEYS = frozenset(
    {"token", "bot_token", "password", "secret", "api_key", "app_secret"}
    | {"webhook_secret", "secret_token", "encoding_aes_key", "aes_key"}
)
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


def webhook_secret() -> str:
    """The webhook's secret token from the environment; a clear error when it is missing or not
    what Telegram accepts (1-256 letters, digits, ``_`` or ``-``). The value is never quoted.

    Every instance behind a load balancer must use the same one: each calls ``setWebhook`` at
    start, and the last call's secret is the one Telegram sends.
    """
    secret = os.environ.get(WEBHOOK_SECRET_VARIABLE, "").strip()
    if not secret:
        raise SettingsError(
            f"webhook mode needs a secret token: set the environment variable "
            f"{WEBHOOK_SECRET_VARIABLE} (1-256 letters, digits, '_' or '-')"
        )
    if not _WEBHOOK_SECRET.fullmatch(secret):
        raise SettingsError(
            f"{WEBHOOK_SECRET_VARIABLE}: Telegram accepts only 1-256 letters, digits, '_' or '-' "
            "(value not shown)"
        )
    return secret


@dataclass(frozen=True)
class Secret:
    """A secret a channel reads from the environment: its variable, what it is, its shape."""

    variable: str
    name: str
    """What it is, as the platform's console calls it (``AppSecret``, ``callback Token``)."""
    shape: re.Pattern[str]
    form: str
    """The shape in words, for the message when it does not fit."""
    required: bool = True


def read_secrets(secrets: Sequence[Secret], whose: str) -> dict[str, str]:
    """Each secret's value by variable ("" for an optional one not set); one
    :class:`SettingsError` naming every variable that is missing or malformed, never a value.
    ``whose``: the owner of the secrets, for the message (``the account's``)."""
    values, lines = {}, []
    for secret in secrets:
        value = values[secret.variable] = os.environ.get(secret.variable, "").strip()
        if not value and secret.required:
            lines.append(f"{secret.variable}: missing; set it to {whose} {secret.name}")
        elif value and not secret.shape.fullmatch(value):
            lines.append(f"{secret.variable}: the {secret.name} is {secret.form} (value not shown)")
    if lines:
        raise SettingsError("\n".join(lines))
    return values


def database_from_environment() -> str | None:
    """``GRIDDESK_DATABASE_URL`` when set, checked like ``database.url`` (a password is fine)."""
    url = os.environ.get(DATABASE_VARIABLE, "").strip()
    if url and not url.startswith(("sqlite", "postgresql")):
        raise Mistake(DATABASE_VARIABLE, "must be sqlite:///… or postgresql://… (value not shown)")
    return url or None


def has_password(url: str) -> bool:
    """Whether ``url`` holds a password anywhere: whether blanking it changes it."""
    return blank_password(url) != url


def blank_password(url: str) -> str:
    """``url`` as it may be shown: its password, in the user info or the query, is ``***``.

    Never raises, whatever the URL: it also runs on URLs that failed to parse. Where two
    parsers disagree on where an unencoded password ends (SQLAlchemy, which connects, at the
    first ``@``; urllib at the last ``@`` before the path), the longer reading is blanked, and a
    secret parameter is blanked wherever a ``?`` or ``&`` puts one.
    """
    scheme, sep, rest = url.partition("://")
    if sep:
        shown = f"{scheme}://{_blank_user_password(rest)}"
    else:  # no URL at all: anything from the first ':' to the last '@' may be a password
        colon, at = url.find(":"), url.rfind("@")
        shown = f"{url[: colon + 1]}***{url[at:]}" if 0 <= colon < at else url
    return _QUERY_PAIR.sub(_blank_secret_pair, shown)


def url_secrets(url: str) -> list[str]:
    """The values :func:`blank_password` hides in ``url`` (its user-info password and secret
    query parameters), for the log redactor; very short ones are left out, since redacting a
    value like ``1`` everywhere would garble every log line."""
    found = [unquote(p["value"]) for p in _QUERY_PAIR.finditer(url) if _is_secret(p["name"])]
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        found.append(password)
    return [secret for secret in found if len(secret) >= 4]


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


_QUERY_PAIR = re.compile(r"(?P<lead>[?&])(?P<name>[^=&?#]*)=(?P<value>[^&]*)")
"""One ``name=value`` of a URL's query (SQLAlchemy splits the query at ``&`` only)."""


def _blank_user_password(rest: str) -> str:
    """``user:password@host…`` (``rest`` follows ``scheme://``) as ``user:***@host…``."""
    colon = _first_of(rest, ":/")
    if rest[colon : colon + 1] != ":":
        return rest
    first_at = rest.find("@", colon)
    last_at = rest.rfind("@", 0, _first_of(rest, "/?#"))
    end = max(first_at, last_at)
    return f"{rest[: colon + 1]}***{rest[end:]}" if end > colon else rest


def _first_of(text: str, chars: str) -> int:
    """The index of the first of ``chars`` in ``text``; its length when there is none."""
    return next((i for i, char in enumerate(text) if char in chars), len(text))


def _blank_secret_pair(pair: re.Match[str]) -> str:
    """A query's ``name=value``, the value blanked when ``name`` says it is a secret."""
    if _is_secret(pair["name"]):
        return f"{pair['lead']}{pair['name']}=***"
    return pair[0]


def _is_secret(name: str) -> bool:
    """Whether a query parameter called ``name`` carries a secret."""
    lowered = unquote(name).lower()
    return lowered in _SECRET_KEYS or "password" in lowered


def _variable(where: str) -> str:
    if where.endswith(("webhook_secret", "secret_token")):
        return WEBHOOK_SECRET_VARIABLE
    if where.startswith("database"):
        return DATABASE_VARIABLE
    if where.startswith("wecom"):
        return {"token": "GRIDDESK_WECOM_TOKEN", "encoding_aes_key": "GRIDDESK_WECOM_AES_KEY",
                "aes_key": "GRIDDESK_WECOM_AES_KEY"}.get(where.rpartition(".")[2].lower(),
                                                         "GRIDDESK_WECOM_SECRET")  # fmt: skip
    if where.startswith("wechat"):
        return {"token": "GRIDDESK_WECHAT_TOKEN", "encoding_aes_key": "GRIDDESK_WECHAT_AES_KEY",
                "aes_key": "GRIDDESK_WECHAT_AES_KEY"}.get(where.rpartition(".")[2].lower(),
                                                          "GRIDDESK_WECHAT_APP_SECRET")  # fmt: skip
    if where.startswith("telegram") or where == "token":
        return TOKEN_VARIABLE
    return "GRIDDESK_…"
