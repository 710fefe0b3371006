"""Letters about the people and the company who run a compound (the city-letter source).

A letter about a compound's gate kept shut since the epidemic spends most of its words on the
epidemic — its measures, its policy, the testing — and asks for one thing: the gate opened again,
which the management does (LABELLING.md: property_mgmt). So does a letter about a compound
anyone walks into, its guard checking no one: the gatekeeping is the management's (保安). And the
income of the common parts — the lift's advertising screens — is the owners', which the
management keeps or hides: the management's matter, however much the letter says of the lift.
Fitness equipment or benches asked for where there are none are the facility's, even proposed
in a letter about a park or its greenery. The management's prices and the deposits it keeps are
its own matter, however much the letter cites contracts and paperwork. Every message below is
made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        # a gate shut for the epidemic and never reopened
        "疫情期间小区东门被铁板封死了，现在疫情早就结束了还是不打开，防疫政策也早就调整了，"
        "老人孩子去地铁站都得绕到西门，多走十几分钟，请相关部门督促把东门打开。",
        "书记您好，我们小区靠近医院的南门，去年因为疫情防控需要临时关闭，到现在还没有开放，"
        "建议督促物业恢复南门通行，方便居民出行。",
        # anyone walks in, the guard checks no one
        "我们小区保安形同虚设，坐在门口只管抬杆，外卖快递人员进出不扫码不登记，疫情期间居委会"
        "辛辛苦苦组织核酸检测，小区安全却没人把关。",
        "写字楼的安保人员态度恶劣，取外卖取快递都要扫码，已经报警好几次了，大厦方也不解决，"
        "希望领导管一管。",
        "小区里外来人员随意进出，晚上还有人在楼道里睡觉，疫情防控期间也没人查验，居民的安全"
        "得不到保障，请领导帮忙解决。",
    ],
)
def test_the_gate_and_who_keeps_it_are_the_managements(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.PROPERTY_MGMT


@pytest.mark.parametrize(
    "text",
    [
        # guard: a compound asking to be closed off (封闭管理) is no gate shut
        "小区一直没有实行封闭管理，商铺和住宅共用一个大门，希望规划部门批准再开一个西门。",
        # guard: a bus route asked about during the epidemic is the city's
        "疫情期间停运的公交线路什么时候恢复？地铁站的出入口也还关闭着，出行很不方便。",
    ],
)
def test_a_gate_in_a_citys_letter_is_not_the_managements(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    "text",
    [
        "您好，想咨询一下，小区电梯里的广告收益归谁所有？电梯轿厢里装了好几块广告屏，收入从来没有"
        "公示过。",
        "我们楼的电梯轿厢里去年装了电子广告屏，业主都不知道，广告费一直没有公示，请帮忙落实一下。",
    ],
)
def test_the_income_of_the_common_parts_is_the_managements(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.PROPERTY_MGMT


def test_a_lifts_advertising_screen_too_loud_is_still_noise(language: Language) -> None:
    # guard: no income named, the screen is only where the noise comes from
    assert language.classify("电梯里的广告声音太大了，吵死了").category is Category.NOISE


@pytest.mark.parametrize(
    "text",
    [
        "区长好！对我们小区旁边新建的公园提点建议：希望在公园东侧添置一些健身器材，再放几张乒乓球台，"
        "方便附近居民锻炼，可行否？",
        "园林部门的绿化工程已经建得差不多了，可是两块绿地之间没有配套建设健身器材，附近几个小区的"
        "居民都没有地方锻炼，希望增设一些健身器材。",
    ],
)
def test_fitness_equipment_asked_for_is_the_facilitys(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.PUBLIC_FACILITIES


@pytest.mark.parametrize(
    "text",
    [
        "装修早就完了，物业一直拒绝退还装修押金，说墙面有划痕，三千块押金到现在也没退，请问这合法吗？"
        "合同上写得清清楚楚。",
        "新小区收房时物业价格过高，业主不认可物业合同，物业就不让办理收房手续，希望领导帮助我们下调"
        "物业收费标准。",
    ],
)
def test_the_managements_prices_and_deposits_are_its_own_matter(
    language: Language, text: str
) -> None:
    assert language.classify(text).category is Category.PROPERTY_MGMT


def test_a_landlords_deposit_is_not_the_managements(language: Language) -> None:
    # guard: a deposit and a contract with no management company named stay the city's
    text = "租房的押金房东一直不退，合同也到期了，请问找哪个部门？"
    assert language.classify(text).category is Category.OTHER
