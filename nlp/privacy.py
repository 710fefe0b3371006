"""Masking of what group chats must not see: phone numbers, ID card numbers and rooms.

A task card in a grid's group chat shows where the problem is down to the building and unit,
because that is what the grid worker walks to; the resident's phone, ID number and room number
go only to the worker who claims the task (DESIGN.md §8). Masking keeps the shape (``138****5678``,
``3单元***``) so readers still see that a number was there.

Residents write numbers every way a keyboard allows: full-width digits, ``138 0013 8000``,
``138.0013.8000``, ID numbers in groups, and — pasted from elsewhere, or on purpose — digits
split by zero-width or other invisible characters. Text is first made :func:`readable` (what a
reader sees: digits folded, invisible characters gone), then numbers may carry a separator or
two between any of their digits. Rooms are found by their shape and their company: after a
building, unit or 门 (``3号楼2门502``), beside the words residents use for neighbours and homes
(楼上402, 对门601, 我是1402的, 1402那家), or standing alone with a room's shape (floor 1–39,
door 01–12) and no unit after them — while years, dates, prices, counts, bus lines,
temperatures and hotlines (110, 12345) stay. ``tests/data/pii.jsonl`` measures both sides
(:mod:`nlp.privacy_score`).
"""

from __future__ import annotations

import re

_MASK = "***"
# Full-width digits (and the X of ID numbers) are folded first so they cannot slip through.
_HALF_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ－＋", "0123456789Xx-+")
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]"
)
"""Characters that show nothing: zero-width spaces and joiners, soft hyphens, word joiners,
bidi marks, embeddings, overrides and isolates, variation selectors, fillers."""
_SEP = r"[ \t\-.]{0,2}"
"""What may stand between two digits of one number: 138 0013 8000, 138-0013-8000, 138.0013.8000."""

_ID_CARD = re.compile(
    rf"(?<![\dXx])\d(?:{_SEP}\d){{14}}(?:(?:{_SEP}\d){{2}}{_SEP}[\dXx])?(?![\dXx])"
)
_MOBILE = re.compile(rf"(?<!\d)(\+?86[ \-]?)?(1{_SEP}[3-9](?:{_SEP}\d){{9}})(?!\d)")
_LANDLINE = re.compile(rf"(?<![\d-])([(（]?0\d{{2,3}}[)）]?){_SEP}(\d(?:{_SEP}\d){{6,7}})(?!\d)")
_PHONE_WORDS = r"电话|手机|座机|固话|号码|联系方式|联系|回电|打|tel|Tel|TEL"
_LOCAL_PHONE = re.compile(
    rf"((?:{_PHONE_WORDS})[^\d\n，。,；;！!？?]{{0,4}}?)(\d{{3,4}}{_SEP}\d{{4}})(?![\d元块万])"
)

# Every rule below looks behind for "*": the last four digits a masked phone keeps (139****1111)
# must not be taken for a room. And a number with a unit after it is not a room:
_UNIT = (
    r"(?:年|月|日|号(?!房)|点|时|分|秒|元|块|角|毛|万|千|百|十|平|米|度|℃|°|人|户|辆|台|只|条|"
    r"个|次|岁|路|层|楼(?![上下顶道])|栋|幢|单元|天(?!天)|周|多|余|来|公里|斤|克|升|吨|%|％|页|张|件|瓶|根|棵|盏|"
    r"口|趟|遍|字|位|名|期|届|级|班|国道|省道|公交)"
)
_DASHED_ROOM = re.compile(rf"(?<![\d-])(\d{{1,3}}-(?:\d{{1,2}}-)?)\d{{3,4}}(?![\d-]|{_UNIT})")
_BARE_PHONE = re.compile(rf"(?<![\d.\-:/*])(?!19|20)[2-9]\d{{2,3}}{_SEP}\d{{4}}(?![\d.:/]|{_UNIT})")
"""A local number with no word before it (宅电6938824, 新号5206617): seven or eight digits
standing alone are a phone in a chat; counts and prices carry a unit, dates start 19 or 20."""
_ROOM_AFTER_PLACE = re.compile(
    rf"((?:\d\s*(?:门|单元)|[一二三四五六七八九十]\s*(?:门|单元)|号楼|栋|幢|#)\s*"
    rf"(?:的|是|住在?|顶楼)?\s*)\d{{2,4}}(?![\d.]|{_UNIT})"
)
_ROOM_AFTER_WORD = re.compile(
    rf"((?:楼上|楼下|对门|对面|对过|隔壁|住在?|我是|我家|我们家|俺家|家住|业主|找一下)"
    rf"(?:的|是|在)?\s*)\d{{3,4}}(?![\d.]|{_UNIT})"
)
_ROOM_BEFORE_WORD = re.compile(
    r"(?<![\d.*])\d{3,4}(?=\s*(?:室|号房|房间|那家|那户|家|户主|业主|住户|门口|"
    r"的(?:[，,。.！!？?\s]|$|业主|住户|户主|老|孩子|小孩|人|狗|猫|窗|门|车|空调|房)))"
)
_ROOM_NUMBER_SIGN = re.compile(r"(?<![\d.*路街道巷])\d{3,4}号(?![楼院线门\d])")
_ROOM_SHAPED = re.compile(
    rf"(?<![\d.\-:/*路街道巷第单号])(?:[1-9]|[1-3]\d)(?:0[1-9]|1[0-2])(?![\d.:/]|{_UNIT})"
)
_NOT_ROOMS = frozenset({"110", "112", "119", "120", "122"} | {str(y) for y in range(1990, 2040)})
"""Hotlines and years that have a room's shape; alone, they are what they look like."""


def readable(text: str) -> str:
    """``text`` as a reader sees it: full-width digits folded, invisible characters removed."""
    return _INVISIBLE.sub("", text.translate(_HALF_WIDTH))


def mask_pii(text: str) -> str:
    """``text`` with phone, ID-card and room numbers masked; buildings and units stay."""
    text = readable(text)
    text = _ID_CARD.sub(lambda m: "*" * len(_digits(m.group())), text)
    text = _MOBILE.sub(lambda m: f"{m.group(1) or ''}{_shape(_digits(m.group(2)))}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}-****{_digits(m.group(2))[-4:]}", text)
    text = _LOCAL_PHONE.sub(lambda m: f"{m.group(1)}****{_digits(m.group(2))[-4:]}", text)
    text = _BARE_PHONE.sub(lambda m: f"****{_digits(m.group())[-4:]}", text)
    text = _DASHED_ROOM.sub(lambda m: f"{m.group(1)}{_MASK}", text)
    text = _ROOM_AFTER_PLACE.sub(lambda m: f"{m.group(1)}{_MASK}", text)
    text = _ROOM_AFTER_WORD.sub(lambda m: f"{m.group(1)}{_MASK}", text)
    text = _ROOM_BEFORE_WORD.sub(_MASK, text)
    text = _ROOM_NUMBER_SIGN.sub(f"{_MASK}号", text)
    return _ROOM_SHAPED.sub(lambda m: m.group() if m.group() in _NOT_ROOMS else _MASK, text)


def phone_number(text: str) -> str | None:
    """The first phone number in ``text`` as a worker dials it (mobile first, then a landline
    or a local number named as a phone); None when the resident gave none."""
    text = _ID_CARD.sub(" ", readable(text))
    if mobile := _MOBILE.search(text):
        return _digits(mobile.group(2))
    if landline := _LANDLINE.search(text):
        return f"{_digits(landline.group(1))}-{_digits(landline.group(2))}"
    if local := _LOCAL_PHONE.search(text):
        return _digits(local.group(2))
    return None


def mask_phone(number: str) -> str:
    """A number from :func:`phone_number` as a group may see it: ``138****1234``,
    ``0471-****1234``."""
    if len(number) == 11 and number.startswith("1"):
        return _shape(number)
    area, dash, local = number.rpartition("-")
    return f"{area}{dash}****{local[-4:]}"


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit() or c in "Xx")


def _shape(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"
