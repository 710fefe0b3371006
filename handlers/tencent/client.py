"""What the WeChat and WeCom API clients share: one HTTP session, the shared access token and
the wire, each platform's ``errcode`` table staying with its client.

Both platforms answer HTTP 200 with a JSON object, ``errcode`` 0 or absent for success; both
put the access token in the URL, so nothing here logs or raises a URL, and an HTTP library's
error text is stripped of the token and the secret; both refuse a stale token by code, after
which the call is made once more with another (:meth:`TencentClient._with_token`). A client
subclasses :class:`TencentClient`, names its :attr:`~TencentClient.platform`, sets its
:attr:`~TencentClient.tokens` and reads codes in its own ``_check``, raising
:class:`StaleToken` for the codes that mean the token.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar

import aiohttp

from bot.errors import RetryLater, TransientDeliveryError, Undeliverable
from handlers.tencent.errmsg import errmsg_core
from handlers.tencent.tokens import TokenKeeper

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
T = TypeVar("T")
_JSON = "application/json; charset=utf-8"


class Throttled(RetryLater):
    """A call quota is spent: wait ``seconds``, then try again."""

    def __init__(self, seconds: float, why: str) -> None:
        super().__init__(seconds)
        self.why = why

    def __str__(self) -> str:
        return f"{self.why}; retry after {self.seconds:g} s"


class AccessRefused(TransientDeliveryError):
    """The platform refuses this server its API (wrong credentials, an address not trusted, a
    fresh token refused): nothing is wrong with the message, it waits for an operator."""


class PlatformRefused(Undeliverable):
    """The platform refuses the request itself: sending it again as it is would be refused
    again. Its ``path``, ``errcode`` and ``errmsg`` are kept for the caller."""

    platform: ClassVar[str] = "Tencent"

    def __init__(self, path: str, errcode: int, errmsg: str) -> None:
        super().__init__(said(self.platform, path, errcode, errmsg))
        self.path, self.errcode, self.errmsg = path, errcode, errmsg


class StaleToken(Exception):
    """The call's token was refused: fetch another, call again once."""

    def __init__(self, platform: str, path: str, errcode: int) -> None:
        super().__init__(f"{platform} {path} refused the access token ({errcode})")
        self.path, self.errcode = path, errcode


class TencentClient:
    """One platform's API over one HTTP session, opened by ``async with``."""

    platform: ClassVar[str]
    """``WeChat`` or ``WeCom``, in every error's text."""
    tokens: TokenKeeper
    """The access token all instances share (set by the subclass)."""

    def __init__(self, *, secret: str, base_url: str, timeout: float) -> None:
        self._secret = secret
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError(f"the {self.platform} API client is open already")
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _with_token(self, call: Callable[[str], Awaitable[T]]) -> T:
        """``call`` with the shared token; once more with another if the platform refuses it."""
        self._require_session()  # before the token: its fetch would need the session too
        token = await self.tokens.token()
        try:
            return await call(token)
        except StaleToken as refused:
            log.warning("%s %s refused the access token (%d); getting another",
                        self.platform, refused.path, refused.errcode)  # fmt: skip
        token = await self.tokens.refresh(token)
        try:
            return await call(token)
        except StaleToken as again:
            raise AccessRefused(
                f"{self.platform} {again.path} refused a new access token too ({again.errcode})"
            ) from None

    async def _http(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        *,
        body: JsonDict | None,
        read: Callable[[str, aiohttp.ClientResponse], Awaitable[T]],
        timeout: aiohttp.ClientTimeout | None = None,
        form: aiohttp.FormData | None = None,
    ) -> T:
        """One request with a JSON ``body`` or a multipart ``form`` (an upload); ``read`` makes
        the answer of a 200. No answer, or another status, is transient; the error never
        carries the URL (it holds the token, or the secret)."""
        session = self._require_session()
        data: bytes | aiohttp.FormData | None = form
        headers = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers = {"Content-Type": _JSON}
        try:
            async with session.request(
                method,
                self._base_url + path,
                params=query,
                data=data,
                headers=headers,
                timeout=timeout or self._timeout,
                allow_redirects=False,
            ) as response:
                if response.status != 200:
                    raise TransientDeliveryError(
                        f"{self.platform} {path} answered HTTP {response.status}"
                    )
                return await read(path, response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            why = without(str(exc), query.get("access_token"), self._secret)
            raise TransientDeliveryError(
                f"{self.platform} {path} did not answer: {type(exc).__name__} {why}".rstrip()
            ) from None

    async def _json(
        self, method: str, path: str, query: Mapping[str, str], *, body: JsonDict | None
    ) -> JsonDict:
        """One request and the platform's JSON answer (its errcode not yet read)."""
        return await self._http(method, path, query, body=body, read=self._json_answer)

    async def _json_answer(self, path: str, response: aiohttp.ClientResponse) -> JsonDict:
        """The JSON object the platform answers (whatever ``Content-Type`` it names); anything
        else, a proxy's page for one, is transient."""
        raw = await response.read()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise TransientDeliveryError(
                f"{self.platform} {path} answered something that is not its JSON"
            )
        return answer

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError(f"the {self.platform} API client is not open: use `async with`")
        return self._session


def said(platform: str, path: str, errcode: int, errmsg: str) -> str:
    """An error's text: which platform, which call, the code and what it means."""
    return f"{platform} {path} answered {errcode}: {errmsg_core(errmsg)}"


def without(text: str, *secrets: str | None) -> str:
    """``text`` with every secret in it blotted out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
