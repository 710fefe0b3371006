"""What group chats may see: no phone, ID or room number; the building stays visible."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.privacy import mask_pii
from nlp.privacy_score import load, score


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
        # rooms without a marker, by the words residents use for neighbours and homes
        ("楼上402天天跺脚", "楼上***天天跺脚"),
        ("对门601堆了杂物", "对门***堆了杂物"),
        ("我是1402的，停水了", "我是***的，停水了"),
        ("3号楼2门502暖气不热", "3号楼2门***暖气不热"),
        ("1402那家装修", "***那家装修"),
        ("102扩院子占了绿地", "***扩院子占了绿地"),  # a room's shape, alone
        # numbers split by what a reader does not see, or by dots, spaces and dashes
        ("电话138\u200b0471\u200d1234", "电话138****1234"),
        ("楼上4\u200b02漏水", "楼上***漏水"),
        ("回电138.0471.1234", "回电138****1234"),
        ("138-0471-1234找我", "138****1234找我"),
        ("我的号1380 4711 234", "我的号138****1234"),
        ("(0471)6912345", "(0471)-****2345"),
        ("身份证150102 19900307 123X", "身份证******************"),
        ("身份证1501 0219 9003 0712 34", "身份证******************"),
        ("打我家6912345", "打我家****2345"),
        ("宅电6938824 老人在家", "宅电****8824 老人在家"),  # seven digits alone: a phone
        ("有问题打13900001111", "有问题打139****1111"),  # the four kept digits are no room
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
        "12月5号到12月8号停了3天",
        "2024.12.05停水",
        "暖气费2650元，屋里才16.5度，零下20度",
        "坐52路公交到兴安南路128号",
        "打了12345和110都没人管",
        "工单20261122-0003怎么样了",
        "3号楼2单元120户就一部电梯",
        "楼道里堆了102个箱子",
        "从2010开始就这样",
        "每平米2.5元，90平米交225元",
        "晚上10点到22:30最吵",
        "楼上天天跺脚",
        "我家124.3平，交了2819.12",
        "20241203那天停的水",
    ],
)
def test_not_masked(text: str) -> None:
    """Numbers that are not personal stay as written."""
    assert mask_pii(text) == text


def test_several_at_once() -> None:
    """A typical card text with phone, room and ID masked together."""
    text = "林业厅小区3号楼2单元502室，电话13904716677，身份证150102199003071234"
    assert mask_pii(text) == "林业厅小区3号楼2单元***室，电话139****6677，身份证******************"


SET = Path(__file__).parent / "data" / "pii.jsonl"
HOLDOUT = Path(__file__).parent / "data" / "pii_holdout.jsonl"


@pytest.mark.parametrize(
    ("path", "recall", "false_masking"), [(SET, 0.98, 0.01), (HOLDOUT, 0.97, 0.01)]
)
def test_labelled_messages(path: Path, recall: float, false_masking: float) -> None:
    """Floors on the labelled sets (written by people who had not seen this code; the holdout
    was never looked at while tuning): personal numbers hidden, the rest left alone.
    ``python -m bench.privacy`` prints the figures and every miss."""
    messages = load(path)
    assert len(messages) >= 240
    found = score(mask_pii, messages)
    assert found.recall >= recall, found.leaks[:10]
    assert found.false_masking <= false_masking, found.harms[:10]
