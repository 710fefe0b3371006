"""Urgency in letters to the city: a danger named is not always a danger happening now.

Letters name a fire, a collapse or someone trapped as a risk that could happen
(有着火危险, 如有火灾, 会被关在电梯里, 火灾频发), as something to prevent (制止…起火), as
the past told as a story (失火当晚, 出事近一周, 长达一小时之久), as a consequence in a
complaint (搞到塌方, 以致火灾, an outage's excuse 理由为水管爆裂), as a figure of speech in
quotation marks (公园“受伤”了) or as another word (摔炮). Beside each, the same danger said as
happening now stays urgent. Each phrase is made up; the real letters they stand for are in
rounds 1-3 of the tuning records.
"""

from __future__ import annotations

import pytest

from bot.language import Language


@pytest.mark.parametrize(
    "text",
    [
        # a risk described as possible
        "楼道里堆满纸箱，有着火危险",
        "小区通道太窄，如有火灾消防车进不来",
        "经常停电，电梯里的人会被关在电梯里",
        "冬季火灾频发，建议增设充电桩",
        "这样下去早晚就会起火",
        "晚上在楼道充电，起火怎么办？请处理",
        # kept from happening
        "请制止电动车上楼充电起火",
        # the past told as a story, dated
        "去年小区着了一场大火，失火当晚消防栓没水",
        "家里燃气泄露，厨房着了。出事近一周了，居委会至今没说法",
        "家人被困在卫生间里长达一小时之久，物业一直不管修门锁",
        # a consequence in a complaint about a company or the works
        "施工队把人行道搞到塌方，特此投诉",
        "消防栓没水，以致火灾延误救援",
        "一个月停水两次，理由为水管爆裂维修",
        # a figure of speech; another word
        "我们的公园“受伤”了，有人把石墩挪走停车",
        "过年能不能给小孩子玩摔炮",
        # the same exclusion twice: each clause's own is ruled out, not the first only
        "起搏器是救命的东西，建议扩大救命器械的报销",
    ],
)
def test_a_danger_told_not_happening_is_not_urgent(language: Language, text: str) -> None:
    assert not language.classify(text).urgent


@pytest.mark.parametrize(
    "text",
    [
        "楼道里着火了，赶紧来人",
        "厨房一股子煤汽味儿",
        "水管子爆了，楼下都给淹了，赶紧来人",
        "我困在电梯里了",
        "电线掉地上了，可能有人会触电，快来",
        "楼道冒烟了，再不来就会烧起来",
        "孩子从楼梯上摔下来流血了",
        "路面塌陷了一个大坑",
        # water rising into homes now
        "污水倒灌，水涨得很快，马上就要淹没一层了",
        "着火了怎么办",
        # unsure of what she sees, in danger all the same: 可能 is no supposition here
        "楼道冒烟了可能着火了",
        "煤气味很大可能会爆炸",
    ],
)
def test_a_danger_happening_now_stays_urgent(language: Language, text: str) -> None:
    assert language.classify(text).urgent
