"""The Bot API stand-in, driven by a real python-telegram-bot ``Bot`` and by raw HTTP.

Every await that could hang is bounded by ``LIMIT`` seconds; nothing sleeps.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    CallbackContext,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from standins.telegram import FAULTS, BotApiStandIn, CallbackAnswer, UploadedFile, User

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST"
GROUP = -100500
LIMIT = 5.0


def claim_keyboard() -> InlineKeyboardMarkup:
    return _one_button("claim:17", text="认领")


def _one_button(data: str, text: str = "按钮") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)]])


async def _noop(update: Update, context: CallbackContext[Bot, None, None, None]) -> None:
    """A handler body that CommandHandler needs but the test never calls."""


@pytest_asyncio.fixture
async def standin() -> AsyncIterator[BotApiStandIn]:
    """A started stand-in with no users yet."""
    async with BotApiStandIn(TOKEN, bot_username="griddesk_bot") as server:
        yield server


@pytest.fixture
def alice(standin: BotApiStandIn) -> User:
    """A resident with a private chat, also a member of the grid group."""
    user = standin.add_user(1001, "爱丽丝")
    standin.add_group(GROUP, "兴安南路1网格", members=[user])
    return user


@pytest_asyncio.fixture
async def bot(standin: BotApiStandIn) -> AsyncIterator[Bot]:
    """A real, initialised PTB ``Bot`` pointed at the stand-in."""
    async with Bot(TOKEN, base_url=standin.base_url) as client:
        yield client


@pytest_asyncio.fixture
async def http(standin: BotApiStandIn) -> AsyncIterator[aiohttp.ClientSession]:
    """A raw HTTP client for wire-format assertions."""
    timeout = aiohttp.ClientTimeout(total=LIMIT)
    async with aiohttp.ClientSession(standin.base_url.removesuffix("/bot"), timeout=timeout) as s:
        yield s


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    """getMe answers the bot user that PTB caches on initialize."""
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "griddesk_bot", True)


async def test_wrong_token_is_rejected(standin: BotApiStandIn) -> None:
    """A wrong token answers 401, which PTB raises as InvalidToken."""
    with pytest.raises(InvalidToken):
        async with Bot("123456:WRONG", base_url=standin.base_url):
            pass


async def test_wire_format_of_errors_and_method_names(http: aiohttp.ClientSession) -> None:
    """Bad tokens answer 401, unknown methods 404, names are case-insensitive, errors carry
    Telegram's body."""
    async with http.post("/bot123456:WRONG/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    async with http.post(f"/bot{TOKEN}/noSuchMethod") as response:
        assert response.status == 404
        assert await response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found",
        }
    async with http.get(f"/bot{TOKEN}/GETME") as response:
        assert (response.status, (await response.json())["ok"]) == (200, True)
    async with http.post(f"/bot{TOKEN}/sendMessage", json={"chat_id": 42, "text": "x"}) as response:
        assert response.status == 400
        assert await response.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: chat not found",
        }


async def test_every_encoding_carries_the_same_parameters(
    standin: BotApiStandIn, alice: User, http: aiohttp.ClientSession
) -> None:
    """Query string, form, JSON and multipart bodies decode to the same call and message."""
    markup = {"inline_keyboard": [[{"text": "认领", "callback_data": "claim:1"}]]}
    url = f"/bot{TOKEN}/sendMessage"
    form = {"chat_id": str(alice.id), "text": "新任务", "reply_markup": json.dumps(markup)}
    multipart = aiohttp.FormData(form)
    multipart.add_field("attachment", b"bytes", filename="a.txt")
    bodies: list[dict[str, Any]] = [
        {"params": form},
        {"data": form},
        {"json": {"chat_id": alice.id, "text": "新任务", "reply_markup": markup}},
        {"data": multipart},
    ]
    for body in bodies:
        async with http.post(url, **body) as response:
            assert response.status == 200, await response.text()
    sent = standin.chat(alice.id)
    assert len(sent) == 4
    assert {(m.text, m.buttons) for m in sent} == {("新任务", ((("认领", "claim:1"),),))}
    params = [call.params for call in standin.calls]
    assert all(p["chat_id"] == alice.id and p["reply_markup"] == markup for p in params)
    assert params[-1]["attachment"] == UploadedFile("a.txt", b"bytes")


async def test_send_message_with_keyboard_round_trips(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """A sent inline keyboard comes back in the Message and appears in the chat record."""
    sent = await bot.send_message(GROUP, "3号楼停水", reply_markup=claim_keyboard())
    assert sent.reply_markup == claim_keyboard()
    assert sent.from_user is not None
    assert sent.from_user.username == "griddesk_bot"
    assert sent.chat.title == "兴安南路1网格"
    [card] = standin.chat(GROUP)
    assert (card.message_id, card.text) == (sent.message_id, "3号楼停水")
    assert card.buttons == ((("认领", "claim:17"),),)


async def test_edit_keeps_history_and_refuses_no_change(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """editMessageText replaces the text, keeps the old version, and refuses a no-op edit."""
    sent = await bot.send_message(GROUP, "待认领", reply_markup=claim_keyboard())
    await bot.edit_message_text("已认领", GROUP, sent.message_id, reply_markup=claim_keyboard())
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("已认领", GROUP, sent.message_id, reply_markup=claim_keyboard())
    edited = await bot.edit_message_reply_markup(GROUP, sent.message_id)
    assert isinstance(edited, type(sent))
    assert edited.reply_markup is None
    [card] = standin.chat(GROUP)
    assert (card.text, card.buttons) == ("已认领", ())
    assert [(r.text, r.buttons) for r in card.history] == [
        ("待认领", ((("认领", "claim:17"),),)),
        ("已认领", ((("认领", "claim:17"),),)),
    ]
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", GROUP, 999)


@pytest.mark.parametrize(
    ("text", "description"),
    [
        pytest.param("", "text is empty", id="empty"),
        pytest.param("  ", "text is empty", id="blank"),
        pytest.param("长" * 4097, "(?i)message is too long", id="4097-characters"),
    ],
)
async def test_text_is_validated(alice: User, bot: Bot, text: str, description: str) -> None:
    """Empty and over-long texts are refused (PTB shows descriptions without "Bad Request: ")."""
    with pytest.raises(BadRequest, match=description):
        await bot.send_message(alice.id, text)


async def test_callback_data_is_limited_to_64_bytes(alice: User, bot: Bot) -> None:
    """64 bytes of UTF-8 callback_data pass; 65 answer BUTTON_DATA_INVALID."""
    fits = "认" * 21 + "a"
    await bot.send_message(alice.id, "ok", reply_markup=_one_button(fits))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(alice.id, "no", reply_markup=_one_button(fits + "b"))


async def test_long_poll_answers_as_soon_as_a_user_writes(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """A waiting getUpdates returns the moment a message exists, long before its timeout."""
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await standin.until_polling()
    update_id = standin.send_text(alice, "3号楼又停水了")
    async with asyncio.timeout(LIMIT):
        [update] = await poll
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "3号楼又停水了"
    assert update.message.chat.type == "private"
    assert update.message.chat.id == alice.id


async def test_offset_confirms_earlier_updates(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """An offset forgets every update below it; update ids grow by one."""
    first = standin.send_text(alice, "一")
    second = standin.send_text(alice, "二")
    assert second == first + 1
    assert [u.update_id for u in await bot.get_updates()] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert standin.pending_updates == []


async def test_a_second_poll_ends_the_first_with_conflict(standin: BotApiStandIn, bot: Bot) -> None:
    """Two bot instances polling at once: the earlier poll is answered 409, as Telegram does."""
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await standin.until_polling()
    async with Bot(TOKEN, base_url=standin.base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        async with asyncio.timeout(LIMIT):
            await first


async def test_group_command_is_parsed_by_ptb(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """``/cmd@bot args`` in a group carries a bot_command entity that CommandHandler accepts."""
    standin.send_text(alice, "/tasks@griddesk_bot 今天", chat_id=GROUP)
    [update] = await bot.get_updates()
    message = update.message
    assert message is not None
    assert message.chat.type == "group"
    assert message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 19),)
    checked = CommandHandler("tasks", _noop).check_update(update)
    assert isinstance(checked, tuple)
    assert checked[0] == ["今天"]
    standin.send_text(alice, "/start")
    [raw] = standin.pending_updates[-1:]
    assert raw["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    parsed = Update.de_json(raw, bot)
    assert parsed.message is not None
    assert parsed.message.text == "/start"


async def test_press_carries_the_current_message(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """A callback query holds the message as it is now, and its answer is recorded once."""
    sent = await bot.send_message(GROUP, "待认领", reply_markup=claim_keyboard())
    await bot.edit_message_text(
        "待认领（催办）", GROUP, sent.message_id, reply_markup=claim_keyboard()
    )
    query_id = standin.press(alice, standin.chat(GROUP)[0], "claim:17")
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None
    assert (query.id, query.data) == (query_id, "claim:17")
    assert isinstance(query.message, Message)
    assert query.message.text == "待认领（催办）"
    assert query.message.reply_markup == claim_keyboard()
    await query.answer("已认领")
    assert standin.callback_answers == [CallbackAnswer(query_id, "已认领", False)]
    with pytest.raises(BadRequest, match=r"(?i)query id is invalid"):
        await query.answer("再次")
    with pytest.raises(ValueError, match="no button"):
        standin.press(alice, standin.chat(GROUP)[0], "claim:99")


async def test_photos_travel_by_file_id_and_upload(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """A resident's photo can be re-sent by file_id; uploads get a new id; unknown ids fail."""
    standin.send_photo(alice, caption="井盖坏了")
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.caption == "井盖坏了"
    file_id = update.message.photo[-1].file_id
    await bot.send_photo(GROUP, file_id, caption="任务 17")
    uploaded = await bot.send_photo(GROUP, b"\x89PNG fake bytes")
    assert uploaded.photo[-1].file_id != file_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(GROUP, "no-such-file")
    assert [(m.photo, m.caption) for m in standin.chat(GROUP)] == [
        (file_id, "任务 17"),
        (uploaded.photo[-1].file_id, None),
    ]


async def test_injected_flood_error_is_retry_after(
    standin: BotApiStandIn, alice: User, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fail_next with retry_after surfaces as RetryAfter, then the method works again."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # read retry_after without PTB's deprecation
    standin.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(alice.id, "一")
    assert raised.value.retry_after == dt.timedelta(seconds=3)
    await bot.send_message(alice.id, "二")
    assert [m.text for m in standin.chat(alice.id)] == ["二"]


async def test_dropped_connection_is_network_error(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """drop_next closes the connection unanswered: PTB raises NetworkError, then recovers."""
    standin.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "一")
    await bot.send_message(alice.id, "二")
    assert [c.method for c in standin.calls][-2:] == ["sendMessage", "sendMessage"]


async def test_a_lost_reply_is_a_network_error_but_the_message_is_there(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """lose_reply_next serves the call and drops the answer: the chat has the message, the
    client only hears NetworkError (what a crash or a timeout after sending looks like)."""
    standin.lose_reply_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "一")
    assert [m.text for m in standin.chat(alice.id)] == ["一"]
    await bot.send_message(alice.id, "二")
    assert [m.text for m in standin.chat(alice.id)] == ["一", "二"]


async def test_server_errors_are_network_errors(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """500 (JSON) and 502 (nginx's HTML page) both surface as NetworkError, then it works."""
    standin.fail_next("sendMessage", *FAULTS["internal"])
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(alice.id, "一")
    standin.gateway_error_next("sendMessage")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(alice.id, "二")
    await bot.send_message(alice.id, "三")
    assert [m.text for m in standin.chat(alice.id)] == ["三"]


async def test_reset_connection_is_network_error(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """reset_next resets the connection: PTB raises NetworkError, and the next call works."""
    standin.reset_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(alice.id, "一")
    await bot.send_message(alice.id, "二")
    assert [m.text for m in standin.chat(alice.id)] == ["二"]


async def test_stalled_call_times_out(standin: BotApiStandIn, alice: User, bot: Bot) -> None:
    """stall_next never answers: the client's read timeout raises TimedOut; nothing is sent."""
    standin.stall_next("sendMessage")
    with pytest.raises(TimedOut):
        await bot.send_message(alice.id, "一", read_timeout=0.2)
    await bot.send_message(alice.id, "二")
    assert [m.text for m in standin.chat(alice.id)] == ["二"]


async def test_faults_can_aim_at_one_chat(standin: BotApiStandIn, alice: User, bot: Bot) -> None:
    """A fault with chat_id hits only calls to that chat; others pass it by."""
    standin.fail_next("sendMessage", *FAULTS["chat_gone"], chat_id=GROUP)
    await bot.send_message(alice.id, "一")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(GROUP, "二")
    await bot.send_message(GROUP, "三")
    assert [m.text for m in standin.chat(GROUP)] == ["三"]


async def test_edit_faults_carry_telegram_texts(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """Injected edit errors read as Telegram's: not modified, and message to edit not found."""
    sent = await bot.send_message(alice.id, "一")
    standin.fail_next("editMessageText", *FAULTS["edit_gone"])
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("二", alice.id, sent.message_id)
    standin.fail_next("editMessageText", *FAULTS["not_modified"])
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("二", alice.id, sent.message_id)


async def test_blocked_user_is_forbidden(standin: BotApiStandIn, alice: User, bot: Bot) -> None:
    """After block_bot, sends to that user answer 403 Forbidden."""
    standin.block_bot(alice)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.id, "您的工单已办结")


async def test_migrated_group_raises_chat_migrated(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """A group upgraded to a supergroup answers with its new id, which then works."""
    standin.migrate_group(GROUP, -1001234567890)
    with pytest.raises(ChatMigrated) as raised:
        await bot.send_message(GROUP, "新任务")
    assert raised.value.new_chat_id == -1001234567890
    sent = await bot.send_message(raised.value.new_chat_id, "新任务")
    assert sent.chat.type == "supergroup"


async def test_wait_for_wakes_on_send_and_edit(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """wait_for returns when a matching message is sent or edited, and times out with a report."""
    waiting = asyncio.create_task(standin.wait_for(lambda m: "已办结" in m.content))
    sent = await bot.send_message(alice.id, "处理中")
    assert not waiting.done()
    await bot.edit_message_text("已办结", alice.id, sent.message_id)
    async with asyncio.timeout(LIMIT):
        found = await waiting
    assert (found.message_id, found.text) == (sent.message_id, "已办结")
    with pytest.raises(TimeoutError, match=r"处理中|已办结"):
        await standin.wait_for(lambda m: m.chat_id == GROUP, timeout=0.05)


async def test_real_application_answers_through_the_stand_in(
    standin: BotApiStandIn, alice: User
) -> None:
    """A PTB Application polling the stand-in receives a resident's text and replies."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"收到：{update.effective_message.text}")

    application = Application.builder().token(TOKEN).base_url(standin.base_url).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(timeout=30)
        await application.start()
        try:
            await standin.until_polling()
            standin.send_text(alice, "3号楼又停水了")
            reply = await standin.wait_for(lambda m: m.chat_id == alice.id)
        finally:
            await application.updater.stop()
            await application.stop()
    assert reply.text == "收到：3号楼又停水了"


async def test_replies_quote_the_message_they_answer(
    standin: BotApiStandIn, alice: User, bot: Bot
) -> None:
    """Replies in both directions carry reply_to_message; a reply to nothing is refused."""
    question = await bot.send_message(alice.id, "请描述问题")
    standin.send_text(alice, "水管漏水", reply_to=standin.chat(alice.id)[0])
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.reply_to_message == question
    answer = await update.message.reply_text("收到", do_quote=True)
    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "水管漏水"
    assert standin.chat(alice.id)[-1].reply_to_message_id == update.message.message_id
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(alice.id, "x", reply_parameters=ReplyParameters(999))


async def test_housekeeping_methods(standin: BotApiStandIn, alice: User, bot: Bot) -> None:
    """setMyCommands, getChat, deleteMessage and deleteWebhook behave as on Telegram."""
    await bot.set_my_commands([BotCommand("tasks", "本网格的工单")])
    assert standin.commands() == [("tasks", "本网格的工单")]
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("group", "兴安南路1网格")
    sent = await bot.send_message(GROUP, "临时消息")
    assert await bot.delete_message(GROUP, sent.message_id)
    assert standin.chat(GROUP) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(GROUP, sent.message_id)
    standin.send_text(alice, "一")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert standin.pending_updates == []
