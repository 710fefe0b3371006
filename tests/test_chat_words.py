"""Grid matters in the words of a chat, and chat questions that are no grid matter.

Three helper sessions that had not seen the rules wrote about 500 chat messages in residents'
words (tests/data/LABELLING.md as their only guide). The words below were missing or misread
there; each was kept only when it changed no answer on the labelled real messages for the worse
(issue 15: read halves 4 right, 0 wrong; gates 2 right, 0 wrong; held-out 1 right, 0 wrong).
Left out for making real answers wrong: 违规搭建 (a power line "违规搭建" is the line's matter)
and 营业厅 (a telecom shop named as where the problem is). Every message below is made up.
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
        ("一楼那家院子里又起了一层 成二层小楼了", Category.ILLEGAL_CONSTRUCTION),
        ("后院那家平房上面又加了一层住人", Category.ILLEGAL_CONSTRUCTION),
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
        # a deposit, a car's inspection, a clinic: no grid matter
        ("装修公司拿了定金不干活了，能告他不", Category.OTHER),
        ("我家车年检去哪个检测站快点", Category.OTHER),
        ("社区卫生服务站几点开门，想量个血压", Category.OTHER),
    ],
)
def test_a_chat_message_finds_its_kind(language: Language, text: str, category: Category) -> None:
    assert language.classify(text).category is category
