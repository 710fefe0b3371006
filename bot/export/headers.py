"""Every Chinese word the Excel exports show, in one place to review (and to translate).

The sheets are what a community files with the street and the district each week, so the
words are a street office's own: 台账 columns as its forms name them, 按期答复率 / 办结率 /
满意率 as the 接诉即办 reports do. The column order here is the order in the sheet.
"""

from __future__ import annotations

from bot.domain import Rating, TaskKind, TaskStatus

# --- the 台账 (one row per task) ----------------------------------------------------------------

LEDGER_SHEET = "工单台账"
REPORTED_AT = "受理时间"
CLAIMED_AT = "认领时间"
CLAIM_DUE = "应认领时限"
RESOLVE_DUE = "应办结时限"
RESOLVED_AT = "办结时间"
REQUEST_TEXT = "诉求内容"
RESULT_TEXT = "办结说明"
LEDGER_COLUMNS = (
    "序号",
    "工单编号",
    REPORTED_AT,
    "诉求类型",
    "类别",
    "紧急",
    "社区",
    "网格",
    "位置",
    REQUEST_TEXT,
    "联系电话",
    "当前承办单位",
    "状态",
    "认领人",
    CLAIMED_AT,
    CLAIM_DUE,
    RESOLVE_DUE,
    RESOLVED_AT,
    RESULT_TEXT,
    "是否超期",
    "超期环节",
    "满意度",
    "上报次数",
    "转交次数",
    "不满意重办次数",
)
LEDGER_TIMES = frozenset({REPORTED_AT, CLAIMED_AT, CLAIM_DUE, RESOLVE_DUE, RESOLVED_AT})
LEDGER_TEXTS = frozenset({REQUEST_TEXT, RESULT_TEXT})
"""Free text: wrapped in a wide column."""

STATUS = {
    TaskStatus.OPEN: "待认领",
    TaskStatus.CLAIMED: "办理中",
    TaskStatus.RESOLVED: "已办结待评价",
    TaskStatus.CLOSED: "已完成",
    TaskStatus.CANCELLED: "居民撤回",
    TaskStatus.MERGED: "已合并",
}
KIND = {TaskKind.REPAIR: "办理", TaskKind.QUESTION: "咨询"}
RATING = {Rating.SATISFIED: "满意", Rating.BASICALLY: "基本满意", Rating.UNSATISFIED: "不满意"}
UNRATED = "未评价"
"""满意度 of a task closed when the 回访 window ended without a verdict."""
YES = "是"
NO = "否"
LATE_CLAIM = "认领"
LATE_RESOLVE = "办结"
LATE_JOIN = "、"
NOT_ON_ROLL = "（不在名册）"
"""认领人 who is no longer in the config's [[people]] (left, or renamed)."""

# --- the weekly figures (one row per grid per ISO week) -----------------------------------------

FIGURES_SHEET = "周统计"
WEEK_START = "开始日期"
WEEK_END = "结束日期"
ON_TIME_RATE = "按期答复率"
RESOLVE_RATE = "办结率"
SATISFACTION_RATE = "满意率"
CLAIM_HOURS = "认领用时中位数（小时）"
RESOLVE_HOURS = "办结用时中位数（小时）"
FIGURES_COLUMNS = (
    "周次",
    WEEK_START,
    WEEK_END,
    "社区",
    "网格",
    "收到",
    "已到认领时限",
    "按时认领",
    ON_TIME_RATE,
    "办结",
    RESOLVE_RATE,
    "评价",
    "满意（含基本满意）",
    SATISFACTION_RATE,
    CLAIM_HOURS,
    RESOLVE_HOURS,
    "撤回",
    "合并",
)
WEEK = "{year}年第{week}周"
TOTAL = "合计"
NOTHING = "—"
"""A rate with nothing to divide by, a median with nothing measured: never a made-up 0."""

# --- the 说明 sheet of each workbook -------------------------------------------------------------

ABOUT_SHEET = "说明"
ABOUT_TITLE_LEDGER = "{scope} 工单台账"
ABOUT_TITLE_FIGURES = "{scope} 接诉即办周统计"
ABOUT_DAYS = "受理日期：{first} 至 {last}"
ABOUT_TAKEN = "导出时间：{at}（{zone}）"
ABOUT_MASKED = "居民的电话、身份证号和门牌号已隐去部分数字。"
ABOUT_UNMASKED = "本表含居民联系方式等个人信息，请妥善保管，不得外传。"
ABOUT_LEDGER = (
    "是否超期：认领晚于认领时限（按期答复的口径），或办结晚于办结时限；"
    "未认领、未办结而时限已过的，也算超期。"
)
ABOUT_FIGURES = (
    "每周从周一到周日，按受理时间计入。按期答复率＝按时认领÷已到认领时限的件数"
    "（还在时限内没认领的暂不计），办结率＝已办结÷收到，满意率＝满意和基本满意÷已评价；"
    "居民撤回和合并到其他工单的另计，不算收到。"
)

DAY_FORMAT = "{year}年{month}月{day}日"


# --- the 12345 reply sheet (bot/hotline/reply.py) ---------------------------------------------

HOTLINE_REPLY_SHEET = "12345工单办理结果"
"""The reply sheet's tab."""
HOTLINE_REPLY_COLUMNS = ("工单编号", "状态", "办理结果", "办结时间", "是否按期", "满意度")

HOTLINE_STATUS = {
    TaskStatus.OPEN: "待接单",
    TaskStatus.CLAIMED: "办理中",
    TaskStatus.RESOLVED: "已办结",
    TaskStatus.CLOSED: "已办结",
    TaskStatus.CANCELLED: "已撤回",
    TaskStatus.MERGED: "已合并",
}
"""A task's status as the 12345 platform names its orders'."""
HOTLINE_MERGED_INTO = "已合并至工单{number}"
HOTLINE_ON_TIME = "是"
HOTLINE_LATE = "否"
HOTLINE_NOT_YET_DUE = ""
"""An order neither done nor past its deadline: not yet known whether it will be on time."""
HOTLINE_UNRATED = "未评价"
