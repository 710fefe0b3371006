"""One aiohttp application served on 127.0.0.1 on a free port: what every API stand-in runs on.

The Telegram, WeChat and WeCom stand-ins each serve their routes this way and hand the bot a
``base_url`` built on :attr:`LocalServer.url`; starting, stopping and the "not started" mistake
live here once.
"""

from __future__ import annotations

from aiohttp import web


class LocalServer:
    """Serves one application until :meth:`stop`; :attr:`url` says where."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    async def start(self, app: web.Application) -> None:
        """Serve ``app`` on 127.0.0.1 on a free port."""
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Close every connection and stop serving (nothing to do when not started)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = self._port = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, while serving."""
        if self._port is None:
            raise RuntimeError("the stand-in is not started")
        return f"http://127.0.0.1:{self._port}"
