"""Letters that are not a grid's matter though they use its words (issue 15, recall of other).

A city's works on its river (整治, 治理, 改造) are its programme: asked when they end (完工)
or how they are getting on, they are the city's; the dirt itself (黑臭, 发臭) is the
environment's. Greening (绿化) is as often a park's or a
river bank's landscaping as a compound's lawn, so it is a strong hint, not the category by
itself; a works project holding a compound's land is a claim on the project. A worker's pay
owed is the labour office's, whatever trade the work was in, and a threat to everyone's safety
is no neighbours' dispute. A word holding a shorter rule word is not that word: 破烂不堪
(dilapidated) is no junk, 地下水 (groundwater) and 污水处理 (sewage treatment) no sewer.
Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    "text",
    [
        "请问我们小区旁边那条河的整治工程什么时候能完工？",
        "咨询一下东门外那条内河的综合治理工程何时完工？望答复",
        "内河完工时间 河道治理工期很慢，请问靠近我们小区那一侧具体完工时间？",
        "那条河的治理工程到底哪年竣工？",
        # greening asked of a river's or a park's works: their landscaping, not a lawn to tend
        "河边两侧为什么还不做绿化景观？河道整治完都一年多了，两边还一直用铁皮围着，"
        "附近居民每天出门看着都难受，别的区的河道早就修得漂漂亮亮，我们这边却一直拖着，"
        "希望相关部门重视一下，早点把这一段的景观做起来，给大家一个交代。",
        "新建的滨河公园绿化做得太差了，只铺了一层草皮，几乎没有花卉，附近几个小区的居民都有意见，和隔壁区的河道公园"
        "比差远了，同样是政府投资的工程，为什么差别这么大？希望有关部门一碗水端平，"
        "也给我们这边的市民一个像样的休闲环境，谢谢。",
        # a works project's progress asked about, in a line (路 is only the address)
        "人民路口的改造工程几月份启动？谢谢",
        "人民路那段的改造最新进展如何？谢谢。",
        # a works project that holds a compound's land: a claim on the project
        "小区旁边的河道改造占用了我们小区的绿地和停车位，都一年多了，水务公司一直拖着不处理，"
        "上次答复说月底前处理好，到现在也没有动静。",
        "内河整治工程侵占我们小区的公共用地，建设部门说是为了公益让业主做贡献，这合法吗？",
        # dilapidated (破烂不堪) is no junk (破烂), and groundwater no sewer (下水)
        "小区南大门拆了快一年了一直没有重建，现在还是一片废墟破烂不堪，老人孩子天天从这里过，"
        "恳求领导督促尽快重建。",
        "我们村四周高楼林立，唯独这里的房子破烂不堪，外来人口多，几十年了都说要拆迁，"
        "希望领导尽快推进。",
        "开发商的地下水开采证被取消了，小区原来承诺的二十四小时热水没有了，居委会也不管，"
        "业主投诉无门。",
        # sewage treatment, a plant's or a project's, is no sewer (污水处理 holds 污水)
        "请问一下村里的污水处理改造什么时候进行",
        # a threat to everyone's safety, not a neighbour's
        "河道施工方在施工的时候没有任何安全措施，严重威胁到附近居民的人身安全，请部门处理。",
        # pay owed, whatever trade the work was
        "我们几个人去年在工地上干消防水电安装的活，包工头到现在还拖欠我们工资六万多，"
        "打电话一直推，马上过年了，恳请领导帮我们要回血汗钱。",
        "今年三月给一家饭店装修干电工活，加班加点干完了，老板到现在一分工钱都不给，"
        "请领导帮忙解决。",
    ],
)
def test_not_a_grid_matter(language: Language, text: str) -> None:
    assert language.classify(text).category is Category.OTHER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # guards: the river's dirt, a river left uncleaned, a lawn destroyed stay the grid's
        ("小区后面的河道好多年没清淤了，一到夏天就发臭，蚊子特别多", Category.SANITATION),
        ("我们楼下的河又黑又臭，整治了几次也没用，请派人来看看", Category.SANITATION),
        ("楼前的绿化带被一楼住户毁了种菜", Category.GREENERY),
        ("小区绿化好久没人修剪了", Category.GREENERY),
        # a road dilapidated is the road's; a village on well water asks for the mains
        ("小区门口那条路破烂不堪，到处是坑", Category.ROADS),
        ("我们村一直喝的是地下水，水碱很大，什么时候能通上自来水", Category.WATER_SUPPLY),
        # guard: a road dug up by the works is the road's, however slow the works
        ("小区改造施工进度慢，路面挖开了到处是坑，出门都没法走", Category.ROADS),
        # guards: works asked about beside a water cut or a blocked road are the repair's
        ("水管什么时候完工？停水三天了", Category.WATER_SUPPLY),
        ("门口修路什么时候完工，车都开不出去", Category.ROADS),
        # guard: a neighbour's threat stays the neighbours' dispute
        ("邻居威胁说要打我，还天天在门口骂人", Category.NEIGHBOR_DISPUTE),
        # guard: a noise complaint about the works stays noise
        ("河道整治工地每天晚上十一点还在施工，噪音太大了睡不着觉", Category.NOISE),
    ],
)
def test_the_grids_own_matter_stays(language: Language, text: str, expected: Category) -> None:
    assert language.classify(text).category is expected
