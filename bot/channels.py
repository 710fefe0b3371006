"""Which channel a person or chat is on: every id the desk keeps is ``channel:id`` text.

Residents may write on WeChat while their grid's workers answer on WeCom, and a deployment may
run everything on Telegram (DESIGN.md §10). The desk never looks inside an id: it compares and
stores them. Only the channel adapters make them (from a platform's update) and take them apart
(to call the platform), with these functions, so that ``1001`` on Telegram and a WeCom member
whose UserID is ``1001`` can never be mistaken for each other.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Channel(StrEnum):
    """A messaging platform griddesk speaks."""

    TELEGRAM = "telegram"
    WECHAT = "wechat"
    """A WeChat Official Account (公众号): residents."""
    WECOM = "wecom"
    """WeCom (企业微信), a self-built app: grid workers and staff."""
    HOTLINE = "hotline"
    """A 12345 caller (:mod:`bot.hotline`): told by the 12345 platform, never by the bot. No
    sender serves it; the outbox queues nothing for its chats."""


def address(channel: Channel, external_id: str | int) -> str:
    """The id griddesk keeps for ``external_id`` on ``channel``: ``telegram:1001``."""
    external = str(external_id)
    if not external:
        raise ValueError(f"an empty id on {channel}")
    return f"{channel}:{external}"


def parse(address_: str) -> tuple[Channel, str]:
    """The channel and the platform's own id of an address made by :func:`address`.

    ``ValueError`` for text that is not one (no known channel before the first colon)."""
    channel, colon, external = address_.partition(":")
    if not colon or not external:
        raise ValueError(f"not a channel address: {address_!r}")
    try:
        return Channel(channel), external
    except ValueError:
        raise ValueError(f"unknown channel {channel!r} in {address_!r}") from None


def channel_of(address_: str) -> Channel:
    """The channel of an address."""
    return parse(address_)[0]


def read_address(text: str) -> str:
    """An id an operator typed: a full address (``wecom:zhangsan``), or a bare whole number,
    which is a Telegram id (as the config takes it). ``ValueError`` says what is wrong."""
    text = text.strip()
    if re.fullmatch(r"-?\d+", text):
        return telegram(int(text))
    channel, external = parse(text)
    if channel is Channel.TELEGRAM and not re.fullmatch(r"-?\d+", external):
        raise ValueError(f"a Telegram id is a whole number, got {text!r}")
    return address(channel, external)


def profile_link(address_: str) -> str:
    """A link that opens the person's profile in their app, where the channel has one (a
    Telegram user's ``tg://user?id=``); empty elsewhere (WeChat shows no OpenID's profile)."""
    channel, external = parse(address_)
    return f"tg://user?id={external}" if channel is Channel.TELEGRAM else ""


def telegram(external_id: int) -> str:
    """A Telegram user's or chat's address: ``telegram:-1001000000011``."""
    return address(Channel.TELEGRAM, external_id)


def telegram_id(address_: str) -> int:
    """The Telegram id inside a Telegram address; ``ValueError`` for another channel's."""
    channel, external = parse(address_)
    if channel is not Channel.TELEGRAM:
        raise ValueError(f"not a Telegram address: {address_!r}")
    return int(external)
