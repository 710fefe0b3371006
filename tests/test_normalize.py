"""One matching form for every way residents type."""

from __future__ import annotations

import pytest

from nlp.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("３号楼又停水了", "3号楼又停水了"),  # full-width digits
        ("ＫＴＶ太吵", "ktv太吵"),  # full-width Latin, folded to lower case
        ("停水了😡😡", "停水了"),  # emoji removed
        ("电梯👍🏻坏了", "电梯 坏了"),  # emoji with skin tone: a gap, not glue
        ("电\u200b梯", "电 梯"),  # zero-width space
        ("\u202e停电了\u202c", "停电了"),  # bidi override characters
        ("停\x00电\x07了", "停 电 了"),  # control characters
        ("  楼道灯\n坏了\t ", "楼道灯 坏了"),  # whitespace collapsed and trimmed
        ("", ""),
        ("🙏🙏🙏", ""),
        ("①号楼", "1号楼"),  # circled digits are digits
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    """Each typing habit maps to the same normal form."""
    assert normalize(raw) == expected
