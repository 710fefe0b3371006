"""The one aiohttp server: health, metrics, and what channels mount on it (DESIGN.md §2).

One server per bot, owned by the composition root (``async with``), in polling and webhook
mode alike: ``/healthz``, ``/readyz`` (:mod:`handlers.http.health`), ``/metrics``
(:mod:`handlers.http.metrics`) and the routes channels hand in — the Telegram webhook today,
WeChat and WeCom callbacks and the web desk later. It is started before the channel asks
Telegram to call it, and stopped after the channel has stopped, so no webhook is refused for
want of a listener; a webhook that arrives while the bot stops is still committed to the
inbox (the store closes after the server), for this or another instance to handle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType

from aiohttp import web

from bot.errors import StartupError
from bot.ports import Store
from handlers.http.health import Health
from handlers.http.metrics import Metrics

log = logging.getLogger(__name__)

_SHUTDOWN_WAIT = 5.0
"""Seconds requests in hand get to finish when the server stops (a webhook's commit)."""


class HttpServer:
    """Serves health, metrics and the given routes on ``host:port`` while the block runs."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        health: Health,
        metrics: Metrics,
        store: Store,
        clock: Callable[[], datetime],
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        """``port`` 0 takes any free port (:attr:`port` says which)."""
        self._host = host
        self._wanted_port = port
        app = web.Application()

        async def metrics_page(request: web.Request) -> web.Response:
            return await metrics.page(store, clock)

        app.add_routes(
            [
                web.get("/healthz", health.alive),
                web.get("/readyz", health.ready),
                web.get("/metrics", metrics_page),
                *routes,
            ]
        )
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_WAIT)
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The port listened on (the one picked, when 0 was asked for)."""
        if self._port is None:
            raise RuntimeError("the HTTP server is not running")
        return self._port

    async def __aenter__(self) -> HttpServer:
        await self._runner.setup()
        try:
            site = web.TCPSite(self._runner, self._host, self._wanted_port)
            await site.start()
        except OSError as exc:  # the port is taken, the address is not this machine's
            await self._runner.cleanup()
            where = f"{self._host}:{self._wanted_port}"
            raise StartupError(f"cannot listen on {where} ([http] listen): {exc}") from None
        self._port = self._runner.addresses[0][1]
        log.info("serving /healthz, /readyz and /metrics on %s:%d", self._host, self._port)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._runner.cleanup()
        self._port = None
