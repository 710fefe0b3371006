"""Which danger an urgent message is about, so the first reply gives the advice that fits.

A gas leak calls for open windows and no switches, a fire for 119, someone hurt for 120, a lift
for the alarm button and patience; telling everybody "call 119/110/120" helps nobody. The
classifier decides *whether* a message is urgent (its ``[urgent]`` rules); this module only
says *what kind* of danger it names, from the resident's words and the category, so the advice
texts (kept with every other user-facing text in ``bot/texts.py``) can be picked. Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum

from nlp.normalize import normalize
from nlp.taxonomy import Category


class Danger(StrEnum):
    """A kind of danger with its own safety advice."""

    GAS = "gas"
    FIRE = "fire"
    INJURY = "injury"
    PERSON_DOWN = "person_down"  # someone fell and cannot get up (often an old person alone)
    NO_ANSWER = "no_answer"  # an old person alone who does not answer the door or the phone
    LIFT = "lift"
    LIVE_WIRE = "live_wire"
    FALLEN_POLE = "fallen_pole"  # a pole down across a path, its wires with it
    BURST_MAIN = "burst_main"
    COLLAPSE = "collapse"
    MANHOLE = "manhole"  # an open manhole: someone walks into it


# The words that name each danger, in the order a reply gives their advice: what to do this
# second (gas, fire) before whom to call for a person hurt.
_WORDS: dict[Danger, tuple[str, ...]] = {
    Danger.GAS: ("煤气", "燃气", "天然气", "液化气", "煤汽", "燃汽", "然气", "燃起", "臭鸡蛋味",
                 "漏气", "跑气", "一氧化碳", "煤烟", "中毒"),
    Danger.FIRE: ("着火", "失火", "起火", "火灾", "冒烟", "浓烟", "烧起来", "爆炸", "火苗",
                  "明火", "黑烟", "白烟", "引着了", "烧着了", "电瓶着了", "着起来", "火苗子",
                  "全是烟", "都是烟", "烟感", "车炸了", "电瓶炸了"),
    Danger.INJURY: ("受伤", "流血", "出血", "昏倒", "晕倒", "昏迷", "不省人事", "摔倒", "摔伤",
                    "救命", "砍人", "打人", "咬人", "坠落", "骨折", "喘不上气", "喘不过气",
                    "上不来气", "坠楼", "摔下来", "从楼上掉", "打起来", "干起来", "拿刀", "动刀",
                    "头破", "扭打", "一地血", "好多血", "满脸血", "满头血", "钢管", "棍子"),
    Danger.PERSON_DOWN: ("起不来", "爬不起来", "站不起来", "倒在地上", "倒地不起", "躺在地上",
                         "摔在地上", "躺那不动", "躺着不动", "叫不醒"),
    Danger.NO_ANSWER: ("敲门不开", "敲门没人应", "敲门也没人应", "敲门不应", "喊半天不应",
                       "叫门不应", "没人开门", "联系不上", "电话不接", "没见人", "没见出门",
                       "没亮灯"),
    Danger.LIFT: ("困人", "被困", "困在", "关在", "卡在", "出不来", "两层中间"),
    Danger.LIVE_WIRE: ("触电", "电死", "电线", "高压线", "电缆", "火花", "漏电", "打火",
                       "泡在水里", "被电了", "带电", "有电"),
    Danger.FALLEN_POLE: ("电线杆", "电杆", "线杆", "杆子倒", "杆倒"),
    Danger.BURST_MAIN: ("爆管", "水管爆", "管子爆", "管道爆", "水管裂", "管崩", "喷水", "淹了",
                        "淹水", "跑水", "越来越深", "越返越多", "越冒越多", "往里灌", "污水管爆",
                        "下水管爆", "呲水", "越翻越多", "还在往上冒", "还在往上涨"),
    Danger.COLLAPSE: ("塌陷", "塌方", "地陷", "天坑", "坍塌", "塌了"),
    Danger.MANHOLE: ("井盖", "窨井", "井口", "下水井", "污水井", "雨水井", "井没盖", "井没有盖"),
}  # fmt: skip

# Who may be lying behind a door that does not open: NO_ANSWER only with one of them named.
_ALONE = ("独居", "一个人", "孤寡", "空巢", "老人", "大爷", "大妈", "奶奶", "爷爷", "老太",
          "老爷子", "老头", "姥姥", "姥爷", "我妈", "我爸")  # fmt: skip

# A danger whose advice already says everything the other's does, for the same thing: a fallen
# pole is also a wire down, a person who cannot get up is also someone hurt.
_COVERS = {Danger.FALLEN_POLE: Danger.LIVE_WIRE, Danger.PERSON_DOWN: Danger.INJURY}

# A category names the danger when the words alone do not (电梯困人 is a lift, 燃气 is gas).
_BY_CATEGORY = {
    Category.GAS: Danger.GAS,
    Category.FIRE_SAFETY: Danger.FIRE,
    Category.ELEVATOR: Danger.LIFT,
    Category.POWER: Danger.LIVE_WIRE,
    Category.WATER_SUPPLY: Danger.BURST_MAIN,
    Category.DRAINAGE: Danger.BURST_MAIN,
    Category.ROADS: Danger.COLLAPSE,
}

DANGEROUS_KINDS = frozenset({Category.GAS, Category.ELEVATOR, Category.POWER})
"""Kinds of problem that may be a danger right now (a leak, someone trapped, a wire down)
although the words did not say so: a resident who picks one is asked whether it is."""

MOST = 2
"""Advice for at most this many dangers: a reply a frightened resident reads in seconds."""


def dangers(text: str, category: Category) -> tuple[Danger, ...]:
    """The dangers ``text`` names, most pressing first (at most :data:`MOST`); the category's
    own danger when no word names one; empty when neither does (general advice then)."""
    normal = normalize(text)
    found = [danger for danger, words in _WORDS.items() if any(w in normal for w in words)]
    if Danger.LIFT in found and "电梯" not in normal and category is not Category.ELEVATOR:
        found.remove(Danger.LIFT)  # 被困 without a lift: trapped somewhere, not a lift
    if Danger.NO_ANSWER in found and not any(word in normal for word in _ALONE):
        found.remove(Danger.NO_ANSWER)  # "物业电话不接": no one alone behind a door
    found = [danger for danger in found if not any(_COVERS.get(f) is danger for f in found)]
    if not found and category in _BY_CATEGORY:
        found = [_BY_CATEGORY[category]]
    return tuple(found[:MOST])
