"""Masking of what group chats must not see: phone numbers, ID card numbers and rooms.

A task card in a grid's group chat shows where the problem is down to the building and unit,
because that is what the grid worker walks to; the resident's phone, ID number and room number
go only to the worker who claims the task (DESIGN.md §8). Masking keeps the shape (``138****5678``,
``3单元***``) so readers still see that a number was there.
"""

from __future__ import annotations

import re

_MASK = "***"
# Full-width digits (and the X of ID numbers) are folded first so they cannot slip through.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－＋", "0123456789Xx-+")

# Order matters: ID numbers contain phone-like runs, and "3-2-502" contains a landline-like run.
_ID_CARD = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?![\dXx])")
_MOBILE = re.compile(r"(?<!\d)(\+?86[-\s]?)?(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<![\d-])(0\d{2,3})[-\s]?(\d{3,4})(\d{4})(?!\d)")
_LOCAL_PHONE = re.compile(
    r"((?:电话|手机|座机|联系方式|联系|tel|Tel|TEL)[:：\s]*)(\d{3,4})(\d{4})(?!\d)"
)
_DASHED_ROOM = re.compile(r"(?<![\d-])(\d{1,3}-\d{1,2}-)\d{3,4}(?![\d-])")
_ROOM_AFTER_UNIT = re.compile(
    r"((?:\d{1,2}|[一二三四五六七八九十]{1,2})\s*单元\s*)\d{2,4}(\s*(?:室|号|房|户))?"
)
_ROOM_AFTER_BUILDING = re.compile(r"((?:号楼|栋|幢|#)\s*)\d{3,4}(\s*(?:室|号|房|户))?(?!\d)")
_ROOM = re.compile(r"(?<![\d.])\d{3,4}(\s*(?:室|号房|房间))")
_ROOM_NUMBER_SIGN = re.compile(r"(?<![\d.])\d{3,4}号(?![楼院线门])")


def mask_pii(text: str) -> str:
    """``text`` with phone, ID-card and room numbers masked; buildings and units stay."""
    text = text.translate(_HALF_WIDTH)
    text = _ID_CARD.sub(lambda m: "*" * len(m.group()), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)
    text = _LOCAL_PHONE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _DASHED_ROOM.sub(lambda m: f"{m.group(1)}{_MASK}", text)
    text = _ROOM_AFTER_UNIT.sub(lambda m: f"{m.group(1)}{_MASK}{m.group(2) or ''}", text)
    text = _ROOM_AFTER_BUILDING.sub(lambda m: f"{m.group(1)}{_MASK}{m.group(2) or ''}", text)
    text = _ROOM.sub(lambda m: f"{_MASK}{m.group(1)}", text)
    return _ROOM_NUMBER_SIGN.sub(f"{_MASK}号", text)


def phone_number(text: str) -> str | None:
    """The first phone number in ``text`` as a worker dials it (mobile first, then a landline
    or a local number named as a phone); None when the resident gave none."""
    text = _ID_CARD.sub(" ", text.translate(_HALF_WIDTH))
    if mobile := _MOBILE.search(text):
        return "".join(mobile.group(2, 3, 4))
    if landline := _LANDLINE.search(text):
        return f"{landline.group(1)}-{landline.group(2)}{landline.group(3)}"
    if local := _LOCAL_PHONE.search(text):
        return local.group(2) + local.group(3)
    return None


def mask_phone(number: str) -> str:
    """A number from :func:`phone_number` as a group may see it: ``138****1234``,
    ``0471-****1234``."""
    if len(number) == 11 and number.startswith("1"):
        return f"{number[:3]}****{number[-4:]}"
    area, dash, local = number.rpartition("-")
    return f"{area}{dash}****{local[-4:]}"
