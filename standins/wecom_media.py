"""Temporary media (临时素材) as the WeCom stand-in (:mod:`standins.wecom`) keeps it.

Why it exists: a resident's photo reaches a grid worker on WeCom as an image message, which
names a ``media_id`` that ``media/upload`` handed out; both calls must be refused here as
WeCom refuses them, or a test could pass with an upload or a send WeCom would not take.

What WeCom says, and where ("Doc N" is developer.work.weixin.qq.com/document/path/N):

- Doc 90253 上传临时素材 (the same page for service providers is Doc 96484, updated
  2024-07-22; also quoted in the CPAN module ``QQ::weixin::work::media``):
  ``POST /cgi-bin/media/upload?access_token=…&type=TYPE``, "使用multipart/form-data POST上传文件,
  文件标识名为"media"", ``type`` one of image, voice, video, file; the form part "应包含有
  filename、filelength、content-type等信息"; the answer is ``{"errcode": 0, "errmsg": "",
  "type": "image", "media_id": "…", "created_at": "1380000000"}`` (``created_at`` a string);
  "素材上传得到media_id，该media_id仅三天内有效".
- Doc 91054 素材管理 › 概述 (updated 2022-09-13, copy in ``wxkingstar/doc-hub-mcp``): "所有文件
  size必须大于5个字节", "图片（image）：10MB，支持JPG,PNG格式" (older copies of the page said
  2MB).
- Doc 90313 全局错误码 (copy updated 2025-10-09): 40004 不合法的媒体文件类型, 40005 不合法的type
  参数, 40006 不合法的文件大小, 40007 不合法的media_id参数 (its help: the media_id expired —
  "有效期均为3天" — or is of the wrong kind, "比如发送图片消息，此时不能用音频文件的media_id"),
  40009 上传图片大小不是有效值, 41006 缺少media_id参数, 44001 多媒体文件为空.

Guesses (no source says which code for which fault): 44001 for a body that is not
multipart/form-data, has no part named ``media`` or whose ``media`` part has no filename or is
empty; 40006 for 1 to 5 bytes; 40009 for an image over 10 MB; 40004 for bytes that are neither
JPEG (``FF D8 FF``) nor PNG (the 8-byte signature) whatever the part's Content-Type says
(Doc 90313 also has 40123 上传临时图片素材，图片格式非法, which WeCom may answer instead); 41006 for
an image message without ``image.media_id``; 40007, not 40145 (mediaid已过期失效), for an
expired one; the order of the checks.

Not modelled: ``type`` voice, video and file (refused with 40005 naming the stand-in),
``filelength`` (not checked), ``media/get``, permanent media and ``media/uploadimg``, media
shared between apps of one corp, and a media_id used by another corp.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from standins.wecom_errors import WeComError

__all__ = ["MEDIA_SECONDS", "Form", "Media", "MediaStore", "Part", "read_form"]

JsonDict = dict[str, Any]

MEDIA_SECONDS = 3 * 86400
"""How long a media_id may be used: "仅三天内有效" (Doc 90253)."""
MIN_BYTES = 6
"""The smallest file: "所有文件size必须大于5个字节" (Doc 91054)."""
MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""The largest image: "图片（image）：10MB" (Doc 91054)."""
FIELD = "media"
"""The form field the file travels in ("文件标识名为"media"", Doc 90253)."""
_TYPES = frozenset({"image", "voice", "video", "file"})
_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a multipart/form-data body, as it came."""

    name: str
    filename: str | None
    content_type: str | None
    content: bytes


@dataclass(frozen=True, slots=True)
class Form:
    """A multipart/form-data body's parts; none when the body was not one."""

    parts: tuple[Part, ...] = ()

    def file(self) -> Part | None:
        """The ``media`` part, if there is one."""
        return next((part for part in self.parts if part.name == FIELD), None)


@dataclass(frozen=True, slots=True)
class Media:
    """A file WeCom keeps for three days after its upload, known by ``media_id``."""

    media_id: str
    type: str
    content: bytes
    filename: str
    content_type: str | None
    created_at: int


async def read_form(request: web.Request) -> Form:
    """The parts of ``request``'s multipart/form-data body, parsed by aiohttp; an empty form
    when the body is not multipart/form-data or cannot be parsed as such."""
    if request.content_type != "multipart/form-data":
        await request.read()
        return Form()
    parts: list[Part] = []
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):  # a nested multipart: not a file
                await part.release()
                continue
            content = await part.read(decode=True)
            parts.append(
                Part(part.name or "", part.filename, part.headers.get(hdrs.CONTENT_TYPE), content)
            )
    except ValueError:  # a broken boundary or header: WeCom finds no file in it
        return Form()
    return Form(tuple(parts))


class MediaStore:
    """The app's temporary media: uploads checked as WeCom checks them, media_ids issued and
    looked up for an image message. Time is the caller's ``now`` (the stand-in's clock)."""

    def __init__(self) -> None:
        self._media: dict[str, Media] = {}
        self._counter: Iterator[int] = itertools.count(1)

    def upload(self, query: Mapping[str, str], form: Form, now: float) -> JsonDict:
        """``media/upload``'s answer for an authorised call, or :class:`WeComError`."""
        kind = query.get("type")
        if kind not in _TYPES:
            raise WeComError(40005)
        if kind != "image":
            raise WeComError(40005, f"type {kind} is not modelled by the stand-in")
        part = form.file()
        if part is None or not part.filename or not part.content:
            raise WeComError(44001)
        size = len(part.content)
        if size < MIN_BYTES:
            raise WeComError(40006)
        if size > MAX_IMAGE_BYTES:
            raise WeComError(40009)
        if not part.content.startswith((_JPEG, _PNG)):
            raise WeComError(40004)
        media_id = f"standin-media-{next(self._counter):06d}-{int(now)}"
        created = int(now)
        self._media[media_id] = Media(
            media_id, kind, part.content, part.filename, part.content_type, created
        )
        return {
            "errcode": 0,
            "errmsg": "",
            "type": kind,
            "media_id": media_id,
            "created_at": str(created),
        }

    def image(self, params: JsonDict, now: float) -> Media:
        """The image an ``image`` message names, or :class:`WeComError`: no media_id (41006),
        one never issued, issued for another type, or older than three days (40007)."""
        body = params.get("image")
        media_id = body.get("media_id") if isinstance(body, dict) else None
        if not isinstance(media_id, str) or not media_id:
            raise WeComError(41006)
        media = self._media.get(media_id)
        if media is None or media.type != "image" or now >= media.created_at + MEDIA_SECONDS:
            raise WeComError(40007)
        return media

    def get(self, media_id: str) -> Media:
        """A media the app uploaded, expired or not (what a member was shown stays shown)."""
        media = self._media.get(media_id)
        if media is None:
            raise ValueError(f"the stand-in issued no media_id {media_id!r}")
        return media
