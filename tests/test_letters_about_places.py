"""Letters about the grid's places (城建、环境、治安 letters): which of the grid's categories —
or none — a letter's words make it. Every message below is made up in residents' style.

A flat let room by room (群租房, 打隔断, 非法合租) is illegal construction even when the letter goes
on to the noise, the dirt or the crowd its tenants bring (LABELLING.md); a tenant's deposit kept
back by a landlord or an agency is a civil dispute, however the flat was partitioned. A noise
said to be huge (声音巨大, 噪音之大) is the complaint, whatever works or place the letter names
first. Overhead lines to be put underground (高压线入地) are a programme asked about, not a
line down to repair. A heat pump or a heating plant humming through the walls is a noise
complaint; a cold home named first is still the heating's. A home's structure taken apart in a refit
(私自拆除楼板, 破坏主体结构, 私拆称重墙) is illegal construction, as 拆承重墙 is. Fumes a works
lets out (偷排有害气体, 排废气) are the air's dirt, sanitation; a smell of gas at home stays gas.
Lights there but not switched on at night (晚上不开灯, 八点就关) are street lights'.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "我们小区好几套群租房，一套两居室住了十几个人，每天晚上吵到半夜一两点，打麻将，"
        "严重影响我们休息，希望相关部门管一管。",
        "我家对门是非法合租房，居住超员，一个小房间住四个人，每天半夜还在吵闹，噪音扰民，"
        "请求整治。",
        "楼下那户被中介打隔断改成了五居室出租，住的人特别多，楼道里天天乱哄哄的，垃圾乱扔，"
        "希望尽快处理。",
        "我们小区存在隔断房，卫生情况脏乱差，而且噪音扰民，请尽快处理。",
    ],
)
def test_a_flat_let_room_by_room_outweighs_the_noise_and_dirt_it_brings(
    language: Language, text: str
) -> None:
    assert language.classify(text).category is Category.ILLEGAL_CONSTRUCTION


@pytest.mark.parametrize(
    "text",
    [
        "我去年在中介租了一间隔断房，合同到期后我按时退租，房间也打扫干净了，可是中介到现在"
        "一直不退押金，打电话也不接，请帮忙解决。",
        "我和二房东签了一年的合同，租的是客厅打隔断的房间，退租以后房东找各种理由扣押金，"
        "已经一个多月了，请有关部门处理。",
    ],
)
def test_a_deposit_kept_back_is_the_tenants_dispute(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER


# guard: a divider is not a partitioned flat, and a flat let room by room is still reported
def test_a_partitioned_flat_said_in_a_chat_line(language: Language) -> None:
    assert language.classify("3号楼有人打隔断出租").category is Category.ILLEGAL_CONSTRUCTION


@pytest.mark.parametrize(
    "text",
    [
        "小区改造期间，半夜经常有大货车来装卸材料，声音巨大。",
        "杨树街口每天晚上都有改装摩托车来回开，噪音之大，投诉了好几次也没用。",
    ],
)
def test_a_noise_said_to_be_huge_is_the_complaint(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.NOISE


@pytest.mark.parametrize(
    "text",
    [
        "您好，听说我们这片要搞高压线入地工程，想问一下我们村东边那一排电线杆上的电线也会入地吗？"
        "什么时候开始？",
        "小学门口的架空线能不能入地？现在电线杆上的电线密密麻麻的，很不美观。",
    ],
)
def test_overhead_lines_to_be_put_underground_are_a_programme(
    language: Language, text: str
) -> None:
    assert language.classify(text).category is Category.OTHER


# guard: a line down is still the power's repair
def test_a_line_down_is_still_a_repair(language: Language) -> None:
    text = "楼后面的电线掉下来了，耷拉在地上，很危险，赶紧来修。"
    assert language.classify(text).category is Category.POWER


@pytest.mark.parametrize(
    "text",
    [
        "我们小区用的是空气源热泵取暖，外机噪音和低频振动特别严重，晚上在卧室里头都疼。",
        "楼下换热站的机组一开就有低频噪音，整栋楼都能听见，已经持续一个冬天了。",
    ],
)
def test_a_heating_plant_humming_is_a_noise(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.NOISE


# guard: a cold home named first stays the heating's, whatever hums beside it
def test_a_cold_home_named_first_is_still_heating(language: Language) -> None:
    text = "暖气不热，屋里才十五度，锅炉噪音还特别大。"
    assert language.classify(text).category is Category.HEATING


@pytest.mark.parametrize(
    "text",
    [
        "楼上业主装修私自拆除楼板，说要做成复式，我们担心楼会出问题，物业也不管。",
        "隔壁单元有户人家装修把承重横梁都砸掉了，破坏主体结构，请相关部门赶紧来查。",
        "602装修私拆称重墙，整栋楼住户都很担心安全，请尽快处理。",
    ],
)
def test_a_structure_taken_apart_in_a_refit_is_illegal_construction(
    language: Language, text: str
) -> None:
    assert language.classify(text).category is Category.ILLEGAL_CONSTRUCTION


# guard: a crack in a floor slab is not an alteration
def test_a_cracked_floor_slab_is_not_an_alteration(language: Language) -> None:
    text = "我家楼板裂了一道缝，是不是房子质量有问题？"
    assert language.classify(text).category is not Category.ILLEGAL_CONSTRUCTION


@pytest.mark.parametrize(
    "text",
    [
        "小区北边那家厂每天晚上偷排有害气体，刺鼻得很，晚上都不敢开窗。",
        "村东头的塑料加工厂一直往外排废气，呛得人直咳嗽，希望环保部门来查。",
    ],
)
def test_fumes_let_out_are_the_airs_dirt(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.SANITATION


# guard: a smell of gas at home is still the gas's
def test_a_smell_of_gas_at_home_is_still_gas(language: Language) -> None:
    text = "厨房里有一股刺鼻的气味，是不是燃气漏气了？"
    assert language.classify(text).category is Category.GAS


@pytest.mark.parametrize(
    "text",
    [
        "儿童广场晚上不开灯，孩子骑车很危险，希望管一管。",
        "小区花园的灯有些晚上没开，有些晚上八点就关，老人孩子晚上出来散步什么都看不清，请尽快处理。",
    ],
)
def test_lights_not_switched_on_at_night(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.STREET_LIGHTS


# guard: a gate shut at night is not a light
def test_a_gate_shut_at_night_is_not_a_light(language: Language) -> None:
    text = "小区大门晚上十点就关了，下夜班回来进不去。"
    assert language.classify(text).category is not Category.STREET_LIGHTS
