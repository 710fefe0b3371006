"""The part of a Tencent ``errmsg`` that says what went wrong, without the request's own tail.

WeChat appends `` rid: 6b04efa0-…`` to every ``errmsg``, WeCom ``, hint: […], from ip: …, more
info at …``: different for every request. Kept in an error's text, they would make every failure
a reason of its own where operators count failures by reason (``griddesk doctor``, the outbox's
given-up messages), so they are cut off; the code itself is always kept beside the text.
"""

from __future__ import annotations

import re

_TAIL = re.compile(r"(?:,?\s*hint:\s*\[.*|\s*rid:\s*\S+\s*)$", re.DOTALL)


def errmsg_core(errmsg: str) -> str:
    """``errmsg`` without the per-request tail Tencent appends."""
    return _TAIL.sub("", errmsg).strip()
