"""Chat-length lines that name their problem plainly (issue 15, the titles of hotline records).

A resident's one line is all the evidence there is, so a fault it names plainly must be read,
neither passed over (the bot then asks the resident to pick the kind) nor taken for the thing it
happens beside: a sound too loud is noise whatever makes it (a pump, a drain, running water);
no light where there should be one is the lighting's; water standing on a road is the drains';
standing water gone foul (臭水塘, 一潭死水), black water poured into a river (黑水), sewage let
out on the sly (私自排污), silt with no sewer named (淤泥) are the environment's. Every message
below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a sound too loud: the pump or the drain that makes it is only its source
        ("工地抽水声扰民", Category.NOISE),
        ("楼下排水的声音太响了", Category.NOISE),
        ("小区旁边水沟的水流声过大", Category.NOISE),
        # no light at all where there should be one
        ("小区后门那条路晚上无灯光", Category.STREET_LIGHTS),
        ("楼道里没有灯", Category.STREET_LIGHTS),
        # water standing on a road: the drains' (LABELLING.md)
        ("小区道路积水", Category.DRAINAGE),
        ("学校门口路面积水", Category.DRAINAGE),
        # standing water gone foul, a river turned black, dirt said in one word
        ("小区门口有个臭水塘", Category.SANITATION),
        ("广场边上的水池一潭死水", Category.SANITATION),
        ("村口的河里流进来好多黑水", Category.SANITATION),
        ("楼后面那条小河脏污不堪", Category.SANITATION),
        # silt alone is dirt to clear away; with the sewer named it is the sewer's (guard below)
        ("桥底下的淤泥好久没人清理", Category.SANITATION),
        ("门口全是淤泥", Category.SANITATION),
        # a river's water turned a colour; mud a site leaves on the street (LABELLING.md)
        ("后面那条河水颜色不对", Category.SANITATION),
        ("工地开工以后路上都是泥巴", Category.SANITATION),
        # the water's problem, said no more precisely
        ("我家水有问题", Category.WATER_SUPPLY),
        # sewage let out on the sly, or into the river (河内: in the river, however jieba cuts it)
        ("有人私自排污", Category.SANITATION),
        ("餐馆把脏水排放到河内", Category.SANITATION),
    ],
)
def test_a_chat_line_naming_its_problem_is_filed_without_asking(
    language: Language, text: str, category: Category
) -> None:
    result = language.classify(text)
    assert result.category is category
    assert not result.ask


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # guard cases (they passed before): the word beside the new evidence keeps its own
        ("水管里有水流声", Category.WATER_SUPPLY),
        ("下水道冒黑水", Category.DRAINAGE),
        ("路面坑坑洼洼一下雨就积水", Category.ROADS),
        ("马路上一个大坑积水", Category.ROADS),
        ("暖气片里有水流声", Category.HEATING),
        ("下水道里全是淤泥", Category.DRAINAGE),
        ("门口是泥巴路", Category.ROADS),
        ("积水问题", Category.DRAINAGE),
        ("雨水井里全是淤泥，一下雨就冒", Category.DRAINAGE),
    ],
)
def test_the_fault_named_still_decides(language: Language, text: str, category: Category) -> None:
    assert language.classify(text).category is category
