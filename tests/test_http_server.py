"""The one HTTP server: /healthz, /readyz (with its 503s) and /metrics in Prometheus' format."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config.settings import HttpSettings, Settings
from bot.domain import Outgoing
from bot.errors import (
    ChatMoved,
    ChatUnreachable,
    RetryLater,
    StartupError,
    TransientDeliveryError,
    Undeliverable,
)
from bot.ports import Store
from handlers.http.health import Health, Heard
from handlers.http.metrics import MeteredSender, Metrics
from handlers.http.server import HttpServer
from storage.engine import create_engine, open_store
from storage.sql_store import SqlStore
from tests.clock import FakeClock, nine_am
from tests.harness import World, world

CLOSED_PORT_DATABASE = "postgresql://postgres@127.0.0.1:1/nowhere"
"""A PostgreSQL URL nobody answers at: connecting is refused at once."""
FRESH = Heard("poll", 1.0, 90.0)


def _serving(settings: Settings) -> Settings:
    """The example settings with the HTTP server on, on any free port."""
    return replace(settings, http=HttpSettings(("127.0.0.1", 0)))


@asynccontextmanager
async def _server(
    store: Store, clock: FakeClock, heard: Heard = FRESH, metrics: Metrics | None = None
) -> AsyncIterator[str]:
    """An HTTP server with health and metrics over ``store``; yields its base URL."""
    health = Health(store, clock, lambda: heard)
    server = HttpServer(
        "127.0.0.1", 0, health=health, metrics=metrics or Metrics(), store=store, clock=clock
    )
    async with server:
        yield f"http://127.0.0.1:{server.port}"


async def _get(url: str) -> tuple[int, str, str]:
    """Status, content type header and body of a GET."""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, response.headers["Content-Type"], await response.text()


async def _json(url: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.json()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and labels (parsed by prometheus_client)."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _base(w: World) -> str:
    assert w.bot.http is not None, "the world's HTTP server is off"
    return f"http://127.0.0.1:{w.bot.http.port}"


@pytest.mark.asyncio
async def test_healthz_and_readyz_answer_on_a_running_bot(
    database_url: str, cache_dir: Path
) -> None:
    """Alive is "ok"; ready says the database answers and the poll is fresh."""
    async with world(database_url, cache_dir, change=_serving) as w:
        assert await _get(f"{_base(w)}/healthz") == (200, "text/plain; charset=utf-8", "ok")
        status, report = await _json(f"{_base(w)}/readyz")
    assert status == 200, report
    assert report["ready"] is True
    assert report["database"] == "ok"
    assert report["last_contact"]["via"] == "poll"
    assert report["last_contact"]["seconds_ago"] < 30
    assert report["inbox_backlog"] == 0
    assert report["oldest_outbox_seconds"] is None


@pytest.mark.asyncio
async def test_readyz_reports_the_backlogs(database_url: str) -> None:
    """Unprocessed updates are counted; the oldest pending message is aged by the clock that
    stamped it; a sent one no longer counts."""
    clock = nine_am()
    async with open_store(database_url, clock=clock) as store:
        async with store.transaction() as tx:
            await tx.store_updates([(1, "{}"), (2, "{}"), (3, "{}")])
            await tx.mark_update_processed(1)
            await tx.enqueue(Outgoing("telegram:1001", "第一条"))
        clock.advance(timedelta(seconds=30))
        async with store.transaction() as tx:
            await tx.enqueue(Outgoing("telegram:1002", "第二条"))
        clock.advance(timedelta(seconds=60))
        async with _server(store, clock) as base:
            status, report = await _json(f"{base}/readyz")
            async with store.transaction() as tx:
                first = (await tx.pending_outbox(1))[0]
                await tx.outbox_sent(first.id, 11)
            _, after_send = await _json(f"{base}/readyz")
    assert status == 200, report
    assert report["inbox_backlog"] == 2
    assert report["oldest_outbox_seconds"] == 90.0
    assert after_send["oldest_outbox_seconds"] == 60.0


@pytest.mark.asyncio
async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    """A database that refuses connections: 503, and the body says which part failed."""
    engine = create_engine(CLOSED_PORT_DATABASE)
    try:
        async with _server(SqlStore(engine), nine_am()) as base:
            status, report = await _json(f"{base}/readyz")
            assert (await _get(f"{base}/healthz"))[0] == 200  # alive all the same
            metrics_status, _, text = await _get(f"{base}/metrics")
    finally:
        await engine.dispose()
    assert status == 503
    assert report["ready"] is False
    assert report["problems"] == ["database"]
    assert report["database"].startswith("unavailable: ")
    assert report["inbox_backlog"] is None
    assert metrics_status == 200  # the counters are served without the database's figures
    assert _samples(text)[("griddesk_database_up", ())] == 0


@pytest.mark.asyncio
async def test_readyz_is_503_when_polling_went_quiet(store: SqlStore) -> None:
    """Polling that has not worked for longer than a long poll and its grace: not ready."""
    async with _server(store, nine_am(), Heard("poll", 200.0, 90.0)) as base:
        status, report = await _json(f"{base}/readyz")
    assert status == 503
    assert report["database"] == "ok"
    assert report["problems"] == ["no successful poll for over 90 s"]


@pytest.mark.asyncio
async def test_a_quiet_webhook_is_still_ready(store: SqlStore) -> None:
    """Telegram calls only with news: a webhook that brought nothing yet is no failure."""
    async with _server(store, nine_am(), Heard("webhook", None, None)) as base:
        status, report = await _json(f"{base}/readyz")
    assert status == 200
    assert report["last_contact"] == {"via": "webhook", "seconds_ago": None}


@pytest.mark.asyncio
async def test_metrics_move_after_a_message(database_url: str, cache_dir: Path) -> None:
    """The exposition parses; a report moves the update and send counters and the grid's
    open tasks; past its claim deadline the task counts as overdue; a tick is timed."""
    async with world(database_url, cache_dir, change=_serving) as w:
        status, content_type, text = await _get(f"{_base(w)}/metrics")
        assert status == 200
        assert content_type.startswith("text/plain")
        before = _samples(text)
        assert before[("griddesk_updates_processed_total", ())] == 0
        assert before[("griddesk_outbox_sent_total", ())] == 0
        assert before[("griddesk_database_up", ())] == 1

        await w.say(w.resident(), "审计厅小区3号楼2单元又停水了")
        after = _samples((await _get(f"{_base(w)}/metrics"))[2])
        assert after[("griddesk_updates_processed_total", ())] == 1
        assert after[("griddesk_updates_poisoned_total", ())] == 0
        assert after[("griddesk_outbox_sent_total", ())] >= 2  # the receipt and the card
        assert after[("griddesk_tasks_open", (("grid", "xingan-1"),))] == 1
        assert after[("griddesk_tasks_overdue", (("grid", "xingan-1"),))] == 0
        assert after[("griddesk_inbox_backlog", ())] == 0

        w.clock.advance(timedelta(hours=2, minutes=30))  # reminded, not yet escalated
        job_queue = w.bot.telegram.application.job_queue
        assert job_queue is not None
        [job] = job_queue.get_jobs_by_name("_on_tick")
        await job.run(w.bot.telegram.application)
        await w.bot.telegram.outbox.settled()  # the reminder it wrote
        late = _samples((await _get(f"{_base(w)}/metrics"))[2])
    assert late[("griddesk_tasks_overdue", (("grid", "xingan-1"),))] == 1
    assert late[("griddesk_followup_tick_seconds_count", ())] == 1


class _Refusing:
    """A sender that raises the next of ``errors`` (or sends, returning 7, when they are out)."""

    def __init__(self, errors: list[Exception]) -> None:
        self.errors = errors

    async def send(
        self,
        message: Outgoing,
        edit_message_id: int | None,
        *,
        before_request: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        if before_request is not None:  # the request is written at once
            await before_request()
        if self.errors:
            raise self.errors.pop(0)
        return 7


@pytest.mark.asyncio
async def test_sends_are_counted_by_outcome_and_reason() -> None:
    """Sent, retried (429, network, moved) and given up (unreachable, refused), each by reason."""
    metrics = Metrics()
    errors: list[Exception] = [
        RetryLater(3),
        TransientDeliveryError("timed out"),
        ChatMoved("telegram:-100200"),
        ChatUnreachable("bot was blocked by the user"),
        Undeliverable("message is too long"),
    ]
    sender = MeteredSender(_Refusing(list(errors)), metrics)
    for error in errors:
        with pytest.raises(type(error)):
            await sender.send(Outgoing("telegram:1001", "hi"), None)
    assert await sender.send(Outgoing("telegram:1001", "hi"), None) == 7
    value = metrics.registry.get_sample_value
    assert value("griddesk_outbox_sent_total") == 1
    for reason in ("retry_after", "transient", "chat_moved"):
        assert value("griddesk_outbox_retried_total", {"reason": reason}) == 1
    for reason in ("chat_unreachable", "undeliverable"):
        assert value("griddesk_outbox_given_up_total", {"reason": reason}) == 1


def test_each_bot_has_its_own_registry() -> None:
    """Two bots in one process count apart and never collide on a metric's name."""
    first, second = Metrics(), Metrics()
    first.update_processed()
    assert first.registry.get_sample_value("griddesk_updates_processed_total") == 1
    assert second.registry.get_sample_value("griddesk_updates_processed_total") == 0


@pytest.mark.asyncio
async def test_a_taken_port_is_a_startup_error(store: SqlStore) -> None:
    """A second server on the same port: one StartupError line naming the key."""
    async with _server(store, nine_am()) as base:
        port = int(base.rsplit(":", 1)[1])
        health = Health(store, nine_am(), lambda: FRESH)
        taken = HttpServer(
            "127.0.0.1", port, health=health, metrics=Metrics(), store=store, clock=nine_am()
        )
        with pytest.raises(StartupError, match=r"cannot listen on 127\.0\.0\.1:\d+ \(\[http\]"):
            async with taken:
                pass
