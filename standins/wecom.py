"""A local stand-in for the WeCom (企业微信) server API of one self-built app, over real HTTP.

Why it exists: griddesk reaches grid workers through a self-built app (自建应用) that sends each
member a ``button_interaction`` template card and later changes that card for everyone with
``update_template_card`` (docs/research/wecom.md). Tests and ``griddesk shell`` need the other
side of that wire without a corp, a token or the network. Like :mod:`standins.telegram`, this is
an honest fake (STYLE.md §14): it serves ``qyapi.weixin.qq.com``'s paths on 127.0.0.1, answers
in WeCom's wire format (HTTP 200, JSON ``errcode``/``errmsg``, WeCom's codes), and refuses what
WeCom refuses, so a request WeCom would reject fails here first.

Use::

    async with WeComStandIn(corpid="wwstandin", secret="s3cret", agentid=1000002) as wecom:
        wecom.add_member("zhangsan", "张三")
        # griddesk: GET {wecom.base_url}/cgi-bin/gettoken?corpid=…&corpsecret=…, then
        # POST /cgi-bin/message/send?access_token=… with a button_interaction card
        card = await wecom.wait_for_card(lambda c: c.task_id == "t17")
        xml = wecom.press("zhangsan", "t17", "claim:17")   # the callback's plaintext XML
        await wecom.wait_for_card(lambda c: c.face.replace_text == "已认领")

Public surface of :class:`WeComStandIn`:

- life: ``start()``, ``stop()``, ``async with``; ``base_url`` (``http://127.0.0.1:PORT``, to
  which the client appends ``/cgi-bin/…``), ``corpid``, ``agentid``; the clock: ``now``,
  ``advance(seconds)`` (tests move time, nothing sleeps).
- the organisation: ``add_member()``, ``add_department()``, ``set_visible()`` (in or out of
  the app's visible range), ``members``, ``revoke_token()`` (WeCom ending a token early).
- acting as members, each returning the plaintext XML WeCom would POST (encrypted) to the
  app's callback URL — delivering it is another module's job: ``press()`` (a card button:
  ``template_card_event``) and ``member_says()`` (a text message to the app).
- observing the app: ``messages(userid)`` (:class:`Delivered`, in order; an image carries
  its ``media_id`` and bytes), ``media(media_id)`` (:class:`Media`, what was uploaded),
  ``card(userid, task_id)`` and ``cards(userid)`` (:class:`Card`: the card as that member
  sees it now, with its earlier faces), ``wait_for()``, ``wait_for_card()``, ``presses``,
  ``dropped`` (messages the per-member limit swallowed), ``callbacks`` (every XML produced),
  ``calls``.
- faults, for the next call(s) of one path: ``fail_next()`` (an error answer; ready-made ones
  in :data:`FAULTS`) and ``drop_next()`` (the connection closes unanswered; note that aiohttp
  itself retries an idempotent GET, such as gettoken, once on a reused connection).

The app's mistakes are answered over HTTP as WeCom answers them; a test's mistakes (pressing a
button that is not on the member's card, acting as a stranger) raise ``ValueError`` at once,
because no WeCom client could make them.

Modelled, and confirmed where it says so. "Doc N" is developer.work.weixin.qq.com/document/
path/N, read in the copies in ``wxkingstar/doc-hub-mcp`` (snapshot of 2026-02-28); "the
probe" is a published record of calling qyapi with fake credentials (2026-09-11). Error codes
are in :mod:`standins.wecom_errors`, card rules in :mod:`standins.wecom_cards`, sending limits
in :mod:`standins.wecom_limits`, temporary media (upload, media_id, their codes and guesses)
in :mod:`standins.wecom_media`.

- ``GET /cgi-bin/gettoken`` (Doc 91039): ``{"errcode":0,"errmsg":"ok","access_token",
  "expires_in":7200}``; the same token again while it is valid ("有效期内重复获取返回相同结果",
  older copies of 91039), with the seconds it has left; a new one after it expires. A missing
  ``corpsecret`` is 41004 before anything else, a wrong ``corpid`` 40013 even with a wrong
  secret (a 2026 probe of qyapi with fake values), a wrong secret 40001 (Doc 90313).
- every other call takes ``access_token`` from the query string only (the probe: a token in a
  header or in the body is 41001), and checks it before its parameters: missing 41001, unknown
  or revoked 40014, expired 42001. Unknown paths answer 404 with an empty body (the probe).
- ``POST /cgi-bin/media/upload?type=image`` (Doc 90253, Doc 91054), multipart/form-data with
  the file in a part named ``media`` (parsed with aiohttp): JPEG or PNG of 6 bytes to 10 MB;
  the answer ``{"errcode":0,"errmsg":"","type":"image","media_id","created_at"}``
  (``created_at`` a string). Refusals as :mod:`standins.wecom_media` lists them.
- ``POST /cgi-bin/message/send`` (Doc 90236), ``msgtype`` ``text``, ``markdown``, ``image``
  and ``template_card``: an image's ``image.media_id`` must be one this stand-in issued for an
  image less than 3 days ago (40007 otherwise, 41006 when missing); ``agentid`` missing
  41011, not this app's integer 40056; empty content 44004; text over 2048 bytes is cut
  (Doc 90236: "超过将截断", although Doc 90313 lists it under 45002), markdown over 2048 bytes
  refused 45002;
  ``touser``/``toparty``/``totag`` ("a|b", "@all"; all empty 82001; over 1000 users 40032, over
  100 parties 82002 or tags 82003). Members unknown or outside the visible range are listed,
  lower-cased, in ``invaliduser`` and the rest still get the message; none valid is 81013
  ("如果全部接收人无权限或不存在…81013"; the answer still lists them). The answer is
  ``{"errcode":0,"errmsg":"ok","invaliduser","msgid"}`` plus ``invalidparty``/``invalidtag``
  when not empty and, for a card, ``response_code``. ``task_id`` is unique per app, forever
  (42014). Sending a callback card from an app with no callback URL is 43012 (Doc 90236 特殊说明
  2, code from 90313). ``enable_duplicate_check``: the same request JSON again within
  ``duplicate_check_interval`` (default 1800 s, at most 4 h) delivers nothing.
- frequency (Doc 90236, Doc 90312 访问频率限制): per app at most ``seats`` × 200 person-times a
  Beijing calendar day — the call that would exceed it, and every send after it that day, is
  45009 ("按天拦截则被屏蔽一天（自然天）"); per app and member at most 30 a minute and 1000 an
  hour, beyond which messages are silently dropped ("超过部分会被丢弃不下发"): the call still
  answers 0 and the member is not in ``invaliduser``, but :attr:`WeComStandIn.dropped` shows it.
- ``POST /cgi-bin/message/update_template_card`` (Doc 94888): ``response_code`` from a send or
  a press, usable once and for 72 hours (60140 otherwise; code from 90313, "可能是response_code
  已经过期"); ``atall: 1`` or ``userids``/``partyids``/``tagids`` (at most 1000/100/100, 40058)
  choose whose card changes among the task's recipients; ``button.replace_name`` greys the
  buttons with that text, a full ``template_card`` replaces the card (its ``replace_text``
  greys it). The answer is ``{"errcode":0,"errmsg":"ok","invaliduser":[…]}``, listing,
  lower-cased, the userids that did not receive the card.
- the callbacks' plaintext: ``template_card_event`` with ``ToUserName`` (corpid),
  ``FromUserName``, ``CreateTime``, ``MsgType`` event, ``Event``, ``EventKey``, ``TaskId``,
  ``CardType``, ``ResponseCode``, ``AgentID`` (Doc 90240, same fields in WxJava's
  ``WxCpXmlMessageTest`` and zsmhub/workweixin's generated callback struct), each press minting
  a fresh 72-hour ``ResponseCode``; a text message with ``Content``, ``MsgId``, ``AgentID``
  (Doc 90239). Strings go in CDATA, numbers bare, as in the docs' examples.
- every answer carries an ``Error-Code`` header (and ``Error-Msg`` when ASCII), as a captured
  real answer of 2023 does.

Guesses (no source found; a real corp may differ): the order of checks inside a call; 82001
for an update that names no one; a failed update not consuming its code; older codes of a task
staying valid after a newer one is minted; the answer to a duplicate-checked repeat (the first
call's answer again); ``expires_in`` of a repeated gettoken (the seconds left); 40058 for a
missing ``main_title.title``, for more than six buttons and for a ``duplicate_check_interval``
over 4 h; 45009 refusing a whole send that would cross the daily quota; the errmsg texts marked
"ours" in :mod:`standins.wecom_errors`.

Not modelled, so not to be trusted here: other ``msgtype`` values and card types (refused with
40008/40058 naming the stand-in), uploads of ``type`` voice, video or file (40005 naming the
stand-in), ``media/get``, permanent media, tags (every ``totag`` is invalid), ``unlicenseduser``,
``enable_id_trans`` (texts stay as sent), ``safe``, ``button_selection`` and ``SelectedItems``,
the passive-reply update (Doc 90241), ``appchat`` (which cannot carry cards, Doc 90248), group
robots, recalling messages, the per-corp/per-IP API limits and ``45033`` (inject them with
:meth:`WeComStandIn.fail_next`), gettoken's own frequency limit and the one-hour IP ban after
wrong secrets, 企业可信IP (60020), callback encryption, and whether WeCom refuses ``\\uXXXX``
escapes in bodies (40033 in Doc 90313; unconfirmed for message/send).

All state lives in the instance, on one event loop; waiters are woken by a broadcast fired on
every change, because the member-side methods are synchronous.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Literal, NamedTuple

from aiohttp import web

from standins.local_server import LocalServer
from standins.wecom_cards import Button, CardFace, grey_out, parse_card, replace_name
from standins.wecom_errors import FAULTS, WeComError
from standins.wecom_limits import Limit, SendingLimits
from standins.wecom_media import Form, Media, MediaStore, read_form

__all__ = [
    "FAULTS",
    "Button",
    "Call",
    "Card",
    "CardFace",
    "Delivered",
    "Department",
    "Dropped",
    "Media",
    "Member",
    "Press",
    "WeComStandIn",
]

JsonDict = dict[str, Any]
Kind = Literal["text", "markdown", "image", "template_card"]

TOKEN_SECONDS = 7200
RESPONSE_CODE_SECONDS = 72 * 3600
MAX_CONTENT_BYTES = 2048
MAX_USERS, MAX_PARTIES, MAX_TAGS = 1000, 100, 100
MAX_DUPLICATE_INTERVAL = 4 * 3600
ROOT_DEPARTMENT = 1
_USERID = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_UNMODELLED = frozenset(
    {"voice", "video", "file", "textcard", "news", "mpnews", "miniprogram_notice"}
    | {"interactive_taskcard"}
)
MEDIA_UPLOAD = "media/upload"
MAX_BODY = 32 * 1024 * 1024
"""What aiohttp lets in (its default is 1 MB): room for a file over WeCom's limits, so that
the stand-in, not aiohttp, refuses it with WeCom's code."""
_PATHS = ("gettoken", "message/send", "message/update_template_card", MEDIA_UPLOAD)


@dataclass(frozen=True, slots=True)
class Department:
    """A department; members of it and of its sub-departments get what is sent to it."""

    id: int
    name: str
    parent: int | None = ROOT_DEPARTMENT


@dataclass(frozen=True, slots=True)
class Member:
    """A corp member; only members in the app's visible range can receive or use the app."""

    userid: str
    name: str
    departments: tuple[int, ...] = (ROOT_DEPARTMENT,)
    visible: bool = True


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message that reached a member's conversation with the app, as it was sent.

    ``content`` is the text or markdown (text cut at 2048 bytes, as WeCom cuts it); a card has
    ``task_id`` instead, and :meth:`WeComStandIn.card` shows how it looks now; an image has
    the ``media_id`` it was sent with and the bytes uploaded under it (``image``).
    """

    userid: str
    msgid: str
    msgtype: Kind
    at: int
    content: str | None = None
    task_id: str | None = None
    media_id: str | None = None
    image: bytes | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """A template card as one member sees it now; ``history`` holds its earlier faces."""

    userid: str
    task_id: str
    msgid: str
    face: CardFace
    sent_at: int
    updated_at: int | None = None
    history: tuple[CardFace, ...] = ()


@dataclass(frozen=True, slots=True)
class Press:
    """A member pressed a card button; ``response_code`` is the one the event carried."""

    userid: str
    task_id: str
    key: str
    response_code: str
    at: int


@dataclass(frozen=True, slots=True)
class Dropped:
    """A message the per-member limit swallowed: WeCom said ok, the member never saw it."""

    userid: str
    msgid: str
    limit: Limit
    at: int


class Call(NamedTuple):
    """One request under ``/cgi-bin/``: its path, query string and decoded JSON body (an
    upload's: its :class:`~standins.wecom_media.Form`)."""

    path: str
    query: Mapping[str, str]
    body: object


@dataclass(slots=True)
class _Code:
    """A ``response_code``: which task it may update, when it was minted, whether used."""

    task_id: str
    issued: float
    used: bool = False


class _Fault(NamedTuple):
    kind: Literal["error", "drop"]
    errcode: int = 0
    errmsg: str = ""


class _Broadcast:
    """Wakes every waiter on each change; callable from synchronous code, unlike a Condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify_all(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class WeComStandIn:
    """The fake server and the corp behind it: members, departments, messages and cards.

    ``seats`` is the corp's account limit (账号上限数), which sets the daily sending quota.
    """

    def __init__(
        self,
        corpid: str = "wwstandin0000001",
        secret: str = "standin-secret",
        agentid: int = 1000002,
        *,
        seats: int = 500,
        callback_configured: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.corpid, self.agentid = corpid, agentid
        self.callback_configured = callback_configured
        self._secret = secret
        self._clock, self._offset = clock, 0.0
        self._members: dict[str, Member] = {}  # by lower-cased userid: WeCom ignores case
        self._departments = {ROOT_DEPARTMENT: Department(ROOT_DEPARTMENT, "root", None)}
        self._token: str | None = None
        self._token_expires = 0.0
        self._expired_tokens: set[str] = set()
        self._messages: list[Delivered] = []
        self._cards: dict[tuple[str, str], Card] = {}  # (member key, task_id), sent order
        self._tasks: dict[str, list[str]] = {}  # task_id: keys of the members who got it
        self._codes: dict[str, _Code] = {}
        self._presses: list[Press] = []
        self._dropped: list[Dropped] = []
        self._callbacks: list[str] = []
        self._limits = SendingLimits(seats)
        self._duplicates: dict[str, tuple[float, JsonDict]] = {}
        self._media = MediaStore()
        self._faults: dict[str, deque[_Fault]] = {}
        self._calls: list[Call] = []
        self._counter: Iterator[int] = itertools.count(1)
        self._changed = _Broadcast()
        self._server = LocalServer()
        self._routes: dict[str, Callable[[Mapping[str, str], bytes], JsonDict]] = {
            "gettoken": self._gettoken,
            "message/send": self._send,
            "message/update_template_card": self._update,
        }

    # ---- life ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port (see :attr:`base_url`)."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/cgi-bin/{path:.*}", self._handle)
        app.router.add_route("*", "/{path:.*}", self._not_found)
        await self._server.start(app)

    async def stop(self) -> None:
        """Close every connection and stop serving."""
        await self._server.stop()

    async def __aenter__(self) -> WeComStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What replaces ``https://qyapi.weixin.qq.com``; the client appends ``/cgi-bin/…``."""
        return self._server.url

    @property
    def now(self) -> float:
        """The stand-in's time: the clock it was given, plus every :meth:`advance`."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the stand-in's time forward: tokens, codes and limits see it, nothing sleeps."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._offset += seconds
        self._changed.notify_all()

    # ---- the organisation ---------------------------------------------------------------------

    def add_department(
        self, department_id: int, name: str, *, parent: int = ROOT_DEPARTMENT
    ) -> Department:
        """A department under ``parent`` (the root, 1, exists from the start)."""
        if department_id in self._departments or parent not in self._departments:
            raise ValueError(f"department {department_id} must be new, {parent} must exist")
        department = Department(department_id, name, parent)
        self._departments[department_id] = department
        return department

    def add_member(
        self,
        userid: str,
        name: str,
        *,
        departments: Iterable[int] = (ROOT_DEPARTMENT,),
        visible: bool = True,
    ) -> Member:
        """A member; ``visible=False`` puts them outside the app's visible range."""
        if not _USERID.fullmatch(userid) or userid.lower() in self._members:
            raise ValueError(f"userid {userid!r}: 1-64 of [A-Za-z0-9_.-], unused in any case")
        departments = tuple(departments)
        if not departments or any(d not in self._departments for d in departments):
            raise ValueError(f"unknown department in {departments}; add it with add_department()")
        member = Member(userid, name, departments, visible)
        self._members[userid.lower()] = member
        return member

    def set_visible(self, userid: str, visible: bool) -> Member:
        """Put a member into, or take them out of, the app's visible range."""
        member = replace(self._member(userid), visible=visible)
        self._members[userid.lower()] = member
        return member

    @property
    def members(self) -> list[Member]:
        """Every member, in the order they were added."""
        return list(self._members.values())

    def revoke_token(self) -> None:
        """End the current access_token early, as WeCom may ("提前使access_token失效"): it
        answers 40014 from now on and the next gettoken issues a new one."""
        self._token = None
        self._changed.notify_all()

    # ---- acting as members --------------------------------------------------------------------

    def press(self, userid: str, task_id: str, key: str) -> str:
        """``userid`` presses the button ``key`` on their card ``task_id``.

        Records the press, mints the event's ``ResponseCode`` and returns the plaintext
        ``template_card_event`` XML WeCom would encrypt and POST to the callback URL.
        """
        member = self._member(userid)
        card = self._cards.get((userid.lower(), task_id))
        if card is None:
            raise ValueError(f"{userid} has no card {task_id!r}")
        if key not in card.face.keys:
            raise ValueError(f"{userid}'s card {task_id!r} has no pressable button {key!r}")
        code = self._mint_code(task_id)
        at = int(self.now)
        self._presses.append(Press(member.userid, task_id, key, code, at))
        xml = _xml(
            ("ToUserName", self.corpid),
            ("FromUserName", member.userid),
            ("CreateTime", at),
            ("MsgType", "event"),
            ("Event", "template_card_event"),
            ("EventKey", key),
            ("TaskId", task_id),
            ("CardType", "button_interaction"),
            ("ResponseCode", code),
            ("AgentID", self.agentid),
        )
        return self._callback(xml)

    def member_says(self, userid: str, text: str) -> str:
        """``userid`` writes ``text`` to the app; the plaintext XML of the text callback."""
        member = self._member(userid)
        if not member.visible:
            raise ValueError(f"{userid} is outside the app's visible range and cannot open it")
        if not text.strip():
            raise ValueError("WeCom clients do not send empty messages")
        xml = _xml(
            ("ToUserName", self.corpid),
            ("FromUserName", member.userid),
            ("CreateTime", int(self.now)),
            ("MsgType", "text"),
            ("Content", text),
            ("MsgId", 7_000_000_000_000_000_000 + next(self._counter)),
            ("AgentID", self.agentid),
        )
        return self._callback(xml)

    # ---- observing the app --------------------------------------------------------------------

    def messages(self, userid: str) -> list[Delivered]:
        """What reached ``userid``'s conversation with the app, oldest first."""
        key = self._member(userid).userid.lower()
        return [m for m in self._messages if m.userid.lower() == key]

    def card(self, userid: str, task_id: str) -> Card:
        """``userid``'s card ``task_id`` as they see it now."""
        card = self._cards.get((self._member(userid).userid.lower(), task_id))
        if card is None:
            raise ValueError(f"{userid} has no card {task_id!r}")
        return card

    def media(self, media_id: str) -> Media:
        """What the app uploaded as ``media_id`` (kept after it expires, as a member's chat
        keeps an image)."""
        return self._media.get(media_id)

    def cards(self, userid: str) -> list[Card]:
        """Every card ``userid`` received, as they see it now, in the order sent."""
        key = self._member(userid).userid.lower()
        return [card for (member, _), card in self._cards.items() if member == key]

    @property
    def presses(self) -> list[Press]:
        """Every button press, in order."""
        return list(self._presses)

    @property
    def dropped(self) -> list[Dropped]:
        """Every message the per-member frequency limit dropped, in order."""
        return list(self._dropped)

    @property
    def callbacks(self) -> list[str]:
        """The plaintext XML of every callback the members caused, in order."""
        return list(self._callbacks)

    @property
    def calls(self) -> list[Call]:
        """Every request under ``/cgi-bin/``, refused, failed and dropped ones included."""
        return list(self._calls)

    async def wait_for(
        self, predicate: Callable[[Delivered], bool], timeout: float = 5.0
    ) -> Delivered:
        """The first delivered message for which ``predicate`` holds, woken by every change;
        on timeout the ``TimeoutError`` lists what was delivered."""
        try:
            async with asyncio.timeout(timeout):
                while (found := next(filter(predicate, self._messages), None)) is None:
                    await self._changed.wait()
                return found
        except TimeoutError:
            sent = [
                (m.userid, m.msgtype, m.content or m.task_id or m.media_id) for m in self._messages
            ]
            raise TimeoutError(f"no message matched within {timeout}s; sent: {sent}") from None

    async def wait_for_card(self, predicate: Callable[[Card], bool], timeout: float = 5.0) -> Card:
        """The first card (any member, current face) for which ``predicate`` holds."""
        try:
            async with asyncio.timeout(timeout):
                while (found := next(filter(predicate, self._cards.values()), None)) is None:
                    await self._changed.wait()
                return found
        except TimeoutError:
            seen = [(c.userid, c.task_id, c.face.title) for c in self._cards.values()]
            raise TimeoutError(f"no card matched within {timeout}s; cards: {seen}") from None

    # ---- faults -------------------------------------------------------------------------------

    def fail_next(self, path: str, errcode: int, errmsg: str, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``path`` (``"message/send"``, ``"gettoken"``…)
        with this error instead of serving them; see :data:`FAULTS`."""
        self._queue(path, _Fault("error", errcode, errmsg), times)

    def drop_next(self, path: str, *, times: int = 1) -> None:
        """Close the connection of the next ``times`` calls of ``path`` without answering;
        the call is not served."""
        self._queue(path, _Fault("drop"), times)

    def _queue(self, path: str, fault: _Fault, times: int) -> None:
        name = path.removeprefix("/").removeprefix("cgi-bin/")
        if name not in _PATHS:
            raise ValueError(f"the stand-in serves {_PATHS}, not {path!r}")
        self._faults.setdefault(name, deque()).extend([fault] * times)

    # ---- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        form: Form | None = None
        raw = b""
        body: object
        if path == MEDIA_UPLOAD:
            body = form = await read_form(request)
        else:
            raw = await request.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
        self._calls.append(Call(path, dict(request.query), body))
        try:
            faults = self._faults.get(path)
            if faults:
                return self._inflict(faults.popleft(), request)
            if form is not None:
                answer = self._upload(request.query, form)
            elif (route := self._routes.get(path)) is not None:
                answer = route(request.query, raw)
            else:
                return web.Response(status=404)
        except WeComError as error:
            answer = error.body(f"{int(self.now)}{next(self._counter):09d}")
        finally:
            self._changed.notify_all()
        return _json_response(answer)

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.Response(status=404)

    def _inflict(self, fault: _Fault, request: web.Request) -> web.StreamResponse:
        if fault.kind == "error":
            return _json_response({"errcode": fault.errcode, "errmsg": fault.errmsg})
        if request.transport is not None:
            request.transport.abort()
        return web.Response()  # never written: the connection is gone

    # ---- the API ------------------------------------------------------------------------------

    def _gettoken(self, query: Mapping[str, str], raw: bytes) -> JsonDict:
        if not query.get("corpsecret"):
            raise WeComError(41004)
        if not query.get("corpid"):
            raise WeComError(41002)
        if query["corpid"] != self.corpid:
            raise WeComError(40013)
        if query["corpsecret"] != self._secret:
            raise WeComError(40001)
        if self._token is None or self.now >= self._token_expires:
            if self._token is not None:
                self._expired_tokens.add(self._token)
            self._token = f"standin-access-token-{next(self._counter):06d}"
            self._token_expires = self.now + TOKEN_SECONDS
        left = math.ceil(self._token_expires - self.now)
        return {"errcode": 0, "errmsg": "ok", "access_token": self._token, "expires_in": left}

    def _authorise(self, query: Mapping[str, str]) -> None:
        token = query.get("access_token")
        if not token:
            raise WeComError(41001)
        if token == self._token and self.now < self._token_expires:
            return
        if token == self._token or token in self._expired_tokens:
            raise WeComError(42001)
        raise WeComError(40014)

    def _upload(self, query: Mapping[str, str], form: Form) -> JsonDict:
        self._authorise(query)
        return self._media.upload(query, form, self.now)

    def _request(self, query: Mapping[str, str], raw: bytes) -> JsonDict:
        """The JSON body of an authorised call to this app, refused as WeCom refuses it."""
        self._authorise(query)
        try:
            params = json.loads(raw) if raw else None
        except ValueError:
            params = None
        if not isinstance(params, dict):
            raise WeComError(40058, "Warning: wrong json format" if raw else "request body empty")
        agentid = params.get("agentid")
        if agentid is None:
            raise WeComError(41011)
        if isinstance(agentid, bool) or agentid != self.agentid:
            raise WeComError(40056)
        return params

    def _send(self, query: Mapping[str, str], raw: bytes) -> JsonDict:
        params = self._request(query, raw)
        kind, content, face, task_id = self._message(params)
        image = self._media.image(params, self.now) if kind == "image" else None
        duplicate_key = self._duplicate_key(params)
        if duplicate_key is not None:
            until, answer = self._duplicates.get(duplicate_key, (-math.inf, {}))
            if self.now < until:
                return answer
        if task_id is not None and task_id in self._tasks:
            raise WeComError(42014)
        keys, invalid = self._recipients(params)
        if not keys:
            raise WeComError(81013, **invalid)
        self._limits.charge(self.now, len(keys))
        msgid = f"standin-msgid-{next(self._counter):06d}"
        at = int(self.now)
        got = [key for key in keys if self._admit(key, msgid)]
        media_id, image_bytes = (image.media_id, image.content) if image else (None, None)
        for key in got:
            userid = self._members[key].userid
            self._messages.append(
                Delivered(userid, msgid, kind, at, content, task_id, media_id, image_bytes)
            )
            if face is not None and task_id is not None:
                self._cards[key, task_id] = Card(userid, task_id, msgid, face, at)
        sent: JsonDict = {"errcode": 0, "errmsg": "ok", **invalid, "msgid": msgid}
        if task_id is not None:
            self._tasks[task_id] = got
            sent["response_code"] = self._mint_code(task_id)
        if duplicate_key is not None:
            interval = params.get("duplicate_check_interval", 1800)
            self._duplicates[duplicate_key] = (self.now + interval, sent)
        return sent

    def _message(self, params: JsonDict) -> tuple[Kind, str | None, CardFace | None, str | None]:
        """What a send carries: its kind, and its content or its card and ``task_id``."""
        msgtype = params.get("msgtype")
        if msgtype == "text":
            return "text", _content(params, "text"), None, None
        if msgtype == "markdown":
            return "markdown", _content(params, "markdown"), None, None
        if msgtype == "image":
            return "image", None, None, None
        if msgtype == "template_card":
            if not self.callback_configured:
                raise WeComError(43012)
            face, task_id = parse_card(params.get("template_card"), sending=True)
            return "template_card", None, face, task_id
        if msgtype in _UNMODELLED:
            raise WeComError(40008, f"msgtype {msgtype} is not modelled by the stand-in")
        raise WeComError(40008)

    def _update(self, query: Mapping[str, str], raw: bytes) -> JsonDict:
        params = self._request(query, raw)
        code_value = params.get("response_code")
        code = self._codes.get(code_value) if isinstance(code_value, str) else None
        if code is None or code.used or self.now >= code.issued + RESPONSE_CODE_SECONDS:
            raise WeComError(60140)
        new_face: CardFace | None = None
        name = ""
        if "template_card" in params:
            new_face, _ = parse_card(params["template_card"], sending=False)
        else:
            name = replace_name(params.get("button"))
        targets, invalid = self._update_targets(params, self._tasks[code.task_id])
        code.used = True
        at = int(self.now)
        for key in targets:
            card = self._cards[key, code.task_id]
            face = new_face or grey_out(card.face, name)
            self._cards[key, code.task_id] = replace(
                card, face=face, updated_at=at, history=(*card.history, card.face)
            )
        return {"errcode": 0, "errmsg": "ok", "invaliduser": invalid}

    # ---- rules --------------------------------------------------------------------------------

    def _recipients(self, params: JsonDict) -> tuple[list[str], JsonDict]:
        """The member keys ``touser``/``toparty``/``totag`` reach, and the answer's
        ``invaliduser`` (always) and ``invalidparty``/``invalidtag`` (when not empty)."""
        users, parties, tags = (_ids(params, name) for name in ("touser", "toparty", "totag"))
        if not (users or parties or tags):
            raise WeComError(82001)
        for ids, limit, code in (
            (users, MAX_USERS, 40032),
            (parties, MAX_PARTIES, 82002),
            (tags, MAX_TAGS, 82003),
        ):
            if len(ids) > limit:
                raise WeComError(code)
        if "@all" in users:  # "@all": every member in the visible range; the rest is ignored
            return [key for key, m in self._members.items() if m.visible], {"invaliduser": ""}
        keys = [u.lower() for u in users if self._reachable(u.lower())]
        bad_users = [u.lower() for u in users if not self._reachable(u.lower())]
        bad_parties = [p for p in parties if not p.isdigit() or int(p) not in self._departments]
        for party in (p for p in parties if p not in bad_parties):
            keys += [key for key in self._members if self._reachable(key, party)]
        invalid: JsonDict = {"invaliduser": "|".join(bad_users)}
        if bad_parties:
            invalid["invalidparty"] = "|".join(bad_parties)
        if tags:  # tags are not modelled: none exists
            invalid["invalidtag"] = "|".join(tags)
        return list(dict.fromkeys(keys)), invalid

    def _reachable(self, key: str, party: str | None = None) -> bool:
        """Whether the app can message member ``key`` (in ``party``, when given)."""
        member = self._members.get(key)
        if member is None or not member.visible:
            return False
        return party is None or self._in(member, party)

    def _update_targets(self, params: JsonDict, got: list[str]) -> tuple[list[str], list[str]]:
        """Whose card an update changes, and the ``invaliduser`` list of its answer."""
        if params.get("atall") == 1:
            return list(got), []
        userids = _listed(params, "userids", MAX_USERS)
        partyids = _listed(params, "partyids", MAX_PARTIES)
        tagids = _listed(params, "tagids", MAX_TAGS)
        if not (userids or partyids or tagids):
            raise WeComError(82001)
        targets: list[str] = []
        invalid: list[str] = []
        for userid in map(str, userids):
            (targets if userid.lower() in got else invalid).append(userid.lower())
        for party in map(str, partyids):
            targets += [key for key in got if self._in(self._members[key], party)]
        return list(dict.fromkeys(targets)), invalid

    def _in(self, member: Member, party: str) -> bool:
        """Whether ``member`` belongs to department ``party`` or one beneath it."""
        for department in member.departments:
            current: int | None = department
            while current is not None:
                if str(current) == party:
                    return True
                current = self._departments[current].parent
        return False

    def _duplicate_key(self, params: JsonDict) -> str | None:
        if params.get("enable_duplicate_check") != 1:
            return None
        interval = params.get("duplicate_check_interval", 1800)
        if not isinstance(interval, int) or not 0 < interval <= MAX_DUPLICATE_INTERVAL:
            raise WeComError(40058, "duplicate_check_interval invalid")
        return json.dumps(params, sort_keys=True, ensure_ascii=False)

    def _admit(self, key: str, msgid: str) -> bool:
        """Whether the message reaches member ``key``; if a limit drops it, say so."""
        limit = self._limits.admit(self.now, key)
        if limit is not None:
            self._dropped.append(Dropped(self._members[key].userid, msgid, limit, int(self.now)))
        return limit is None

    def _mint_code(self, task_id: str) -> str:
        code = f"standin-response-code-{next(self._counter):06d}"
        self._codes[code] = _Code(task_id, self.now)
        return code

    def _member(self, userid: str) -> Member:
        member = self._members.get(userid.lower())
        if member is None:
            raise ValueError(f"unknown member {userid!r}; add it with add_member()")
        return member

    def _callback(self, xml: str) -> str:
        self._callbacks.append(xml)
        self._changed.notify_all()
        return xml


def _content(params: JsonDict, msgtype: str) -> str:
    """The text or markdown ``content``: text over 2048 bytes is cut, markdown refused."""
    body = params.get(msgtype)
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, str) or not content:
        raise WeComError(44004)
    encoded = content.encode()
    if len(encoded) <= MAX_CONTENT_BYTES:
        return content
    if msgtype == "markdown":
        raise WeComError(45002)
    return encoded[:MAX_CONTENT_BYTES].decode(errors="ignore")


def _ids(params: JsonDict, name: str) -> list[str]:
    """A ``"a|b|c"`` recipient list, spaces and empty parts dropped (Doc 90236 writes
    ``"TagID1 | TagID2"``)."""
    value = params.get(name)
    if value is None:
        return []
    if not isinstance(value, str):
        raise WeComError(40058, f"Warning: wrong json format. {name} must be a string")
    return [part.strip() for part in value.split("|") if part.strip()]


def _listed(params: JsonDict, name: str, limit: int) -> list[object]:
    value = params.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit:
        raise WeComError(40058, f"{name} invalid")
    return value


def _xml(*fields: tuple[str, str | int]) -> str:
    """A callback's plaintext: strings in CDATA, numbers bare, as in Doc 90239/90240."""
    parts = (
        f"<{name}>{value if isinstance(value, int) else _cdata(value)}</{name}>"
        for name, value in fields
    )
    return "<xml>" + "".join(parts) + "</xml>"


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _json_response(body: JsonDict) -> web.Response:
    """WeCom answers every call 200 with JSON; real answers also carry ``Error-Code`` and
    ``Error-Msg`` headers (seen in a 2023 capture)."""
    headers = {"Error-Code": str(body["errcode"])}
    if str(body["errmsg"]).isascii():
        headers["Error-Msg"] = str(body["errmsg"])
    return web.json_response(body, headers=headers, dumps=partial(json.dumps, ensure_ascii=False))
