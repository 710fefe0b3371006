"""A notice about a resident's own task, fitted into the configured template message.

A template message (模板消息) reaches a follower at any time, but only as the template's
fields, each of a kind with WeChat's limits (类目模板: ``thing`` 20 characters, ``phrase`` 5,
``character_string`` 32 …; a value that does not fit is refused with 47003). The notice keeps
what matters: its task number, its first sentence (已由张三接单…, 已办结), and what to answer —
the choices it offered, by number, which the resident may still answer (the answer opens a new
customer-service window, and :mod:`handlers.wechat.inbound` reads the number), or else how to
read the details.

Only a notice that names one of the resident's tasks is sent this way: a template is for a
person's own business, never a broadcast (WeChat's rules for templates forbid it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, tzinfo

from bot import texts
from bot.config.wechat import NoticeTemplate

TASK_NUMBER = re.compile(r"\d{8}-\d{4,}")
"""A task's number as the desk writes it (day, then serial: 20261122-0001)."""
_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "letter": 32,
           "name": 10, "car_number": 8, "phone_number": 17}  # fmt: skip
"""Characters a field of each kind takes (the kind is its name without the digits)."""
_OLD_STYLE_LIMIT = 200
"""Fields of templates from before the library (``first``, ``keyword1``, ``remark``)."""
_FIRST_SENTENCE = re.compile(r"[^。！？\n]+")
_NUMBER_IN_BRACKETS = re.compile(r"（\d{8}-\d{4,}[^）]*）")


def template_data(
    template: NoticeTemplate,
    text: str,
    choices: Sequence[str],
    at: datetime,
    zone: tzinfo,
) -> dict[str, str] | None:
    """The template's fields for the notice ``text`` (which offered ``choices``) sent ``at``;
    None when the notice names no task (it is not the resident's own business)."""
    number = TASK_NUMBER.search(text)
    if number is None:
        return None
    data = {
        template.number: number.group(),
        template.summary: summary(text),
    }
    if template.remark is not None:
        data[template.remark] = texts.wechat_template_remark(choices)
    if template.time is not None:
        data[template.time] = at.astimezone(zone).strftime("%Y年%m月%d日 %H:%M")
    return {field: fit(field, value) for field, value in data.items()}


def summary(text: str) -> str:
    """The notice's first sentence, without the task number it names in brackets."""
    plain = _NUMBER_IN_BRACKETS.sub("", text).removeprefix("您反映的问题")
    sentence = _FIRST_SENTENCE.search(plain)
    return (sentence.group() if sentence else plain).strip("，, ")


def fit(field: str, value: str) -> str:
    """``value`` cut to what a field named ``field`` takes, an ellipsis marking the cut."""
    limit = _LIMITS.get(field.rstrip("0123456789"), _OLD_STYLE_LIMIT)
    return value if len(value) <= limit else value[: limit - 1] + "…"
