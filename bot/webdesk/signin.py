"""Signing in without a password: ``/login`` in a private chat sends a one-time link.

The link carries 256 random bits; only their SHA-256 is stored, with whose link it is and when
it expires (a few minutes). Following the link redeems it in one conditional UPDATE, so a link
works once, on whichever instance it reaches first, and never after it expired. Whoever the org
config does not list in a unit gets a kind word instead of a link.
"""

from __future__ import annotations

import hashlib
import logging
import secrets

from bot import texts
from bot.config.web import WebSettings
from bot.desk.context import Actor, Context, mark_processed
from bot.domain import Outgoing
from bot.webdesk.ports import WebStore
from bot.webdesk.viewers import Viewer, viewer_of

log = logging.getLogger(__name__)

LOGIN_PATH = "/login/"


class SignIn:
    """Sends sign-in links and redeems them."""

    def __init__(self, context: Context, web: WebSettings, store: WebStore) -> None:
        self.ctx = context
        self.web = web
        self.store = store

    async def login(self, actor: Actor, update_id: int | None) -> None:
        """``/login``: a link in the private chat for staff, a kind word for anyone else."""
        now = self.ctx.clock()
        async with self.store.transaction() as tx:
            if not actor.in_private_chat:
                answer = texts.LOGIN_PRIVATE_ONLY
            elif viewer_of(self.ctx.org, actor.user_id) is None:
                answer = texts.LOGIN_NOT_STAFF
            else:
                token = secrets.token_urlsafe(32)
                expires = now + self.web.link_lifetime
                await tx.add_sign_in(token_hash(token), actor.user_id, now, expires)
                link = f"{self.web.base_url}{LOGIN_PATH}{token}"
                answer = texts.LOGIN_LINK.format(minutes=self.web.link_minutes, link=link)
                log.info("sign-in link sent to %s", actor.user_id)
            await tx.enqueue(Outgoing(actor.chat_id, answer))
            await mark_processed(tx, update_id)

    async def redeem(self, token: str) -> Viewer | None:
        """The viewer a link signs in; None for a link unknown, used or expired, or for a
        person who left the config since it was sent."""
        async with self.store.transaction() as tx:
            user_id = await tx.redeem_sign_in(token_hash(token), self.ctx.clock())
        return None if user_id is None else viewer_of(self.ctx.org, user_id)


def token_hash(token: str) -> str:
    """What is stored of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()
