"""Kept media (a WeChat resident's photos) in the store: kept byte for byte, and gone when no
task or waiting report names them any longer — the task forgotten, the resident erased, or,
for a photo nothing ever named, the retention sweep — but never while a task still shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain import Draft, DraftReason, Resident, TaskStatus
from bot.ports import TaskChange, kept_media_id, kept_photo
from storage.sql_store import SqlStore
from tests.store_support import ALICE, DAY, NOW, new_task

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) + b"\xff\xd9"
"""A photo's first and last bytes around every byte value, NUL included."""


async def _keep(store: SqlStore, content: bytes = JPEG, at: int = 0) -> int:
    """Keep ``content`` ``at`` days after NOW; its id."""
    async with store.transaction() as tx:
        return await tx.keep_media(content, "image/jpeg", NOW + timedelta(days=at))


async def _kept(store: SqlStore, *media_ids: int) -> list[int]:
    """Which of ``media_ids`` are still kept."""
    async with store.transaction() as tx:
        return [media_id for media_id in media_ids if await tx.media(media_id) is not None]


def test_a_photo_reference_names_kept_media_and_nothing_else() -> None:
    """``media:<id>`` round-trips; a Telegram file id, a malformed one or none names nothing."""
    assert kept_photo(12) == "media:12"
    assert kept_media_id(kept_photo(12)) == 12
    for photo in ("AgACAgUAAxkBAAI00000001", "media:", "media:1x", "media:١٢", None):
        assert kept_media_id(photo) is None, photo


@pytest.mark.asyncio
async def test_kept_media_come_back_byte_for_byte(store: SqlStore) -> None:
    """Bytes and content type as kept; each keeping is its own row; an unknown id is None."""
    first = await _keep(store)
    second = await _keep(store, b"\x89PNG\r\n\x1a\n")
    assert first != second
    async with store.transaction() as tx:
        assert await tx.media(first) == (JPEG, "image/jpeg")
        assert await tx.media(second) == (b"\x89PNG\r\n\x1a\n", "image/jpeg")
        assert await tx.media(second + 1000) is None


@pytest.mark.asyncio
async def test_forgetting_a_task_deletes_its_kept_photos_unless_another_task_shows_them(
    store: SqlStore,
) -> None:
    """A forgotten task's kept photos go; one the task it was merged into shows too stays, as
    do a Telegram file id's task and another task's photos."""
    own, shared, other = await _keep(store), await _keep(store), await _keep(store)
    photos = (kept_photo(own), kept_photo(shared), "AgACAgUAAxkBAAI00000001")
    async with store.transaction() as tx:
        await tx.save_resident(ALICE)
        merged = await tx.add_task(new_task(photo=photos[0], photos=photos), DAY)
        survivor = await tx.add_task(
            new_task(photo=kept_photo(other), photos=(kept_photo(other), kept_photo(shared))), DAY
        )
        await tx.change_task(merged.id, TaskChange(status=TaskStatus.MERGED))
    async with store.transaction() as tx:
        await tx.forget_tasks([merged.id])
    assert await _kept(store, own, shared, other) == [shared, other]

    async with store.transaction() as tx:
        await tx.forget_tasks([survivor.id])
    assert await _kept(store, own, shared, other) == []


@pytest.mark.asyncio
async def test_erasing_a_resident_deletes_the_photos_of_their_tasks_and_waiting_report(
    store: SqlStore,
) -> None:
    """forget_resident: the kept photos of their task and of their draft go; nobody else's."""
    filed, waiting, someone_elses = await _keep(store), await _keep(store), await _keep(store)
    async with store.transaction() as tx:
        await tx.save_resident(ALICE)
        await tx.add_task(new_task(photo=kept_photo(filed), photos=(kept_photo(filed),)), DAY)
        draft = Draft(ALICE.user_id, "", (kept_photo(waiting),), DraftReason.NEED_TEXT, NOW)
        await tx.save_draft(draft)
        await tx.save_resident(Resident("telegram:7", "telegram:7", "李师傅"))
        await tx.save_draft(
            Draft("telegram:7", "", (kept_photo(someone_elses),), DraftReason.NEED_TEXT, NOW)
        )
    async with store.transaction() as tx:
        await tx.forget_resident(ALICE.user_id)
    assert await _kept(store, filed, waiting, someone_elses) == [someone_elses]


@pytest.mark.asyncio
async def test_the_retention_sweep_deletes_old_photos_that_nothing_names(store: SqlStore) -> None:
    """drop_old_messages: a photo kept before the cutoff that no task or draft names goes (its
    report expired, or the flood guard dropped it); one a task shows, one a draft holds and a
    recent one stay."""
    orphan, shown, drafted = await _keep(store), await _keep(store), await _keep(store)
    recent = await _keep(store, at=30)
    async with store.transaction() as tx:
        await tx.save_resident(ALICE)
        await tx.add_task(new_task(photo=kept_photo(shown), photos=(kept_photo(shown),)), DAY)
        draft = Draft(ALICE.user_id, "", (kept_photo(drafted),), DraftReason.NEED_TEXT, NOW)
        await tx.save_draft(draft)
    async with store.transaction() as tx:
        assert await tx.drop_old_messages(NOW + timedelta(days=1)) == 1
    assert await _kept(store, orphan, shown, drafted, recent) == [shown, drafted, recent]
