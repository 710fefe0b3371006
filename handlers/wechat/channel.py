"""The WeChat channel as the running bot holds it: callback in, residents' messages handled,
customer-service messages out (:class:`~handlers.callback_channel.CallbackChannel`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from types import TracebackType

from aiohttp import web

from bot.channels import Channel
from bot.config.wechat import WeChatSecrets, WeChatSettings
from bot.desk.desk import Desk
from bot.ports import Sender, Store
from handlers.wechat.api import DEFAULT_BASE_URL, WeChatApi
from handlers.wechat.callback import WeChatCallback
from handlers.wechat.inbound import WeChatResidents
from handlers.wechat.sender import WeChatSender


class WeChatChannel:
    """One Official Account: its API client (open while the block runs), callback, handling."""

    def __init__(
        self,
        settings: WeChatSettings,
        secrets: WeChatSecrets,
        desk: Desk,
        store: Store,
        *,
        clock: Callable[[], datetime],
        zone: tzinfo,
    ) -> None:
        """``zone``: the deployment's time zone, for the times notices show."""
        self._settings = settings
        self._secrets = secrets
        self._store = store
        self.api = WeChatApi(
            settings.app_id,
            secrets.app_secret,
            store,
            base_url=settings.base_url or DEFAULT_BASE_URL,
            clock=clock,
        )
        self._residents = WeChatResidents(desk, store, self.api)
        self._sender = WeChatSender(
            self.api, store, clock, zone, menus=settings.menus, template=settings.notice_template
        )

    @property
    def channel(self) -> Channel:
        return Channel.WECHAT

    @property
    def sender(self) -> Sender:
        return self._sender

    def routes(self, wake: Callable[[], None]) -> list[web.RouteDef]:
        callback = WeChatCallback(
            self._store,
            self._settings.callback_path,
            token=self._secrets.token,
            app_id=self._settings.app_id,
            encoding_aes_key=self._secrets.encoding_aes_key,
            wake=wake,
        )
        return callback.routes()

    async def handle(self, update_id: int, raw: str) -> None:
        await self._residents.handle(update_id, raw)

    def apologise_to(self, raw: str) -> str | None:
        return self._residents.apologise_to(raw)

    async def __aenter__(self) -> WeChatChannel:
        await self.api.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.api.__aexit__(kind, error, tb)
