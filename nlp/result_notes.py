"""Whether a worker's result note tells a resident anything (办结).

The note a worker writes after 办结 goes to the resident as the official 办理结果. Workers type
on the move, and an acknowledgement meant for a colleague ("好的马上去", "收到", "1") would
reach the resident as the outcome of their request. A note is *thin* when every clause of it
is made only of such acknowledgement words; the desk then asks what was actually done.
"已修好" or "已清运" is short but says what happened, so it passes: only words that say nothing
about the problem count as filler. Pure: no I/O.
"""

from __future__ import annotations

import re

from nlp.normalize import normalize

_FILLER = frozenset(
    {
        # acknowledging
        "好", "好的", "好滴", "好嘞", "好吧", "行", "可以", "收到", "知道", "知道了", "明白",
        "明白了", "了解", "嗯", "嗯嗯", "哦", "噢", "ok", "okay", "yes", "1", "没问题",
        "谢谢", "辛苦", "辛苦了",
        # saying it is done without saying what
        "已", "已经", "处理", "已处理", "处理了", "处理好", "处理好了", "处理完", "处理完了",
        "处理中", "正在处理", "办", "办了", "办好", "办好了", "已办", "办结", "已办结", "办完",
        "办完了", "完成", "完成了", "已完成", "搞定", "搞定了", "好了", "弄好", "弄好了",
        "解决", "已解决", "解决了", "结束", "完毕", "完了", "ok了",
        # on the way
        "马上", "马上去", "这就去", "现在去", "立即", "立刻", "去", "在去", "去了", "在路上",
        "到了", "已到", "稍后", "一会", "一会儿", "等会", "等一下", "尽快", "我", "我们",
        "这就", "正在", "在", "中",
        # particles
        "了", "的", "吧", "啊", "呢", "啦", "哈", "呀", "哒", "嘛", "哇",
    }
)  # fmt: skip
"""Words that acknowledge, promise or say "done" without saying what was done."""
_LONGEST = max(len(word) for word in _FILLER)
_CLAUSES = re.compile(r"[\s\W_]+")


def is_thin(note: str) -> bool:
    """Whether ``note`` says nothing a resident could learn from: empty, only punctuation,
    emoji or digits, or only acknowledgement words ("好的马上去", "已处理", "收到!")."""
    clauses = [c for c in _CLAUSES.split(normalize(note)) if c and not c.isdigit()]
    return all(_only_filler(clause) for clause in clauses)


def _only_filler(clause: str) -> bool:
    """Whether ``clause`` splits wholly into filler words (shortest path through the text)."""
    reachable = [True] + [False] * len(clause)
    for end in range(1, len(clause) + 1):
        reachable[end] = any(
            reachable[start] and clause[start:end] in _FILLER
            for start in range(max(0, end - _LONGEST), end)
        )
    return reachable[-1]
