"""One matching form for every way residents type."""

from __future__ import annotations

import pytest

from bot.config.settings import ClassifierSettings
from bot.language import build_language
from nlp.normalize import normalize
from nlp.taxonomy import Category


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
        ("樓道燈壞了", "楼道灯坏了"),  # traditional characters read as simplified
        ("乾淨的乾隆公園", "干净的乾隆公园"),  # phrase by phrase: a name keeps its 乾
        ("楼道灯坏了", "楼道灯坏了"),  # simplified text is left as it is
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    """Each typing habit maps to the same normal form."""
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("電梯壞了，困在裡面出不來", "电梯坏了，困在里面出不来"),
        ("樓下燒烤攤噪音擾民", "楼下烧烤摊噪音扰民"),
        ("小區門口亂停車", "小区门口乱停车"),
        ("廚房一股煤氣味", "厨房一股煤气味"),
    ],
)
def test_traditional_characters_classify_as_simplified(traditional: str, simplified: str) -> None:
    """A resident whose phone types traditional characters is understood as well as any other:
    the same category and the same urgency (the rules are written in simplified characters)."""
    language = build_language(ClassifierSettings())
    expected = language.classify(simplified)
    assert expected.category is not Category.OTHER
    got = language.classify(traditional)
    assert (got.category, got.urgent) == (expected.category, expected.urgent)
