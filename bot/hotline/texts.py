"""Every Chinese word the 12345 import puts in front of people: on the task (and so on the card
in the grid's group), as the caller's name, and in the reply sheet the 12345 platform reads.

Kept together so they can be reviewed, and later moved into :mod:`bot.texts`.
"""

from __future__ import annotations

from bot.domain import TaskStatus

CALLER = "12345来电人"
"""The name a 12345 caller's resident record carries: the caller's own name is never stored."""

ORDER_HEADING = "【12345工单 {number}】"
"""The first line of an imported task's words: the card shows where it came from, and which
order the platform knows it by."""
ORDER_TITLE = "标题：{title}"
ORDER_CONTENT = "诉求：{content}"
ORDER_ADDRESS = "地址：{address}"
ORDER_DUE = "答复时限：{due}"

REPLY_SHEET = "12345工单办理结果"
"""The reply sheet's tab."""
REPLY_HEADER = ("工单编号", "状态", "办理结果", "办结时间", "是否按期", "满意度")

STATUS = {
    TaskStatus.OPEN: "待接单",
    TaskStatus.CLAIMED: "办理中",
    TaskStatus.RESOLVED: "已办结",
    TaskStatus.CLOSED: "已办结",
    TaskStatus.CANCELLED: "已撤回",
    TaskStatus.MERGED: "已合并",
}
"""A task's status as the 12345 platform names its orders'."""
MERGED_INTO = "已合并至工单{number}"
ON_TIME = "是"
LATE = "否"
NOT_YET_DUE = ""
"""An order neither done nor past its deadline: not yet known whether it will be on time."""
UNRATED = "未评价"
