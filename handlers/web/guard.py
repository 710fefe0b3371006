"""Who is asking: the session cookie read, the viewer found, the CSRF token checked.

Every desk page asks :meth:`Guard.viewer` first; every form's POST :meth:`Guard.poster`, which
also refuses a missing or wrong CSRF token. The viewer is looked up in the org config on every
request, so someone taken out of it loses the desk at the next start, whatever cookie they hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot.config.org import Org
from bot.config.web import WebSettings
from bot.webdesk.sessions import Session, Sessions
from bot.webdesk.viewers import Viewer, viewer_of

COOKIE = "griddesk_session"


@dataclass(frozen=True)
class Visit:
    """A signed-in request: who, their session, and the CSRF token their forms carry."""

    viewer: Viewer
    session: Session
    csrf: str


class Guard:
    """Sessions as cookies, for one deployment's org and ``[web]`` settings."""

    def __init__(self, sessions: Sessions, org: Org, web_settings: WebSettings) -> None:
        self.sessions = sessions
        self.org = org
        self.web = web_settings

    def visit(self, request: web.Request) -> Visit | None:
        session = self.sessions.read(request.cookies.get(COOKIE))
        viewer = None if session is None else viewer_of(self.org, session.user_id)
        if session is None or viewer is None:
            return None
        return Visit(viewer, session, self.sessions.csrf(session))

    async def posted(self, request: web.Request) -> tuple[Visit | None, dict[str, str]]:
        """The visit of a form's POST and its fields; no visit when the session or its CSRF
        token is missing or wrong (then nothing may be done)."""
        form = {key: str(value) for key, value in (await request.post()).items()}
        visit = self.visit(request)
        if visit is None or not self.sessions.csrf_ok(visit.session, form.get("csrf")):
            return None, form
        return visit, form

    def sign_in(self, response: web.StreamResponse, user_id: str) -> None:
        """Set a new session's cookie on ``response``."""
        value, _ = self.sessions.issue(user_id)
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(self.web.session_lifetime.total_seconds()),
            path="/",
            httponly=True,
            samesite="Lax",  # Strict would drop the cookie on the link click from a chat app
            secure=self.web.secure,
        )

    def sign_out(self, response: web.StreamResponse) -> None:
        response.del_cookie(COOKIE, path="/")
