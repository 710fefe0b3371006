"""The client of WeChat's Official Account server API (``https://api.weixin.qq.com``).

What griddesk says to a resident on WeChat goes out here: customer-service messages (text, and
``msgmenu`` choices), template messages, subscribe notices (``bizsend``), and a resident's
photos come in here (``media/get``). ``base_url`` is the seam where tests and ``griddesk shell``
plug in the stand-in (:mod:`standins.wechat`). What each endpoint takes and answers is in
``docs/research/wechat-oa.md``.

WeChat answers HTTP 200 with ``{"errcode": N, "errmsg": "…"}``; the message text changes (a
`` rid: …`` is appended), so codes are read, never texts, and each is turned into what it means
for the caller, in :mod:`bot.errors` terms where the outbox can decide alone and as an error of
its own where the caller must choose another way to reach the resident::

    bot.errors.RetryLater
    └── Throttled          45009 the daily call quota, 45011 the per-minute limit
    bot.errors.TransientDeliveryError     -1 (system busy); no answer, a timeout, a 5xx or
    │                                     anything that is not WeChat's JSON
    └── AccessRefused      WeChat refuses this server the API: a wrong appid or secret, an IP
                           not on the allowlist, or a token fetched a moment ago refused too;
                           nothing is wrong with the message, it waits for an operator
    bot.errors.ChatUnreachable            40003: no such OpenID on this account
    ├── OutsideWindow      45015: no customer-service window open (48 h after the resident's
    │                      last message), or they unfollowed: a template or notice may still go
    ├── QuotaUsed          45047: the window's 5 messages are spent: a template may still go
    ├── NotFollowing       43004: template messages only reach followers
    └── NoSubscription     43101: no subscribe-notice consent left for that template
    bot.errors.Undeliverable
    └── Refused            any other code: the request itself is wrong (a template id, a field)
        └── UnknownMedia   40007: the media id is unknown or expired (temporary media: 3 days)

A token WeChat refuses as invalid or expired (40001, 40014, 42001) is replaced once through the
:class:`~handlers.tencent.tokens.TokenKeeper` and the call made again; refused again, the call
raises :class:`AccessRefused` rather than fetching for ever.

JSON bodies go out as UTF-8 with Chinese unescaped (``ensure_ascii=False``): WeChat refuses
``\\uXXXX`` escapes with 40033. The access token travels in the URL, so nothing here logs or
raises a URL: errors name the path, and an HTTP library's error text is stripped of the token.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import aiohttp

from bot.errors import (
    ChatUnreachable,
    TransientDeliveryError,
    Undeliverable,
)
from bot.ports import Store
from handlers.tencent.client import (
    AccessRefused,
    JsonDict,
    PlatformRefused,
    StaleToken,
    TencentClient,
    Throttled,
    said,
)
from handlers.tencent.tokens import TokenKeeper, utc_now

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.weixin.qq.com"

STABLE_TOKEN = "/cgi-bin/stable_token"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
SUBSCRIBE_SEND = "/cgi-bin/message/subscribe/bizsend"
MEDIA_GET = "/cgi-bin/media/get"

MAX_MEDIA_BYTES = 20 * 1024 * 1024
"""A download larger than this is refused: temporary media are at most 10 MB (images, videos),
so anything bigger is not WeChat's file."""


_STALE_TOKEN = frozenset({40001, 40014, 42001})
_ACCESS = frozenset({40002, 40013, 40125, 40164, 41002, 41004})
"""Codes that refuse the account or this server, not the call: a grant type, appid or secret
wrong or missing, an IP not on the allowlist."""
_WAITS = {45009: 3600.0, 45011: 60.0}
"""Seconds to wait on a spent call quota. The daily one (45009) resets at midnight or when an
operator clears it (``/cgi-bin/clear_quota``): an hour wastes few calls and loses little time."""


class OutsideWindow(ChatUnreachable):
    """45015: no customer-service window is open for this resident (none in the 48 h since
    their last message, or they unfollowed); a template or subscribe notice may still reach
    them, and their next message opens a window again."""


class QuotaUsed(ChatUnreachable):
    """45047: the open window's customer-service messages are spent (5 per 48 h); a template
    or subscribe notice may still reach the resident."""


class NotFollowing(ChatUnreachable):
    """43004: template messages reach followers only; a subscribe notice may still go."""


class NoSubscription(ChatUnreachable):
    """43101: the resident has no consent left for this subscribe-notice template (one-time
    consents are spent by each send); they must be asked again."""


class Refused(PlatformRefused):
    """WeChat refuses the request itself (a template id, a field, the account type): sending
    it again as it is would be refused again."""

    platform = "WeChat"


class UnknownMedia(Refused):
    """40007: WeChat has no such media id (a temporary file is kept for 3 days)."""


_UNREACHABLE: dict[int, type[ChatUnreachable]] = {
    40003: ChatUnreachable,
    43004: NotFollowing,
    43101: NoSubscription,
    45015: OutsideWindow,
    45047: QuotaUsed,
}


class WeChatApi(TencentClient):
    """One Official Account's API, over one HTTP session opened by ``async with``.

    ``store`` keeps the access token all instances share (:class:`TokenKeeper`, as
    :attr:`tokens`); ``clock`` is the keeper's, to judge the token's expiry; ``instance`` names
    this process in the stored token's ``fetched_by``. ``timeout``: seconds for a whole call;
    ``media_timeout`` for a download.
    """

    platform = "WeChat"

    def __init__(
        self,
        appid: str,
        secret: str,
        store: Store,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        media_timeout: float = 60.0,
        clock: Callable[[], datetime] = utc_now,
        instance: str | None = None,
    ) -> None:
        super().__init__(secret=secret, base_url=base_url, timeout=timeout)
        self._appid = appid
        self._media_timeout = aiohttp.ClientTimeout(total=media_timeout)
        self.tokens = TokenKeeper(
            store, f"wechat:{appid}", self._fetch_token, clock=clock, instance=instance
        )

    def __repr__(self) -> str:
        return f"WeChatApi(appid={self._appid!r}, base_url={self._base_url!r})"

    # ---- messages -----------------------------------------------------------------------------

    async def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message: inside the resident's window only (5 per 48 h)."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        await self._post(CUSTOM_SEND, body)

    async def send_menu(
        self, openid: str, head: str, items: Sequence[tuple[str, str]], tail: str = ""
    ) -> None:
        """A customer-service ``msgmenu``: ``head``, one tappable line per ``(id, text)`` and
        ``tail``. A tap comes back as the resident's text message (with ``bizmsgmenuid``); ids
        should be digits, which WeChat is reported to return reliably."""
        choices = [{"id": item_id, "content": content} for item_id, content in items]
        menu = {"head_content": head, "list": choices, "tail_content": tail}
        await self._post(CUSTOM_SEND, {"touser": openid, "msgtype": "msgmenu", "msgmenu": menu})

    async def send_template(
        self, openid: str, template_id: str, data: Mapping[str, str], url: str | None = None
    ) -> int:
        """A template message to a follower, any time; ``data`` maps the template's fields
        (``thing1``, ``time2`` …) to their values; ``url`` opens on a tap. Its ``msgid``."""
        body: JsonDict = {"touser": openid, "template_id": template_id, "data": _fields(data)}
        if url is not None:
            body["url"] = url
        answer = await self._post(TEMPLATE_SEND, body)
        msgid = answer.get("msgid")
        if not isinstance(msgid, int):
            raise TransientDeliveryError(f"WeChat {TEMPLATE_SEND} answered no msgid")
        return msgid

    async def send_subscribe(
        self, openid: str, template_id: str, data: Mapping[str, str], page: str | None = None
    ) -> None:
        """A subscribe notice (``bizsend``), spending one of the resident's consents to
        ``template_id``; ``page`` opens on a tap."""
        body: JsonDict = {"touser": openid, "template_id": template_id, "data": _fields(data)}
        if page is not None:
            body["page"] = page
        await self._post(SUBSCRIBE_SEND, body)

    # ---- media --------------------------------------------------------------------------------

    async def media(self, media_id: str) -> tuple[bytes, str]:
        """A temporary media file a resident sent (a photo): its bytes and ``Content-Type``."""

        async def download(token: str) -> tuple[bytes, str]:
            query = {"access_token": token, "media_id": media_id}
            return await self._http(
                "GET", MEDIA_GET, query, body=None, timeout=self._media_timeout, read=self._file
            )

        return await self._with_token(download)

    # ---- the wire -----------------------------------------------------------------------------

    async def _post(self, path: str, body: JsonDict) -> JsonDict:
        """POST ``body`` with the shared token; WeChat's answer, its errcode 0."""

        async def call(token: str) -> JsonDict:
            answer = await self._json("POST", path, {"access_token": token}, body=body)
            _check(path, answer)
            return answer

        return await self._with_token(call)

    async def _fetch_token(self, force: bool) -> tuple[str, int]:
        """``stable_token`` (the :class:`TokenKeeper`'s fetch): the token and its seconds."""
        body = {
            "grant_type": "client_credential",
            "appid": self._appid,
            "secret": self._secret,
            "force_refresh": force,
        }
        answer = await self._json("POST", STABLE_TOKEN, {}, body=body)
        try:
            _check(STABLE_TOKEN, answer)
        except StaleToken as refused:  # here it can only mean the credentials
            raise AccessRefused(str(refused)) from None
        token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise TransientDeliveryError(f"WeChat {STABLE_TOKEN} answered no token")
        return token, expires_in

    async def _file(self, path: str, response: aiohttp.ClientResponse) -> tuple[bytes, str]:
        """A downloaded file and its type; WeChat answers a refusal as JSON (or as JSON
        labelled ``text/plain``) instead of the file."""
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        if content_type.split(";")[0].strip().lower() in {"application/json", "text/plain"}:
            answer = await self._json_answer(path, response)
            _check(path, answer)
            # a video's answer is {"video_url": …}, a link rather than the file
            raise Undeliverable(f"WeChat {path} answered a JSON object, not a file")
        if (response.content_length or 0) > MAX_MEDIA_BYTES:
            raise Undeliverable(f"WeChat {path} offered {response.content_length} bytes")
        content = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            content += chunk
            if len(content) > MAX_MEDIA_BYTES:
                raise Undeliverable(f"WeChat {path} sent more than {MAX_MEDIA_BYTES} bytes")
        return bytes(content), content_type


def _check(path: str, answer: Mapping[str, Any]) -> None:
    """Return when WeChat says ok (``errcode`` 0 or absent); else raise what the code means."""
    errcode = answer.get("errcode", 0)
    if errcode == 0:
        return
    errmsg = str(answer.get("errmsg", ""))
    if not isinstance(errcode, int):
        raise TransientDeliveryError(f"WeChat {path} answered errcode {errcode!r}")
    if errcode in _STALE_TOKEN:
        raise StaleToken("WeChat", path, errcode)
    meaning = said("WeChat", path, errcode, errmsg)
    if errcode == -1:
        raise TransientDeliveryError(meaning)
    if errcode in _WAITS:
        raise Throttled(_WAITS[errcode], meaning)
    if errcode in _ACCESS:
        raise AccessRefused(meaning)
    if (unreachable := _UNREACHABLE.get(errcode)) is not None:
        raise unreachable(meaning)
    if errcode == 40007:
        raise UnknownMedia(path, errcode, errmsg)
    raise Refused(path, errcode, errmsg)


def _fields(data: Mapping[str, str]) -> JsonDict:
    """A template's values as WeChat wants them: ``{"thing1": {"value": "…"}}``."""
    return {name: {"value": value} for name, value in data.items()}
