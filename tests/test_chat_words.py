"""Grid matters in the words of a chat, and chat questions that are no grid matter.

Helper sessions that had not seen the rules wrote chat messages in residents' words
(tests/data/chat.csv; LABELLING.md their only guide). The words below were missing or misread
there; each was kept only when the labelled real messages agreed (over the whole change, against
the rules before it: read halves 4 messages and 6 titles right, 1 wrong; never-read gates 8
right, 1 wrong; held-out 4 right, 1 wrong) and two sessions asked to break the new words found no
everyday use they misread. Left out for making real answers wrong: 违规搭建 (a power line), 营业厅,
楼盘, 渗水 as a weak hint; for everyday uses: 修车, 开盘, 验车, 加了一层 (a coat of snow, a kettle's
scale). Every message below is made up.
"""

from __future__ import annotations

import pytest

from bot.language import Language
from nlp.taxonomy import Category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # built on or partitioned, in a chat's words
        ("投诉沿街商铺违法加建夹层阁楼", Category.ILLEGAL_CONSTRUCTION),
        ("隔壁单元把阳台往外接出去一截 悬空的", Category.ILLEGAL_CONSTRUCTION),
        ("地下室让人隔成一间一间的往外租 住了老些人", Category.ILLEGAL_CONSTRUCTION),
        ("临街那家把外墙打开开了个门 做起小卖部了", Category.ILLEGAL_CONSTRUCTION),
        # an instrument practised next door is noise, not a quarrel with the neighbour
        ("隔壁单元有人天天练萨克斯 一练俩小时", Category.NOISE),
        # things left on the stairs, spit on the walls: the place's cleaning
        ("快递盒子纸箱子在单元门口堆好几天了 谁管管", Category.SANITATION),
        ("楼导里有人搁了旧沙发旧床垫 占了半个楼梯", Category.SANITATION),
        ("楼道里老有人吐痰 恶心死了", Category.SANITATION),
        # a car that hemmed another in, named by its kind
        ("谁家的车半夜把我车给别里头了 7号楼后面", Category.PARKING),
        # jieba cut 小区路/灯: the compound's street lamp flickers
        ("小区路灯忽明忽暗的 晃眼睛", Category.STREET_LIGHTS),
        # a lawn dug up for vegetables named by the crop
        ("一楼那老太太把楼前草坪刨了种葱种豆角", Category.GREENERY),
        # a button to call for help, for an old person at home
        ("老伴心脏不好，有没有那种一键呼叫的", Category.SOCIAL_SERVICES),
        ("楼下主管道堵了 整个单元马桶都冲不下去", Category.DRAINAGE),
        ("厨房水池子下不去水 泡了一池子脏水", Category.DRAINAGE),
        # rats by their northern name, the management by a pinyin slip (物叶 for 物业)
        ("地下室耗子老鼻子了 还咬东西", Category.SANITATION),
        ("报修三回了物叶没人来 就会收钱", Category.PROPERTY_MGMT),
        # a fight going on is the matter, whatever it is over
        ("楼下两家因为车位的事打起来了，一个拿着棍子", Category.NEIGHBOR_DISPUTE),
        ("为了车位俩邻居扭打一块了", Category.NEIGHBOR_DISPUTE),
        # a tree by its kind, dying; a drain's grate by its correct character (箅子, not 篦子)
        ("小区东边那棵老槐树半边都枯死了，底下就是停车的地方", Category.GREENERY),
        ("雨水箅子让树叶和垃圾糊死了，根本不往下走", Category.DRAINAGE),
        # a street's trades: a hawker's loudspeaker, a butcher's blood, an open ditch, a site's
        # wiring, tricycles left across a door, a management that only takes the money
        ("夜市摊主拿扩音器叫卖，关上窗户都能听见", Category.NOISE),
        ("羊肉馆在门口杀羊，血水淌一地", Category.SANITATION),
        ("路边明沟一年没清了，淤泥都满了", Category.DRAINAGE),
        ("工地工人宿舍乱拉电线用电炉子", Category.FIRE_SAFETY),
        ("快递三轮和电动车在楼门口横七竖八的", Category.PARKING),
        ("物业光收钱，底商把垃圾堆后院也不管", Category.PROPERTY_MGMT),
        ("楼下那家烧烤一串羊肉串卖八块，还缺斤少两", Category.OTHER),
        # a street sign is a public facility (read halves 2 right; gates 4 right, 1 wrong)
        ("路口的路牌字迹模糊，杆子油漆剥落", Category.PUBLIC_FACILITIES),
        ("3号楼那边的换电柜一直显示故障", Category.PUBLIC_FACILITIES),
        ("一楼开门改商铺", Category.ILLEGAL_CONSTRUCTION),
        # a neighbour who shoves, or raises a knife (砍 is no tree felled then)
        ("说了他一句，他家老爷们就推了我一把，腰现在还疼", Category.NEIGHBOR_DISPUTE),
        # ...while a stove lit, a thin coat of snow, a kettle's scale are no fire nor building
        ("早上好不容易把炉子点着了 屋里才11度 暖气一点不热", Category.HEATING),
        ("路上盖了一层雪 三天了没人扫", Category.SANITATION),
        ("五楼那男的拎着菜刀在楼道里喊要砍楼下那家，门都踹了", Category.NEIGHBOR_DISPUTE),
        # a deposit, a car's inspection, a clinic: no grid matter
        ("装修公司拿了定金不干活了，能告他不", Category.OTHER),
        ("我家车年检去哪个检测站快点", Category.OTHER),
        ("社区卫生服务站几点开门，想量个血压", Category.OTHER),
    ],
)
def test_a_chat_message_finds_its_kind(language: Language, text: str, category: Category) -> None:
    assert language.classify(text).category is category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a utility's telephone or office asked for, a job at the management company, something to
        # buy, a car repair, a fraud warning: a question for the desk, not a fault
        ("自来水公司客服电话多少", Category.OTHER),
        ("燃气公司营业时间几点到几点", Category.OTHER),
        ("物业公司还招保洁不，我想干", Category.OTHER),
        ("想买个电暖气，啥牌子省电", Category.OTHER),
        ("有人接到电话说是燃气公司的要转账，大家注意是诈骗", Category.OTHER),
        ("电费阶梯价是咋算的，咋这个月这么多", Category.OTHER),
        # ...while the same companies named beside a fault stay the fault's
        ("燃气公司电话打不通，家里没气了", Category.GAS),
        ("取暖费早交了咋还不给开栓", Category.HEATING),
        # jieba cuts 有/辆车: the car that blocks a door is still a car
        ("有辆车天天堵我们单元门口，打电话也不接", Category.PARKING),
    ],
)
def test_a_question_for_the_desk_is_not_a_fault(
    language: Language, text: str, category: Category
) -> None:
    assert language.classify(text).category is category
