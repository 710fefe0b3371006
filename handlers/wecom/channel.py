"""The WeCom channel as the running bot holds it: the app's callback in, members' presses and
messages handled, cards and texts out (:class:`~handlers.callback_channel.CallbackChannel`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from aiohttp import web

from bot.channels import Channel
from bot.config.org import Org
from bot.config.wecom import WeComSecrets, WeComSettings
from bot.desk.desk import Desk
from bot.ports import Sender, Store
from handlers.tencent.crypto import MessageCrypto
from handlers.wecom.api import DEFAULT_BASE_URL, WeComApi
from handlers.wecom.callback import WeComCallback
from handlers.wecom.inbound import WeComWorkers
from handlers.wecom.sender import WeComSender


class WeComChannel:
    """One self-built app: its API client (open while the block runs), callback, handling."""

    def __init__(
        self,
        settings: WeComSettings,
        secrets: WeComSecrets,
        desk: Desk,
        store: Store,
        *,
        org: Org,
        clock: Callable[[], datetime],
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self._store = store
        self.api = WeComApi(
            settings.corp_id,
            secrets.secret,
            settings.agent_id,
            store,
            base_url=settings.base_url or DEFAULT_BASE_URL,
            clock=clock,
        )
        self._workers = WeComWorkers(desk, store, self.api, org, clock)
        self._sender = WeComSender(self.api, store, org, clock)

    @property
    def channel(self) -> Channel:
        return Channel.WECOM

    @property
    def sender(self) -> Sender:
        return self._sender

    def routes(self, wake: Callable[[], None]) -> list[web.RouteDef]:
        crypto = MessageCrypto(
            self._secrets.token, self._secrets.encoding_aes_key, self._settings.corp_id
        )
        callback = WeComCallback(
            self._store,
            self._settings.callback_path,
            crypto=crypto,
            agent_id=self._settings.agent_id,
            wake=wake,
        )
        return callback.routes()

    async def handle(self, update_id: int, raw: str) -> None:
        await self._workers.handle(update_id, raw)

    def apologise_to(self, raw: str) -> str | None:
        return self._workers.apologise_to(raw)

    async def __aenter__(self) -> WeComChannel:
        await self.api.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.api.__aexit__(kind, error, tb)
