"""Rule words that decided more wrong than right on real letters, taken out or weakened
(issue 15).

Each rule word was taken out of the rules in turn (and then made a step stronger) and the
labelled real records of both tuning halves scored; a change went in only if neither half lost by
it and the gate gained. Out: 补贴, 乱收费, 收费, 维修, 不作为, 纠纷, 报复, 侵占, 车, 汽车, 车辆,
电动车, 广场, 灶, 排污, 供电局, 年检, 景观灯. Weakened: 道路, 违章, 盖房, 电工, 营业执照.
Stronger: 咨询, 产权, 出租车, 房产证, 水管. With them came a pavement parked on (parking's, not
the road's), a manhole cover that clangs (the road's, not noise), a lift's own noise (the lift's),
stray cats (the street's order), a fire control room, and whether a home may be done up yet (a
rule asked about, not a neighbour's drill). These are our own messages in the words the letters
used.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        # a subsidy, fees, repairs and inaction of any office, school or shop
        "今年的农机购置补贴什么时候发放，需要准备哪些材料，去哪个部门申请",
        "驾校乱收费，报名时说好的价格又加了两千",
        "幼儿园乱收费，一学期多收了好几百的材料费",
        "学校食堂的设备坏了一直不维修，后勤不作为",
        # a road named for the traffic on it
        "建议在我们这条道路上增加公交线路，方便居民出行",
        # a car's own paperwork and a car damaged are the police's and the vehicle office's
        "车辆年检在哪办，需要带什么",
        "汽车年检要带什么材料",
        # land taken by an office, revenge threatened: no structure, no neighbours' quarrel
        "村委会侵占了我家的宅基地，一直不给说法",
        "他扬言要报复我，我很害怕",
        # an electrician's price asked
        "找个电工师傅换个插座多少钱",
        # traffic lights in their commonest typo are the traffic police's, no street lamp
        "路口红路灯坏了，车都乱了",
        # the fire service's paperwork is a licence asked about, no fire risk
        "开个小饭馆要办消防许可证吗，去哪办",
        # whether renovating is allowed yet
        "小区现在啥时候能装修？物业说要等通知",
        "我们这边什么时候可以装修，有没有具体规定",
    ],
)
def test_a_word_said_of_any_matter_no_longer_files_a_grid_kind(
    language: Language, text: str
) -> None:
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    "text",
    [
        "汽车4S店保养乱收费怎么投诉",
        "我家汽车被人划了",
        # asking which firm to hire is no neighbour's drilling (咨询 leans a step further)
        "想咨询一下哪家装修公司靠谱",
    ],
)
def test_a_car_a_fee_or_a_firm_alone_is_no_grid_fault(language: Language, text: str) -> None:
    result = language.classify(text)
    assert result.category not in (Category.PARKING, Category.PROPERTY_MGMT, Category.NOISE), result


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a pavement or its tactile strip parked on is parking's
        ("饭店门口的人行道上停车停得满满的，推着婴儿车都过不去", Category.PARKING),
        ("路边人行道上停了一排车，盲道全给挡住了", Category.PARKING),
        # a loose cover clanging is the road's to fix, however loud
        ("楼下井盖老响，半夜车一过就咣当一声", Category.ROADS),
        # a lift's own noise is the lift's (LABELLING.md: 异响); a lift beside a neighbour's
        # drilling is not
        ("电梯运行噪音特别大，晚上都睡不着觉", Category.ELEVATOR),
        # stray cats breeding are the street's order, not a neighbour's pet; a building's fire
        # control room is fire safety's
        ("小区流浪猫成群，到处拉屎，味儿大", Category.SANITATION),
        ("消控室半夜没人值守", Category.FIRE_SAFETY),
        ("楼道里的消防栓没水，消防部门来查过也没用", Category.FIRE_SAFETY),
        ("楼上装修噪音太大了，电梯里也全是灰", Category.NOISE),
        # what the pass left: each of these words still decides with its fault named
        ("物业乱收费，电梯坏了也不修", Category.PROPERTY_MGMT),
        ("家里的灶打不着火了", Category.GAS),
        ("景观灯坏了好几个，晚上河边黑乎乎的", Category.STREET_LIGHTS),
        ("村里有户人家没批就盖房，占了集体的地", Category.ILLEGAL_CONSTRUCTION),
        ("车又堵单元门口了", Category.PARKING),
        ("车棚里的电动车充电插座坏了", Category.PUBLIC_FACILITIES),
        ("小区物业费怎么收的，我想咨询一下", Category.PROPERTY_MGMT),
    ],
)
def test_the_matter_named_still_decides(language: Language, text: str, category: Category) -> None:
    assert language.classify(text).category is category


def test_a_new_word_keeps_the_urgency_exclusion_it_would_swallow(language: Language) -> None:
    """流浪猫 is now cut whole: the exclusion of animals fighting names it, or stray cats
    fighting at night would send a resident to 110."""
    assert not language.classify("小区流浪猫半夜打起来了 嗷嗷叫 吓死人").urgent
