"""Urgency and its exclusions, clause by clause (issue 15, point 3).

A supposition or a warning (一旦, 万一, 如遇, 容易, 隐患, 防范, 预防) rules out the trigger of its
own clause only: a resident who smells gas and adds "一旦爆炸就完了" is in danger now. A drill, a
notice or a lecture (演练, 通知, 讲座 …) rules urgency out for the whole message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language import Language
from nlp.rules import RulesError, parse_rules

RULES = Path(__file__).parent.parent / "nlp" / "data" / "rules.toml"


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("煤气味很大，一旦爆炸就完了，赶紧来人", True),
        ("厨房煤气味很大，容易出事，快来人看看", True),
        ("家里煤气味很大，怎么预防爆炸？赶紧来人", True),
        ("楼道冒烟了！万一烧起来怎么办", True),
        ("万一着火了怎么办", False),
        ("小区消防通道被堵，如遇火灾后果不堪设想", False),
        ("楼道堆满杂物存在火灾隐患", False),
        ("我想咨询一下燃气泄漏怎么防范", False),
        ("小区组织燃气泄漏应急演练。现场会有煤气味，请不要惊慌", False),
        ("楼道里冒烟了", True),
        # typed in a hurry, without the comma: the supposition still opens its own clause
        ("煤气味很大一旦爆炸就完了", True),
        ("燃气泄漏了要是再不来人就要出事了", True),
        ("小区消防通道被堵如遇火灾后果不堪设想", False),
        ("如果闻到煤气味应该怎么办", False),
    ],
)
def test_a_supposition_rules_out_its_own_clause_only(
    language: Language, text: str, urgent: bool
) -> None:
    assert language.classify(text).urgent is urgent


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        # the residents' own words for danger now, typos and dialect included
        ("厨房一股子煤汽味儿", True),
        ("天然气泄露了", True),
        ("跑水了，赶紧来人", True),
        ("水管子爆了，楼下都给淹了，赶紧来人", True),
        ("电线掉下来了", True),
        ("我困在电梯里了", True),
        ("楼房地表开始崩裂，危及生命安全", True),
        ("之前就有煤气味，现在越来越大了", True),
        ("煤气味很大，没有人管", True),
        # no longer, past, told as a story, a question about it
        ("没有煤气味了，谢谢", False),
        ("昨天闻到煤气味，燃气公司来修好了，现在没有味道了", False),
        ("去年这里发生过火灾，请问消防设施什么时候完善", False),
        ("上个月楼下有人打人，派出所也没处理", False),
        ("请问小区起火了该找谁负责赔偿", False),
        ("如果发生火灾怎么办", False),
        ("每个月都有人把烟头扔进垃圾桶，导致失火的事故发生", False),
        ("心脏起搏器是救命的东西，医保却不能报", False),
        ("医保应该扩大救命器械的报销范围", False),
        # a danger that keeps coming back, came a few days ago, or would follow; works that
        # broke a pipe; a figure of speech (round 2 of the real messages) — and beside each, the
        # same danger happening now in another clause stays one
        ("小区电梯经常困人，希望彻底维修", False),
        ("前两天晚上施工把燃气管道挖爆起火了，现在桥还没修", False),
        ("线路老化，极易超负荷，引发火灾", False),
        ("施工挖爆水管，导致周边停水", False),
        ("施工挖爆水管了，现在跑水了，赶紧来人", True),
        ("这条河一到晚上就臭，求政府救命", False),
        ("那臭味能把人熏晕", False),
        ("不会短时间造成爆炸性需求", False),
        ("电梯经常坏，现在又困人了，赶紧来人", True),
        # taken for a danger, then not; a danger beside a mistaken guess stays one
        ("远处看去以为是着火了，走近才发现是在烧烤", False),
        ("楼道里冒烟了，我还以为是谁家做饭呢，赶紧来人", True),
    ],
)
def test_urgency_means_danger_now(language: Language, text: str, urgent: bool) -> None:
    assert language.classify(text).urgent is urgent


def test_the_rules_file_checks_the_new_key() -> None:
    """A clause-scoped exclusion is a pattern like any other; a wrong one is named by key."""
    shipped = RULES.read_text("utf-8")
    start = shipped.index("exclude_in_clause = [")
    end = shipped.index("\n]\n", start) + 3
    with pytest.raises(RulesError, match=r"urgent\.exclude_in_clause"):
        parse_rules(shipped[:start] + "exclude_in_clause = [3]\n" + shipped[end:])


def test_a_wrong_clause_opener_is_named_by_key() -> None:
    shipped = RULES.read_text("utf-8")
    start = shipped.index("opens_clause = [")
    end = shipped.index("]\n", start) + 2
    with pytest.raises(RulesError, match=r"urgent\.opens_clause\[0\]"):
        parse_rules(shipped[:start] + "opens_clause = [3]\n" + shipped[end:])
