"""The running Telegram side: the PTB Application, its handlers, the inbox and the outbox.

:class:`TelegramRuntime` owns them all and opens and closes them in order (``async with``): the
Application is initialised (``getMe``, which checks the token and that the Bot API answers), the
composition root's ``post_init`` runs, the Application is started, and the inbox poller and the
outbox dispatcher run as tasks. In webhook mode (``[telegram] mode``) ``setWebhook`` is called
instead of polling, once the HTTP server that carries :meth:`TelegramRuntime.routes` listens
(the composition root starts it first), and the inbox only handles what the webhook stored.
The webhook stays set when the bot stops: other instances may still be serving it, and
Telegram keeps what nobody takes for a day. A refused token or an unreachable Bot API is one
:class:`~bot.errors.StartupError` line before ``post_init``, so nothing was queued to send.
On exit the inbox and outbox are told to stop (:mod:`bot.sending.stopping`): each finishes the
unit of work in hand — never cut off mid-transaction — and returns; then the Application stops,
which waits for a running follow-up tick. PTB's Updater is not used (see
:mod:`handlers.telegram.inbox`).

The callback channels (WeChat, WeCom: :mod:`handlers.callback_channel`) run inside it too:
their routes are served by the same HTTP server, their stored messages handled by the same
inbox, their chats sent to by the same outbox (:class:`~bot.sending.router.ChannelRouter`). With
``[telegram] mode = "off"`` only that remains: PTB's Application is built for its job queue (our
one scheduler), which is started alone; nothing initialises the bot or calls the Bot API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

from bot.channels import Channel
from bot.config.serving import OFF, WEBHOOK, webhook_path
from bot.config.settings import TOKEN_VARIABLE, TelegramSettings
from bot.desk.desk import Desk
from bot.errors import AlreadyProcessed, StartupError
from bot.followup.digests import DailyJob
from bot.ports import Sender, Store
from bot.retry import StoreBusy, delay
from bot.sending.outbox import OutboxDispatcher
from bot.sending.router import ChannelRouter
from bot.sending.stopping import Stopped, StopSignal
from handlers.callback_channel import CallbackChannel
from handlers.http.health import Heard
from handlers.http.metrics import MeteredSender, Metrics
from handlers.telegram.admin import admin_handlers
from handlers.telegram.buttons import button_handlers
from handlers.telegram.group import group_handlers
from handlers.telegram.guard import GUARD_GROUP, guard_handlers
from handlers.telegram.inbox import Inbox, sender_chat
from handlers.telegram.polling import ALLOWED_UPDATES
from handlers.telegram.reports import report_handlers
from handlers.telegram.resident import resident_handlers
from handlers.telegram.sender import AnnouncingRequest, TelegramSender
from handlers.telegram.webhook import TelegramWebhook, chat_lane

log = logging.getLogger(__name__)

_RELEASE_WAIT = 3.0
"""Seconds a stopping bot tries to hand the outbox lease over before leaving it to run out."""
_POLL_GRACE = 60.0
"""Seconds past a long poll's timeout without a successful poll before ``/readyz`` says the
instance is not ready (a few failed polls with backoff fit in it)."""
_STOP_WAIT = 20.0
"""Seconds the inbox and outbox get to finish their work in hand when the bot stops (a send
waiting for Telegram's rate limit, a slow handler); after that they are cancelled."""


class TelegramRuntime:
    """Everything that talks to Telegram, for one bot token."""

    def __init__(
        self,
        token: str,
        settings: TelegramSettings,
        desk: Desk,
        store: Store,
        clock: Callable[[], datetime],
        *,
        tick: Callable[[], Awaitable[object]] | None = None,
        tick_every: timedelta = timedelta(minutes=1),
        daily: Sequence[DailyJob] = (),
        rate_limited: bool = True,
        post_init: Callable[[], Awaitable[object]] | None = None,
        webhook_secret: str | None = None,
        metrics: Metrics | None = None,
        chats_at_once: int = 1,
        callbacks: Sequence[CallbackChannel] = (),
    ) -> None:
        """``post_init`` runs once the Bot API has accepted the token, before anything starts:
        the place for start-up work that may queue messages (PTB's own ``post_init`` runs only
        under ``run_polling``, which griddesk does not use). ``webhook_secret``: required in
        webhook mode. ``metrics`` counts updates and sends (:mod:`handlers.http.metrics`).
        ``chats_at_once``: how many chats' updates the inbox handles at the same time.
        ``callbacks``: the other channels (WeChat), already open, whose messages the inbox
        handles and whose chats the outbox sends to."""
        base_url = settings.base_url or "https://api.telegram.org/bot"
        parts = urlsplit(base_url)
        # for start-up errors: scheme, host and port only (PTB appends the token to the path)
        self._api = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .updater(None)
            .get_updates_read_timeout(settings.poll_timeout + 10)
            # the outbox's sends tell it when their request is written (see the sender)
            .request(AnnouncingRequest(read_timeout=settings.send_timeout))
        )
        if rate_limited:  # Telegram's limits; a local stand-in (shell, tests) has none
            # max_retries=0: the outbox schedules its own retries instead of blocking a chat.
            # The ignore: PTB's builder changes its generic type here, a variable cannot.
            builder = builder.rate_limiter(AIORateLimiter(max_retries=0))  # type: ignore[arg-type]
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        # first match wins: the workers' commands before the residents' catch-all for commands
        handlers = (
            *admin_handlers(desk),
            *group_handlers(desk),
            *report_handlers(desk),
            *resident_handlers(desk),
        )
        for handler in guard_handlers(desk):
            self.application.add_handler(handler, group=GUARD_GROUP)
        for handler in (*handlers, *button_handlers(desk)):
            self.application.add_handler(handler)
        self.application.add_error_handler(self._on_error)
        self._serves_group = lambda chat_id: desk.context.unit_by_chat(chat_id) is not None
        self._stop = StopSignal()
        self.off = settings.mode == OFF
        """No Telegram at all (``[telegram] mode = "off"``): only the scheduler, the inbox
        for the callback channels and the outbox run; nothing calls the Bot API."""
        senders: dict[Channel, Sender] = {}
        if not self.off:
            senders[Channel.TELEGRAM] = TelegramSender(self.application.bot, store)
        senders |= {callback.channel: callback.sender for callback in callbacks}
        sender: Sender = ChannelRouter(senders)
        if metrics is not None:
            sender = MeteredSender(sender, metrics)
        self.outbox = OutboxDispatcher(
            store,
            sender,
            clock,
            desk.context.presenter,
            chat_moves=desk.context.chats,
            stop=self._stop,
        )
        self.inbox = Inbox(
            self.application,
            store,
            poll_timeout=settings.poll_timeout,
            after_update=self.outbox.wake,
            stop=self._stop,
            clock=clock,
            metrics=metrics,
            chats_at_once=chats_at_once,
            callbacks={callback.channel: callback for callback in callbacks},
            poll_lease=timedelta(seconds=settings.poll_lease),
        )
        self._callbacks = tuple(callbacks)
        self._settings = settings
        self._started = time.monotonic()
        self.webhook: TelegramWebhook | None = None
        if settings.mode == WEBHOOK:
            if not webhook_secret or not settings.webhook_url:
                raise ValueError("webhook mode needs webhook_url and a secret token")
            self.webhook = TelegramWebhook(
                store, webhook_secret, webhook_path(settings.webhook_url),
                wake=self.inbox.wake, lane=chat_lane,
            )  # fmt: skip
        self._webhook_secret = webhook_secret
        self._tasks: list[asyncio.Task[None]] = []
        self._tick = tick
        self._tick_every = tick_every
        self._daily = daily
        self._post_init = post_init

    async def __aenter__(self) -> TelegramRuntime:
        """Start everything; if any step fails (or start-up is interrupted, Ctrl+C while the
        Bot API is slow), close what was opened before raising — PTB's own
        ``Application.__aenter__`` pattern — so no HTTP client or job queue is left behind."""
        try:
            if not self.off:
                await self._initialize()
            if self._post_init is not None:
                await self._post_init()
            if self.webhook is not None:
                await self._set_webhook()
            if self.off:  # the one scheduler, without an Application that would call Telegram
                if self.application.job_queue is not None:
                    await self.application.job_queue.start()
            else:
                await self.application.start()
            self._schedule()
        except BaseException:
            await self._close_application()
            raise
        polls = self.webhook is None and not self.off
        self._tasks = [
            asyncio.create_task(self._run_outbox(), name="griddesk-outbox"),
            asyncio.create_task(
                self.inbox.run() if polls else self.inbox.run_stored(), name="griddesk-inbox"
            ),
        ]
        return self

    def _schedule(self) -> None:
        """The repeating jobs, on the one scheduler: PTB's job queue."""
        job_queue = self.application.job_queue
        if job_queue is None:
            return
        if self._tick is not None:
            seconds = self._tick_every.total_seconds()
            job_queue.run_repeating(self._on_tick, interval=seconds, first=seconds)
        for daily in self._daily:  # the digests, each at a local time of day
            days = tuple((day + 1) % 7 for day in daily.weekdays)  # PTB: 0 is Sunday
            job_queue.run_daily(self._daily_job(daily), daily.at, days=days, name=daily.name)

    async def _close_application(self) -> None:
        """Stop and shut down the Application, however far it got.

        Its ``shutdown`` does nothing unless ``initialize`` completed, so the bot's HTTP
        clients, opened by an ``initialize`` that failed at ``getMe``, are closed directly too.
        """
        if self.application.running:
            await self.application.stop()
        await self._stop_lone_scheduler()
        await self.application.shutdown()
        await self.application.bot.shutdown()

    async def _stop_lone_scheduler(self) -> None:
        """Off mode: the job queue was started alone, so it is stopped alone."""
        job_queue = self.application.job_queue
        if self.off and job_queue is not None and job_queue.scheduler.running:
            await job_queue.stop()

    async def _initialize(self) -> None:
        """Initialise the Application: its ``getMe`` checks the token and reaches the Bot API.

        A failure becomes one :class:`StartupError` line saying what to check (the HTTP clients
        opened for the call are closed by :meth:`__aenter__`). PTB's own messages may quote the
        token ("The token `…` was rejected"): they are replaced, and suppressed (``from None``)
        so no traceback prints them either.
        """
        try:
            await self.application.initialize()
        except TelegramError as error:
            raise StartupError(self._refusal(error)) from None

    async def _set_webhook(self) -> None:
        """Ask Telegram to POST updates to ``webhook_url`` with our secret token; what it sent
        and nobody took yet is kept (``drop_pending_updates=False``)."""
        url = self._settings.webhook_url
        try:
            await self.application.bot.set_webhook(
                url or "",
                secret_token=self._webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        except TelegramError as error:
            said = error.message.replace(self.application.bot.token, "…")
            raise StartupError(
                f"the Bot API at {self._api} refused the webhook {url} ({said}); "
                "check [telegram] webhook_url"
            ) from None
        log.info("Telegram delivers updates to %s", url)

    def routes(self) -> list[web.RouteDef]:
        """What the HTTP server must carry: the webhook, in webhook mode, and the callback
        channels' callbacks."""
        routes = [] if self.webhook is None else [self.webhook.route()]
        for callback in self._callbacks:
            routes += callback.routes(self.inbox.wake)
        return routes

    def heard(self) -> Heard:
        """When Telegram last brought news, for ``/readyz`` (:class:`~handlers.http.health.Heard`).

        Polling: the last successful ``getUpdates`` — or, while another instance polls, the
        last sign of its lease (:attr:`Inbox.polled_at`) — or else the start, must be at most
        a long poll and a minute old. Webhook: silence is no failure (Telegram calls only with
        news, and a load balancer must not take a quiet instance out of rotation).
        """
        if self.webhook is not None:
            return Heard("webhook", self.webhook.seconds_since_update(), None)
        if self.off:  # WeChat and WeCom call only when there is news, as a webhook does
            return Heard("callbacks", None, None)
        polled = self.inbox.polled_at
        since = time.monotonic() - (self._started if polled is None else polled)
        return Heard("poll", since, self._settings.poll_timeout + _POLL_GRACE)

    def _refusal(self, error: TelegramError) -> str:
        """What went wrong at start-up, for an operator, without the token."""
        cause = error.__cause__ if isinstance(error.__cause__, TelegramError) else error
        said = cause.message.replace(self.application.bot.token, "…")
        if isinstance(error, InvalidToken):
            return (
                f"the Bot API at {self._api} rejected the bot token ({said}); "
                f"check {TOKEN_VARIABLE}"
            )
        if isinstance(error, NetworkError):  # TimedOut included
            return (
                f"cannot reach the Bot API at {self._api} ({said}); "
                "check [telegram] base_url and the network"
            )
        return f"the Bot API at {self._api} did not let the bot start ({said})"

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        _, late = await asyncio.wait(self._tasks, timeout=_STOP_WAIT)
        for task in late:
            log.warning("%s did not stop within %.0f s; cancelled", task.get_name(), _STOP_WAIT)
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        try:
            async with asyncio.timeout(_RELEASE_WAIT):
                await self.outbox.release()
        except (StoreBusy, TimeoutError):
            # best effort: the lease runs out by itself, as after a crash
            log.warning("outbox lease not released (database busy); it runs out by itself")
        try:
            async with asyncio.timeout(_RELEASE_WAIT):
                await self.inbox.release()
        except (StoreBusy, TimeoutError):
            log.warning("poll lease and inbox claims not released (database busy); they run out")
        if self.application.running:
            await self.application.stop()
        await self._stop_lone_scheduler()
        await self.application.shutdown()

    async def _run_outbox(self) -> None:
        """The outbox dispatcher, started again with backoff whenever the database was busy.

        A busy database (:class:`StoreBusy`: nothing committed) is weather, not a bug: the
        dispatcher's next drain simply reads the outbox again. Any other error ends the task.
        """
        failures = 0
        while not self._stop.is_set():
            try:
                await self.outbox.run()
            except StoreBusy as exc:
                failures += 1
                wait = delay(min(failures, 8))
                log.warning("outbox: database busy (%s); draining again in %.2f s", exc, wait)
                with contextlib.suppress(Stopped):
                    await self._stop.sleep(wait)

    async def wait_closed(self) -> None:
        """Until the inbox or outbox task ends (only by an unexpected error, which is raised)."""
        done, _ = await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()

    async def _on_tick(self, _: ContextTypes.DEFAULT_TYPE) -> None:
        """The follow-up job: take what is due, then send what it wrote without waiting."""
        if self._tick is not None:
            await self._tick()
            self.outbox.wake()

    def _daily_job(
        self, daily: DailyJob
    ) -> Callable[[ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
        """A daily job (the digests): act as of now, then send what it wrote without waiting."""

        async def run(_: ContextTypes.DEFAULT_TYPE) -> None:
            await daily.run()
            self.outbox.wake()

        return run

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error handler: log, and tell the inbox (:meth:`Inbox.record_failure`), which
        leaves the update unprocessed so it is retried.

        A busy database is not a bug: the inbox redoes the update and logs each retry. Nor is
        :class:`AlreadyProcessed`: another instance handled the update, and this one's
        transaction rolled back. Anything else is: logged with its traceback and the update's
        id, never the update's words. An exception's own text may still quote them (or a URL
        with the token): the redacting filter on every log handler (:mod:`bot.redact`) blanks
        personal numbers and secrets.
        Should the inbox give the update up, it tells the sender in the chat named here
        (:func:`~handlers.telegram.inbox.sender_chat`): private, or a group the bot serves.
        """
        error = context.error
        if error is None:  # PTB always names it; its type allows None
            return
        if not isinstance(update, Update):
            if isinstance(error, StoreBusy):
                log.warning("database busy outside an update: %s", error)
            else:
                log.error("an error outside an update", exc_info=error)
            return
        tell = None
        if not isinstance(error, StoreBusy | AlreadyProcessed):  # weather, and others' work
            log.error("handling update %s failed", update.update_id, exc_info=error)
            tell = sender_chat(update, self._serves_group)
        self.inbox.record_failure(update.update_id, error, tell)
