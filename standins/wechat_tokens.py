"""Access tokens as WeChat issues and retires them, for :mod:`standins.wechat`.

Two isolated issuers share one account (docs getStableAccessToken: "与 getAccessToken 获取的调用
凭证完全隔离,互不影响"):

- ``/cgi-bin/token`` (classic): every call issues a new token valid 7200 s and retires the
  previous one; "公众平台后台会保证在5分钟内,新老 access_token 都可用", so the previous token
  works for 300 s more, or until its own expiry if that comes first (docs Get_access_token,
  oplatform AccessToken.md).
- ``/cgi-bin/stable_token``: in normal mode a call returns the current token, with the seconds
  it has left as ``expires_in``, while more than 5 minutes are left ("普通模式下平台会提前5分钟
  更新 access_token ... expires_in >= 300"); in its last 5 minutes a call issues the next token
  and the old one lives out its time. ``force_refresh`` issues a new token and retires the old
  one at once ("会导致上次获取的 access_token 失效"), but a second force within 30 s does not
  refresh ("连续使用该模式时,请保证调用时间隔至少为30s,否则不会刷新"): the current token is
  returned.

A used token that is no longer valid answers 42001 when its 2 hours ran out and 40001
(``access_token is invalid or not latest``) when a newer token retired it first; an unknown
one answers 40001. Every method takes ``now`` (seconds): the ledger holds no clock.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
from dataclasses import dataclass
from typing import Literal

LIFETIME = 7200
"""Seconds a new token is valid: ``expires_in`` of both issuers."""
OVERLAP = 300
"""Seconds an old token keeps working after a newer one is issued (5 minutes)."""
FORCE_SPACING = 30
"""A ``force_refresh`` sooner than this after the previous one does not refresh."""

INVALID = 40001
EXPIRED = 42001

Issuer = Literal["token", "stable"]


@dataclass(slots=True)
class _Token:
    value: str
    issuer: Issuer
    expires_at: float
    retired_at: float = math.inf
    """When a newer token ended this one (after the overlap, or at once when forced)."""


class TokenLedger:
    """Every token issued for one account, and which of them work at a given time."""

    def __init__(self, appid: str) -> None:
        self._appid = appid
        self._tokens: dict[str, _Token] = {}
        self._current: dict[Issuer, _Token] = {}
        self._serial = itertools.count(1)
        self._last_force = -math.inf

    def classic(self, now: float) -> tuple[str, int]:
        """``/cgi-bin/token``: a new token; the previous one is retired after the overlap."""
        previous = self._current.get("token")
        if previous is not None:
            previous.retired_at = min(previous.retired_at, now + OVERLAP)
        token = self._issue("token", now)
        return token.value, LIFETIME

    def stable(self, now: float, *, force_refresh: bool) -> tuple[str, int]:
        """``/cgi-bin/stable_token``: the current token while it has more than 5 minutes left
        (forced: a new one, the old retired at once, unless forced less than 30 s ago)."""
        current = self._current.get("stable")
        if force_refresh and now - self._last_force >= FORCE_SPACING:
            self._last_force = now
            if current is not None:
                current.retired_at = min(current.retired_at, now)
            current = self._issue("stable", now)
        elif current is None or self._ends(current) - now <= OVERLAP:
            current = self._issue("stable", now)  # the old one lives out its own time
        return current.value, max(0, math.floor(self._ends(current) - now))

    def check(self, value: str, now: float) -> int:
        """0 when ``value`` works at ``now``; else WeChat's errcode (40001 or 42001)."""
        token = self._tokens.get(value)
        if token is None:
            return INVALID
        if now < self._ends(token):
            return 0
        return INVALID if token.retired_at < token.expires_at else EXPIRED

    def expire_all(self, now: float) -> None:
        """Every token issued so far runs out now, as if two hours had passed for them."""
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, now)

    def _issue(self, issuer: Issuer, now: float) -> _Token:
        serial = next(self._serial)
        digest = hashlib.sha256(f"{self._appid}/{issuer}/{serial}".encode()).digest() * 4
        # real tokens: "86_" and about 150 characters of [A-Za-z0-9_-]; clients keep 512
        value = f"{serial}_{base64.urlsafe_b64encode(digest).decode().rstrip('=')}"
        token = _Token(value, issuer, now + LIFETIME)
        self._tokens[value] = self._current[issuer] = token
        return token

    @staticmethod
    def _ends(token: _Token) -> float:
        return min(token.expires_at, token.retired_at)
