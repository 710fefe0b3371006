"""Webhook delivery for the Bot API stand-in: queued updates POSTed to the bot, as Telegram does.

Once ``setWebhook`` names a URL, Telegram stops answering ``getUpdates`` (409) and instead
POSTs each update, as a JSON body, to that URL, with the ``secret_token`` (if one was given)
in the ``X-Telegram-Bot-Api-Secret-Token`` header. An update counts as delivered only when the
bot answers 2xx; any other answer, or none, leaves it queued and it is sent again after a
growing wait, with the error shown by ``getWebhookInfo``. Updates go one at a time, in order.
Telegram wants an HTTPS URL on ports 443, 80, 88 or 8443; like a self-hosted Bot API server
(``--local``), the stand-in also takes plain HTTP on any port, since it cannot check a
certificate.

:class:`WebhookPusher` is the stand-in's (:class:`standins.telegram.BotApiStandIn`), which
owns the queue; every attempt is kept in :attr:`WebhookPusher.deliveries` for tests to read.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

JsonDict = dict[str, Any]

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
FIRST_RETRY = 0.05
"""Seconds before the first retry of a refused delivery; each further wait doubles. Telegram's
own waits are longer; a stand-in's only need to be real, not slow."""
MAX_RETRY = 1.0
_TIMEOUT = aiohttp.ClientTimeout(total=10)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver an update."""

    update_id: int
    status: int | None
    """The bot's HTTP status; None when it did not answer (refused, reset, timed out)."""


@dataclass(frozen=True, slots=True)
class Webhook:
    """Where ``setWebhook`` said to deliver, and the secret to send along."""

    url: str
    secret_token: str | None = None


class WebhookPusher:
    """Delivers the stand-in's queued updates to the webhook while one is set."""

    def __init__(
        self,
        pending: Callable[[], list[JsonDict]],
        delivered: Callable[[int], None],
        changed: Callable[[], Awaitable[None]],
    ) -> None:
        """``pending``: the queue, oldest first; ``delivered``: take an update off it;
        ``changed``: wait for any change of the stand-in's state."""
        self._pending = pending
        self._delivered = delivered
        self._changed = changed
        self.webhook: Webhook | None = None
        self.deliveries: list[Delivery] = []
        self.last_error: tuple[int, str] | None = None
        """(unix time, message) of the last failed delivery, for ``getWebhookInfo``."""

    async def run(self) -> None:
        """Deliver until cancelled (the stand-in stops)."""
        failures = 0
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
            while True:
                webhook, queue = self.webhook, self._pending()
                if webhook is None or not queue:
                    await self._changed()
                    continue
                update = queue[0]
                status, error = await _post(session, webhook, update)
                self.deliveries.append(Delivery(update["update_id"], status))
                if error is None:
                    failures = 0
                    self._delivered(update["update_id"])
                    continue
                self.last_error = (int(time.time()), error)
                failures += 1
                await asyncio.sleep(min(FIRST_RETRY * 2 ** (failures - 1), MAX_RETRY))


async def _post(
    session: aiohttp.ClientSession, webhook: Webhook, update: JsonDict
) -> tuple[int | None, str | None]:
    """POST one update; its status, and Telegram's wording of what went wrong (None: 2xx)."""
    headers = {"Content-Type": "application/json"}
    if webhook.secret_token:
        headers[SECRET_HEADER] = webhook.secret_token
    body = json.dumps(update, ensure_ascii=False).encode()
    try:
        async with session.post(webhook.url, data=body, headers=headers) as response:
            await response.read()
            if 200 <= response.status < 300:
                return response.status, None
            reason = f"{response.status} {response.reason or ''}".strip()
            return response.status, f"Wrong response from the webhook: {reason}"
    except (aiohttp.ClientError, TimeoutError) as exc:
        return None, f"Connection failed: {type(exc).__name__}"
