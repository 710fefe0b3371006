"""Short messages whose whole point is a request about the resident's own tasks.

"进度？", "我那个事咋样了", "不用了，谢谢" are not reports: they ask about, or call off, what the
resident already reported. But "水管又坏了，撤回不了" and "水管爆了有人来吗" are reports, and must
still be filed. So a phrase counts only when it is the whole message, give or take the words
people wrap around it — a greeting in front, "我那个事" as the subject, a particle or a thank-you
at the end. A subject is only skipped when it ends in 事 / 问题 / 工单: "水管爆了" names a
problem, "水管的事" refers to one.

The phrases themselves live next to the flow that answers them (:mod:`bot.desk.status`,
:mod:`bot.desk.withdrawal`), as lists of regular expressions; this module wraps them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlp.normalize import normalize

MAX_CHARS = 24
"""Longer messages are reports (or consultations), whatever phrase they contain."""

_LEAD = r"(?:请问|问一下|问下|你好|您好|喂|在吗|在不在|哎|唉|嗯|对了|同志|师傅)*"
_TOPIC = (
    r"(?:(?:我|俺|咱|我们|我家)(?:的|家)?)?"
    r"(?:那个|这个|那件|这件|上次|之前|刚才|昨天|前天|前几天|早上|上午|下午)*"
    r"(?:反映|报|说|提)?的?"
    r"(?:[\u4e00-\u9fff0-9]{0,8}?的?(?:事儿?|事情|问题|工单|单子?|情况))?"
)
_ADVERBS = r"(?:现在|目前|到底|究竟|还|都|那)*"
_TAIL = r"(?:呢|啊|呀|吧|哈|嘛|哦|噢|啦|了|谢谢|谢谢你|谢谢您|谢谢了|麻烦了|麻烦你了|辛苦了)*"
_NOT_WORDS = re.compile(r"[\W_]+")


def compact(text: str) -> str:
    """``text`` in matching form without spaces or punctuation (``进度？`` → ``进度``)."""
    return _NOT_WORDS.sub("", normalize(text))


def phrase_matcher(phrases: Sequence[str]) -> re.Pattern[str]:
    """One pattern for a whole short message built around any of ``phrases``; a message may
    hold up to three of them ("修好了，不用来了，撤回吧")."""
    cue = "|".join(f"(?:{phrase})" for phrase in phrases)
    return re.compile(f"{_LEAD}{_TOPIC}{_ADVERBS}(?:(?:{cue}){_TAIL}){{1,3}}")


def says(matcher: re.Pattern[str], text: str) -> bool:
    """Whether ``text`` is, as a whole, one of the phrases ``matcher`` was built from."""
    words = compact(text)
    return 0 < len(words) <= MAX_CHARS and matcher.fullmatch(words) is not None
