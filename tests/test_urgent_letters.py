"""Urgency in a letter: its opening, or a sentence that says now (issue 15, point 3).

A resident in danger leads with it ("楼道里一股煤气味…") or says it is happening as they write
("…现在楼道里全是烟"). A letter that reaches a fire, a leak or a trapped lift further on is
telling its history, arguing its case or naming a worry, and on the real tuning rounds such
letters made half the false alarms. Chat messages, shorter than a letter, keep every trigger.
The letters here are our own, written to the pattern of the real ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language import Language
from nlp.classifier import classify
from nlp.rules import RulesError, parse_rules
from nlp.segmenter import segment

RULES = Path(__file__).parent.parent / "nlp" / "data" / "rules.toml"

BACKGROUND = (
    "我是审计厅小区3号楼2单元的住户，家里有两个老人，这个小区是九十年代的老楼，物业换了好几家，"
    "管道和线路都没有人管，楼道里的灯也坏了好久，我们反映过很多次，社区也来看过，"
)
"""A resident's background: more than sixty characters before the matter itself."""

LATE_DANGER_TOLD = [
    # a lift, a hydrant, a fall: history, argument, worry — and the danger comes late
    BACKGROUND + "一停电电梯就不能运行，老人只能被困电梯，希望政府督促开发商配备应急电源。",
    BACKGROUND + "消防栓里一滴水都没有，着火了谁负责？请督促物业整改。",
    BACKGROUND
    + "电梯从13楼突然下坠到1楼，吓得我家孩子再也不敢坐电梯，物业说检测合格，请质监部门来查。",
    BACKGROUND + "小区门口的井盖被压坏了一半，晚上有老人摔倒受伤，物业和市政互相推，请给个说法。",
]

LETTERS_IN_DANGER = [
    # the danger first...
    "楼道里一股煤气味，越来越冲！" + BACKGROUND + "这次请一定赶紧派人来看看。",
    # ...or late, in a sentence that says it is happening now
    BACKGROUND + "现在楼道里一股煤气味，越来越冲，我们不敢开灯，赶紧来人！",
    BACKGROUND + "刚才电梯突然不动了，我家老人被困在里面，按警铃没人应！",
    BACKGROUND + "今天楼下的水管爆了，水正在往单元里灌，赶紧派人来关阀门！",
    BACKGROUND + "楼道里一股煤气味，越来越冲，赶紧派人来看看！",
]


@pytest.mark.parametrize("text", LATE_DANGER_TOLD)
def test_a_danger_told_late_in_a_letter_is_not_urgent(language: Language, text: str) -> None:
    result = language.classify(text)
    assert len(text) >= language.rules.scoring.letter_chars
    assert not result.urgent, result.urgent_trigger


@pytest.mark.parametrize("text", LETTERS_IN_DANGER)
def test_a_letter_leading_with_danger_or_saying_now_is_urgent(
    language: Language, text: str
) -> None:
    assert len(text) >= language.rules.scoring.letter_chars
    assert language.classify(text).urgent


def test_without_the_opening_the_late_dangers_were_urgent(language: Language) -> None:
    """The same rules with no letter opening (``letter_opening = 0``): every late danger is a
    false alarm again, so the tests above fail without the change."""
    shipped = RULES.read_text("utf-8")
    unlimited = parse_rules(shipped.replace("\nletter_opening = 60\n", "\nletter_opening = 0\n"))
    assert unlimited.urgency.letter_opening == 0
    for text in LATE_DANGER_TOLD:
        assert classify(text, unlimited, language.tokenizer).urgent, text


@pytest.mark.parametrize(
    "text",
    [
        # a chat message keeps every trigger, wherever it is
        "我家住3号楼2单元，楼是老楼了，物业一直不管事，楼道里一股煤气味",
        "物业说下午来修，等了一下午也没人，刚进门就闻到厨房一股子煤汽味儿",
    ],
)
def test_a_chat_message_keeps_a_late_trigger(language: Language, text: str) -> None:
    assert len(text) < language.rules.scoring.letter_chars
    assert language.classify(text).urgent


def test_every_now_word_is_cut_whole(language: Language) -> None:
    """The "now" words are matched as tokens and not added to the tokenizer's dictionary, so
    a word jieba does not cut whole (快来, 还在) would never be found."""
    now = language.rules.urgency.now
    assert now
    for word in now:
        assert segment(language.tokenizer, word) == [word], word


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        # a resident's plea to warn the others is no notice (通知 rules out its own clause only);
        # a notice received still rules the message out
        ("着火了！8号楼三楼窗户往外冒黑烟，楼里还有人没下来，你们赶紧通知楼里的人往外撤", True),
        ("接到停气通知，明天燃气管道检修，期间可能闻到煤气味，请大家别慌", False),
        # dangers told at length (chat.csv batch Q), each missed before
        ("楼下有个大爷躺在客厅地上一动不动，叫他也没反应", True),
        ("人行道塌了个洞，下面是空的，还在往下掉土", True),
        ("电梯在7楼突然往下一沉停住了，里面关着我对门的大姐和她小孙子", True),
        ("楼道里的纸箱子着起来了，楼梯间全是黑烟", True),
        ("楼下烤鱼店的烟道着了，火苗子往上蹿", True),
        ("门口井盖让大水冲走了，就剩一个大黑洞", True),
        ("小区门口那个检查井边上自来水管子爆了，水哗哗往外喷", True),
        # ...and their look-alikes: a step's corner, a tree that hit no one
        ("单元门口的台阶塌了一块，老人下楼得扶着墙", False),
        ("昨晚大风把树刮倒了，幸好倒在草地上，没砸到人", False),
    ],
)
def test_dangers_told_at_length(language: Language, text: str, urgent: bool) -> None:
    assert language.classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("setting", "line", "key"),
    [
        ("letter_opening = ", "letter_opening = -1", r"urgent\.letter_opening"),
        ("now = [", "now = [3]", r"urgent\.now\[0\]"),
    ],
)
def test_a_wrong_setting_is_named_by_key(setting: str, line: str, key: str) -> None:
    shipped = RULES.read_text("utf-8")
    start = shipped.index("\n" + setting) + 1
    end = shipped.index("]\n", start) + 1 if setting.endswith("[") else shipped.index("\n", start)
    with pytest.raises(RulesError, match=key):
        parse_rules(shipped[:start] + line + shipped[end:])
