"""Reading a request's body no further than a limit: webhooks and callbacks take small bodies,
and a caller that sends more is not the platform."""

from __future__ import annotations

from aiohttp import web


async def limited_body(request: web.Request, limit: int) -> bytes | None:
    """The request's body, or None once it passes ``limit`` bytes (the rest is not read)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
