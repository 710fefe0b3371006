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
        "工地旁的墙裂了，就担心哪天倒塌砸到人",
        "人行道上的广告牌若掉落砸到人，后果严重",
        "去年小区的狗咬了人，希望加强管理",
        "建议河边装护栏，防止小孩掉进河里",
        # a fear, and people who keep falling: "怕", "老摔人"
        "楼道里有人抽烟扔烟头怕着火",
        "道上全是冰，老摔人",
        # something that fell is no one's fall
        "树上毛毛虫掉下来把孩子蛰了",
        # once, before (曾有), and the attacker named after the event
        "曾有邻居被困电梯十几分钟都打不出电话",
        "已把砍人者的信息交给派出所，至今没有回复",
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
        # ...and a smell of gas now, however the clause after it worries about a blast
        "有燃气异味，居民非常担心燃气泄漏爆炸",
    ],
)
def test_the_same_danger_happening_now_stays_urgent(language: Language, text: str) -> None:
    assert language.classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "电梯突然停了，里面有人",
        "家里的暖气管爆了，水喷了一地",
        "小区里的大树倒了，压着电线",
        "路面塌了个大坑，车陷进去了",
        "有人被狗咬了，在小区门口",
        "有个小孩掉河里了",
        "楼上往下扔东西砸到人了",
        "楼下冒黑烟了",
        "暖气管崩了，满屋子热水",
        "路上有个井没盖子，刚才有人差点掉下去",
        "有人从楼上掉下来了",
        "孩子从阳台摔下去了",
        "地下车库进水了，水越来越深",
    ],
)
def test_a_danger_in_a_residents_everyday_words_is_urgent(language: Language, text: str) -> None:
    """Dangers typed as they happen, in words the triggers did not know: a stopped lift with
    someone inside, a heating pipe burst, a tree pinning a line, a road caving in, a dog bite,
    a child in the water, something dropped from above that hit someone, black smoke, a well
    with no cover, someone fallen from a height, water rising in a car park."""
    assert language.classify(text).urgent


@pytest.mark.parametrize(
    "text", ["工厂烟囱天天冒黑烟", "物业不管，孩子摔下来怎么办", "外墙皮摇摇欲坠，多次反映没人管"]
)
def test_the_same_words_told_as_a_habit_or_a_worry_are_not_urgent(
    language: Language, text: str
) -> None:
    """A chimney smoking every day is the air's dirt, a fall asked about is a worry, a facade
    "about to fall" is how letters describe a risk: the new triggers need 了 (it is happening)."""
    assert not language.classify(text).urgent
