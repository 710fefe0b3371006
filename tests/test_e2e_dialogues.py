"""The loop as dialogue tables: who does what, and what each chat then shows.

Each dialogue is a list of steps run against the real bot (tests/harness.py) on SQLite and
PostgreSQL. A step is a person saying something (in their private chat, or in a group) or
pressing a button on a task card or on their last message, followed by what the named chats
must show: a chat's newest message, or a task card (``card@grid``), contains the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from standins.telegram import BotMessage, User
from tests.harness import World

pytestmark = pytest.mark.asyncio
N1 = "20261122-0001"


@dataclass(frozen=True)
class Say:
    who: str
    text: str
    expect: dict[str, str] = field(default_factory=dict)
    group: str | None = None
    """Write in this unit's group instead of the private chat."""


@dataclass(frozen=True)
class Press:
    who: str
    label: str
    expect: dict[str, str] = field(default_factory=dict)
    on: str = f"card@xingan-1:{N1}"
    """``card@UNIT:NUMBER`` (a task card) or a person's name (their newest message)."""
    answer: str | None = None
    """The toast or alert the presser sees."""


Step = Say | Press

DIALOGUES: dict[str, list[Step]] = {
    "report, claim, resolve, rate": [
        Say("王阿姨", "审计厅小区3号楼2单元又停水了，电话13804711234",
            {"王阿姨": f"工单号：{N1}", f"card@xingan-1:{N1}": "状态：待认领"}),
        Press("张三", "认领", {f"card@xingan-1:{N1}": "认领，办理中", "王阿姨": "已由张三接单",
                              "张三": "13804711234"}, answer="认领成功，居民的联系方式已私信发给您。"),
        Press("张三", "办结", {"张三": f"请回复工单 {N1} 的办理结果"}),
        Say("张三", "管道已抢修，下午两点恢复供水", {"张三": "将告知居民", f"card@xingan-1:{N1}": "办理中"}),
        Press("张三", "确认", {f"card@xingan-1:{N1}": "办理结果：管道已抢修",
                              "王阿姨": "请您对这次办理做个评价"}, on="张三"),
        Press("王阿姨", "基本满意", {f"card@xingan-1:{N1}": "已完成（居民评价：基本满意）"},
              on="王阿姨"),
    ],
    "a stranger's press, a stale second claim, transfer and give back": [
        Say("王阿姨", "电影厂小区5号楼楼道灯坏了", {f"card@xingan-1:{N1}": "路灯照明"}),
        Press("王芳", "认领", {f"card@xingan-1:{N1}": "状态：待认领"},
              answer="您不是兴安南路第一网格的成员，不能处理这个工单。"),
        Press("李四", "认领", {f"card@xingan-1:{N1}": "李四 于"}),
        Press("张三", "办结", {}, answer="只有认领人李四可以这样操作。"),
        Press("李四", "转交", {f"card@xingan-1:{N1}": "转交给谁？"}),
        Press("李四", "张三", {f"card@xingan-1:{N1}": "张三 于", "王阿姨": "已转交给张三继续处理"}),
        Press("张三", "退回", {f"card@xingan-1:{N1}": "状态：待认领", "王阿姨": "重新安排人员"}),
    ],
    "吹哨报到: up to the community, then to the department": [
        Say("王阿姨", "审计厅小区整栋楼停水三天了", {f"card@xingan-1:{N1}": "供水"}),
        Press("张三", "认领"),
        Press("张三", "上报", {f"card@xingan-1:{N1}": "已上报至兴安南路社区",
                              f"card@xingannanlu:{N1}": "兴安南路第一网格的工单，已上报兴安南路社区",
                              "王阿姨": "需要兴安南路社区协调解决，已上报兴安南路社区"}),
        Press("刘书记", "认领", {f"card@xingannanlu:{N1}": "刘书记 于"}, on=f"card@xingannanlu:{N1}"),
        Press("刘书记", "上报", {f"card@water:{N1}": "兴安南路第一网格的工单，已上报首府供水公司"},
              on=f"card@xingannanlu:{N1}"),
        Press("供水公司老周", "认领", {f"card@water:{N1}": "供水公司老周 于"}, on=f"card@water:{N1}"),
    ],
    "不满意 reopens one level up": [
        Say("王阿姨", "审计厅小区门口垃圾没人清，臭烘烘的"),
        Press("张三", "认领"),
        Press("张三", "办结"),
        Say("张三", "已清理"),
        Press("张三", "确认", on="张三"),
        Press("王阿姨", "不满意", {"王阿姨": "已重新打开，交给兴安南路社区重新办理",
                                  f"card@xingannanlu:{N1}": "待认领",
                                  "grid:xingan-1": "居民对办理结果不满意"}, on="王阿姨"),
    ],
    "questions before a task: where, and which kind": [
        Say("王阿姨", "这个事能不能管管", {"王阿姨": "在哪个小区"}),
        Say("王阿姨", "华建小区", {"王阿姨": "属于哪类问题"}),
        Press("王阿姨", "物业服务", {"王阿姨": "类别：物业服务", f"card@xingan-2:{N1}": "物业服务"},
              on="王阿姨"),
    ],
    "group commands and withdrawing": [
        Say("王阿姨", "审计厅小区健身器材坏了"),
        Say("张三", "/tasks", {"grid:xingan-1": "兴安南路第一网格待办工单（1 件）"}, group="xingan-1"),
        Say("王阿姨", f"/cancel {N1}", {"王阿姨": f"工单 {N1} 已撤回",
                                       f"card@xingan-1:{N1}": "居民已撤回"}),
        Say("张三", "/tasks", {"grid:xingan-1": "目前没有待办工单"}, group="xingan-1"),
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", list(DIALOGUES))
async def test_dialogue(w: World, name: str) -> None:
    """Every step's expectations hold, in order, for the named dialogue."""
    people = {**w.people, "王阿姨": w.resident()}
    for number, step in enumerate(DIALOGUES[name], 1):
        where = f"step {number} of {name!r}: {step}"
        if isinstance(step, Say):
            chat = w.group(step.group) if step.group else None
            await w.say(people[step.who], step.text, chat_id=chat)
        else:
            target = _target(w, people, step.on)
            answer = await w.press(people[step.who], target, step.label)
            if step.answer is not None:
                assert answer.text == step.answer, where
        for chat_key, text in step.expect.items():
            shown = _target(w, people, chat_key).content
            assert text in shown, f"{where}\n{chat_key} shows:\n{shown}"


def _target(w: World, people: dict[str, User], key: str) -> BotMessage:
    """``card@UNIT:NUMBER``, ``grid:UNIT`` (the group's newest message) or a person's name."""
    if key.startswith("card@"):
        unit, _, number = key.removeprefix("card@").partition(":")
        return w.card(w.group(unit), number)
    if key.startswith("grid:"):
        return w.last(w.group(key.removeprefix("grid:")))
    return w.last(people[key].id)
