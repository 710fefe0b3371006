"""WeChat's wire format for :mod:`standins.wechat`: error answers, request bodies, messages.

Every answer is HTTP 200 with a JSON body; an error is ``{"errcode": N, "errmsg": "…"}``, the
message followed by `` rid: xxxxxxxx-xxxxxxxx-xxxxxxxx`` as WeChat now appends it (oplatform
``AccessToken.md`` shows ``access_token expired rid: 68aeabxx-21ea79xx-3a4424xx``; older
answers carried ``hint: [...]``), so clients must compare codes, never texts. The English
messages in :data:`ERRORS` are those of WeChat's global return-code table and its per-API
tables, as quoted in answers reported by users.

A POST body must be UTF-8 JSON holding an object (47001 ``data format error`` otherwise). A
body that escapes non-ASCII characters as ``\\uXXXX`` (Python's ``json.dumps`` default,
aiohttp's ``json=``) is refused with 40033, as the global return-code table describes ("不能包含
\\uxxxx格式的字符") and SDKs were fixed for (zwczou/weixin-python #49, callmez/yii2-wechat-sdk
#1); others report such text shown escaped instead. WeChat may have relaxed this since
(dodgepudding/wechat-php-sdk #317 says so), but SDKs send raw UTF-8 (wechatpy
``ensure_ascii=False``), so being strict here costs a client nothing.

The messages the stand-in accepts are kept as :class:`Delivered` records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

from aiohttp import web

JsonDict = dict[str, Any]
Kind = Literal["text", "image", "news", "msgmenu", "template", "subscribe"]

ERRORS: dict[int, str] = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40033: "invalid charset. please check your request, if include \\uxxxx will create fail!",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40200: "invalid account type",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41006: "media_id missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    43101: "user refuse to accept the msg",
    44003: "empty news data",
    44004: "empty content",
    45008: "article size out of limit",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, must slower, retry next minute",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}
"""WeChat's English ``errmsg`` by ``errcode`` (before the `` rid: …`` it appends)."""

JSON_TYPE = "application/json; encoding=utf-8"
_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u([0-9a-fA-F]{4})")
_MODELLED_TYPES: dict[str, Kind] = {k: k for k in ("text", "image", "news", "msgmenu")}
_KNOWN_TYPES = _MODELLED_TYPES.keys() | {
    "voice", "video", "music", "mpnews", "mpnewsarticle", "wxcard", "miniprogrampage", "link"
}  # fmt: skip


class WeChatError(Exception):
    """A refusal, answered as WeChat answers it."""

    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        super().__init__(errcode)
        self.errcode, self.errmsg = errcode, errmsg or ERRORS[errcode]


class NotModelled(WeChatError):
    """A request WeChat would serve but the stand-in does not: answered HTTP 501, loudly."""

    def __init__(self, what: str) -> None:
        super().__init__(-1, f"{what} is not modelled by the stand-in")


class Article(NamedTuple):
    """One article of a ``news`` customer-service message."""

    title: str
    description: str
    url: str
    picurl: str


class MenuItem(NamedTuple):
    """One choice of a ``msgmenu`` message; tapping it sends ``content`` back as a message."""

    id: str
    content: str


@dataclass(frozen=True, slots=True)
class Delivered:
    """A message WeChat accepted for one user, as they would see it."""

    openid: str
    kind: Kind
    time: float
    text: str | None = None
    """``text``: the content; ``msgmenu``: ``head_content``."""
    media_id: str | None = None
    articles: tuple[Article, ...] = ()
    menu: tuple[MenuItem, ...] = ()
    tail: str | None = None
    """``msgmenu``: ``tail_content``."""
    template_id: str | None = None
    data: Mapping[str, str] = field(default_factory=dict)
    """Templates and subscribe notices: each field's ``value``."""
    link: str | None = None
    """A template's ``url`` or a subscribe notice's ``page``."""
    miniprogram: Mapping[str, str] | None = None
    msgid: int | None = None
    """A template's ``msgid``, as answered."""
    body: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The request body as sent."""

    @property
    def content(self) -> str:
        """What the user reads, as one string."""
        if self.kind == "msgmenu":
            lines = [self.text or "", *(item.content for item in self.menu), self.tail or ""]
            return "\n".join(line for line in lines if line)
        if self.kind in {"template", "subscribe"}:
            return "\n".join(self.data.values())
        if self.kind == "news":
            return "\n".join(a.title for a in self.articles)
        return self.text or ""


def json_response(body: JsonDict) -> web.Response:
    """An answer with WeChat's JSON content type, Chinese unescaped."""
    text = json.dumps(body, ensure_ascii=False)
    return web.Response(body=text.encode(), headers={"Content-Type": JSON_TYPE})


def json_body(raw: bytes) -> tuple[JsonDict, WeChatError | None]:
    """A POST body as WeChat reads it, and why WeChat refuses it if it does (the refusal is
    answered only after the token is checked)."""
    try:
        text = raw.decode()
        body = json.loads(text)
    except ValueError:
        return {}, WeChatError(47001)
    if not isinstance(body, dict):
        return {}, WeChatError(47001)
    if any(int(m[1], 16) >= 0x80 for m in _ESCAPE.finditer(text)):
        return body, WeChatError(40033)
    return body, None


def custom_message(
    openid: str, body: JsonDict, now: float, *, media: Mapping[str, object], verified: bool
) -> Delivered:
    """The customer-service message ``body`` describes, refused as WeChat refuses a malformed
    one; ``media``: the media ids an ``image`` may name."""
    kind = body.get("msgtype")
    if not isinstance(kind, str) or kind not in _KNOWN_TYPES:
        raise WeChatError(40008)
    if kind not in _MODELLED_TYPES:
        raise NotModelled(f"msgtype {kind!r}")
    part = body.get(kind)
    if not isinstance(part, dict):
        raise WeChatError(47001)
    base = Delivered(openid, _MODELLED_TYPES[kind], now, body=body)
    if kind == "text":
        content = part.get("content")
        if not isinstance(content, str) or not content:
            raise WeChatError(44004)
        return replace(base, text=content)
    if kind == "image":
        media_id = part.get("media_id")
        if not isinstance(media_id, str) or media_id not in media:
            raise WeChatError(40007)
        return replace(base, media_id=media_id)
    if kind == "news":
        return replace(base, articles=_articles(part.get("articles")))
    if not verified:
        raise WeChatError(40200)
    head, tail = _opt_str(part.get("head_content")), _opt_str(part.get("tail_content"))
    return replace(base, text=head, menu=_menu(part.get("list")), tail=tail)


def notice(
    openid: str, body: JsonDict, now: float, kind: Literal["template", "subscribe"]
) -> Delivered:
    """A template message or subscribe notice as ``body`` describes it (its template already
    checked); the jump is ``url`` for a template, ``page`` for a subscribe notice."""
    data = body.get("data")
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and "value" in v for v in data.values()
    ):
        raise WeChatError(47001)
    link = _opt_str(body.get("url" if kind == "template" else "page"))
    miniprogram = body.get("miniprogram")
    if miniprogram is not None and (
        not isinstance(miniprogram, dict) or not isinstance(miniprogram.get("appid"), str)
    ):
        raise WeChatError(47001)
    return Delivered(
        openid,
        kind,
        now,
        template_id=str(body["template_id"]),
        data={str(k): str(v["value"]) for k, v in data.items()},
        link=link,
        miniprogram=None if miniprogram is None else {k: str(v) for k, v in miniprogram.items()},
        body=body,
    )


def _opt_str(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise WeChatError(47001)
    return value


def _articles(value: object) -> tuple[Article, ...]:
    """A ``news`` message's articles: one, since WeChat cut the limit from 8 to a single
    article (more answer 45008: the doc as copied in 2020, a WxJava user's log)."""
    if not isinstance(value, list) or not value:
        raise WeChatError(44003)
    if len(value) > 1:
        raise WeChatError(45008)
    if not all(isinstance(a, dict) for a in value):
        raise WeChatError(47001)
    keys = ("title", "description", "url", "picurl")
    return tuple(Article(*(str(a.get(k, "")) for k in keys)) for a in value)


def _menu(value: object) -> tuple[MenuItem, ...]:
    if not isinstance(value, list) or not value:
        raise WeChatError(47001)
    items = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            raise WeChatError(47001)
        items.append(MenuItem(str(item.get("id", "")), item["content"]))
    return tuple(items)
