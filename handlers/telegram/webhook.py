"""Telegram's webhook: each update is committed to the inbox before Telegram hears "200".

python-telegram-bot's own webhook server answers Telegram first and handles the update after,
so a crash in between loses a resident's message. Here the answer waits for the commit: the
update is stored (:meth:`~bot.ports.InboxTransaction.store_updates`, deduplicated by its id),
and only then is it answered 200 and the inbox woken to handle it
(:meth:`~handlers.telegram.inbox.Inbox.wake`). If the commit fails the answer is 500, and
Telegram delivers the update again later. Any instance behind a load balancer may receive an
update: storing is idempotent, and the inbox's claims decide which instance handles it.

A call without the secret token given to ``setWebhook`` (compared in constant time) is
refused with 403 before its body is read, and nothing is stored; a body that is too large is
413, one that is not an update in JSON 400: neither is something Telegram would send.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TypeGuard

from aiohttp import web

from bot.channels import telegram
from bot.ports import Store
from bot.retry import StoreBusy, retrying
from handlers.http.bodies import limited_body

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 256 * 1024
"""Bytes an update may take: a 4,096-character text quoting another, entities and all, is a
few dozen KB; anything near this limit is not from Telegram."""
STORE_ATTEMPTS = 3
"""Tries at the commit within one call (a locked SQLite, a PostgreSQL failover) before 500
hands the retry to Telegram, which waits longer between its own."""


class TelegramWebhook:
    """The webhook route, and when it last brought an update (for ``/readyz``)."""

    def __init__(
        self,
        store: Store,
        secret: str,
        path: str,
        *,
        wake: Callable[[], None],
        lane: Callable[[dict[str, Any]], str],
    ) -> None:
        """``wake`` tells the inbox an update was stored; ``lane`` is an update's lane (its
        chat), read from its JSON (:meth:`~bot.ports.InboxTransaction.store_updates`)."""
        self._store = store
        self._secret = secret.encode()
        self._path = path
        self._wake = wake
        self._lane = lane
        self._received_at: float | None = None

    def route(self) -> web.RouteDef:
        """The route to mount on the HTTP server (:mod:`handlers.http.server`)."""
        return web.post(self._path, self.receive)

    def seconds_since_update(self) -> float | None:
        """Seconds since a webhook last brought an update; None: none since start."""
        if self._received_at is None:
            return None
        return time.monotonic() - self._received_at

    async def receive(self, request: web.Request) -> web.Response:
        """One call from Telegram: check, commit, then answer (see the module docstring)."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            log.warning("webhook call without the right secret token refused (from %s)",
                        request.remote)  # fmt: skip
            return web.Response(status=403, text="forbidden")
        body = await limited_body(request, MAX_BODY)
        if body is None:
            return web.Response(status=413, text="too large")
        update = _update(body)
        if update is None:
            return web.Response(status=400, text="not a Telegram update")
        update_id = update["update_id"]
        raw = json.dumps(update, ensure_ascii=False)

        async def store() -> None:
            async with self._store.transaction() as tx:
                await tx.store_updates([(update_id, raw)], {update_id: self._lane(update)})

        try:
            await retrying(store, f"webhook update {update_id}", attempts=STORE_ATTEMPTS)
        except StoreBusy:
            return web.Response(status=500, text="not stored; send it again")
        self._received_at = time.monotonic()
        self._wake()
        return web.Response(text="ok")


def chat_lane(update: dict[str, Any]) -> str:
    """The lane of an update as Telegram sent it: its chat (a press: the chat of the message
    pressed on, else the presser's private chat), as an address; empty for a kind that has
    none."""
    for kind in ("message", "edited_message"):
        chat = _object(_object(update, kind), "chat")
        if isinstance(chat.get("id"), int):
            return telegram(chat["id"])
    query = _object(update, "callback_query")
    for holder in (_object(_object(query, "message"), "chat"), _object(query, "from")):
        if isinstance(holder.get("id"), int):
            return telegram(holder["id"])
    return ""


def _object(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _update(body: bytes) -> dict[str, Any] | None:
    """The update in ``body``: a JSON object with a whole, non-negative ``update_id``."""
    try:
        update = json.loads(body)
    except ValueError:  # not JSON, or not UTF-8
        return None
    return update if is_update(update) else None


def is_update(value: object) -> TypeGuard[dict[str, Any]]:
    """Whether ``value`` is an update as Telegram sends one: a JSON object with a whole,
    non-negative ``update_id``."""
    if not isinstance(value, dict):
        return False
    update_id = value.get("update_id")
    return isinstance(update_id, int) and not isinstance(update_id, bool) and update_id >= 0
