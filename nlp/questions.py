"""Questions that are not repairs: 物业费怎么交, 社区几点下班, 居住证怎么办 (issue 11, point 7).

A resident asking how or when something is done needs an answer, not a repair crew; a good
12345 operator tells the two apart by whether anything is broken. So a message is a
consultation when it has a question's form and names no fault: "暖气怎么还不热？" asks, but
reports a heating failure, and stays a repair. The category alone cannot decide it — 物业费
scores as 物业服务 — so the fault words below do, with the words that ask someone to come and
act (能不能管管, 能派人来看看吗); an urgent message is never a consultation.
Pure, so it is tested without a database.
"""

from __future__ import annotations

import re

from nlp.classifier import Classification
from nlp.normalize import normalize
from nlp.taxonomy import Category

_QUESTION = re.compile(
    r"怎么|怎样|如何|哪天|哪里|哪儿|在哪|几点|几号|什么时候|多少|能不能|可不可以"
    r"|是否|请问|咨询|[?？]$"
    r"|何时|啥时候|为何|为什么"
)
"""Words that ask, as a plain alternation: ``re`` tries each at every position, so the search
is linear in the text. 何时, 啥时候 (when) and 为何, 为什么 (why) ask as 什么时候 does: "…何时完工",
"为何迟迟未能动迁" typed without a question mark are questions too."""
_ASKED_WITH_MA = ("可以", "能", "需要", "要")
"""Words that ask when a 吗 follows them anywhere later (能派人来看看吗, 要交钱吗).

Not written ``能.*吗`` in :data:`_QUESTION`: ``re`` would run ``.*`` to the end of the text
from every 能 and back, quadratic in a long text full of 能 and without 吗."""
_FAULT = re.compile(
    r"坏|不亮|不热|不凉|不通|不出|不转|不动|没水|没电|没气|停水|停电|停气|断水|断电|堵|漏|渗|"
    r"塌|裂|破|脏|臭|味|吵|噪|乱|占|困|冒烟|着火|起火|积水|故障|失灵|没人|不管|还不|一直|老是|"
    r"修|投诉|反映|"
    r"管管|管一管|管一下|来人|派人|来看看|过来看"  # asking for someone to act is a request
)


def is_consultation(text: str, result: Classification) -> bool:
    """Whether ``text`` (classified as ``result``) asks for information rather than a repair."""
    if result.urgent:
        return False
    normal = normalize(text)
    return _is_question(normal) and not _FAULT.search(normal)


def _is_question(normal: str) -> bool:
    """Whether the normalised ``normal`` has a question's form, in time linear in its length.

    One of :data:`_ASKED_WITH_MA` asks when it ends before the last 吗: what ``能.*吗`` matched,
    since the normal form has no line breaks for ``.`` to stop at.
    """
    if _QUESTION.search(normal):
        return True
    last_ma = normal.rfind("吗")
    return last_ma > 0 and any(normal.find(word, 0, last_ma) != -1 for word in _ASKED_WITH_MA)


_ASKING_KINDS = frozenset({Category.OTHER, Category.SOCIAL_SERVICES})
"""Where questions live: not a grid repair (其他), or 民政帮办's "how do I apply"."""
_QUESTION_MAX_CHARS = 60
"""Longer messages in the question's form are letters asking for help, not for information."""


def is_question_task(text: str, result: Classification) -> bool:
    """Whether ``text`` is filed as a 咨询 (answered within a day) rather than a repair.

    Stricter than :func:`is_consultation`, which only decides whether an FAQ answer is tried: a
    repair category (水箱多少年没洗了？, 能不能多装几个灯) keeps the repair's deadline and wording,
    since a repair filed as a question would be answered instead of fixed.
    """
    return (
        result.category in _ASKING_KINDS
        and len(normalize(text)) <= _QUESTION_MAX_CHARS
        and is_consultation(text, result)
    )
