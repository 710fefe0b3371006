"""A load balancer in front of several instances, as a city puts one before its griddesks.

Webhook mode (and later WeChat's callbacks) means the platform calls one public address and a
load balancer hands each request to any instance behind it. :class:`RoundRobin` does what such
a balancer (nginx ``upstream``, a cloud LB) does by default: each request goes to the next
backend in turn; a backend that refuses the connection (not running) is skipped and the next
one tried; a request a backend took and then dropped (killed mid-request) is answered 502 and
not sent again, since a POST may have had its effect (nginx's ``proxy_next_upstream`` leaves
non-idempotent requests alone). The caller (Telegram, Tencent) retries a 502 later, and it may
then reach another instance: that is the case the inbox's exactly-once must survive.

Only 127.0.0.1 is served and contacted.
"""

from __future__ import annotations

import itertools
import random
import socket
from collections.abc import Sequence
from types import TracebackType

import aiohttp
from aiohttp import web

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}
)
_TIMEOUT = aiohttp.ClientTimeout(total=10, connect=1)


def free_port() -> int:
    """A TCP port nobody listens on now, for a server whose address must be known before it
    starts (a webhook URL names it).

    The port is drawn at random from below the kernel's ephemeral range, not by ``bind(0)``:
    a port ``bind(0)`` hands out is one the very next outgoing connection (this suite opens
    hundreds to PostgreSQL in parallel) may take as its local port before our server binds it,
    which CI once saw as "address already in use". Below that range only another
    :func:`free_port` caller can collide, one in thousands of ports, and the probe rules out
    ports already bound."""
    low = _ephemeral_low()
    while True:
        port = random.randrange(_LOWEST_PICKED, low)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


_LOWEST_PICKED = 10_000


def _ephemeral_low() -> int:
    """The first port of Linux's ephemeral range (32768 by default, elsewhere too)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as ports:
            return max(int(ports.read().split()[0]), _LOWEST_PICKED + 1000)
    except (OSError, ValueError, IndexError):
        return 32_768


class RoundRobin:
    """Forwards every request on its port to ``backends`` (base URLs) in turn.

    ``async with RoundRobin([...]) as balancer`` serves on :attr:`url`; :attr:`forwarded`
    counts the requests each backend answered, :attr:`dropped` those a backend took and never
    answered, :attr:`refused` the connection attempts a backend refused.
    """

    def __init__(self, backends: Sequence[str]) -> None:
        if not backends:
            raise ValueError("a load balancer needs at least one backend")
        self.backends = list(backends)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.forwarded: dict[str, int] = dict.fromkeys(self.backends, 0)
        self.dropped = 0
        self.refused = 0
        self._turn = itertools.cycle(range(len(self.backends)))
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> RoundRobin:
        self._session = aiohttp.ClientSession(timeout=_TIMEOUT, auto_decompress=False)
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        start = next(self._turn)
        for step in range(len(self.backends)):
            backend = self.backends[(start + step) % len(self.backends)]
            try:
                async with self._session.request(
                    request.method, backend + request.path_qs, data=body, headers=headers
                ) as answer:
                    content = await answer.read()
                    self.forwarded[backend] += 1
                    kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
                    return web.Response(status=answer.status, body=content, headers=kept)
            except aiohttp.ClientConnectorError:
                self.refused += 1  # not running: the next backend may be
                continue
            except (TimeoutError, aiohttp.ClientError):
                self.dropped += 1  # taken and dropped: it may have had its effect
                return web.Response(status=502, text="backend dropped the request")
        return web.Response(status=502, text="no backend is running")
