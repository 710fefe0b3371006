"""Webhook mode: Telegram's updates are checked by secret, committed before the 200, stored once.

End to end, the Bot API stand-in POSTs each update to the bot's own HTTP server, as Telegram
does; the receiver alone is driven over real HTTP against both database engines.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from telegram import Bot
from telegram.error import BadRequest, Conflict

from bot.app import running_bot
from bot.channels import telegram
from bot.errors import StartupError, StoreBusy
from bot.ports import Store, Transaction
from handlers.http.health import Health, Heard
from handlers.http.metrics import Metrics
from handlers.http.server import HttpServer
from handlers.telegram.webhook import (
    MAX_BODY,
    SECRET_HEADER,
    STORE_ATTEMPTS,
    TelegramWebhook,
    chat_lane,
)
from standins.telegram import BotApiStandIn, Delivery
from storage.engine import create_engine
from storage.sql_store import SqlStore
from tests.clock import nine_am
from tests.harness import (
    TOKEN,
    WEBHOOK_SECRET,
    example_settings,
    populate,
    shared_language,
    webhook_mode,
    world,
)

SECRET = "s3cret_token-for-tests"
UPDATE = {
    "update_id": 7,
    "message": {
        "message_id": 1,
        "date": 1,
        "chat": {"id": 1001, "type": "private", "first_name": "王阿姨"},
        "from": {"id": 1001, "is_bot": False, "first_name": "王阿姨"},
        "text": "审计厅小区3号楼停水了",
    },
}


class FlakyStore:
    """The real store, whose next ``failures`` transactions fail as a busy database does, and
    whose transactions start ``slow`` seconds late, as on a loaded database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.failures = 0
        self.slow = 0.0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        if self.failures:
            self.failures -= 1
            raise StoreBusy("injected: database is locked")
        await asyncio.sleep(self.slow)  # the database's slowness, not the test's timing
        async with self.store.transaction() as tx:
            yield tx

    async def reclaim(self) -> None:
        await self.store.reclaim()


class Receiver:
    """A webhook receiver on its own HTTP server, and what it woke."""

    def __init__(self, store: FlakyStore) -> None:
        self.store = store
        self.woken = asyncio.Event()
        self.wakes = 0
        self.webhook = TelegramWebhook(store, SECRET, "/telegram", wake=self._wake, lane=chat_lane)
        self.url = ""

    def _wake(self) -> None:
        self.wakes += 1
        self.woken.set()

    async def post(self, body: bytes, secret: str | None = SECRET) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.url, data=body, headers=headers) as response,
        ):
            return response.status, await response.text()

    async def stored(self) -> list[tuple[int, str]]:
        async with self.store.transaction() as tx:
            return list(await tx.unprocessed_updates(100))


@pytest_asyncio.fixture
async def receiver(store: SqlStore) -> AsyncIterator[Receiver]:
    """A :class:`TelegramWebhook` on an HTTP server of its own, over the test's database."""
    made = Receiver(FlakyStore(store))
    health = Health(store, nine_am(), lambda: Heard("webhook", None, None))
    server = HttpServer(
        "127.0.0.1", 0, health=health, metrics=Metrics(), store=store, clock=nine_am(),
        routes=[made.webhook.route()],
    )  # fmt: skip
    async with server:
        made.url = f"http://127.0.0.1:{server.port}/telegram"
        yield made


def _body(update: dict[str, Any] = UPDATE) -> bytes:
    return json.dumps(update, ensure_ascii=False).encode()


@pytest.mark.asyncio
async def test_a_message_by_webhook_becomes_a_task_with_receipt_and_card(
    database_url: str, cache_dir: Path
) -> None:
    """The stand-in POSTs the update; the resident gets a receipt, the grid a card; no polls."""
    async with world(database_url, cache_dir, webhook=True) as w:
        webhook = w.standin.webhook
        assert webhook is not None
        assert webhook.secret_token == WEBHOOK_SECRET
        assert webhook.url.endswith("/telegram")
        set_webhook = next(c for c in w.standin.calls if c.method == "setWebhook")
        assert set_webhook.params["allowed_updates"] == [
            "message", "edited_message", "callback_query",
        ]  # fmt: skip
        assert set_webhook.params.get("drop_pending_updates") in (None, False)
        resident = w.resident()
        replies = await w.say(resident, "审计厅小区3号楼2单元又停水了")
        receipt = next(m for m in replies if m.chat_id == resident.id)
        assert "工单号：20261122-0001" in receipt.content
        card = w.card(w.group("xingan-1"), "20261122-0001")

        # Telegram sends it again (its answer was lost): 200, and still one task, no reply
        said = len(w.chat(resident.id))
        again = {"update_id": w.standin.last_update_id, "message": UPDATE["message"]}
        headers = {SECRET_HEADER: WEBHOOK_SECRET}
        async with (
            aiohttp.ClientSession() as session,
            session.post(webhook.url, json=again, headers=headers) as response,
        ):
            assert response.status == 200
        mine = await w.say(resident, "/my")  # handled after anything stored before it
        assert len(w.chat(resident.id)) == said + 1, [m.content for m in mine]
        async with w.bot.store.transaction() as tx:
            assert len(await tx.tasks_of_resident(telegram(resident.id), 10)) == 1
        answer = await w.press(w.people["张三"], card, "认领")  # a press comes by webhook too
        assert "认领成功" in (answer.text or "")
        assert not [c for c in w.standin.calls if c.method == "getUpdates"]
        assert {d.status for d in w.standin.webhook_deliveries} == {200}


@pytest.mark.asyncio
async def test_a_wrong_or_missing_secret_is_refused_and_nothing_stored(
    receiver: Receiver,
) -> None:
    """403 for a wrong, empty or absent secret token; the inbox stays empty, nobody is woken."""
    for secret in ("wrong", "", None, SECRET + "x"):
        assert (await receiver.post(_body(), secret=secret))[0] == 403
    assert await receiver.stored() == []
    assert receiver.wakes == 0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2]", 400),
        (b'{"message": {}}', 400),
        (b'{"update_id": "7"}', 400),
        (b'{"update_id": true}', 400),
        (b'{"update_id": -1}', 400),
        (b'{"update_id": 7, "pad": "' + b"x" * MAX_BODY + b'"}', 413),
    ],
)
async def test_what_is_not_an_update_is_refused_and_nothing_stored(
    receiver: Receiver, body: bytes, status: int
) -> None:
    """Malformed JSON, no whole update_id: 400; a body past the limit: 413; nothing stored."""
    assert (await receiver.post(body))[0] == status
    assert await receiver.stored() == []


@pytest.mark.asyncio
async def test_the_update_is_committed_when_the_200_arrives(
    receiver: Receiver, database_url: str
) -> None:
    """Read on a connection of its own the moment the answer arrives, the update is there, even
    when the commit is slow (an answer before the commit would come back first)."""
    receiver.store.slow = 0.5
    assert await receiver.post(_body()) == (200, "ok")
    engine = create_engine(database_url)  # not the receiver's connection: only commits show
    try:
        async with SqlStore(engine).transaction() as other:
            rows = await other.unprocessed_updates(10)
    finally:
        await engine.dispose()
    assert [update_id for update_id, _ in rows] == [7]
    assert json.loads(rows[0][1]) == UPDATE
    assert receiver.wakes == 1


@pytest.mark.asyncio
async def test_a_duplicate_delivery_is_answered_200_and_stored_once(receiver: Receiver) -> None:
    """Telegram (or a load balancer) delivering one update twice: two 200s, one row."""
    assert (await receiver.post(_body()))[0] == 200
    assert (await receiver.post(_body()))[0] == 200
    assert [update_id for update_id, _ in await receiver.stored()] == [7]


@pytest.mark.asyncio
async def test_a_failed_commit_answers_500_and_telegram_delivers_again(
    receiver: Receiver,
) -> None:
    """The database refuses every try of the first call: 500, nothing claimed to be received;
    the stand-in (as Telegram) sends the update again, and the second call stores it once."""
    async with BotApiStandIn(token=TOKEN) as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        resident = standin.add_user(1001, "王阿姨")
        assert await bot.set_webhook(receiver.url, secret_token=SECRET)
        receiver.store.failures = STORE_ATTEMPTS  # every try within the first call
        update_id = standin.send_text(resident, "审计厅小区3号楼停水了")
        await standin.until_delivered()
        info = await bot.get_webhook_info()
    assert standin.webhook_deliveries == [Delivery(update_id, 500), Delivery(update_id, 200)]
    assert info.url == receiver.url
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert [uid for uid, _ in await receiver.stored()] == [update_id]


@pytest.mark.asyncio
async def test_the_standin_refuses_get_updates_while_a_webhook_is_set() -> None:
    """As Telegram: 409 while a webhook is set; after deleteWebhook, polling works again."""
    async with BotApiStandIn(token=TOKEN) as standin, Bot(TOKEN, base_url=standin.base_url) as bot:
        assert await bot.set_webhook("http://127.0.0.1:9/telegram", secret_token=SECRET)
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates(timeout=0)
        with pytest.raises(BadRequest, match=r"(?i)secret token contains unallowed characters"):
            await bot.set_webhook("https://example.org/t", secret_token="not allowed!")
        with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
            await bot.set_webhook("ftp://example.org/t")
        assert await bot.delete_webhook()
        assert (await bot.get_webhook_info()).url == ""
        assert await bot.get_updates(timeout=0) == ()


@pytest.mark.asyncio
async def test_a_refused_set_webhook_stops_the_start_cleanly(
    database_url: str, cache_dir: Path
) -> None:
    """Telegram refusing the webhook URL is one StartupError line naming the key."""
    async with BotApiStandIn(token=TOKEN) as standin:
        standin.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host")
        settings = webhook_mode(example_settings(database_url, cache_dir, standin.base_url))
        populate(standin, settings.require_org())
        with pytest.raises(StartupError, match=r"refused the webhook .*check \[telegram\]"):
            async with running_bot(
                settings, TOKEN, nine_am(), rate_limited=False,
                language=shared_language(settings.classifier), webhook_secret=WEBHOOK_SECRET,
            ):  # fmt: skip
                pass
        assert standin.webhook is None


@pytest.mark.asyncio
async def test_webhook_mode_without_a_secret_does_not_start(
    database_url: str, cache_dir: Path
) -> None:
    """A webhook nobody can authenticate is never set."""
    settings = webhook_mode(example_settings(database_url, cache_dir, "http://127.0.0.1:9/bot"))
    with pytest.raises(ValueError, match="secret token"):
        async with running_bot(
            settings, TOKEN, nine_am(), rate_limited=False,
            language=shared_language(settings.classifier),
        ):  # fmt: skip
            pass


def test_an_update_s_lane_is_its_chat() -> None:
    """Messages and edits by their chat, a press by the chat of its message (else the
    presser's), as addresses; anything else in the empty lane."""
    assert chat_lane(UPDATE) == "telegram:1001"
    group = {"message_id": 5, "chat": {"id": -100, "type": "group"}}
    assert chat_lane({"update_id": 1, "edited_message": group}) == "telegram:-100"
    press = {"id": "q", "from": {"id": 42}, "message": group, "data": "x"}
    assert chat_lane({"update_id": 2, "callback_query": press}) == "telegram:-100"
    inline = {"id": "q", "from": {"id": 42}, "inline_message_id": "i", "data": "x"}
    assert chat_lane({"update_id": 3, "callback_query": inline}) == "telegram:42"
    assert chat_lane({"update_id": 4, "poll": {"id": "p"}}) == ""
