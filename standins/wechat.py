"""A local stand-in for the WeChat Official Account (服务号) server API, spoken to over real HTTP.

Why it exists: griddesk's WeChat channel talks to ``https://api.weixin.qq.com``; its tests and
``griddesk shell`` point it here instead, so everything between our code and the wire (token
caching and refresh, JSON encoding, errcode handling, retries, the fallback from a
customer-service message to a template) runs as in production, without Tencent, an account or
the network, while a test plays the residents and reads what they were sent. It is an honest
fake (STYLE.md §14): it answers in WeChat's wire format (:mod:`standins.wechat_wire`: HTTP 200,
``errcode``/``errmsg`` with a `` rid: …`` suffix, so compare codes, never texts), with WeChat's
own codes, and refuses what WeChat refuses, above all the customer-service quota
(:mod:`standins.wechat_quota`) that makes every message to a resident count, and tokens that a
newer one retired (:mod:`standins.wechat_tokens`).

Use::

    async with WeChatStandIn(templates=["TPL_PROGRESS"], subscription_templates=["SUB"]) as wx:
        wx.subscribe("oRES1")       # follows: 3 customer-service sends within a minute
        wx.user_message("oRES1")    # writes: 5 sends within 48 hours
        ...                         # griddesk, with wx.base_url for https://api.weixin.qq.com
        sent = await wx.wait_for(lambda m: m.openid == "oRES1")
        wx.advance(48 * 3600)       # the window closes: the next send answers 45015

Public surface of :class:`WeChatStandIn`:

- life: ``start()``, ``stop()``, ``async with``; ``base_url``, ``appid``, ``secret``.
- time: ``now``; ``advance(seconds)`` (the stand-in's own clock; pass ``clock=`` to share a
  test's instead); ``expire_tokens()`` (every token issued so far answers 42001).
- acting as users: ``subscribe(openid)`` (``long_ago=True``: a follower from before the test,
  no window open), ``unsubscribe()``, ``user_message()`` (also what tapping a ``msgmenu`` item
  is), ``menu_click()``, ``grant_subscription(openid, template_id, times=1)`` (one-time
  subscribe-notice consents); the account: ``add_media(media_id, content, content_type)``.
- observing: ``sent_to(openid)`` and ``delivered`` (:class:`Delivered` records, in order),
  ``wait_for(predicate)``, ``calls`` (every request to a served path, refused ones too),
  ``quota_left(openid)``.
- faults, each for the next call(s) of one path: ``fail_next(path, errcode, errmsg)`` (see
  :data:`FAULTS`), ``drop_next(path)`` (the connection closes unanswered).

A test's own mistakes (acting as an unknown or unfollowed user, granting an undeclared
template) raise ``ValueError`` at once, because no WeChat user could produce them.

Served, and what each was confirmed against (the workplace ``search`` corpora, 2026-12; "docs"
are developers.weixin.qq.com pages, "community" the 微信开放社区):

- ``GET /cgi-bin/token``: docs getAccessToken / Get_access_token and oplatform
  ``AccessToken.md`` (7200 s; a new token retires the old one after 5 minutes); errors as in the
  getStableAccessToken table below, ``40125 invalid appsecret`` also in community reports.
- ``POST /cgi-bin/stable_token``: docs getStableAccessToken (normal and ``force_refresh``
  modes, 30 s spacing, renewal 5 minutes early, ``expires_in`` = seconds left; its error table:
  40002, 40013, 40125, 41002, 41004, 43002, 45009, 45011).
- ``POST /cgi-bin/message/custom/send``: docs sendCustomMessage (the quota table, body per
  ``msgtype``: ``text.content``, ``image.media_id``, ``news.articles``, ``msgmenu`` with
  ``head_content``, ``list`` of ``{id, content}``, ``tail_content``); 45015/45047 texts from
  community threads quoting WeChat's answers; 45008 for more than one news article (the doc as
  copied in 2020, a WxJava user's log); 40200 for ``msgmenu`` on an unverified or test account
  (community, CSDN). A send to a user who unfollowed answers 45015, not 43004: its text says
  "or subscription is canceled", and blogs report 45015 for customer-service sends and 43004
  for templates.
- ``POST /cgi-bin/message/template/send``: docs sendTemplateMessage (``touser``,
  ``template_id``, ``url``, ``miniprogram``, ``data``; answers ``msgid``, e.g. 200228332);
  43004 ``require subscribe`` (WxJava and Senparc issues), 40037 ``invalid template_id``
  (community; a subscribe-notice template id sent here is refused so).
- ``POST /cgi-bin/message/subscribe/bizsend``: docs sendNewSubscribeMsg (``touser``,
  ``template_id``, ``page``, ``miniprogram``, ``data``); 43101 once the one-time consents are
  spent ("一次性订阅通知订阅1次可下发1次", staff answer, community 000aeeb8b70c40fb7b727ef0061400);
  notices reach non-followers too (docs: they go to 服务通知).
- ``GET /cgi-bin/media/get``: docs getMedia (the file with its Content-Type and
  ``Content-disposition: attachment; filename="MEDIA_ID.jpg"``; else
  ``{"errcode":40007,"errmsg":"invalid media_id"}``).
- Every call: 41001 without ``access_token``, then 40001/42001; wrong HTTP method 43001/43002;
  a body that is not UTF-8 JSON 47001; escaped non-ASCII 40033 (see :mod:`standins.wechat_wire`).
  For reference, wechatpy's client refetches the token on 40001, 40014 and 42001 and retries.

Not modelled, so not to be trusted here: length limits (45002; the customer-service text limit
is not documented), template field rules (47003, the 20-character lines, emoji), ``msgmenu``
limits (45098) and non-numeric ids, other ``msgtype`` values (voice, video, mpnews,
miniprogrampage …: HTTP 501 from the stand-in, not WeChat's answer), QR-code scans (use
``menu_click``, the same quota), long-term subscriptions, template delivery events, the typing
indicator, passive replies and callbacks (WeChat calling us), uploads, mass sends, the IP
allowlist (40164), daily and per-minute quotas (inject 45009/45011 with ``fail_next``), the
20-a-day ``force_refresh`` cap, how long WeChat still answers 42001 rather than 40001 for a
long-expired token (here: always), and the exact ``Content-Type`` of WeChat's JSON (sent here
as ``application/json; encoding=utf-8``). An unknown path answers HTTP 404, the stand-in's
answer, not WeChat's.

All state lives in the instance, on one event loop; ``wait_for`` is woken as each call ends,
never polling.
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
import zlib
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from aiohttp import web

from standins.local_server import LocalServer
from standins.wechat_quota import CustomQuota
from standins.wechat_tokens import TokenLedger
from standins.wechat_wire import (
    ERRORS,
    Article,
    Delivered,
    JsonDict,
    MenuItem,
    NotModelled,
    WeChatError,
    custom_message,
    json_body,
    json_response,
    notice,
)

__all__ = [
    "ERRORS",
    "FAULTS",
    "Article",
    "Call",
    "Delivered",
    "MenuItem",
    "WeChatStandIn",
]

FAULTS: dict[str, tuple[int, str]] = {
    "busy": (-1, ERRORS[-1]),
    "daily_quota": (45009, ERRORS[45009]),
    "minute_quota": (45011, ERRORS[45011]),
}
"""Ready-made faults for ``fail_next(path, *FAULTS[name])``."""

TOKEN = "/cgi-bin/token"
STABLE_TOKEN = "/cgi-bin/stable_token"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/bizsend"
MEDIA_GET = "/cgi-bin/media/get"

_EPOCH = 1_795_309_200.0  # 2026-11-22 01:00 UTC, 09:00 in Hohhot, as tests/clock.py


class Call(NamedTuple):
    """One request to a served path: its query and JSON body (empty for GETs and bodies that
    did not parse)."""

    method: str
    path: str
    query: Mapping[str, str]
    body: Mapping[str, Any]
    time: float


class _Fault(NamedTuple):
    kind: Literal["error", "drop"]
    error: WeChatError | None = None


@dataclass(slots=True)
class _User:
    openid: str
    following: bool = False
    quota: CustomQuota = field(default_factory=CustomQuota)
    grants: Counter[str] = field(default_factory=Counter)


class _Broadcast:
    """Wakes every waiter at once, without the lock a Condition would need."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify_all(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


@dataclass(frozen=True, slots=True)
class _Endpoint:
    method: Literal["GET", "POST"]
    serve: Callable[[Mapping[str, str], JsonDict], Awaitable[web.StreamResponse]]
    needs_token: bool = True


class WeChatStandIn:
    """The fake ``api.weixin.qq.com`` and the account behind it: followers, templates, media.

    Start it once and stop it once; all of its state lives here, on the event loop it runs on.
    """

    def __init__(
        self,
        appid: str = "wx5eed0000c0ffee01",
        secret: str = "standin-secret-0123456789abcdef",
        *,
        templates: Iterable[str] = (),
        subscription_templates: Iterable[str] = (),
        verified: bool = True,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """``verified=False``: a test or unverified account, which WeChat refuses ``msgmenu``
        (40200). ``clock``: seconds since the epoch, e.g. a test's fake clock; by default the
        stand-in keeps its own, starting at 2026-11-22 09:00 Hohhot, moved by ``advance``."""
        self.appid, self.secret = appid, secret
        self._templates = frozenset(templates)
        self._subscription_templates = frozenset(subscription_templates)
        self._verified = verified
        self._own_time: float | None = None if clock is not None else _EPOCH
        self._clock = clock
        self._tokens = TokenLedger(appid)
        self._users: dict[str, _User] = {}
        self._media: dict[str, tuple[bytes, str]] = {}
        self._delivered: list[Delivered] = []
        self._calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._msgids = itertools.count(3_120_000_001)
        self._rids = itertools.count(1)
        self._changed = _Broadcast()
        self._server = LocalServer()
        self._endpoints: dict[str, _Endpoint] = {
            TOKEN: _Endpoint("GET", self._token, needs_token=False),
            STABLE_TOKEN: _Endpoint("POST", self._stable_token, needs_token=False),
            CUSTOM_SEND: _Endpoint("POST", self._custom_send),
            TEMPLATE_SEND: _Endpoint("POST", self._template_send),
            SUBSCRIBE_SEND: _Endpoint("POST", self._subscribe_send),
            MEDIA_GET: _Endpoint("GET", self._media_get),
        }

    # ---- life ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port (see :attr:`base_url`)."""
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        await self._server.start(app)

    async def stop(self) -> None:
        """Close every connection."""
        await self._server.stop()

    async def __aenter__(self) -> WeChatStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """In place of ``https://api.weixin.qq.com``: paths start with ``/cgi-bin/``."""
        return self._server.url

    # ---- time ---------------------------------------------------------------------------------

    @property
    def now(self) -> float:
        """The stand-in's time, in seconds since the epoch."""
        if self._clock is not None:
            return self._clock()
        assert self._own_time is not None
        return self._own_time

    def advance(self, seconds: float) -> None:
        """Move the stand-in's own clock forward: windows close, tokens expire."""
        if self._own_time is None:
            raise RuntimeError("the stand-in runs on the clock it was given; advance that")
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._own_time += seconds

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now: the next use answers 42001."""
        self._tokens.expire_all(self.now)

    # ---- acting as users ----------------------------------------------------------------------

    def subscribe(self, openid: str, *, long_ago: bool = False) -> None:
        """``openid`` follows the account, which opens 3 sends for a minute; ``long_ago``: a
        follower from before the test, with no window open."""
        user = self._users.setdefault(openid, _User(openid))
        if user.following:
            raise ValueError(f"{openid} already follows the account")
        user.following = True
        if not long_ago:
            user.quota.event(self.now)

    def unsubscribe(self, openid: str) -> None:
        """``openid`` unfollows: customer-service sends answer 45015, templates 43004."""
        user = self._follower(openid)
        user.following = False
        user.quota.close()

    def user_message(self, openid: str) -> None:
        """``openid`` writes to the account (or taps a ``msgmenu`` item): 5 sends, 48 hours."""
        self._follower(openid).quota.user_message(self.now)

    def menu_click(self, openid: str) -> None:
        """``openid`` clicks a ``click``/``scancode_*`` menu button: 3 sends for a minute."""
        self._follower(openid).quota.event(self.now)

    def grant_subscription(self, openid: str, template_id: str, times: int = 1) -> None:
        """``openid`` accepts a one-time subscribe notice ``times`` times (a popup per
        consent; followers or not); each ``bizsend`` of that template spends one."""
        if template_id not in self._subscription_templates:
            raise ValueError(f"{template_id!r} is not one of subscription_templates")
        if times < 1:
            raise ValueError("a consent is granted at least once")
        self._users.setdefault(openid, _User(openid)).grants[template_id] += times

    def add_media(self, media_id: str, content: bytes, content_type: str) -> None:
        """A temporary media file (a resident's photo): ``media/get`` answers it, and
        customer-service ``image`` messages may name it."""
        self._media[media_id] = (content, content_type)

    # ---- observing ----------------------------------------------------------------------------

    def sent_to(self, openid: str) -> list[Delivered]:
        """Every message accepted for ``openid``, oldest first."""
        return [m for m in self._delivered if m.openid == openid]

    @property
    def delivered(self) -> list[Delivered]:
        """Every message accepted, for anyone, oldest first."""
        return list(self._delivered)

    @property
    def calls(self) -> list[Call]:
        """Every request to a served path, refused and dropped ones included, in order."""
        return list(self._calls)

    def quota_left(self, openid: str) -> int:
        """How many customer-service sends to ``openid`` would be accepted now."""
        user = self._users.get(openid)
        return 0 if user is None else user.quota.left(self.now)

    async def wait_for(
        self, predicate: Callable[[Delivered], bool], timeout: float = 5.0
    ) -> Delivered:
        """The first accepted message for which ``predicate`` holds.

        Woken by every change, never polling; on timeout the ``TimeoutError`` lists what was
        delivered, which is usually the whole diagnosis.
        """
        try:
            async with asyncio.timeout(timeout):
                while True:
                    found = next((m for m in self._delivered if predicate(m)), None)
                    if found is not None:
                        return found
                    await self._changed.wait()
        except TimeoutError:
            sent = [(m.openid, m.kind, m.content) for m in self._delivered]
            raise TimeoutError(f"no message matched within {timeout}s; sent: {sent}") from None

    # ---- faults -------------------------------------------------------------------------------

    def fail_next(
        self, path: str, errcode: int, errmsg: str | None = None, *, times: int = 1
    ) -> None:
        """Answer the next ``times`` calls of ``path`` with this error instead of serving them
        (``errmsg`` defaults to WeChat's, from :data:`ERRORS`)."""
        if errmsg is None and errcode not in ERRORS:
            raise ValueError(f"no errmsg known for {errcode}; give WeChat's")
        self._queue(path, _Fault("error", WeChatError(errcode, errmsg)), times)

    def drop_next(self, path: str, *, times: int = 1) -> None:
        """Close the connection of the next ``times`` calls of ``path`` without answering."""
        self._queue(path, _Fault("drop"), times)

    def _queue(self, path: str, fault: _Fault, times: int) -> None:
        if path not in self._endpoints:
            raise ValueError(f"the stand-in does not serve {path!r}")
        self._faults.setdefault(path, deque()).extend([fault] * times)

    # ---- HTTP ---------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        endpoint = self._endpoints.get(request.path)
        if endpoint is None:
            return web.Response(status=404, text="404 Not Found (stand-in)")
        query = dict(request.query)
        body, body_error = (
            json_body(await request.read()) if request.method == "POST" else ({}, None)
        )
        self._calls.append(Call(request.method, request.path, query, body, self.now))
        try:
            faults = self._faults.get(request.path)
            if faults:
                return self._inflict(faults.popleft(), request)
            if request.method != endpoint.method:
                raise WeChatError(43001 if endpoint.method == "GET" else 43002)
            if endpoint.needs_token:
                self._check_token(query.get("access_token"))
            if body_error is not None:
                raise body_error
            return await endpoint.serve(query, body)
        except NotModelled as error:
            return web.Response(status=501, text=error.errmsg)
        except WeChatError as error:
            return self._error_response(error)
        finally:
            self._changed.notify_all()

    def _inflict(self, fault: _Fault, request: web.Request) -> web.StreamResponse:
        if fault.error is not None:
            return self._error_response(fault.error)
        if request.transport is not None:
            request.transport.abort()
        return web.Response()  # never written: the connection is gone

    def _error_response(self, error: WeChatError) -> web.Response:
        serial = next(self._rids)
        rid = f"{int(self.now):08x}-{serial:08x}-{zlib.crc32(str(serial).encode()):08x}"
        return json_response({"errcode": error.errcode, "errmsg": f"{error.errmsg} rid: {rid}"})

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise WeChatError(41001)
        if errcode := self._tokens.check(token, self.now):
            raise WeChatError(errcode)

    # ---- tokens -------------------------------------------------------------------------------

    async def _token(self, query: Mapping[str, str], body: JsonDict) -> web.StreamResponse:
        self._check_credentials(query)
        token, expires_in = self._tokens.classic(self.now)
        return json_response({"access_token": token, "expires_in": expires_in})

    async def _stable_token(self, query: Mapping[str, str], body: JsonDict) -> web.StreamResponse:
        self._check_credentials(body)
        force = body.get("force_refresh") is True
        token, expires_in = self._tokens.stable(self.now, force_refresh=force)
        return json_response({"access_token": token, "expires_in": expires_in})

    def _check_credentials(self, params: Mapping[str, object]) -> None:
        if params.get("grant_type") != "client_credential":
            raise WeChatError(40002)
        if not params.get("appid"):
            raise WeChatError(41002)
        if not params.get("secret"):
            raise WeChatError(41004)
        if params["appid"] != self.appid:
            raise WeChatError(40013)
        if params["secret"] != self.secret:
            raise WeChatError(40125)

    # ---- messages -----------------------------------------------------------------------------

    async def _custom_send(self, query: Mapping[str, str], body: JsonDict) -> web.StreamResponse:
        user = self._addressee(body)
        message = custom_message(
            user.openid, body, self.now, media=self._media, verified=self._verified
        )
        if (refusal := user.quota.take(self.now)) is not None:
            raise WeChatError(refusal.value)
        self._deliver(message)
        return json_response({"errcode": 0, "errmsg": "ok"})

    async def _template_send(self, query: Mapping[str, str], body: JsonDict) -> web.StreamResponse:
        user = self._addressee(body)
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or template_id not in self._templates:
            raise WeChatError(40037)
        message = notice(user.openid, body, self.now, "template")
        if not user.following:
            raise WeChatError(43004)
        msgid = next(self._msgids)
        self._deliver(replace(message, msgid=msgid))
        return json_response({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    async def _subscribe_send(self, query: Mapping[str, str], body: JsonDict) -> web.StreamResponse:
        user = self._addressee(body)
        template_id = body.get("template_id")
        if not isinstance(template_id, str) or template_id not in self._subscription_templates:
            raise WeChatError(40037)
        message = notice(user.openid, body, self.now, "subscribe")
        if user.grants[template_id] < 1:
            raise WeChatError(43101)
        user.grants[template_id] -= 1
        self._deliver(message)
        return json_response({"errcode": 0, "errmsg": "ok"})

    async def _media_get(self, query: Mapping[str, str], body: JsonDict) -> web.StreamResponse:
        media_id = query.get("media_id")
        if not media_id:
            raise WeChatError(41006)
        if media_id not in self._media:
            raise WeChatError(40007)
        content, content_type = self._media[media_id]
        extension = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
        disposition = f'attachment; filename="{media_id}{extension}"'
        headers = {"Content-Type": content_type, "Content-disposition": disposition}
        return web.Response(body=content, headers=headers)

    # ---- state --------------------------------------------------------------------------------

    def _addressee(self, body: JsonDict) -> _User:
        touser = body.get("touser")
        user = self._users.get(touser) if isinstance(touser, str) else None
        if user is None:
            raise WeChatError(40003)
        return user

    def _follower(self, openid: str) -> _User:
        user = self._users.get(openid)
        if user is None or not user.following:
            raise ValueError(f"{openid} does not follow the account; subscribe() it first")
        return user

    def _deliver(self, message: Delivered) -> None:
        self._delivered.append(message)  # waiters are woken as the call ends (_handle)
