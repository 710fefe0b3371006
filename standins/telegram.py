"""A local stand-in for the Telegram Bot API server, spoken to over real HTTP.

Why it exists: griddesk's end-to-end tests and ``griddesk shell`` run the real
python-telegram-bot ``Application`` against it, so everything between our handlers and the
wire (PTB's request encoding, ``de_json``, error mapping, long polling, retries) is exercised
exactly as in production, while a test plays the residents and grid workers and reads what the
bot sent. It is an honest fake (STYLE.md §14): it answers in Telegram's wire format, with
Telegram's error codes and descriptions, and refuses what Telegram refuses, so a bug that
Telegram would reject fails here first.

Use::

    async with BotApiStandIn(token="123456:TEST", bot_username="griddesk_bot") as standin:
        bot = Bot(standin.token, base_url=standin.base_url)   # or ApplicationBuilder().base_url
        alice = standin.add_user(1001, "爱丽丝")
        standin.add_group(-100500, "兴安南路1网格", members=[alice])
        standin.send_text(alice, "3号楼又停水了")              # an update for getUpdates
        card = await standin.wait_for(lambda m: m.chat_id == -100500)
        standin.press(alice, card, "claim:17")

Public surface of :class:`BotApiStandIn`:

- life: ``start()``, ``stop()``, ``async with``; ``base_url`` (``http://127.0.0.1:PORT/bot``),
  ``token``, ``me`` (the bot's :class:`User`).
- world: ``add_user()`` (opens the private chat), ``add_group()``, ``migrate_group()``
  (the old id then answers 400 with ``migrate_to_chat_id``), ``block_bot()`` (sends answer 403).
- acting as users, each returning the new ``update_id`` or callback query id: ``send_text()``
  (commands get a ``bot_command`` entity), ``send_photo()``, ``press()``.
- observing the bot: ``chat(chat_id)`` (its :class:`BotMessage` list, current state, with edit
  history), ``wait_for(predicate)``, ``until_polling()``, ``callback_answers``, ``calls``,
  ``conflicts`` (long polls ended by a newer one), ``commands()``, ``pending_updates``,
  ``last_update_id``, ``webhook`` (what ``setWebhook`` set), ``webhook_deliveries`` (every
  attempt to POST an update to it), ``until_delivered()``.
- faults, each for the next call(s) of one method, optionally only to one ``chat_id``:
  ``fail_next()`` (an injected error answer; ready-made ones with Telegram's texts are in
  :data:`FAULTS`), ``gateway_error_next()`` (nginx's HTML 502 page), ``drop_next()`` (the
  connection closes unanswered), ``reset_next()`` (the connection is reset) — PTB reports these
  three as ``NetworkError`` — ``stall_next()`` (no answer until the stand-in stops: the
  client's read timeout, ``TimedOut``), ``lose_reply_next()`` (the call is served, then the
  connection closes before the answer: the message is in the chat, the bot never hears so), and
  ``answer_next()`` (a well-formed answer with a malformed ``result``).

The bot's mistakes are answered over HTTP as Telegram answers them; a test's mistakes (acting
as a stranger in a group, pressing a button that is not there, writing an empty text) raise
``ValueError`` at once, because no Telegram client could produce them.

Methods served: getMe, logOut, close, setWebhook, deleteWebhook, getWebhookInfo, setMyCommands,
getUpdates, sendMessage, sendPhoto, editMessageText, editMessageCaption, editMessageReplyMarkup,
answerCallbackQuery, getChat, deleteMessage; any other method answers 404 as Telegram does.
While a webhook is set, updates are POSTed to it (:mod:`standins.webhook`) and ``getUpdates``
answers 409, as Telegram does.
Not modelled, so not to be trusted here: ``parse_mode`` (text is kept as sent, tags and all,
where Telegram would parse it into entities or refuse bad markup), HTTPS for webhooks (plain
HTTP is taken, as a self-hosted Bot API server takes it), file downloads, inline mode, service
messages (migration, member changes), flood limits (inject them with ``fail_next``) and group
privacy mode (the bot reads every group message; ``getMe`` says so).

All state lives in the instance, on one event loop. Waiters are woken by a broadcast that is
fired on every change; it is not an ``asyncio.Condition`` because the user-side methods are
synchronous and a condition can only be notified by a coroutine holding its lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
import struct
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal, NamedTuple

from aiohttp import web

from standins.local_server import LocalServer
from standins.webhook import Delivery, Webhook, WebhookPusher

__all__ = [
    "FAULTS",
    "BotApiStandIn",
    "BotMessage",
    "Call",
    "CallbackAnswer",
    "Delivery",
    "Group",
    "Revision",
    "UploadedFile",
    "User",
]

JsonDict = dict[str, Any]
Keyboard = tuple[tuple[tuple[str, str | None], ...], ...]
"""Inline keyboard rows of ``(button text, callback_data)``; URL buttons have ``None``."""

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
_MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
FAULTS: dict[str, tuple[int, str]] = {
    "flood": (429, "Too Many Requests: retry after {retry_after}"),
    "internal": (500, "Internal Server Error"),
    "gateway": (502, "Bad Gateway"),
    "not_modified": (400, _NOT_MODIFIED),
    "edit_gone": (400, "Bad Request: message to edit not found"),
    "blocked": (403, "Forbidden: bot was blocked by the user"),
    "chat_gone": (400, "Bad Request: chat not found"),
    "migrated": (400, _MIGRATED),
}
"""Telegram's error codes and descriptions by a short name, for ``fail_next(method, *FAULTS[…])``
(``flood`` wants ``.format(retry_after=…)`` and the ``retry_after`` parameter; ``migrated`` the
``migrate_to_chat_id`` one)."""
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n"
    "</html>\r\n"
)
_BAD_QUERY = "Bad Request: query is too old and response timeout expired or query ID is invalid"
# getChat's ChatFullInfo fields that PTB requires and griddesk never reads.
_GIFTS = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
_FULL_INFO = {
    "accent_color_id": 0,
    "max_reaction_count": 11,
    "accepted_gift_types": dict.fromkeys((*_GIFTS, "gifts_from_channels"), False),
}
# Form and multipart bodies carry every value as a string: these fields are decoded back.
_INT_FIELDS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "message_thread_id", "cache_time"}
    | {"max_connections"}
)
_BOOL_FIELDS = frozenset(
    {"disable_notification", "protect_content", "show_alert", "drop_pending_updates"}
)
_JSON_FIELDS = frozenset(
    {"reply_markup", "entities", "caption_entities", "link_preview_options", "reply_parameters"}
    | {"allowed_updates", "commands", "scope"}
)
_BUTTON_ACTIONS = frozenset(
    {"url", "callback_data", "web_app", "login_url", "switch_inline_query", "copy_text"}
    | {"switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "pay"}
    | {"callback_game"}
)
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")


@dataclass(frozen=True, slots=True)
class User:
    """A Telegram user the test acts as; its private chat with the bot has the same id."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "zh-hans"
    is_bot: bool = False

    def to_json(self) -> JsonDict:
        """The ``User`` object as Telegram sends it."""
        out: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass(frozen=True, slots=True)
class Group:
    """A group chat the bot is in; ``members`` is ``None`` when anyone may post in it."""

    id: int
    title: str
    type: Literal["group", "supergroup"] = "group"
    members: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class Revision:
    """What a bot message looked like before an edit replaced it."""

    text: str | None
    caption: str | None
    buttons: Keyboard
    date: int


@dataclass(frozen=True, slots=True)
class BotMessage:
    """A message the bot sent, in its current state; ``history`` holds earlier versions."""

    chat_id: int
    message_id: int
    date: int
    text: str | None = None
    caption: str | None = None
    photo: str | None = None
    entities: tuple[JsonDict, ...] = ()
    buttons: Keyboard = ()
    reply_markup: JsonDict | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None
    history: tuple[Revision, ...] = ()

    @property
    def content(self) -> str:
        """The text, or the caption of a photo: what a reader sees."""
        return self.text if self.text is not None else self.caption or ""


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request, as it appears in :attr:`BotApiStandIn.calls`."""

    filename: str
    content: bytes = field(repr=False)


class Call(NamedTuple):
    """One Bot API request: the canonical method name and its decoded parameters."""

    method: str
    params: Mapping[str, object]


class CallbackAnswer(NamedTuple):
    """One ``answerCallbackQuery``: what the pressing user saw as a toast or alert."""

    callback_query_id: str
    text: str | None
    show_alert: bool


class _ApiError(Exception):
    """A refusal answered with Telegram's error body; the HTTP status is the error code."""

    def __init__(self, code: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def response(self) -> web.Response:
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return _json_response(body, status=self.code)


class _Fault(NamedTuple):
    """An injected fault: answer ``error``, or do ``kind`` to the connection instead."""

    kind: Literal["error", "gateway", "drop", "reset", "stall", "lose_reply", "answer"]
    error: _ApiError | None = None
    chat_id: int | None = None
    """Only calls to this chat; None: any call of the method."""
    result: object = None
    """``answer``: the ``result`` to answer with, whatever the call asked."""


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


@dataclass(slots=True)
class _Chat:
    """Mutable chat state, private to the stand-in."""

    id: int
    type: str
    title: str | None = None
    user: User | None = None
    members: frozenset[int] | None = None
    blocked: bool = False
    migrated_to: int | None = None
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def to_json(self) -> JsonDict:
        if self.user is not None:
            out: JsonDict = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.username:
                out["username"] = self.user.username
            return out
        return {"id": self.id, "type": self.type, "title": self.title}

    def next_message_id(self) -> int:
        return next(self.message_ids)


class _Broadcast:
    """Wakes every waiter on each change; callable from synchronous code, unlike a Condition.

    A waiter checks its state and then awaits :meth:`wait` without yielding in between, so on
    one event loop no change can slip between the check and the wait.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify_all(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


def _json_response(body: JsonDict, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=partial(json.dumps, ensure_ascii=False))


def _utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, as the Bot API specifies."""
    return len(text.encode("utf-16-le")) // 2


def _command_entities(text: str) -> list[JsonDict]:
    return [
        {"type": "bot_command", "offset": _utf16_len(text[: m.start()]), "length": len(m[0])}
        for m in _COMMAND.finditer(text)
    ]


def _decode(name: str, value: object) -> object:
    """One parameter as its JSON type, whichever of the four encodings carried it."""
    if isinstance(value, bytes):
        value = value.decode()
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            what = "reply keyboard markup" if name == "reply_markup" else name
            raise _bad(f"can't parse {what} JSON object") from None
    if name in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if name in _BOOL_FIELDS:
        return value.lower() in {"true", "1"}
    return value


async def _read_params(request: web.Request) -> dict[str, object]:
    raw: dict[str, object] = dict(request.query)
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise _bad("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise _bad("JSON body must be an object")
        raw.update(body)
    elif request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                raw[name] = UploadedFile(value.filename, value.file.read())
            else:
                raw[name] = value
    return {name: _decode(name, value) for name, value in raw.items()}


def _int(params: Mapping[str, object], name: str, missing: str) -> int:
    value = params.get(name)
    if value is None:
        raise _bad(missing)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(f"invalid {name} specified")
    return value


def _str(params: Mapping[str, object], name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _text(params: Mapping[str, object]) -> tuple[str, tuple[JsonDict, ...]]:
    """A message text and its entities, checked as Telegram checks them."""
    text = _str(params, "text")
    if text is None or not text.strip():
        raise _bad("message text is empty")
    if len(text) > MAX_TEXT:
        raise _bad("message is too long")
    return text, _entities(params, "entities")


def _caption(params: Mapping[str, object]) -> tuple[str | None, tuple[JsonDict, ...]]:
    caption = _str(params, "caption") or None
    if caption is not None and len(caption) > MAX_CAPTION:
        raise _bad("message caption is too long")
    return caption, _entities(params, "caption_entities")


def _entities(params: Mapping[str, object], name: str) -> tuple[JsonDict, ...]:
    """Entities as given; a ``parse_mode`` is checked but not applied (see the module doc)."""
    mode = _str(params, "parse_mode")
    if mode is not None and mode.lower() not in {"html", "markdown", "markdownv2"}:
        raise _bad("unsupported parse_mode")
    given = params.get(name)
    return tuple(given) if isinstance(given, list) else ()


def _keyboard(markup: JsonDict | None) -> Keyboard:
    rows = (markup or {}).get("inline_keyboard") or []
    return tuple(tuple((b["text"], b.get("callback_data")) for b in row) for row in rows)


def _check_markup(markup: object, *, inline_only: bool = False) -> JsonDict | None:
    """The ``reply_markup`` parameter, refused where Telegram refuses it."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        if inline_only:
            raise _bad("inline keyboard expected")
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('can\'t parse inline keyboard button: field "inline_keyboard" must be an Array')
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise _bad("can't parse inline keyboard button: Text is not specified")
        if not _BUTTON_ACTIONS & button.keys():
            raise _bad(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise _bad("BUTTON_DATA_INVALID")
    return markup


def _inline(markup: JsonDict | None) -> JsonDict | None:
    """Only inline keyboards belong to a message; reply keyboards are the chat's."""
    return markup if markup and "inline_keyboard" in markup else None


class BotApiStandIn:
    """The fake server and the world behind it: users, groups, messages and the update queue.

    Start it once and stop it once; all of its state lives here, on the event loop it runs on.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "griddesk_bot",
        bot_name: str = "网格通",
        clock: Callable[[], float] = time.time,
    ) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise ValueError(f"a bot token looks like '123456:secret', not {token!r}")
        self.token = token
        self.me = User(int(bot_id), bot_name, bot_username, language_code=None, is_bot=True)
        self._clock = clock
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[tuple[int, int], BotMessage] = {}  # (chat, message id), sent order
        self._inbox: dict[tuple[int, int], JsonDict] = {}  # users' messages, for replies
        self._files: set[str] = set()
        self._updates: list[JsonDict] = []
        self._update_ids = itertools.count(1)
        self._last_update_id = 0
        self._query_ids = itertools.count(4_000_000_001)
        self._file_ids = itertools.count(1)
        self._open_queries: set[str] = set()
        self._allowed_updates: frozenset[str] | None = None
        self._commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._calls: list[Call] = []
        self._answers: list[CallbackAnswer] = []
        self._changed = _Broadcast()
        self._poll_generation = 0
        self._polls_waiting = 0
        self._conflicts = 0
        self._closing = False
        self._server = LocalServer()
        self._pusher = WebhookPusher(
            lambda: self._updates, self._webhook_delivered, self._changed.wait
        )
        self._pushing: asyncio.Task[None] | None = None
        self._methods: dict[str, Callable[[Mapping[str, object]], Awaitable[object]]] = {
            "getMe": self._get_me, "logOut": self._true, "close": self._true,
            "setWebhook": self._set_webhook, "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands, "getUpdates": self._get_updates,
            "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "editMessageText": self._edit_text, "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_markup, "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query, "getChat": self._get_chat,
        }  # fmt: skip
        self._by_lower = {name.lower(): name for name in self._methods}

    # ---- life ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port (see :attr:`base_url`)."""
        app = web.Application(client_max_size=50 * 1024 * 1024)  # Telegram's upload limit
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{path:.*}", self._not_found)
        await self._server.start(app)
        self._pushing = asyncio.create_task(self._pusher.run(), name="standin-webhook")

    async def stop(self) -> None:
        """Answer pending long polls with no updates and close every connection."""
        self._closing = True
        self._changed.notify_all()
        if self._pushing is not None:  # the stand-in's own task, holding nothing of the bot's
            self._pushing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pushing
            self._pushing = None
        await self._server.stop()

    async def __aenter__(self) -> BotApiStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: PTB appends ``{token}/{method}``."""
        return f"{self._server.url}/bot"

    # ---- the world ----------------------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> User:
        """A user and their private chat with the bot, as if they had pressed Start."""
        if user_id <= 0 or user_id in self._chats:
            raise ValueError(f"user id {user_id} must be positive and unused")
        user = User(user_id, first_name, username, language_code)
        self._chats[user_id] = _Chat(user_id, "private", user=user)
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        members: Iterable[User] | None = None,
        supergroup: bool = False,
    ) -> Group:
        """A group with the bot in it; with ``members``, only they may post or press buttons."""
        if chat_id >= 0 or chat_id in self._chats:
            raise ValueError(f"group id {chat_id} must be negative and unused")
        ids = None if members is None else frozenset(u.id for u in members)
        kind: Literal["group", "supergroup"] = "supergroup" if supergroup else "group"
        self._chats[chat_id] = _Chat(chat_id, kind, title=title, members=ids)
        return Group(chat_id, title, kind, ids)

    def migrate_group(self, old_id: int, new_id: int, *, by: User | None = None) -> Group:
        """Upgrade a group to a supergroup: the old id then answers 400 ``migrate_to_chat_id``.

        With ``by`` (the member who upgraded it), the bot also gets Telegram's two service
        messages: ``migrate_to_chat_id`` in the old group, ``migrate_from_chat_id`` in the new.
        """
        old = self._chats.get(old_id)
        if old is None or old.type != "group" or new_id in self._chats:
            raise ValueError(f"{old_id} must be a basic group and {new_id} unused")
        if by is not None:
            self._user_message(by, old_id, {"migrate_to_chat_id": new_id})
        self._chats[new_id] = _Chat(new_id, "supergroup", old.title, members=old.members)
        old.migrated_to = new_id
        if by is not None:
            self._user_message(by, new_id, {"migrate_from_chat_id": old_id})
        return Group(new_id, old.title or "", "supergroup", old.members)

    def block_bot(self, user: User, *, blocked: bool = True) -> None:
        """The user blocks the bot (``blocked=False``: restarts it); sends then answer 403."""
        self._private_chat(user).blocked = blocked

    def send_text(
        self,
        user: User,
        text: str,
        *,
        chat_id: int | None = None,
        reply_to: BotMessage | None = None,
    ) -> int:
        """``user`` writes in their private chat, or in group ``chat_id``; the update id."""
        if not text.strip() or len(text) > MAX_TEXT:
            raise ValueError("Telegram clients send texts of 1 to 4096 characters")
        fields: JsonDict = {"text": text}
        if entities := _command_entities(text):
            fields["entities"] = entities
        if reply_to is not None:
            if reply_to.chat_id != (chat_id or user.id):
                raise ValueError("a reply is written in the chat of the message it answers")
            fields["reply_to_message"] = self._render(self._current(reply_to))
        return self._user_message(user, chat_id, fields)

    def edit_text(
        self, user: User, message_id: int, text: str, *, chat_id: int | None = None
    ) -> int:
        """``user`` edits their message ``message_id`` to read ``text``; the update id."""
        original = self._inbox[chat_id or user.id, message_id]
        if original["from"]["id"] != user.id:
            raise ValueError("only its sender can edit a message")
        edited = {k: v for k, v in original.items() if k != "entities"}
        edited |= {"text": text, "edit_date": int(self._clock())}
        if entities := _command_entities(text):
            edited["entities"] = entities
        self._inbox[chat_id or user.id, message_id] = edited
        return self._enqueue("edited_message", edited)

    def send_photo(
        self,
        user: User,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
        file_id: str | None = None,
    ) -> int:
        """``user`` sends a photo (its ``file_id`` invented unless given); the update id."""
        file_id = file_id or self._new_file_id()
        fields: JsonDict = {"photo": self._photo_sizes(file_id)}
        if caption:
            fields["caption"] = caption
        return self._user_message(user, chat_id, fields)

    def press(self, user: User, message: BotMessage, data: str, *, strict: bool = True) -> str:
        """``user`` presses the button with ``data`` on ``message``; the callback query id.

        The query carries the message as it is now. ``strict=False`` lets a test press data
        that is not on the current keyboard: a stale keyboard (the second tap of a double
        claim) or a forged client.
        """
        current = self._current(message)
        chat = self._chats[current.chat_id]
        self._check_sender(user, chat)
        if strict and data not in {d for row in current.buttons for _, d in row}:
            raise ValueError(f"no button with callback_data {data!r} on {current}")
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        query = {"id": query_id, "from": user.to_json(), "message": self._render(current)}
        self._enqueue("callback_query", query | {"chat_instance": str(-chat.id), "data": data})
        return query_id

    # ---- observing the bot --------------------------------------------------------------------

    def chat(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in ``chat_id``, oldest first, as they are now (deleted ones gone)."""
        return [m for m in self._messages.values() if m.chat_id == chat_id]

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        """Every ``answerCallbackQuery``, in order."""
        return list(self._answers)

    @property
    def calls(self) -> list[Call]:
        """Every request the bot made, refused and dropped ones included, in order."""
        return list(self._calls)

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates not yet confirmed by a ``getUpdates`` offset, nor delivered to a webhook."""
        return list(self._updates)

    @property
    def last_update_id(self) -> int:
        """The id of the newest update the users caused (0 before the first)."""
        return self._last_update_id

    @property
    def webhook(self) -> Webhook | None:
        """The webhook ``setWebhook`` set, or None (the bot polls)."""
        return self._pusher.webhook

    @property
    def webhook_deliveries(self) -> list[Delivery]:
        """Every attempt to deliver an update to the webhook, refused ones included, in order."""
        return list(self._pusher.deliveries)

    def commands(self, scope: str = "default", language_code: str = "") -> list[tuple[str, str]]:
        """The ``(command, description)`` pairs ``setMyCommands`` set for a scope type."""
        return list(self._commands.get((scope, language_code), []))

    async def wait_for(
        self, predicate: Callable[[BotMessage], bool], timeout: float = 5.0
    ) -> BotMessage:
        """The first bot message (any chat, current state) for which ``predicate`` holds.

        Woken by every send and edit, never polling; on timeout the ``TimeoutError`` lists
        what the bot did send, which is usually the whole diagnosis.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    found = next((m for m in self._messages.values() if predicate(m)), None)
                    if found is not None:
                        return found
                    await self._changed.wait()
        except TimeoutError:
            sent = [(m.chat_id, m.content) for m in self._messages.values()]
            raise TimeoutError(f"no bot message matched within {timeout}s; sent: {sent}") from None

    @property
    def conflicts(self) -> int:
        """How many long polls a newer ``getUpdates`` ended with 409 Conflict: two clients
        polled at the same time (a poll abandoned by a client that died counts too, when the
        next one ends it)."""
        return self._conflicts

    async def until_polling(self, timeout: float = 5.0) -> None:
        """Return once a ``getUpdates`` long poll is waiting: the bot is listening."""
        async with asyncio.timeout(timeout):
            while not self._polls_waiting:
                await self._changed.wait()

    async def until_delivered(self, timeout: float = 5.0) -> None:
        """Return once no update waits for the webhook: each was answered 2xx."""
        async with asyncio.timeout(timeout):
            while self._updates:
                await self._changed.wait()

    # ---- faults -------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (to ``chat_id`` only, when given) with
        this error instead of serving them.

        ``description`` is Telegram's own, e.g. ``"Too Many Requests: retry after 3"``; see
        :data:`FAULTS`.
        """
        parameters: JsonDict = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        error = _ApiError(error_code, description, parameters or None)
        self._queue_faults(method, _Fault("error", error, chat_id), times)

    def gateway_error_next(
        self, method: str, *, times: int = 1, chat_id: int | None = None
    ) -> None:
        """Answer with the HTML 502 page Telegram's nginx sends when the API behind it is down."""
        self._queue_faults(method, _Fault("gateway", chat_id=chat_id), times)

    def answer_next(self, method: str, result: object, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": true, "result": result}``
        instead of serving them: a malformed answer, as a broken proxy or a changed API might
        give."""
        self._queue_faults(method, _Fault("answer", result=result), times)

    def drop_next(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without answering."""
        self._queue_faults(method, _Fault("drop", chat_id=chat_id), times)

    def reset_next(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Reset the connection (TCP RST) of the next ``times`` calls of ``method``."""
        self._queue_faults(method, _Fault("reset", chat_id=chat_id), times)

    def stall_next(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Take the next ``times`` calls of ``method`` and never answer them (until ``stop()``):
        the client gives up after its read timeout. The call is not served."""
        self._queue_faults(method, _Fault("stall", chat_id=chat_id), times)

    def lose_reply_next(self, method: str, *, times: int = 1, chat_id: int | None = None) -> None:
        """Serve the next ``times`` calls of ``method``, then close each connection before the
        answer: Telegram did it, the client hears only a dropped connection."""
        self._queue_faults(method, _Fault("lose_reply", chat_id=chat_id), times)

    def _queue_faults(self, method: str, fault: _Fault, times: int) -> None:
        name = self._by_lower.get(method.lower())
        if name is None:
            raise ValueError(f"the stand-in does not serve {method!r}")
        self._faults.setdefault(name, deque()).extend([fault] * times)

    def _take_fault(self, name: str, params: Mapping[str, object]) -> _Fault | None:
        """The first queued fault of ``name`` that applies to this call, removed from the queue."""
        faults = self._faults.get(name)
        for fault in faults or ():
            if fault.chat_id is None or fault.chat_id == params.get("chat_id"):
                assert faults is not None
                faults.remove(fault)
                return fault
        return None

    async def _inflict(self, fault: _Fault, request: web.Request) -> web.StreamResponse:
        """Do what ``fault`` says instead of serving the call."""
        if fault.error is not None:
            return fault.error.response()
        if fault.kind == "gateway":
            return web.Response(status=502, text=_GATEWAY_PAGE, content_type="text/html")
        if fault.kind == "answer":
            return web.json_response({"ok": True, "result": fault.result})
        if fault.kind == "stall":
            while not self._closing:
                await self._changed.wait()
            return _ApiError(502, "Bad Gateway").response()  # nobody is listening any more
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if fault.kind == "reset" and sock is not None:  # linger 0: close() sends RST
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        return web.Response()  # never written: the connection is gone

    # ---- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _ApiError(401, "Unauthorized").response()
        name = self._by_lower.get(request.match_info["method"].lower())
        if name is None:
            return await self._not_found(request)
        try:
            params = await _read_params(request)
            self._calls.append(Call(name, params))
            if (fault := self._take_fault(name, params)) is not None:
                if fault.kind == "lose_reply":
                    await self._methods[name](params)
                return await self._inflict(fault, request)
            result = await self._methods[name](params)
        except _ApiError as error:
            return error.response()
        finally:
            self._changed.notify_all()
        return _json_response({"ok": True, "result": result})

    async def _not_found(self, request: web.Request) -> web.Response:
        return _ApiError(404, "Not Found").response()

    # ---- Bot API methods ----------------------------------------------------------------------

    async def _true(self, params: Mapping[str, object]) -> bool:
        return True

    async def _get_me(self, params: Mapping[str, object]) -> JsonDict:
        flags = {"can_join_groups": True, "can_read_all_group_messages": True}
        return self.me.to_json() | flags | {"supports_inline_queries": False}

    async def _set_webhook(self, params: Mapping[str, object]) -> bool:
        url = _str(params, "url") or ""
        if not url:  # Telegram: an empty URL removes the webhook
            return await self._delete_webhook(params)
        if not re.match(r"https?://[^/?#]+", url):
            raise _bad("bad webhook: HTTPS url must be provided for webhook")
        secret = _str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        if isinstance(allowed := params.get("allowed_updates"), list):
            self._allowed_updates = frozenset(map(str, allowed)) or None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._pusher.webhook = Webhook(url, secret)
        return True

    async def _delete_webhook(self, params: Mapping[str, object]) -> bool:
        self._pusher.webhook = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: Mapping[str, object]) -> JsonDict:
        webhook, error = self._pusher.webhook, self._pusher.last_error
        info: JsonDict = {
            "url": webhook.url if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if webhook is not None:
            info["max_connections"] = 40
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        if webhook is not None and error is not None:
            info["last_error_date"], info["last_error_message"] = error
        return info

    def _webhook_delivered(self, update_id: int) -> None:
        """The webhook took ``update_id`` (2xx): it leaves the queue, as a confirmed offset."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self._changed.notify_all()

    async def _set_my_commands(self, params: Mapping[str, object]) -> bool:
        commands, scope = params.get("commands"), params.get("scope")
        if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
            raise _bad("can't parse commands JSON object")
        pairs = [(str(c.get("command", "")), str(c.get("description", ""))) for c in commands]
        for command, description in pairs:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", command):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("command description is empty or too long")
        kind = str(scope.get("type", "default")) if isinstance(scope, dict) else "default"
        self._commands[kind, _str(params, "language_code") or ""] = pairs
        return True

    async def _get_updates(self, params: Mapping[str, object]) -> list[JsonDict]:
        """Long polling as Telegram does it; a newer poll ends an older one with 409."""
        if self._pusher.webhook is not None:
            raise _ApiError(409, _WEBHOOK_ACTIVE)
        offset = params.get("offset")
        if isinstance(offset, int) and offset < 0:  # keep only the last -offset updates
            del self._updates[: max(0, len(self._updates) + offset)]
        elif isinstance(offset, int):
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if isinstance(allowed := params.get("allowed_updates"), list):
            self._allowed_updates = frozenset(map(str, allowed)) or None
        limit = params.get("limit")
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout")
        self._poll_generation += 1
        generation = self._poll_generation
        self._changed.notify_all()
        try:
            async with asyncio.timeout(timeout if isinstance(timeout, int | float) else 0):
                while True:
                    if generation != self._poll_generation:
                        self._conflicts += 1
                        raise _ApiError(409, _CONFLICT)
                    if self._updates or self._closing:
                        return self._updates[:limit]
                    self._polls_waiting += 1
                    self._changed.notify_all()
                    try:
                        await self._changed.wait()
                    finally:
                        self._polls_waiting -= 1
        except TimeoutError:
            return []

    async def _send_message(self, params: Mapping[str, object]) -> JsonDict:
        chat = self._target(params, sending=True)
        text, entities = _text(params)
        markup = _check_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        return self._store(chat, markup, text=text, entities=entities, reply_to=reply_to)

    async def _send_photo(self, params: Mapping[str, object]) -> JsonDict:
        chat = self._target(params, sending=True)
        photo = params.get("photo")
        if isinstance(photo, UploadedFile) or str(photo).startswith(("http://", "https://")):
            photo = self._new_file_id()
        elif photo is None:
            raise _bad("there is no photo in the request")
        elif photo not in self._files:
            raise _bad("wrong file identifier/HTTP URL specified")
        caption, entities = _caption(params)
        markup = _check_markup(params.get("reply_markup"))
        reply_to = self._reply_to(chat, params)
        return self._store(
            chat, markup, caption=caption, photo=str(photo), entities=entities, reply_to=reply_to
        )

    async def _edit_text(self, params: Mapping[str, object]) -> JsonDict:
        old = self._editable(params)
        if old.text is None:
            raise _bad("there is no text in the message to edit")
        text, entities = _text(params)
        markup = _check_markup(params.get("reply_markup"), inline_only=True)
        return self._edit(old, replace(old, text=text, entities=entities), markup)

    async def _edit_caption(self, params: Mapping[str, object]) -> JsonDict:
        old = self._editable(params)
        if old.photo is None:
            raise _bad("there is no caption in the message to edit")
        caption, entities = _caption(params)
        markup = _check_markup(params.get("reply_markup"), inline_only=True)
        return self._edit(old, replace(old, caption=caption, entities=entities), markup)

    async def _edit_markup(self, params: Mapping[str, object]) -> JsonDict:
        old = self._editable(params)
        return self._edit(old, old, _check_markup(params.get("reply_markup"), inline_only=True))

    async def _delete_message(self, params: Mapping[str, object]) -> bool:
        chat = self._target(params, sending=False)
        message_id = _int(params, "message_id", "message identifier is not specified")
        if self._messages.pop((chat.id, message_id), None) is None:
            raise _bad("message to delete not found")
        return True

    async def _answer_callback_query(self, params: Mapping[str, object]) -> bool:
        query_id = _str(params, "callback_query_id")
        if query_id is None or query_id not in self._open_queries:
            raise _ApiError(400, _BAD_QUERY)
        self._open_queries.discard(query_id)
        show_alert = params.get("show_alert") is True
        self._answers.append(CallbackAnswer(query_id, _str(params, "text"), show_alert))
        return True

    async def _get_chat(self, params: Mapping[str, object]) -> JsonDict:
        return self._target(params, sending=False).to_json() | _FULL_INFO

    # ---- state --------------------------------------------------------------------------------

    def _target(self, params: Mapping[str, object], *, sending: bool) -> _Chat:
        """The chat named by ``chat_id``, refused as Telegram refuses it."""
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad("chat_id is empty")
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad("chat not found")
        if chat.migrated_to is not None:
            raise _ApiError(400, _MIGRATED, {"migrate_to_chat_id": chat.migrated_to})
        if sending and chat.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _reply_to(self, chat: _Chat, params: Mapping[str, object]) -> int | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            return None
        key = (chat.id, reply["message_id"])
        if key in self._inbox or key in self._messages:
            return key[1]
        if reply.get("allow_sending_without_reply"):
            return None
        raise _bad("message to be replied not found")

    def _editable(self, params: Mapping[str, object]) -> BotMessage:
        if "inline_message_id" in params:
            raise _bad("inline messages are not modelled by the stand-in")
        chat = self._target(params, sending=False)
        message_id = _int(params, "message_id", "message identifier is not specified")
        message = self._messages.get((chat.id, message_id))
        if message is None:
            raise _bad("message to edit not found")
        return message

    def _store(
        self,
        chat: _Chat,
        markup: JsonDict | None,
        *,
        entities: tuple[JsonDict, ...],
        reply_to: int | None,
        text: str | None = None,
        caption: str | None = None,
        photo: str | None = None,
    ) -> JsonDict:
        message = BotMessage(
            chat.id,
            chat.next_message_id(),
            int(self._clock()),
            text=text,
            caption=caption,
            photo=photo,
            entities=entities,
            buttons=_keyboard(markup),
            reply_markup=markup,
            reply_to_message_id=reply_to,
        )
        self._messages[chat.id, message.message_id] = message
        return self._render(message)

    def _edit(self, old: BotMessage, draft: BotMessage, markup: JsonDict | None) -> JsonDict:
        """``draft`` with ``markup`` replaces ``old``; no markup removes the keyboard, as in
        Telegram, and an edit that changes nothing is refused."""
        unchanged = (draft.text, draft.caption, draft.entities, _inline(markup))
        if unchanged == (old.text, old.caption, old.entities, _inline(old.reply_markup)):
            raise _ApiError(400, _NOT_MODIFIED)
        revision = Revision(old.text, old.caption, old.buttons, old.edit_date or old.date)
        new = replace(
            draft,
            buttons=_keyboard(markup),
            reply_markup=markup,
            edit_date=int(self._clock()),
            history=(*old.history, revision),
        )
        self._messages[old.chat_id, old.message_id] = new
        return self._render(new)

    def _render(self, message: BotMessage) -> JsonDict:
        """The ``Message`` object Telegram returns for a bot message."""
        out: JsonDict = {
            "message_id": message.message_id,
            "from": self.me.to_json(),
            "chat": self._chats[message.chat_id].to_json(),
            "date": message.date,
        }
        if message.text is not None:
            out["text"] = message.text
        if message.photo is not None:
            out["photo"] = self._photo_sizes(message.photo)
        if message.caption is not None:
            out["caption"] = message.caption
        if message.entities:
            out["entities" if message.text is not None else "caption_entities"] = [
                *message.entities
            ]
        if message.edit_date is not None:
            out["edit_date"] = message.edit_date
        if (markup := _inline(message.reply_markup)) is not None:
            out["reply_markup"] = markup
        replied = (message.chat_id, message.reply_to_message_id or 0)
        if replied in self._inbox:
            out["reply_to_message"] = self._inbox[replied]
        elif replied in self._messages:
            original = replace(self._messages[replied], reply_to_message_id=None)
            out["reply_to_message"] = self._render(original)
        return out

    def _current(self, message: BotMessage) -> BotMessage:
        current = self._messages.get((message.chat_id, message.message_id))
        if current is None:
            raise ValueError(f"message {message.message_id} in {message.chat_id} was deleted")
        return current

    def _private_chat(self, user: User) -> _Chat:
        chat = self._chats.get(user.id)
        if chat is None or chat.user != user:
            raise ValueError(f"unknown user {user.id}; add it with add_user()")
        return chat

    def _check_sender(self, user: User, chat: _Chat) -> None:
        """Refuse what no Telegram client could do: a test acting where its user cannot."""
        self._private_chat(user)
        if chat.user is not None and chat.id != user.id:
            raise ValueError(f"{user.first_name} cannot write in another user's private chat")
        if chat.members is not None and user.id not in chat.members:
            raise ValueError(f"{user.first_name} is not a member of {chat.title}")
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat.id} was migrated to {chat.migrated_to}")

    def _user_message(self, user: User, chat_id: int | None, fields: JsonDict) -> int:
        chat = self._chats.get(chat_id or user.id)
        if chat is None:
            raise ValueError(f"no chat {chat_id}; add it with add_group()")
        self._check_sender(user, chat)
        if chat.user is not None:
            chat.blocked = False  # writing to a blocked bot takes Restart, which unblocks it
        message: JsonDict = {
            "message_id": chat.next_message_id(),
            "from": user.to_json(),
            "chat": chat.to_json(),
            "date": int(self._clock()),
            **fields,
        }
        self._inbox[chat.id, message["message_id"]] = message
        return self._enqueue("message", message)

    def _enqueue(self, kind: str, payload: JsonDict) -> int:
        """Queue an update; like Telegram, types outside ``allowed_updates`` are never queued."""
        update_id = self._last_update_id = next(self._update_ids)
        if self._allowed_updates is None or kind in self._allowed_updates:
            self._updates.append({"update_id": update_id, kind: payload})
            self._changed.notify_all()
        return update_id

    def _new_file_id(self) -> str:
        file_id = f"AgACAgUAAxkBAAI{next(self._file_ids):08d}"
        self._files.add(file_id)
        return file_id

    def _photo_sizes(self, file_id: str) -> list[JsonDict]:
        self._files.add(file_id)
        unique = f"AQAD{zlib.crc32(file_id.encode()):010d}"
        return [
            {"file_id": file_id, "file_unique_id": f"{unique}m", "width": 320, "height": 240},
            {"file_id": file_id, "file_unique_id": unique, "width": 1280, "height": 960},
        ]
