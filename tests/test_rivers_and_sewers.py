"""Rivers, canals, sewage and the works on them (issue 15, the 12345 letters about inner rivers).

LABELLING.md draws the lines: a black or smelly river beside homes, or someone dumping into it,
is sanitation; the sewer itself is drainage (a compound's sewage not connected to the network,
an outfall pouring into the river, a sewer blocked); works on the river at night are noise; and
the river project's schedule, plan, relocation and compensation are the city's business, other.
A river's smell vetoes drainage, but the sewer's own unmistakable cue lifts that veto (a
category's ``keep``). Each phrase below is made up and pins one such line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language import Language
from nlp.rules import RulesError, parse_rules
from nlp.segmenter import new_tokenizer
from nlp.taxonomy import Category

SMELL_VETOES_DRAINAGE = """
[categories.drainage]
keywords = [{ weight = 3, words = ["污水"] }]
exclude = [{ words = ["河水", "臭"], window = 6 }]
keep = [{ words = ["接入", "管网"], window = 3 }, "排污口"]

[categories.sanitation]
keywords = [{ weight = 3, words = ["臭"] }]
"""


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a compound's or a village's sewage not connected to the sewer network, however black
        # the river it runs into
        ("小区生活污水一直没有接入市政管网，全排到河里，河水又黑又臭", Category.DRAINAGE),
        ("河边几个小区的化粪池水都直排内河，臭得要命，什么时候截污", Category.DRAINAGE),
        ("内河整治把我们村的排污口全填了，现在生活污水无处排放", Category.DRAINAGE),
        # an outfall pouring sewage into the river
        ("河边的排污口一直在排污水，河水又黑又臭", Category.DRAINAGE),
        # the works blocked the compound's sewer: the sewer's fault, not the river's
        ("河道改造施工把小区下水道堵塞了，污水排放到路面上，臭得很", Category.DRAINAGE),
    ],
)
def test_the_sewer_itself_is_drainage_beside_a_smelly_river(
    language: Language, text: str, category: Category
) -> None:
    """The sewer's own cue lifts the veto a smelly river puts on drainage (``keep``)."""
    assert language.classify(text).category is category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a smell or dust that "disturbs residents" is the air's, not noise
        ("河边工地粉尘扰民，窗户都不敢开", Category.SANITATION),
        # the river's water black as ink, its surface choked with weeds
        ("家门口的河水黑如墨", Category.SANITATION),
        ("河面上全是水葫芦", Category.SANITATION),
        # rubbish tipped on the sly is dumping, not a theft (偷)
        ("有人往河道里偷卸渣土", Category.SANITATION),
        # "no sound by day" does not rule the noise out when the noise is named
        ("白天没什么动静，一到半夜就施工，噪音吵得睡不着", Category.NOISE),
    ],
)
def test_a_river_complaint_keeps_its_category(
    language: Language, text: str, category: Category
) -> None:
    """Dirt, dust and dumping are sanitation's; works noise named outright is noise's."""
    assert language.classify(text).category is category


@pytest.mark.parametrize(
    "text",
    [
        # the city's programme by its official name is no river found black and smelly
        "听说城区黑臭水体整治项目今年要启动，请问我们小区旁边这条河有没有纳入整治范围？",
        # whether homes by the river are pulled down, however smelly the river
        "想问一下河道拓宽是否会对沿河的房子进行拆迁？我们宿舍就在河边，河水一直很臭",
        # the project's plan asked about
        "河道治理方案确定了吗？能不能把这一段改成暗河，不要明河",
        # the city's sewage works
        "请问附近的污水处理厂什么时候能投入使用",
        # a works that borrowed the compound's land and has not given it back
        "河道改造工程占用了小区的绿地和停车位，完工半年了还没有恢复",
    ],
)
def test_a_river_project_is_other(language: Language, text: str) -> None:
    """A river project's schedule, plan, relocation and its claims are the city's business
    (LABELLING.md: policy, planning and progress)."""
    assert language.classify(text).category is Category.OTHER


def test_sewage_not_connected_is_a_fault_beside_a_schedule_question(language: Language) -> None:
    """Sewage "还没接入" the network is a fault happening now (a ``stance.fault`` cue): asking
    when the river works end does not make the letter the city's plan."""
    for text in (
        "这条河整治工程什么时候能完工？我们小区的污水一直没有接入市政管网，请问到底什么时候接入？",
        "河道整治什么时候完工？小区的污水管到现在还没接入市政管网，麻烦相关部门给个准确时间",
    ):
        assert language.classify(text).category is Category.DRAINAGE


def test_a_river_project_question_without_a_fault_is_other(language: Language) -> None:
    """When a river is cleaned up (何时 … 整治) is a progress question, and a letter asking it
    with no fault named is other; with the river's stink named it stays sanitation."""
    for asking in (
        "请问小区后面这条内河什么时候开始整治？之前说今年就要整治，到现在一点消息都没有，麻烦给个答复",
        "我们楼后面那条河道到底什么时候治理？听说早就列入计划了，可是到现在一直不见有人来，麻烦问一下",
    ):
        assert language.classify(asking).category is Category.OTHER
    smelly = "小区后面这条内河又黑又臭，蚊子特别多，请问什么时候开始整治？麻烦相关部门尽快处理"
    assert language.classify(smelly).category is Category.SANITATION


def test_a_keep_lifts_its_categorys_vetoes(cache_dir: Path) -> None:
    """``keep``: a category's exclusions do not apply when one of its keep words or phrases
    occurs too; without one they still veto it."""
    rules = parse_rules(SMELL_VETOES_DRAINAGE)
    own = Language(rules, new_tokenizer(rules.vocabulary, cache_dir))
    assert own.classify("全是污水，河水很臭").category is Category.SANITATION
    assert own.classify("污水没接入管网，河水很臭").category is Category.DRAINAGE
    assert own.classify("排污口在冒污水，河水很臭").category is Category.DRAINAGE
    assert own.classify("污水冒出来了").category is Category.DRAINAGE


def test_the_rules_file_checks_keep() -> None:
    """A keep entry is checked like an exclusion: a phrase needs two parts and no weight."""
    with pytest.raises(RulesError, match=r"categories\.drainage\.keep\[0\]\.words"):
        parse_rules('[categories.drainage]\nkeep = [{ words = ["接入"] }]\n')
    with pytest.raises(RulesError, match=r"categories\.drainage\.keep\[0\]\.weight: unknown key"):
        parse_rules('[categories.drainage]\nkeep = [{ words = ["接入", "管网"], weight = 2 }]\n')
