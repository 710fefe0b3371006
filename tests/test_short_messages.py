"""Chat-length messages: a resident's first line, ten or twenty characters (issue 15).

A chat line has no sentences to weigh, so the bot files it only when its few words say the
matter; otherwise it asks the resident to pick the kind. Real titles of citizen letters showed
words that say the matter but were missing: a works project's progress asked about (何时拓宽,
什么时候修建), the city's works judged (工程质量, 非法施工, 市政施工) and a home made unsafe
(危房, 房子倾斜) are the city's business (LABELLING.md: policy, planning and progress questions);
dust and smells "扰民" are dirt, not noise, and lights "扰民" are lighting; 何时 and 为何 ask as
什么时候 does. Each phrase below is made up and pins one such word or rule.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.questions import is_consultation, is_question_task
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        # when a road or a project is built, widened, opened: the city's schedule
        "那条路何时能建好",
        "门口那条路什么时候拓宽",
        "这条路什么时候开始修建",
        "老房子何时动迁",
        # the quality of the city's works, works without a permit, the city's own works
        "这段路的工程质量太差",
        "隔壁工地非法施工",
        "市政施工占了我们小区的地",
        # a home made unsafe: the housing office's, not a grid repair
        "老房子都倾斜了",
        "我家已经成了危房",
        # what a piece of land is planned for
        "那块绿地有什么规划",
    ],
)
def test_a_matter_of_the_citys_in_a_chat_line_is_other_without_asking(
    language: Language, text: str
) -> None:
    """Progress, quality, permits, unsafe homes and plans are named as other (LABELLING.md):
    the resident is not asked to pick a grid category for them."""
    result = language.classify(text)
    assert result.category is Category.OTHER, result
    assert not result.ask, result


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # dust from a site is sanitation (LABELLING.md: mud and dust from a site)
        ("工地粉尘扰民", Category.SANITATION),
        ("施工没有任何防尘措施", Category.SANITATION),
        ("车一过尘土飞扬", Category.SANITATION),
        # a smell that disturbs is dirt, not noise nor gas
        ("餐馆气味扰民", Category.SANITATION),
        # lights shining into homes are a lighting matter
        ("对面广告牌灯光扰民", Category.STREET_LIGHTS),
        ("晚上灯光污染太严重", Category.STREET_LIGHTS),
        # the environment to be cleaned up, like 环境整治
        ("小区环境治理", Category.SANITATION),
        # a compound that no one manages, like 弃管
        ("这个小区无人管理", Category.PROPERTY_MGMT),
        # road works at night are noise, like any works at night
        ("凌晨还在修路，严重扰民", Category.NOISE),
    ],
)
def test_a_chat_line_names_its_category_without_asking(
    language: Language, text: str, category: Category
) -> None:
    """Each made-up line gets the category LABELLING.md gives it, sure enough not to ask."""
    result = language.classify(text)
    assert result.category is category, result
    assert not result.ask, result


def test_a_park_without_keepers_is_not_the_property_companys(language: Language) -> None:
    """无人管理 is a property hint only for a compound or a block: a park is the city's."""
    assert language.classify("公园没人管理").category is not Category.PROPERTY_MGMT


def test_a_road_dug_up_by_works_is_a_repair(language: Language) -> None:
    """挖坏 is a fault happening now, like 压坏: the letter's 建议 does not make the broken road
    the city's plan, and the road is filed without asking."""
    result = language.classify(
        "门口的路被挖坏了一个多月，建议相关部门督促一下施工方尽快处理，老人孩子出门都不方便"
    )
    assert result.category is Category.ROADS, result
    assert not result.ask, result


@pytest.mark.parametrize("text", ["老年大学何时报名", "为何至今没动迁", "补贴啥时候发"])
def test_when_and_why_ask_a_question(language: Language, text: str) -> None:
    """何时, 啥时候 (when) and 为何, 为什么 (why) ask as 什么时候 does: a question without a fault,
    filed as a 咨询, not a repair whose kind the resident must pick."""
    result = language.classify(text)
    assert is_consultation(text, result)
    assert is_question_task(text, result)


def test_a_fault_asked_why_stays_a_repair(language: Language) -> None:
    """为什么 beside a fault (不亮) asks for a repair, as 怎么 does (暖气怎么还不热)."""
    text = "楼道灯为什么还不亮"
    result = language.classify(text)
    assert result.category is Category.STREET_LIGHTS
    assert not is_consultation(text, result)
