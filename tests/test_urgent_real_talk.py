"""Urgency when a fire or a blast is named as a noun (火灾, 爆炸): how complaints talk of a risk.

Dongguan's complaints (round 10 of the tuning records) name 火灾 and 爆炸 as what could happen
(发生火灾就…, 如火灾就无从逃生), as news from elsewhere (前不久…火灾事件, 天津爆炸后), as a
figure for noise (爆炸音) or as a consequence (可能酿成重大火灾); none of them reports a fire
happening now. A resident in one says it happened or is happening (发生火灾了, 楼下爆炸了,
刚刚发生爆炸), and the verbs of fire (着火, 起火, 冒烟) stay triggers on their own. Every
phrase here is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language


@pytest.mark.parametrize(
    "text",
    [
        "巷口摆满了煤气罐和纸箱，发生火灾就跑不出去",
        "车子把出口全堵住，遇到紧急情况比如火灾就没法逃",
        "想到上个礼拜隔壁镇的火灾事件，晚上都睡不好",
        "烧电线的黑烟这么大，还有可能酿成大火灾",
        "隔壁店的音响天天放爆炸音，吵得孩子没法写作业",
        "仓库离宿舍只有几米，看到外地的爆炸新闻就提心吊胆",
    ],
)
def test_a_fire_or_blast_named_as_a_noun_is_risk_talk(language: Language, text: str) -> None:
    """火灾 and 爆炸 alone, talked of as a risk, news or noise, are no danger now."""
    assert not language.classify(text).urgent


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("我们小区三栋发生火灾了，快来人", "火灾+了"),
        ("楼下的小吃店爆炸了，到处是玻璃", "爆炸+了"),
        ("工业园刚刚发生爆炸，窗户都震碎了", "爆炸+刚刚"),
        ("对面厂房正在发生火灾，消防车还没到", "火灾+正在"),
        ("对面厂房着火了，火灾越烧越大", "着火"),
    ],
)
def test_a_fire_or_blast_happening_now_stays_urgent(
    language: Language, text: str, trigger: str
) -> None:
    """The same nouns said as happening now, or beside a verb of fire, stay urgent."""
    result = language.classify(text)
    assert (result.urgent, result.urgent_trigger) == (True, trigger)
