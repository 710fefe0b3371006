"""What group chats may see: no phone, ID or room number; the building stays visible."""

from __future__ import annotations

import pytest

from nlp.privacy import mask_pii


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我电话13804711234", "我电话138****1234"),
        ("手机 138 0471 1234 找我", "手机 138****1234 找我"),
        ("+86 13804711234", "+86 138****1234"),
        ("１３８０４７１１２３４", "138****1234"),  # full-width digits cannot slip through
        ("座机0471-6912345", "座机0471-****2345"),
        ("电话6912345", "电话****2345"),
        ("身份证150102199003071234", "身份证******************"),
        ("身份证号15010219900307123X", "身份证号******************"),
        ("3号楼2单元502", "3号楼2单元***"),
        ("3单元502室", "3单元***室"),
        ("审计厅小区5号楼1502室暖气不热", "审计厅小区5号楼***室暖气不热"),
        ("5栋1502", "5栋***"),
        ("3-2-502 漏水", "3-2-*** 漏水"),
        ("住502号", "住***号"),
        ("1502房间", "***房间"),
    ],
)
def test_masked(text: str, masked: str) -> None:
    """Each kind of personal number is masked, keeping the shape."""
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "3号楼2单元下水堵了",  # building and unit stay: the worker walks there
        "小区100户居民都停水了",  # a count, not a room
        "3月18号停水",  # a date
        "308号院",  # an address number
        "我家住3楼",  # a floor
        "坐301路公交",
        "今年2026年",
    ],
)
def test_not_masked(text: str) -> None:
    """Numbers that are not personal stay as written."""
    assert mask_pii(text) == text


def test_several_at_once() -> None:
    """A typical card text with phone, room and ID masked together."""
    text = "林业厅小区3号楼2单元502室，电话13904716677，身份证150102199003071234"
    assert mask_pii(text) == "林业厅小区3号楼2单元***室，电话139****6677，身份证******************"
