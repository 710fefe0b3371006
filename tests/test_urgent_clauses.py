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
    ],
)
def test_a_supposition_rules_out_its_own_clause_only(
    language: Language, text: str, urgent: bool
) -> None:
    assert language.classify(text).urgent is urgent


def test_the_rules_file_checks_the_new_key() -> None:
    """A clause-scoped exclusion is a pattern like any other; a wrong one is named by key."""
    shipped = RULES.read_text("utf-8")
    line = next(x for x in shipped.splitlines() if x.startswith("exclude_in_clause = "))
    with pytest.raises(RulesError, match=r"urgent\.exclude_in_clause"):
        parse_rules(shipped.replace(line, "exclude_in_clause = [3]"))
