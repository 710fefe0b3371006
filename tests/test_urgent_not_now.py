"""A danger that has lasted for years, a precaution, a figure of speech is no call for help now.

Real letters raise false alarms with danger words that are not happening: a manhole left unmended
for years, lifts that "have trapped people many times", a safety net proposed for manholes, a
programme to put overhead lines underground, a head "about to explode" from a neighbour's
music, food poisoning after a meal out, an event told as one (着火事件), a clause opened by 一但
(a common typo of 一旦). The same danger reported as it happens stays urgent, and so does one
told with what it is causing ("水管爆了导致楼下被淹"): a cause word opens a clause of its own, so
it rules out a danger it leads to ("极易引发火灾"), not the one that leads to it. Read from the
tuning part's read halves of rounds 8-16; gate (the never-read halves of rounds 10-12): 3 false
alarms gone and a danger caught that 导致 had ruled out, none new, no danger missed (issue 15).
Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language


@pytest.mark.parametrize(
    "text",
    [
        "小区门口的井盖几年没修了，晚上走路看不清",
        "这个电梯长期带病运行，多人次被困在里面，物业一直不管",
        "我们楼的电梯曾遇到过急速下坠，希望有关部门检查",
        "住户试过被困电梯半小时，报警铃没人接",
        "建议小区所有井盖加装防坠落网，保障行人安全",
        "村里应该多张贴防触电的提示牌",
        "路边的地上电线是否有入地计划？",
        "广场舞音响太大声了，脑子都快爆炸了",
        "空气污染这么严重，大家都快中毒了",
        "昨天在饭店吃饭后食物中毒，要求饭店赔偿",
        "楼下小作坊堆满布料，一但失火后果不堪设想",
        "去年小区发生过一起电动车充电着火事件，希望加强管理",
        "配电房噪音太大，受伤害的业主希望供电局来调查",
        "一楼住户搭的彩钢板房易起火造成火灾事故",
        "电动车在楼道充电极易引发火灾",
    ],
)
def test_a_danger_not_happening_now_is_not_urgent(language: Language, text: str) -> None:
    assert not language.classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "小区门口井盖丢了，有个孩子差点掉下去",
        "电梯困人了，我妈被困在里面出不来",
        "楼道里冒烟了，好像着火了",
        "厨房煤气味很大，头都晕了",
        "曾先生家着火了，快来人",
        "电线掉下来了，就在小区门口，还有火花",
        # a danger that has a consequence is still happening: the cause words open a clause
        "水管爆了导致楼下被淹",
        "煤气泄漏造成有人晕倒了",
    ],
)
def test_the_same_danger_happening_now_stays_urgent(language: Language, text: str) -> None:
    assert language.classify(text).urgent
