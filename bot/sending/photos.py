"""A photo kept in the database, read to be uploaded to a channel.

A WeChat resident's photo is fetched from WeChat while the message is handled and kept with
the task (``media:<id>``, :func:`bot.ports.kept_photo`); each channel that shows it (a Telegram
card, a WeCom image message) uploads its bytes. Reading them is the same everywhere: a busy
store is transient (the outbox tries again), a photo no longer kept (erased with its resident)
is None, and the file is named by its id with the extension its content type calls for.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from bot.errors import StoreBusy, TransientDeliveryError
from bot.ports import Store


@dataclass(frozen=True, slots=True)
class PhotoFile:
    """A kept photo as an upload takes it."""

    content: bytes
    mime: str
    filename: str


async def read_kept_photo(store: Store, media_id: int) -> PhotoFile | None:
    """Kept media ``media_id`` as a file; None when it is not kept (any more)."""
    try:
        async with store.transaction() as tx:
            kept = await tx.media(media_id)
    except StoreBusy as exc:
        raise TransientDeliveryError(f"photo media:{media_id} could not be read: {exc}") from exc
    if kept is None:
        return None
    content, content_type = kept
    mime = content_type.split(";")[0].strip() or "application/octet-stream"
    filename = f"photo-{media_id}{mimetypes.guess_extension(mime) or ''}"
    return PhotoFile(content, mime, filename)
