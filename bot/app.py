"""The composition root: the one place that wires settings, storage, the desk and Telegram.

It is the only module in bot/ that imports storage/ and handlers/ (the layer test allows exactly
this one); everything else receives what it needs from here. Logging is configured by the CLI.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime

from bot.config.environment import url_secrets, webhook_secret
from bot.config.org import Org
from bot.config.serving import OFF, WEBHOOK
from bot.config.settings import Settings
from bot.config.web import web_secret as read_web_secret
from bot.config.wechat import WeChatSecrets, wechat_secrets
from bot.config.wecom import WeComSecrets, wecom_secrets
from bot.desk.context import Context, utc_now
from bot.desk.desk import Desk
from bot.desk.notices import ResidentNotices
from bot.followup.digests import Digests
from bot.followup.drafts import DraftFollowUp
from bot.followup.engine import FollowUp
from bot.followup.retention import Retention
from bot.language import Language, build_language
from bot.ports import Store
from bot.redact import redacting
from bot.sending.chats import ChatMoves
from bot.webdesk.signin import SignIn
from handlers.callback_channel import CallbackChannel
from handlers.http.health import Health
from handlers.http.metrics import Metrics
from handlers.http.server import HttpServer
from handlers.telegram.runtime import TelegramRuntime
from handlers.web.routes import WebDesk
from handlers.web.setup import web_desk
from handlers.wechat.channel import WeChatChannel
from handlers.wecom.channel import WeComChannel
from storage.engine import open_store, transactions_at_once

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunningBot:
    """A started bot: its desk, store and Telegram runtime (for the shell and the tests)."""

    desk: Desk
    store: Store
    telegram: TelegramRuntime
    followup: FollowUp
    digests: Digests
    drafts: DraftFollowUp
    http: HttpServer | None = None
    """The HTTP server (health, metrics, webhooks); None when ``[http] listen`` is not set."""
    web: WebDesk | None = None
    """The operators' web desk on that server; None unless ``[web]`` is enabled."""


@asynccontextmanager
async def running_bot(
    settings: Settings,
    token: str,
    clock: Callable[[], datetime] = utc_now,
    *,
    rate_limited: bool = True,
    language: Language | None = None,
    webhook_secret: str | None = None,
    wechat_secrets: WeChatSecrets | None = None,
    wecom_secrets: WeComSecrets | None = None,
    web_secret: str | None = None,
) -> AsyncIterator[RunningBot]:
    """Open the database, build the desk and run the Telegram side until the block exits.

    ``rate_limited=False`` only for a local Bot API stand-in, which has no flood limits.
    ``language``: one already built from ``settings.classifier``, for tests that start many
    bots in one process; None (production) builds it here. ``webhook_secret``: webhook mode's
    secret token (``GRIDDESK_WEBHOOK_SECRET``). While it runs, the token (the webhook secret,
    and the database URL, which may hold a password) is blanked from every log record
    (:mod:`bot.redact`). ``wechat_secrets``: the 公众号's, required when ``[wechat]`` is set;
    ``wecom_secrets``: the WeCom app's, required when ``[wecom]`` is. ``web_secret``: the web
    desk's signing key (``GRIDDESK_WEB_SECRET``), required when ``[web]`` is enabled.
    """
    if settings.wechat is not None and wechat_secrets is None:
        raise ValueError("[wechat] is set up: its secrets are needed")
    if settings.wecom is not None and wecom_secrets is None:
        raise ValueError("[wecom] is set up: its secrets are needed")
    if settings.web is not None and web_secret is None:
        raise ValueError("[web] is enabled: its signing key is needed")
    org = settings.require_org()
    if language is None:
        language = build_language(settings.classifier)
    secrets = [*url_secrets(settings.database_url), *filter(None, [webhook_secret, web_secret])]
    if settings.telegram.mode != OFF:
        secrets.append(token)
    for channel_secrets in (wechat_secrets, wecom_secrets):
        if channel_secrets is not None:
            secrets += channel_secrets.all()
    with redacting(*secrets):
        async with _running_bot(
            settings, token, clock, org, language, rate_limited=rate_limited,
            webhook_secret=webhook_secret, wechat_secrets=wechat_secrets,
            wecom_secrets=wecom_secrets, web_secret=web_secret,
        ) as bot:  # fmt: skip
            yield bot


@asynccontextmanager
async def _running_bot(
    settings: Settings,
    token: str,
    clock: Callable[[], datetime],
    org: Org,
    language: Language,
    *,
    rate_limited: bool,
    webhook_secret: str | None,
    wechat_secrets: WeChatSecrets | None,
    wecom_secrets: WeComSecrets | None,
    web_secret: str | None,
) -> AsyncIterator[RunningBot]:
    async with open_store(settings.database_url, clock=clock) as store, AsyncExitStack() as stack:
        async with store.transaction() as tx:
            await tx.sync_places([place for grid in org.grids() for place in grid.places])
            moves = await tx.chat_moves()
        context = Context(
            store,
            org,
            language,
            settings.deadlines,
            settings.timezone,
            clock,
            settings.followup,
            settings.quiet_hours,
            ChatMoves(moves),
        )
        desk = Desk(
            context,
            settings.limits,
            merge_window=settings.intake.merge_window,
            tasks_per_day=settings.intake.tasks_per_day,
            draft_expiry=settings.intake.draft_expiry,
            faq=settings.faq,
            sign_in=SignIn(context, settings.web, store) if settings.web is not None else None,
        )
        intake = settings.intake
        drafts = DraftFollowUp(context, intake.draft_reminder, intake.draft_expiry)
        followup = FollowUp(context, desk.work)
        digests = Digests(context, settings.digests)
        notices = ResidentNotices(context)
        retention = Retention(context, settings.privacy.retention)

        async def post_init() -> None:
            """Once Telegram has taken the token: the start-up writes that may queue messages.

            Not before, so a refused token or an unreachable Bot API leaves nothing queued
            to go out at the next start.
            """
            await desk.broadcasts.sync_config(settings.broadcasts)
            await digests.catch_up(clock())

        async def tick() -> None:
            """The one repeating job, as of one moment: notices held for the morning, follow-ups,
            unanswered questions, scheduled notices, and (hourly) the retention sweep."""
            now = clock()
            await notices.release(now)
            await followup.tick(now)
            await drafts.tick(now)
            await desk.broadcasts.tick(now)
            await retention.tick(now)

        callbacks: list[CallbackChannel] = []
        if settings.wechat is not None and wechat_secrets is not None:
            wechat = WeChatChannel(
                settings.wechat, wechat_secrets, desk, store, clock=clock, zone=settings.timezone
            )
            callbacks.append(await stack.enter_async_context(wechat))
        if settings.wecom is not None and wecom_secrets is not None:
            wecom = WeComChannel(settings.wecom, wecom_secrets, desk, store, org=org, clock=clock)
            callbacks.append(await stack.enter_async_context(wecom))
        metrics = Metrics()
        telegram = TelegramRuntime(
            token,
            settings.telegram,
            desk,
            store,
            clock,
            tick=metrics.timed(tick),
            tick_every=settings.followup.tick,
            daily=digests.jobs(clock),
            rate_limited=rate_limited,
            post_init=post_init,
            webhook_secret=webhook_secret,
            metrics=metrics,
            chats_at_once=transactions_at_once(settings.database_url),
            callbacks=callbacks,
        )
        operators = None
        if settings.web is not None and web_secret is not None:
            operators = web_desk(context, desk, settings.web, web_secret, store)
        served = _http_server(settings, telegram, store, clock, metrics, web=operators)
        # the server first: Telegram is told to call it only once it listens (see its module)
        async with served as http, telegram:
            yield RunningBot(desk, store, telegram, followup, digests, drafts, http, operators)


def _http_server(
    settings: Settings,
    telegram: TelegramRuntime,
    store: Store,
    clock: Callable[[], datetime],
    metrics: Metrics,
    *,
    web: WebDesk | None,
) -> AbstractAsyncContextManager[HttpServer | None]:
    """The HTTP server ``[http] listen`` asks for, carrying the channel's routes and the web
    desk's; or none."""
    if settings.http.listen is None:
        return nullcontext(None)
    host, port = settings.http.listen
    health = Health(store, clock, telegram.heard)
    return HttpServer(
        host, port, health=health, metrics=metrics, store=store, clock=clock,
        routes=[*telegram.routes(), *(web.routes() if web else [])],
    )  # fmt: skip


async def serve(settings: Settings, token: str) -> None:
    """``griddesk run``: receive Telegram's updates (long polling, or a webhook) until SIGINT or
    SIGTERM, then stop cleanly.

    A token the Bot API refuses, or a Bot API that cannot be reached, raises
    :class:`~bot.errors.StartupError` before anything is queued or sent; webhook mode without
    ``GRIDDESK_WEBHOOK_SECRET`` a :class:`~bot.config.tomlcheck.SettingsError` before that.
    """
    secret = webhook_secret() if settings.telegram.mode == WEBHOOK else None
    wechat = wechat_secrets() if settings.wechat is not None else None
    wecom = wecom_secrets() if settings.wecom is not None else None
    web_key = read_web_secret() if settings.web is not None else None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_bot(
        settings,
        token,
        webhook_secret=secret,
        wechat_secrets=wechat,
        wecom_secrets=wecom,
        web_secret=web_key,
    ) as bot:
        log.info("griddesk is running; press Ctrl+C to stop")
        stopping = asyncio.create_task(stop.wait())
        crashed = asyncio.create_task(bot.telegram.wait_closed())
        done, _ = await asyncio.wait({stopping, crashed}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stopping, crashed):
            task.cancel()
        if crashed in done:
            crashed.result()
    log.info("griddesk stopped")
