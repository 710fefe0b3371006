"""Session cookies and CSRF tokens of the web desk: HMAC-signed, nothing kept on the server.

A session is ``user_id``, its expiry and a random nonce, signed with the desk's key
(``GRIDDESK_WEB_SECRET``): any instance behind the load balancer can check it, and nobody
without the key can make or change one. The CSRF token of a session is a second HMAC over its
nonce, so a form rendered by one instance is accepted by another, and a token taken from one
session is worthless in any other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Session:
    """A signed-in person, until ``expires_at``; ``nonce`` ties the CSRF token to it."""

    user_id: str
    expires_at: datetime
    nonce: str


class Sessions:
    """Issues and checks session cookies and their CSRF tokens."""

    def __init__(self, key: str, lifetime: timedelta, clock: Callable[[], datetime]) -> None:
        self._key = key.encode()
        self._lifetime = lifetime
        self._clock = clock

    def issue(self, user_id: str) -> tuple[str, Session]:
        """A new session for ``user_id``: the cookie's value, and the session it stands for."""
        expires = int((self._clock() + self._lifetime).timestamp())
        nonce = secrets.token_urlsafe(16)
        body = _b64(f"{user_id}\n{expires}\n{nonce}".encode())
        session = Session(user_id, datetime.fromtimestamp(expires, self._clock().tzinfo), nonce)
        return f"{body}.{self._sign(b'session', body)}", session

    def read(self, cookie: str | None) -> Session | None:
        """The session a cookie stands for; None when it is absent, forged or expired."""
        body, _, signature = (cookie or "").partition(".")
        if not body or not hmac.compare_digest(signature, self._sign(b"session", body)):
            return None
        try:
            user_id, expires, nonce = base64.urlsafe_b64decode(body).decode().split("\n")
            expires_at = datetime.fromtimestamp(int(expires), self._clock().tzinfo)
        except ValueError:
            return None
        if expires_at <= self._clock():
            return None
        return Session(user_id, expires_at, nonce)

    def csrf(self, session: Session) -> str:
        """The token every form of ``session`` carries."""
        return self._sign(b"csrf", session.nonce)

    def csrf_ok(self, session: Session, token: str | None) -> bool:
        return hmac.compare_digest(token or "", self.csrf(session))

    def _sign(self, purpose: bytes, text: str) -> str:
        digest = hmac.new(self._key, purpose + b"\n" + text.encode(), hashlib.sha256).digest()
        return _b64(digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()
