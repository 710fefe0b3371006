"""The words residents use for a grid matter, beyond the category's own name (issue 15).

Real messages name the sewer network rather than a blocked drain (截污, 雨污分流), a storm
rather than rain (暴雨 … 被淹), a village road and a puddle rather than a road surface (村道,
水坑, 没法走), a works' vibration and generator rather than noise (震动, 发电机); and a word that
only says where the problem is (停车场, 烧烤, 违章 beside 占道) must not decide what it is. Each
phrase below is made up and pins one such word; LABELLING.md says which category it belongs to.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.rules import RulesError, parse_rules
from nlp.taxonomy import Category

MINIMAL = '[categories.water_supply]\nkeywords = [{ weight = 3, words = ["停水"] }]\n'


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # the sewer network itself is drainage (LABELLING.md: a compound's sewage not connected)
        ("我们小区一直没有雨污分流", Category.DRAINAGE),
        ("什么时候开始截污", Category.DRAINAGE),
        # a ditch or a river that no longer drains is drainage, however smelly its water
        ("河堵了，臭水到处流", Category.DRAINAGE),
        # homes flooded in a storm: the drains do not take the rain away
        ("一场暴雨，家家户户被淹", Category.DRAINAGE),
        # a village road broken, a puddle in a pothole, a road one cannot walk on
        ("村道被大车压坏了", Category.ROADS),
        ("门口一个大水坑，没法走", Category.ROADS),
        # a works' vibration and its generator at night disturb like its noise
        ("房子天天跟着震动", Category.NOISE),
        ("工地的发电机整夜开着", Category.NOISE),
        # no one clears it away: the place's cleaning
        ("河边那一片好久没人清理了", Category.SANITATION),
        # stalls over the pavement are sanitation's; 违章 beside them is not a building's
        ("违章占道摆摊", Category.SANITATION),
        # a barbecue is noise at night; blocking the fire lane it is fire safety
        ("烧烤占用消防通道", Category.FIRE_SAFETY),
        # a car park is where the rubbish lies, not what is wrong
        ("地下停车场堆满了装修垃圾", Category.SANITATION),
        # a fee for a parking space is parking's, whoever charges it (LABELLING.md: 停车收费)
        ("物业管理处对地面停车位收费", Category.PARKING),
        # the building's own shell leaking is the owners' repair, like a roof
        ("外墙渗水好几年了", Category.PROPERTY_MGMT),
        # the words a resident has for each matter (LABELLING.md)
        ("小区的蓄水池好久没清洗了", Category.WATER_SUPPLY),
        ("一下雨就水浸街", Category.DRAINAGE),
        ("晚上楼道太暗了", Category.STREET_LIGHTS),
        # the street's lamp in other words: 街灯, and 马路灯 (not 马路, a road)
        ("街灯不亮", Category.STREET_LIGHTS),
        ("马路灯坏了好几天", Category.STREET_LIGHTS),
        # the lights at home flickering is the voltage; a dead animal is the street's cleaning,
        # not a neighbour's pet
        ("家里忽明忽暗的", Category.POWER),
        ("草丛里有死猫", Category.SANITATION),
        # rain turning the street into a river, in the residents' jokes
        ("小区门口一下雨就成河了", Category.DRAINAGE),
        ("一下雨门口就看海", Category.DRAINAGE),
        # children running and jumping overhead
        ("楼上小孩天天跑跳", Category.NOISE),
        # a dog barking in the written word (犬吠's twin)
        ("院里狗吠不停", Category.NOISE),
        # a pavement named only as where people dance: the music is the complaint
        ("大妈们天天在人行道上跳广场舞", Category.NOISE),
        # 加梯 is how residents shorten 加装电梯
        ("我们楼想加梯", Category.ELEVATOR),
        # the emergency light is fire equipment, not the stairwell's lamp (LABELLING.md: 楼道灯)
        ("楼道的应急灯不亮了", Category.FIRE_SAFETY),
        # a parking space held with a stone or a cone is the space's matter
        ("有人用石墩子占车位", Category.PARKING),
        # a manhole's cover by another name is still the road's (LABELLING.md: 井盖 is roads)
        ("下水井盖子碎了", Category.ROADS),
        # the sewer's pipe by its colloquial name; ice on the paths is cleared like snow
        ("楼道下水管子漏了，埋汰死了", Category.DRAINAGE),
        ("下水口让树叶糊住了，积了一大片水", Category.DRAINAGE),
        ("门口的冰没人铲，滑倒好几个了", Category.SANITATION),
        ("楼下草丛里蚊虫滋生", Category.SANITATION),
        ("对面那户搞群租", Category.ILLEGAL_CONSTRUCTION),
        ("门口好大一个坑洞", Category.ROADS),
        ("线缆乱七八糟挂在外面", Category.POWER),
        ("家里好多马陆虫", Category.SANITATION),
        # a bollard is street furniture, like a railing
        ("小区门口的石墩被撞歪了", Category.PUBLIC_FACILITIES),
        # building work at noon or at night is noise, whatever the works are for
        ("河道整治工地晚上还在施工", Category.NOISE),
        # a food stall's tables on the pavement, the bus stop merely where (LABELLING.md)
        ("公交站旁边的大排档占道经营，谢谢", Category.SANITATION),
    ],
)
def test_an_everyday_word_names_its_category(
    language: Language, text: str, category: Category
) -> None:
    """Each made-up phrase gets the category LABELLING.md gives it."""
    assert language.classify(text).category is category


def test_cars_jamming_the_gate_are_parking_without_asking(language: Language) -> None:
    """车辆 beside 拥堵 is cars blocking the gate (LABELLING.md: 车堵门口): parking, sure enough
    not to ask; 拥堵 of the traffic is the city's."""
    result = language.classify("小区门口车辆拥堵")
    assert result.category is Category.PARKING
    assert not result.ask
    assert language.classify("早晚高峰交通拥堵").category is Category.OTHER


def test_tap_water_that_smells_is_water_supply_without_asking(language: Language) -> None:
    """水 beside 味/怪味 is the tap water's smell: water supply, sure enough not to ask."""
    result = language.classify("水有股怪味")
    assert result.category is Category.WATER_SUPPLY
    assert not result.ask


def test_one_weak_hint_in_a_few_sentences_is_no_evidence(language: Language) -> None:
    """公园 (a hint, weight 1) in a message of a few sentences about dogs off the lead is where
    it happened, not a broken facility: the message is other, the resident still asked and
    offered 公共设施 (``scoring.hint_chars``, ``scoring.hint_floor``); a chat line keeps its hint
    as the guess."""
    message = language.classify(
        "公园里总有人遛狗不牵绳，管理处也不管，希望相关部门多来巡查一下，保护孩子们的安全谢谢"
    )
    assert message.category is Category.OTHER
    assert message.ask
    assert message.ranked == (Category.PUBLIC_FACILITIES,)
    chat = language.classify("前面那个路口")
    assert chat.category is Category.ROADS
    assert chat.ask


def test_the_rules_file_checks_the_hint_floor() -> None:
    """A hint floor out of range is named, like every scoring key."""
    with pytest.raises(RulesError, match=r"scoring\.hint_floor: must be between"):
        parse_rules(MINIMAL + "[scoring]\nhint_floor = -1\n")
    with pytest.raises(RulesError, match=r"scoring\.hint_chars: must be a whole number"):
        parse_rules(MINIMAL + "[scoring]\nhint_chars = 2.5\n")


@pytest.mark.parametrize(
    "text",
    [
        "银行拖延放款时间",
        "中国电信乱改我的套餐",
        "这条路上天天有人逆行",
        "托育机构收费太贵",
        "请求尽快破案",
        "早高峰发车间隔太长",
        "直升机天天低空飞过",
    ],
)
def test_a_matter_of_the_citys_is_other_without_asking(language: Language, text: str) -> None:
    """Banks, telecoms, traffic enforcement, bus timetables, aircraft, childcare and the
    police's cases are named as other (LABELLING.md): the resident is not asked to pick a grid
    category for them."""
    result = language.classify(text)
    assert result.category is Category.OTHER
    assert not result.ask


def test_a_harm_said_to_be_likely_is_no_danger_now(language: Language) -> None:
    """极易 (very likely) is a warning like 容易: its clause's trigger is ruled out, while the
    same trigger told as happening stays urgent."""
    assert not language.classify("孩子打闹期间极易受伤").urgent
    assert language.classify("有人受伤了快来").urgent


@pytest.mark.parametrize(
    "text",
    [
        # compensation for the land a works project takes
        "河道改造占了我们小区的地，想问问补偿标准是多少",
        # a plan judged, or asked about, however smelly the river beside it
        "河道改造方案不合理，离我们楼太近了，臭水沟就在窗户底下",
        "请问政府如何规划这条河？河水又黑又臭，一到夏天就受不了",
        # the contractor asked to pay for what its works broke
        "施工队挖断了我家菜地的篱笆，要求施工队赔偿损失",
        "修河的施工方把我家的大棚弄坏了，要求施工方作出赔偿",
        # a works project running late
        "施工严重滞后，河边公园的护栏和步道做了好几个月还没做完，希望有关部门督促一下，谢谢",
        "施工单位磨洋工，河边公园的护栏和步道做了好几个月还没做完，希望有关部门督促一下，谢谢",
        "工程拖拖拉拉，河边公园的护栏和步道做了好几个月还没做完，希望有关部门督促一下，谢谢",
        "施工拖延时间，河边公园的护栏和步道做了好几个月还没做完，希望有关部门督促一下，谢谢",
    ],
)
def test_a_city_works_project_is_other(language: Language, text: str) -> None:
    """A works project's plan, its compensation, its contractor's damage and its delays are the
    city's business (LABELLING.md: policy, planning and progress), whatever grid words the
    resident uses to describe the place (issue 15)."""
    assert language.classify(text).category is Category.OTHER


def test_a_works_delay_needs_the_works(language: Language) -> None:
    """拖延 alone is anyone stalling (a management company "一味拖延"): the letter stays its
    grid matter; and a road the works' lorries broke is a repair, late works or not."""
    stalled = "物业一味拖延，小区门口的护栏歪了好几个月也不扶正，希望有关部门督促一下物业，谢谢"
    assert language.classify(stalled).category is Category.PUBLIC_FACILITIES
    broken = "河道整治工程一直拖拖拉拉，施工车辆压坏的路面到现在也没修，出门很不方便，希望尽快修好"
    assert language.classify(broken).category is Category.ROADS
