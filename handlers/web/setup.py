"""The web desk put together from the desk's context (the composition root calls this)."""

from __future__ import annotations

from bot.config.web import WebSettings
from bot.desk.context import Context
from bot.desk.desk import Desk
from bot.webdesk.attempts import FailedSignIns
from bot.webdesk.pages import Pages
from bot.webdesk.ports import WebStore
from bot.webdesk.presses import Presses
from bot.webdesk.sessions import Sessions
from handlers.web.guard import Guard
from handlers.web.rendering import Templates
from handlers.web.routes import WebDesk


def web_desk(
    context: Context, desk: Desk, settings: WebSettings, secret: str, store: WebStore
) -> WebDesk:
    """The desk's routes and their collaborators; ``secret`` signs the session cookies. The
    links are redeemed by the sign-in that sends them on ``/login`` (``desk.sign_in``)."""
    if desk.sign_in is None:
        raise ValueError("the web desk needs a desk built with its sign-in")
    sessions = Sessions(secret, settings.session_lifetime, context.clock)
    return WebDesk(
        context=context,
        sign_in=desk.sign_in,
        guard=Guard(sessions, context.org, settings),
        pages=Pages(context, store),
        presses=Presses(desk),
        attempts=FailedSignIns(context.clock),
        templates=Templates(context.timezone),
    )
