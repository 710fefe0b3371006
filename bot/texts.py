"""Every word griddesk says to a person, in one place so it can be reviewed and translated.

Written the way a good 网格员 speaks: kind, plain, short, never blaming. Logs and code are
English; nothing user-facing lives anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.domain import DraftReason, Rating, TaskStatus
from bot.figures.compute import Figures, percent
from nlp.danger import Danger
from nlp.taxonomy import Category

# --- resident, private chat -------------------------------------------------------------------

WELCOME = (
    "您好，我是网格通，社区网格员的小帮手。\n"
    "家门口有什么问题（停水、停电、暖气不热、噪音、垃圾……），直接发文字或照片给我，"
    "我会马上转给负责您这片的网格员，并随时告诉您办理进度。\n\n"
    "先告诉我您住在哪个社区吧："
)
WELCOME_BOUND = (
    "您好！您登记的地址是：{place}。\n有问题直接发给我就行；要改地址，请在下面重新选择社区："
)
PICK_GRID = "请选择您住的小区："
PICK_REPORT_PLACE = "这件事在哪个小区？请选择："
"""The second step of saying where a waiting report is: not where the resident lives."""
BOUND = "好的，已登记您的地址：{place}。以后有问题直接发消息给我就行。"
ASK_PLACE = (
    "收到。为了转给负责的网格员，请告诉我这件事在哪个小区——可以直接打小区名字，也可以在下面选择："
)
ASK_PLACE_URGENT = (
    "{advice}\n\n已按紧急情况通知值班的工作人员。请马上告诉我这件事在哪个小区、几号楼，我好立即派人——"
    "直接打小区名字，或在下面选择："
)
PLACE_NOT_FOUND = (
    "没有找到“{text}”这个小区，您说的我已经记下了。请在下面选择，或者换个说法再发一次："
)
ADDED_ASK_PLACE = (
    "好的，已补充到刚才的问题里。还需要知道这件事在哪个小区——直接打小区名字，或在下面选择："
)
ASK_CATEGORY = "收到。请帮我选一下这属于哪类问题，我好转给对的人（都不像就点“其他”）："
ADDED_PICK_CATEGORY = "好的，已补充到刚才的问题里。请点上面的按钮选一下属于哪类问题。"
PHOTO = "照片"
DRAFT_STILL_NEEDS = {
    DraftReason.NEED_PLACE: "告诉我这件事在哪个小区",
    DraftReason.NEED_CATEGORY: "选一下属于哪类问题",
    DraftReason.NEED_TEXT: "用一两句话说说照片里是什么问题、在哪里",
    DraftReason.WORKER_CHOICE: "选一下这是您自己要反映的问题，还是关于哪个工单",
    DraftReason.SEVERAL: "选一下您说的几件事是分开办，还是合成一个工单",
    DraftReason.FAQ: "看看答复有没有解决，没解决就点“没解决，转给工作人员”",
}
"""What a waiting report still needs, by why it waits."""
DRAFT_REMINDER = (
    "您好，您刚才反映的问题（{text}）还差一步：请{needs}，我马上转给网格员。"
    "如果不需要了，不用回复。"
)
DRAFT_EXPIRED = (
    "您{day}反映的问题（{text}）一直没能{needs}，这次就先不转了。"
    "如果问题还在，请重新发给我，说清楚在哪里、是什么问题。"
)
SET_HOME = "把{place}设为我的住址"
"""A button on the receipt of a report placed by answering "where": the home address changes
only when the resident says so."""
MERGED_REPEAT = (
    "您说的和工单 {number}（{category}）是同一件事，已合并到这个工单，补充的内容已转给处理人员，"
    "不用再单独派单了。"
)
TOO_MANY_TODAY = (
    "您今天已经反映了 {count} 件问题，我们都记下了，正在办理。今天先不再新建工单；"
    "事情急的话请直接打电话给社区，明天也可以继续发给我。"
)
ASK_TEXT = "照片收到了。请再用一两句话说说是什么问题、在哪里，我好转给网格员。"
EMPTY_MESSAGE = "没有看到内容。有问题请直接用文字描述，也可以发照片并配上说明。"
WELCOME_THANKS = "不客气！有事随时找我。"
WELCOME_THANKS_PENDING = "不客气！工单 {number} 有进展我会马上告诉您。"
DETAIL_ADDED = "好的，已补充到工单 {number}，处理的工作人员能看到。"
NOT_A_REQUEST = "您好！有需要反映的问题，直接发文字或照片给我就行。发送 /help 查看使用说明。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看可以用的命令。"
SLOW_DOWN = "您发得有点快，我们一下子处理不过来，请稍等一分钟再发。"
SLOW_DOWN_PRESS = "您点得有点快，请稍等一分钟再点。"
SLOW_DOWN_NO_REPEATS = "同一件事不用重复发送，您已经反映的问题我们都会办理。"
"""Added to :data:`SLOW_DOWN` only when the resident has a report in hand it could repeat."""
NOT_HANDLED = (
    "实在抱歉，您刚才发来的消息我们这边没能处理好。"
    "麻烦您过一会儿再发一次；事情急的话，请直接打电话给社区。"
)
"""Said once when a message could not be handled even after retrying (the inbox gave it up)."""

HELP = (
    "网格通使用说明：\n"
    "• 直接发文字（或照片加说明）反映问题，我会转给负责的网格员；\n"
    "• /my 查看我反映过的问题和进度（也可以直接问“进度”）；\n"
    "• /cancel 撤回还没办完的问题（也可以直接说“不用了”）；\n"
    "• /start 重新选择住址；\n"
    "• /forget 删除我的个人信息。\n"
    "遇到火情、燃气泄漏、有人受伤等危险情况，请先拨打 119 / 110 / 120。"
)

URGENT_ADVICE = "⚠️ 如有人身危险，请立即拨打 119（火警）/ 110（报警）/ 120（急救），并远离危险区域。"
ADVICE = {
    Danger.GAS: "⚠️ 请马上开窗通风，不要开关电器、不要打电话、不要点火；"
    "离开房间到室外后，再拨打燃气抢修电话或 119。",
    Danger.FIRE: "⚠️ 请立即拨打 119，马上离开，不要乘电梯；有烟时用湿毛巾捂住口鼻、弯腰撤离。",
    Danger.INJURY: "⚠️ 有人受伤请立即拨打 120，不要随意搬动伤者；有人行凶请拨打 110。",
    Danger.LIFT: "⚠️ 被困电梯请不要扒门、撬门，按电梯里的警铃或拨打轿厢里贴的救援电话，"
    "也可以拨打 119，保持冷静等待救援。",
    Danger.PERSON_DOWN: "⚠️ 有人摔倒起不来，请马上拨打 120；不要硬把人拉起来，"
    "给他盖件衣服保暖，在旁边陪着等急救。",
    Danger.NO_ANSWER: "⚠️ 老人联系不上、敲门不应，请马上拨打 110 或 120，请他们开门进屋查看；"
    "有他家人电话的，也请赶紧打给家人。",
    Danger.LIVE_WIRE: "⚠️ 请远离掉落或冒火花的电线（至少 10 米），不要触碰，也不要让别人靠近；"
    "有人触电不要用手去拉，马上拨打 120；供电抢修电话 95598。",
    Danger.FALLEN_POLE: "⚠️ 请远离倒下的电线杆和电线（至少 10 米），不要触碰，提醒行人和车辆绕行；"
    "有人被砸伤或触电，马上拨打 120；供电抢修电话 95598。",
    Danger.BURST_MAIN: "⚠️ 家里跑水请先关闭进水总阀、断开进水处的电源，把电器移到高处；"
    "室外爆管请远离积水和路面塌陷处。",
    Danger.COLLAPSE: "⚠️ 请远离塌陷区域，提醒行人和车辆绕行；有人受伤请立即拨打 120 / 110。",
    Danger.MANHOLE: "⚠️ 请在井口周围放上显眼的东西（纸箱、树枝都行），提醒行人和车辆绕开，"
    "看好老人和孩子；有人掉下去，马上拨打 119 和 120。",
}
"""Safety advice by danger (:mod:`nlp.danger`): the first thing an urgent reply says."""


def advice(dangers: Sequence[Danger]) -> str:
    """The advice for ``dangers``, or the general advice when none is named."""
    return "\n".join(ADVICE[danger] for danger in dangers) or URGENT_ADVICE


def received(
    number: str,
    category: Category,
    handler: str,
    claim_by: str,
    resolve_by: str,
    *,
    night: bool = False,
    urgent_advice: str | None = None,
    question: bool = False,
    by_grid: bool = True,
) -> str:
    """受理告知: the moment a message becomes a task the resident learns its number, who
    handles it, by when someone takes it up and by when it should be done, and that they may be
    called back. At night the first line says when someone will be in touch; for an urgent
    report the safety advice comes first, before any number. ``claim_by``/``resolve_by`` as
    :func:`spoken`; ``by_grid``: whether a grid holds the task (else the community's or a
    department's staff, whom the first line must not call 网格员)."""
    what = "您的咨询" if question else "您反映的问题"
    staff = "网格员" if by_grid else "工作人员"
    first = (
        f"夜间已收到{what}，{claim_by}前有人联系您。"
        if night
        else (
            "已收到您的咨询，已转给工作人员答复。"
            if question
            else f"已收到您反映的问题，已转给{staff}处理。"
        )
    )
    lines = [
        first,
        f"工单号：{number}",
        f"类别：{category.zh}",
        f"负责：{handler}",
        f"时限：{claim_by}前有人接手，{resolve_by}前答复您"
        if question
        else f"时限：{claim_by}前有人接单，{resolve_by}前办好",
        "工作人员可能会打电话或发消息向您了解情况，请留意；办理进度我会随时告诉您。",
    ]
    if urgent_advice is not None:
        lines[:1] = [urgent_advice, "", "🔴 已按紧急情况处理，已同时通知社区。"]
    return "\n".join(lines)


HANDLER_GRID = "{unit}（网格员：{names}）"
"""Who handles a task held by a grid: the grid and its workers by name, as on the 网格公示牌."""


_NEAR_DAYS = {-1: "昨天", 0: "今天", 1: "明天", 2: "后天"}


def spoken(moment: datetime, today: date) -> str:
    """A local time as people say it, short enough for a button: ``今天 10:30``, ``明天 08:30``,
    ``12月9日 08:04``."""
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    named = _NEAR_DAYS.get((moment.date() - today).days)
    return f"{named} {clock}" if named else f"{moment.month}月{moment.day}日 {clock}"


STATUS_ZH = {
    TaskStatus.OPEN: "待认领",
    TaskStatus.CLAIMED: "办理中",
    TaskStatus.RESOLVED: "已办结，待您评价",
    TaskStatus.CLOSED: "已完成",
    TaskStatus.CANCELLED: "已撤回",
    TaskStatus.MERGED: "已合并",
}

NO_TASKS = "您还没有反映过问题。有需要直接发消息给我就行。"
MY_TASKS_HEADER = "您反映过的问题（最近 {count} 件）："


CANCEL_USAGE = (
    "请在 /cancel 后面写上工单号，例如：/cancel 20261122-0017（发送 /my 可以查看工单号）。"
)
CANCEL_NOT_FOUND = "没有找到您的工单 {number}。发送 /my 可以查看您的工单号。"
CANCEL_NOT_ACTIVE = "工单 {number} 现在是“{status}”，不能再撤回了。"
CANCELLED = "工单 {number} 已撤回。如果问题还在，随时再发消息给我。"

NOTICE_CLAIMED = "您反映的问题（{number}）已由{worker}接单，正在处理，{resolve_by}前办好。"
NOTICE_TRANSFERRED = "您反映的问题（{number}）已转交给{worker}继续处理，{resolve_by}前办好。"
NOTICE_RETURNED = (
    "您反映的问题（{number}）原来的工作人员处理不了，正在重新安排人员，{claim_by}前有人接单。"
)
NOTICE_ESCALATED = "您反映的问题（{number}）{reason}，已上报{unit}，{promise}。"
"""When a deadline slips (or a worker asks for help) the resident hears it once per move: the
reason in plain words and the new time."""
SLIP_REASON = {
    "claim": "没能在约定时间内安排上人员，很抱歉",
    "resolve": "没能在约定时间内办好，很抱歉",
    "asked": "需要{unit}协调解决",
}
"""Why a task went up, as the resident hears it: the claim deadline passed, the resolve
deadline passed, or the worker asked the level above for help (上报/吹哨)."""
SLIP_PROMISE_OPEN = "由他们安排人员处理，{claim_by}前有人接单、{resolve_by}前办好"
NOTICE_RESOLVED = "您反映的问题（{number}）已办结。\n办理结果：{result}\n\n请您对这次办理做个评价："
NOTICE_ANSWERED = "您咨询的问题（{number}）答复如下：\n{result}\n\n请您对这次答复做个评价："
NOTICE_CANCELLED_TO_WORKER = "居民已撤回工单 {number}，不用再处理了。"
NOTICE_MERGED = (
    "您反映的问题（{number}）和工单 {into} 是同一件事，已合并一起办理，办好后会告诉您结果。"
)
NOTICE_RESOLVED_MERGED = (
    "您反映的问题（{number}，与工单 {into} 合并办理）已办结。\n办理结果：{result}\n\n"
    "请您对这次办理做个评价："
)
NOTICE_UNMERGED = (
    "您反映的问题（{number}）原来和工单 {into} 合并办理；那件工单已撤回，您的问题会单独继续办理。"
)
THANKS_FOR_RATING = "谢谢您的评价！有问题随时找我们。"
ALREADY_RATED = "这件事已经评价过了，谢谢您！"

RATING_ZH = {Rating.SATISFIED: "满意", Rating.BASICALLY: "基本满意", Rating.UNSATISFIED: "不满意"}

# --- grid group: the task card ----------------------------------------------------------------

CLAIM = "认领"
RESOLVE = "办结"
TRANSFER = "转交"
ESCALATE = "上报"
GIVE_BACK = "退回"
CANCEL_TRANSFER = "取消"


def card(
    *,
    number: str,
    category: Category,
    urgent: bool,
    place: str,
    text: str,
    matched: Sequence[str],
    claim_by: str,
    resolve_by: str,
    status_line: str,
    result: str | None = None,
    photos: str | None = None,
    limit: int | None = None,
    earlier_result: bool = False,
    received: str = "",
    phone: str | None = None,
    question: bool = False,
    erased: bool = False,
    reachable: bool = True,
) -> str:
    """The task card a unit's group sees; ``place``, ``text`` and ``phone`` are already masked
    (``text`` on one line: :func:`one_line`), and ``text`` is quoted 「…」 as the resident's;
    ``erased``: the resident's data was deleted, so there are no words or contact to show;
    ``question``: a 咨询, answered rather than repaired.

    ``received``: when the report came in; ``phone``: the number the resident gave, if any (the
    claimer gets it whole, privately); ``reachable``: whether the claimer can reach the resident
    without it (a Telegram profile; not a WeChat follower or a 12345 caller).

    ``earlier_result``: the result is the one a reopened task had before (居民不满意).

    ``limit``: the most characters the card may have (a photo's caption holds 1,024). The
    resident's words give way first, then the result; the number, place, deadlines and status
    always stay whole, since they are what a worker acts on.
    """

    label = "咨询" if question else "工单"

    def render(words: str, outcome: str | None) -> str:
        lines = [
            f"{'🔴【紧急】' if urgent else '📋'}{label} {number}｜{category.zh}",
            f"地点：{place}",
            f"内容：{ERASED_WORDS}" if erased else f"内容：「{words}」",
        ]
        if photos:
            lines.append(photos)
        if received:
            lines.append(f"收到：{received}")
        if not erased:  # an erased resident's card offers no contact
            no_phone = CARD_NO_PHONE if reachable else CARD_NO_CONTACT
            lines.append(CARD_PHONE.format(phone=phone) if phone else no_phone)
        if matched:
            lines.append(f"识别依据：{'、'.join(matched)}")
        done = "答复" if question else "办结"
        lines += [f"时限：{claim_by} 前认领，{resolve_by} 前{done}", f"状态：{status_line}"]
        if outcome:
            lines.append(f"{'上次办理结果' if earlier_result else '办理结果'}：{outcome}")
        return "\n".join(lines)

    full = render(text, result)
    if limit is None or len(full) <= limit:
        return full
    result_label = len(render("", "…")) - len(render("", None)) - 1 if result else 0
    room = limit - len(render("", None)) - result_label  # for the words and the result
    kept_for_result = min(len(result or ""), room // 2)
    words = _cut_to(text, room - kept_for_result)
    return render(words, _cut_to(result, room - len(words)) if result else None)


def _cut_to(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending with … when cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


CARD_REPOSTED = "🔁 网络中断后补发：群里如果还有一张一样的旧卡片，请以这一张为准。\n"
"""Opens a card posted again when an earlier post may have reached the group (outbox)."""

STATUS_OPEN = "待认领"
STATUS_OPEN_ESCALATED = "待认领（{origin}的工单，已上报{unit}）"
STATUS_CLAIMED = "{worker} 于 {at} 认领，办理中"
STATUS_RESOLVED = "{worker} 已办结，等待居民评价"
STATUS_CLOSED = "已完成（居民评价：{rating}）"
STATUS_CLOSED_UNRATED = "已完成（回访期满，居民未评价）"
OVERDUE_CLAIM = "⚠️ 超时未认领"
OVERDUE_RESOLVE = "⚠️ 超时未办结"
STATUS_OVERDUE_AWAY = "{overdue}，已上报至{unit}"
REMIND_CLAIM = (
    "⚠️ 工单 {number}（{category}，{place}）已超过认领时限，还没有人认领。请 {names} 尽快认领处理。"
)
REMIND_RESOLVE_GROUP = "⚠️ 工单 {number}（{category}，{place}）已超过办结时限，请 {names} 尽快办理。"
REMIND_RESOLVE_PRIVATE = (
    "⚠️ 您认领的工单 {number}（{category}，{place}）已超过办结时限，请尽快办理，"
    "办完在工单卡片上点“办结”。"
)
REMIND_CLAIM_MANY = (
    "⚠️ 以下 {count} 件工单已超过认领时限，还没有人认领。请 {names} 尽快认领处理：\n{lines}"
)
REMIND_RESOLVE_GROUP_MANY = "⚠️ 以下 {count} 件工单已超过办结时限，请 {names} 尽快办理：\n{lines}"
REMIND_RESOLVE_PRIVATE_MANY = (
    "⚠️ 您认领的 {count} 件工单已超过办结时限，请尽快办理，办完在工单卡片上点“办结”：\n{lines}"
)
REMIND_LINE = "• {number}（{category}，{place}）"
REMIND_MORE = "…另有 {count} 件，请看标着“⚠️”的工单卡片。"
RATING_AGAIN = "您好，工单 {number} 已经办结几天了，还没收到您的评价。对这次办理满意吗？"

STATUS_ESCALATED_AWAY = "已上报至{unit}"
STATUS_CANCELLED = "居民已撤回"
STATUS_REOPENED_AWAY = "居民不满意，已重新打开并上报至{unit}"
UNKNOWN_PLACE = "地点未知（居民未说明）"
URGENT_ALERT = "🔴 紧急工单 {number}（{category}）已派给{unit}：{text}"
URGENT_ALERT_UNPLACED = (
    "🔴 紧急情况（地点待确认）：{category}｜{text}\n"
    "已提醒居民注意安全；居民说明地点后会立即派单到对应网格。"
)
URGENT_PLACED = "🔴 刚才地点待确认的紧急情况已确认在{place}，工单 {number} 已派给{unit}。"
MORE_PHOTOS = "照片：共 {count} 张，认领后私信发给认领人"
CLAIMER_PHOTO = "工单 {number} 的照片 {index}/{count}"
ADDED_TO_CLAIMER = "工单 {number} 居民补充：{text}"
ADDED_LINE = "补充：{text}"
"""Starts the words a resident adds to a task already filed (shown on its card)."""
MERGED_LINE = "合并自工单 {number}：{text}"
REOPENED_ALERT = "工单 {number} 的居民对办理结果不满意，已重新打开并上报至{unit}。"

CLAIMER_CONTACT = (
    "{opening}\n"
    "居民：{name}{username}\n"
    "{phone}"
    "联系：{link}\n"
    "地点：{place}\n"
    "原文：{text}\n"
    "办完后请在工单卡片上点“办结”。"
)
NO_DIRECT_CONTACT = (
    "没有可以直接联系居民的方式（如微信公众号上的居民），您填写的办理结果会由平台转告居民"
)
"""The contact line for a resident whose channel opens no profile (WeChat shows no one's)."""
ASK_RESULT = (
    "请回复工单 {number} 的办理结果，写清楚是怎么处理的（比如：已联系物业更换灯泡），"
    "可以附一张照片。发给居民前会先请您确认。"
)
RESULT_SAVED = "已办结工单 {number}，结果已告诉居民。辛苦了！"
TRANSFER_PICK = "转交给谁？"
NO_ONE_TO_TRANSFER = "这个单位没有其他成员可以转交。"
CLAIM_RELEASED = "工单 {number}（{category}）的认领人已不在岗，工单已退回待认领，请尽快认领。"
CLAIM_RELEASED_NOTE = "管理员解除了已离开人员的认领"
MERGE = "合并"
MERGE_PICK = "和哪个工单是同一件事？点它，本工单就合并过去："
MERGE_INTO = "→ {number}（{category}）{text}"
NO_TASK_TO_MERGE = "本群没有其他在办的工单可以合并。"
STATUS_MERGED = "已合并到工单 {number}"
RECATEGORISE = "改类别"
RECATEGORISE_PICK = "这个工单应该是哪一类？点正确的类别："

# --- answers to button presses (short alerts) -------------------------------------------------

ANSWER_CLAIMED = "认领成功，居民的联系方式已私信发给您。"
ANSWER_NOT_MEMBER = "您不是{unit}的成员，不能处理这个工单。"
ANSWER_TAKEN_BY = "已被{worker}认领了。"
ANSWER_NOT_OPEN = "这个工单现在是“{status}”，不能认领。"
ANSWER_INACTIVE = "这个工单现在是“{status}”，不用再处理了。"
ANSWER_NOT_CLAIMER = "只有认领人{worker}可以这样操作。"
ANSWER_NOT_CLAIMED = "这个工单还没有人认领。"
ANSWER_MOVED = "这个工单已转到{unit}处理。"
ANSWER_ASK_RESULT = "请在与机器人的私聊里回复办理结果。"
ANSWER_ESCALATED = "已上报至{unit}。"
ANSWER_TOP_LEVEL = "已经是最高一级，无法再上报。"
ANSWER_RETURNED = "已退回，工单重新等待认领。"
ANSWER_TRANSFERRED = "已转交给{worker}。"
REASSIGNED_FROM_YOU = "工单 {number} 已由{staff}改派给{worker}，您不用再办理了。"
RETURNED_FROM_YOU = "工单 {number} 已由{staff}退回待认领，您不用再办理了。"
ANSWER_EXPIRED = "这个按钮已失效。"
ANSWER_PRIVATE_ONLY = "这个按钮只能在您和机器人的私聊里用。"
ANSWER_OK = "好的。"
ANSWER_NOT_YOURS = "这不是您的工单。"
ANSWER_MERGED = "已合并到工单 {number}。"
ANSWER_MERGE_PICK = "请在卡片上选择要合并到的工单。"
ANSWER_RECATEGORISE_PICK = "请在卡片上选择正确的类别。"
ANSWER_RECATEGORISED = "已改为“{category}”，谢谢，识别规则会据此改进。"
ANSWER_SAME_CATEGORY = "类别没有变化。"
ANSWER_RECATEGORISE_WHO = "认领人或社区工作人员才能改类别，请先认领。"
ANSWER_NOT_HANDLED = "抱歉，刚才没能处理好，请过一会儿再点一次。"

# --- group commands ---------------------------------------------------------------------------

NO_OPEN_TASKS = "目前没有待办工单。👍"
OPEN_TASKS_HEADER = "{unit}待办工单（{count} 件）："
MINE_HEADER = "{worker}正在办理的工单（{count} 件）："
NO_MINE = "您目前没有正在办理的工单。"
NOT_A_KNOWN_GROUP = "这个群还没有登记为网格群，请联系管理员。"
NOT_STAFF = "这个命令只有网格员和社区工作人员可以用。"


# --- broadcasts (admins) ----------------------------------------------------------------------

BROADCAST_USAGE = (
    "发布通知的格式：/broadcast 时间 | 对象 | 内容\n"
    "时间：现在、今晚8点、明天早上8点、周五下午2点、12月8日 9点、2026-11-23 08:00，"
    "或每天 08:00、每周一上午9点（定期发）\n"
    "对象：居民:小区或社区名称（发给登记在那里的居民，夜间 {quiet} 默认顺延到早上），"
    "群:社区或网格名称（发到网格群）；多个用、隔开，或写 全部\n"
    "社区：{communities}\n"
    "例：/broadcast 明天早上8点 | 居民:审计厅小区 | "
    "明天9:00-17:00 审计厅小区3号楼停水，请提前储水。"
)
BROADCAST_ONLY_ADMINS = "只有街道管理员可以发布和管理通知。"
BROADCAST_BAD = "没看懂：{problem}\n\n{usage}"
BROADCAST_BAD_TIME = (
    "时间“{when}”（可以写 现在、今晚8点、明天早上8点、周五下午2点、12月8日 9点、"
    "2026-11-23 08:00、每天 08:00、每周一 08:00）"
)
BROADCAST_BAD_TARGET = (
    "对象“{target}”（写成 居民:小区或社区名称 或 群:社区或网格名称，多个用、隔开，或写 全部）"
)
BROADCAST_PREVIEW = (
    "通知预览（还没有发出）：\n时间：{schedule}（{first}）\n对象：{audience}\n内容：{text}\n\n"
    "确认后按时发送。"
)
BROADCAST_PREVIEW_ONCE = (
    "通知预览（还没有发出）：\n发送时间：{first}\n对象：{audience}\n内容：{text}\n\n{then}"
)
BROADCAST_THEN = "确认后按时发送。"
BROADCAST_AUDIENCE_GROUPS = "{names} 的网格群"
BROADCAST_AUDIENCE_RESIDENTS = "{names} 的居民（现有 {count} 人）"
BROADCAST_CONFIRM = "确认发送"
BROADCAST_DISCARD = "取消"
BROADCAST_STOP = "取消 #{id}"
BROADCAST_SCHEDULED = "已安排：通知 #{id}，{first}发出。"
BROADCAST_DISCARDED = "已取消，这条通知不会发出。"
BROADCAST_STOPPED = "通知 #{id} 已取消。"
BROADCAST_GONE = "这条通知已经不在待发列表里了。"
BROADCAST_NONE = "现在没有待发的通知。"
BROADCAST_LIST_HEADER = "待发的通知（{count} 条）："
BROADCAST_LINE = "#{id}｜{schedule}｜下次 {next}｜{audience}\n  {text}"
BROADCAST_PAST = "这个时间（{when}）已经过去了，请换一个以后的时间。"
BROADCAST_EMPTY = "通知内容不能为空。"
NOTICE_PREFIX = "📢 通知："

# --- broadcasts in plain words (issue 11, point 11): names, spoken times, quiet hours --------

BROADCAST_UNKNOWN_NAME_NEAR = "没有找到“{name}”。您是不是要写：{near}？"
BROADCAST_UNKNOWN_NAME = "没有找到“{name}”。可以写小区、社区或网格的名称，社区有：{communities}。"
BROADCAST_PLACE_IN_GRID = "{place}（{grid}）"
BROADCAST_QUIET_WARNING = (
    "⚠️ {when}正在夜间休息时段（{quiet}），居民可能已经睡了。"
    "通知默认等到{release}再发；如果是今晚的事、必须现在告诉居民，请选“{now_button}”。"
)
BROADCAST_SEND_NOW = "现在就发"
BROADCAST_SEND_AT = "仍在{time}发"
BROADCAST_SEND_AFTER_QUIET = "等到{time}再发"
BROADCAST_SENDING_NOW = "好的，通知 #{id} 马上发出。"
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def send_time(local: datetime, today: date) -> str:
    """A local send time an admin cannot misread: ``明天（11月23日 周一）08:00``."""
    day = f"{local.month}月{local.day}日 {WEEKDAYS[local.weekday()]}"
    clock = f"{local.hour:02d}:{local.minute:02d}"
    near = _NEAR_DAYS.get((local.date() - today).days)
    return f"{near}（{day}）{clock}" if near else f"{day} {clock}"


def task_line(number: str, category: Category, status: TaskStatus, text: str, due: str) -> str:
    """A task in /tasks and /mine; ``due``: the deadline that applies (:data:`DUE_CLAIM`…)."""
    return f"• {number}｜{category.zh}｜{STATUS_ZH[status]}｜{due}\n  {shorten(text, 30)}"


def one_line(text: str) -> str:
    """A resident's words on one line, their line breaks shown as " / ": on a card, nothing
    they write can start a line of its own and pass for the card's 状态 or 紧急 line."""
    return " / ".join(line.strip() for line in text.splitlines() if line.strip())


def shorten(text: str, limit: int) -> str:
    """One line, at most ``limit`` characters, with an ellipsis when cut."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def when(moment: datetime) -> str:
    """A local time as residents read it: ``11月22日 14:30``."""
    return f"{moment.month}月{moment.day}日 {moment.hour:02d}:{moment.minute:02d}"


# --- statistics (/stats) and digests ----------------------------------------------------------

STATS_WHERE = "统计按网格和社区提供：请在网格群、社区群或街道群里发送 /stats。"
STATS_TITLE = "📊 {scope} 近7天统计（{first}—{last}）"
WEEKLY_TITLE = "📊 {scope} 上周统计（{first}—{last}）"
STATS_TOTAL = "合计"
STATS_NOTE = (
    "按期答复率＝按时认领÷已到认领时限的件数（还在时限内没认领的暂不计），"
    "办结率＝已办结÷收到，满意率＝满意和基本满意÷已评价；居民撤回和合并到其他工单的另计，不算收到。"
)


def figures_block(name: str | None, figures: Figures) -> str:
    """One grid's (or the total's) figures; ``name`` None when the title already says whose."""
    lines = [] if name is None else [f"【{name}】"]
    apart = [
        f"撤回 {figures.withdrawn} 件" if figures.withdrawn else "",
        f"合并 {figures.merged} 件" if figures.merged else "",
    ]
    aside = "、".join(part for part in apart if part)
    lines += [
        f"收到 {figures.received} 件{f'（另有{aside}）' if aside else ''}，"
        f"按时认领 {figures.claimed_on_time} 件（已到时限 {figures.due} 件），"
        f"办结 {figures.resolved} 件，评价 {figures.rated} 件",
        f"按期答复率 {percent(figures.on_time_rate)}｜办结率 {percent(figures.resolve_rate)}｜"
        f"满意率 {percent(figures.satisfaction_rate)}",
        f"用时中位数：认领 {duration(figures.minutes_to_claim)}，"
        f"办结 {duration(figures.minutes_to_resolve)}",
    ]
    return "\n".join(lines)


def duration(minutes: float | None) -> str:
    """``25分钟``, ``2小时5分钟``, ``1天3小时``; ``—`` when nothing was measured."""
    if minutes is None:
        return "—"
    if minutes < 1:
        return "不到1分钟"
    days, rest = divmod(round(minutes), 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{mins}分钟" if mins else f"{hours}小时"
    return f"{mins}分钟"


def day(moment: date) -> str:
    """A local day as people write it: ``11月22日``."""
    return f"{moment.month}月{moment.day}日"


MORNING_TITLE = "☀️ {grid} 今日待办（{day}）"
MORNING_NOTHING = "目前没有待办工单。👍"
MORNING_OVERDUE = "⚠️ 已超时 {count} 件："
MORNING_OPEN = "待认领 {count} 件："
MORNING_CLAIMED = "办理中 {count} 件："
MORNING_MORE = "……另有 {count} 件，发送 /tasks 查看。"
MORNING_OVERDUE_CLAIM = "超时未认领（{at} 前）"
MORNING_OVERDUE_RESOLVE = "{worker}办理，超时未办结（{at} 前）"
MORNING_CLAIM_BY = "{at} 前认领"
MORNING_RESOLVE_BY = "{worker}办理，{at} 前办结"


def digest_line(number: str, category: Category, place: str, detail: str) -> str:
    """One task in the morning digest; ``place`` is already masked."""
    return f"• {number}｜{category.zh}｜{place}｜{detail}"


# --- 办结 confirmed by the worker (bot/desk/resolution.py) --------------------------------------

RESULT_PREVIEW = (
    "将告知居民：\n"
    "“您反映的问题（{number}）已办结。办理结果：{result}”\n\n"
    "点“确认”办结并告诉居民；点“修改”重新写；点“取消”暂不办结，工单仍由您办理。"
)
RESULT_PREVIEW_ANSWER = (
    "将告知居民：\n"
    "“您咨询的问题（{number}）答复如下：{result}”\n\n"
    "点“确认”答复居民；点“修改”重新写；点“取消”暂不答复，咨询仍由您办理。"
)
RESULT_CONFIRM = "确认"
RESULT_REVISE = "修改"
RESULT_DISCARD = "取消"
RESULT_TOO_THIN = (
    "“{result}”居民看不出办了什么。请写一下工单 {number} 具体是怎么处理的，"
    "比如：已联系物业更换灯泡，楼道灯已经亮了。"
)
RESULT_ASK_WORDS = (
    "照片收到了。请再用一两句话写一下工单 {number} 是怎么处理的，照片会和文字一起告诉居民。"
)
RESULT_REWRITE = "好的，请重新写工单 {number} 的办理结果："
RESULT_REWRITE_PHOTO = (
    "好的，请重新写工单 {number} 的办理结果（刚才的照片会一起发给居民，发新照片可以替换）："
)
RESULT_DISCARDED = (
    "好的，工单 {number} 暂不办结，还由您办理，居民没有收到消息。办完后再在工单卡片上点“办结”。"
)
RESULT_STALE = "工单 {number} 现在是“{status}”，这个办理结果没有发给居民。"
RESULT_NOW_WITH = "工单 {number} 现在由{worker}办理，这个办理结果没有发给居民。"
RESULT_ALREADY_SENT = "工单 {number} 已经办结，结果已经告诉过居民了。"
RESULT_OUTDATED = "这条预览已经过时，请在最新的那条预览上点。"
RESULT_GONE = "这条预览已失效，居民没有收到。需要办结，请在工单卡片上再点“办结”。"
RESULT_NOT_STAFF = (
    "您已不在工作人员名单中，工单 {number} 的办理结果没有发给居民，也不用再办理了。"
    "如有疑问，请联系社区。"
)
ANSWER_RESULT_SENT = "已办结，结果已告诉居民。"


# --- the category question on a phone, and 现在有危险吗 (bot/desk/category_choice.py) ----------

CATEGORY_OTHER = "其他"
"""The last button of the category question: the community desk reads the report and sorts it."""
DANGER_YES = "有危险"
DANGER_NO = "没有危险"
DANGER_EXAMPLES = {
    Category.GAS: "闻到燃气味、听到漏气声",
    Category.ELEVATOR: "有人困在电梯里、电梯突然下坠",
    Category.POWER: "电线掉下来、冒火花、有人触电",
}
"""What danger looks like in each kind that may be dangerous (``nlp.danger.DANGEROUS_KINDS``)."""


def ask_danger(category: Category) -> str:
    """The one yes/no question after a resident picks a kind that may be dangerous."""
    return (
        f"好的，是{category.zh}方面的问题。现在有危险吗？"
        f"比如{DANGER_EXAMPLES.get(category, '有人受伤')}。"
    )


# --- a worker writing privately: their own report, or about a task (bot/desk/workers_own.py) ---

WORKER_ASK = "您发来的“{text}”，是您自己要反映的问题，还是关于您正在办的工单？请点一下："
WORKER_ASK_NO_TASKS = (
    "您发来的“{text}”，是您自己要反映的问题吗？您目前没有正在办的工单；"
    "如果是别的事，点“不用记”就行。"
)
WORKER_OWN = "我自己要反映的问题"
WORKER_TASK = "关于 {number}｜{category}｜{text}"
WORKER_DROP = "不用记"
WORKER_DROPPED = "好的，这条不记了。"
WORKER_NOTE_SAVED = "已记到工单 {number}，同事们在工单卡片上能看到；居民不会收到这条。"
WORKER_NOTE_GROUP = "📝 工单 {number} 进展（{worker}）：{text}"
WORKER_NOTE_NOT_YOURS = "工单 {number} 现在不由您办理，这条没有记上。请在上面重新选一下。"
WORKER_NOTE_NOT_STAFF = (
    "您已不在工作人员名单中，这条没有记到工单 {number} 上。如有疑问，请联系社区。"
)


# --- a resident after filing: /my and status questions, withdrawals, replies to a result --------
# (bot.desk.status, bot.desk.withdrawal, bot.desk.feedback)

OPEN_TASKS_OF_RESIDENT = "您正在办理的问题（{count} 件）："
NOTHING_OPEN = "您现在没有正在办理的问题。发送 /my 可以查看以前反映过的。"
DRAFT_WAITING = "• 还没转出去：{text}\n  还差一步：请{needs}，我马上转给网格员。"
HOLDER_OPEN = "{unit}（待认领），预计 {due}前有人接单"
HOLDER_CLAIMED = "{worker}（{unit}）在办，预计 {due}前办好"
HOLDER_LATE = "，已超过预计时间，正在催办"
HOLDER_RESOLVED = "已办结，请在办结消息下面点个评价"
HOLDER_MERGED = "和工单 {into} 合并办理"


def resident_task_line(
    number: str, status: TaskStatus, category: Category, text: str, holder: str | None
) -> str:
    """One task in ``/my``: number, kind and status; who holds it and until when, while it is
    still being handled; the resident's own words."""
    middle = f"\n  {holder}" if holder else ""
    return f"• {number}｜{category.zh}｜{STATUS_ZH[status]}{middle}\n  {shorten(text, 30)}"


WITHDRAW_OFFER = "要撤回工单 {number}（{category}：{text}）吗？请点一下撤回的原因："
WITHDRAW_OFFER_CLAIMED = (
    "要撤回工单 {number}（{category}：{text}）吗？{worker}已经在办了，撤回后我会告诉他原因。"
    "请点一下撤回的原因："
)
WITHDRAW_KEEP = "不撤回"
WITHDRAW_REASONS = {"solved": "已解决", "unneeded": "不需要了", "other": "其他原因"}
"""The reasons a resident can give for withdrawing, by :class:`bot.desk.withdrawal.Reason`."""
WITHDRAWN = "好的，工单 {number} 已撤回（{reason}）。如果问题还在，随时再发消息给我。"
WITHDRAW_KEPT = "好的，工单 {number} 继续办理。"
NOTHING_TO_WITHDRAW = "您现在没有正在办理的问题，不用撤回。以后有需要随时发给我。"
CANCEL_PICK = "您有 {count} 件问题还在办理，点一下要撤回的那件："
CANCEL_PICK_LINE = "{number}｜{category}｜{text}"
NOTICE_WITHDRAWN_TO_WORKER = "居民已撤回工单 {number}（原因：{reason}），不用再处理了。"
STATUS_WITHDRAWN = "居民已撤回（原因：{reason}）"

# --- erasure: /forget (bot/desk/erasure.py) -----------------------------------------------------

ERASE_ASK = (
    "您要删除在这里留下的个人信息吗？\n"
    "删除后，您反映过的问题的文字、照片、联系方式和住址都会清除，还没办完的问题会撤回，"
    "删除后无法恢复。办理的次数和时间等统计数字会保留，但不再和您有关。"
)
ERASE_CONFIRM = "确认删除"
ERASE_KEEP = "先不删"
ERASE_KEPT = "好的，什么都没有删除。"
ERASED_DONE = (
    "已删除您的个人信息（涉及 {count} 个工单）。以后有问题，随时再发消息给我，我们照样办理。"
)
ERASED_WORDS = "（居民已要求删除个人信息）"
STATUS_ERASED = "居民已撤回，并要求删除个人信息"
NOTICE_ERASED_TO_WORKER = (
    "居民已撤回工单 {number}，并要求删除个人信息：不用再处理了，"
    "请不要再联系，并删除您保存的这位居民的联系方式。"
)
DRAFT_DROPPED = "好的，刚才的问题（{text}）就不转了。以后有需要随时发给我。"

FEEDBACK_NOT_FIXED = (
    "很抱歉！您说的情况已经记在工单 {number} 上。问题还没解决的话，请点“不满意，重新办理”，"
    "工单会重新交给网格员办理，您刚才说的会一并转告；已经解决了，也请点个评价："
)
ADDED_TO_RESULT = "好的，已补充到工单 {number} 上。"
FEEDBACK_ASK_RATING = "谢谢您！您说的已经记在工单 {number} 上。麻烦对这次办理点个评价："
REOPEN_BUTTON = "不满意，重新办理"
REOPENED_ASK_WHY = (
    "很抱歉没能让您满意。工单 {number} 已重新打开，交给{unit}重新办理。\n"
    "请说说哪里还不满意（比如还没修好、没人来过），我会转告给办理的人。"
)
REOPENED_WITH_WORDS = (
    "很抱歉没能让您满意。工单 {number} 已重新打开，交给{unit}重新办理，您说的情况已经转告。"
)
COMPLAINT_NOTED = "收到，您说的情况已经转告给办理工单 {number} 的人员，有进展我会告诉您。"
COMPLAINT_LINE = "居民不满意：{text}"
"""Starts the resident's words about why a result did not satisfy them (on the card)."""
COMPLAINT_TO_CLAIMER = "工单 {number} 居民不满意的地方：{text}"
STATUS_REOPENED = "待认领（居民不满意，重新办理）"
ANSWER_REOPENED = "已重新打开，会重新办理。"


# --- several problems in one message (bot/desk/several.py) -------------------------------------

SEVERAL_ASK = (
    "收到。您这条消息说了 {count} 件事：\n{lines}\n\n"
    "要分开办（每件一个工单，分别交给负责的人），还是合成一个工单？"
)
SEVERAL_ASK_LINE = "{index}. {category}：{words}"
SEVERAL_EACH = "分开办（{count}个工单）"
SEVERAL_EACH_ANY = "分开办，每件一个工单"
"""The button on the reminder, which does not count the problems again."""
SEVERAL_ONE = "合成一个工单"
SEVERAL_RECEIVED = "已收到，您说的 {count} 件事分别登记了工单："
SEVERAL_RECEIVED_NIGHT = "夜间已收到，您说的 {count} 件事分别登记了工单："
SEVERAL_RECEIVED_LINE = "{index}. {category}｜工单号 {number}"
SEVERAL_RECEIVED_DUTY = "负责：{handler}\n时限：{claim_by}前有人接单，{resolve_by}前办好"
"""Who handles the tasks and by when: said once when the tasks share it, else under each."""
SEVERAL_RECEIVED_END = (
    "工作人员可能会打电话或发消息向您了解情况，请留意；每件的进度我会分别告诉您。"
)
SEVERAL_ONE_NAMED = "这个工单包括您说的 {count} 件事：{categories}。"
"""Ends the receipt of one task for several problems."""
SEVERAL_ONE_LINE = "（居民在这条消息里说了 {count} 件事：{categories}，选择合成一个工单办理）"
"""Ends the words of one task for several problems, so its card lists every one."""
SEVERAL_WHOLE = "（居民原话：{text}）"
"""Follows the words about one problem on its task: the whole message, for the place, the
phone number and how long it has been, which the resident may have said only once."""


# --- what a worker reads: cards, reminders, lists (issue 11, point 10) -------------------------

CARD_PHONE = "电话：{phone}（认领后私信发完整号码）"
CARD_NO_PHONE = "联系：居民没有留电话，认领后私信发联系方式"
CARD_NO_CONTACT = "联系：居民没有留电话，也没有可以直接联系的方式，办理结果由平台转告居民"
"""A resident with no number on a channel that opens no profile (a WeChat follower, a 12345
caller): the claimer will get no way to reach them, so the card promises none."""
CLAIMER_PHONE = "电话：{phone}\n"
CLAIMED_BY_YOU = "您认领了工单 {number}（{category}）。"
TRANSFERRED_TO_YOU = "{giver}把工单 {number}（{category}）转交给您。"
DUE_CLAIM = "{at} 前认领"
DUE_RESOLVE = "{worker}，{at} 前办结"
DUE_OVERDUE = "⚠️ 已超时：{due}"


# --- questions that are not repairs: the FAQ (issue 11, point 7) ------------------------------

FAQ_ANSWER = (
    "您问的是：{question}\n\n{answer}\n\n"
    "如果这没有解决您的问题，点下面的按钮，我转给工作人员答复您。"
)
"""The FAQ's answer, given at once: no task is filed unless the resident presses the button."""
FAQ_TO_STAFF = "没解决，转给工作人员"


# --- residents on WeChat (handlers/wechat) ---------------------------------------------------

WECHAT_RESIDENT = "微信用户"
"""How a WeChat resident is named: WeChat gives a 公众号 no one's name."""
WECHAT_CHOICES = "回复数字即可："
"""Above the numbered choices, where WeChat has no buttons."""
WECHAT_MENU_TAIL = "点一下上面的选项就行。"
WECHAT_TYPE_PLEASE = (
    "抱歉，这段语音我没能听清。麻烦您打字告诉我是什么问题、在哪儿，我马上转给网格员。"
)
WECHAT_PHOTO_LOST = (
    "抱歉，您刚才发的照片我这边没能收到。麻烦您再发一次；"
    "也可以用文字说一下是什么问题、在哪儿，我马上转给网格员。"
)
"""A photo WeChat would not give us (it keeps a photo 3 days): the resident is asked again."""
WECHAT_NOT_SUPPORTED = "这类消息我看不了。有问题请直接发文字或照片给我，我马上转给网格员。"


def wechat_choices(text: str, labels: Sequence[str]) -> str:
    """A message whose buttons become numbered lines the resident answers with a number."""
    lines = "\n".join(f"{number}. {label}" for number, label in enumerate(labels, 1))
    return f"{text}\n\n{WECHAT_CHOICES}\n{lines}"


WECHAT_TEMPLATE_DETAILS = "发送 /my 查看详情"
"""A template message's remark when the notice offered no choices: how to read the whole."""


def wechat_template_remark(choices: Sequence[str]) -> str:
    """A template message's remark: the notice's choices, answered by number (回复 1满意 …)."""
    if not choices:
        return WECHAT_TEMPLATE_DETAILS
    return "回复数字：" + " ".join(f"{n}{label}" for n, label in enumerate(choices, 1))


# --- workers on WeCom (handlers/wecom) --------------------------------------------------------

WECOM_MORE = "更多…"
"""The button that turns a card to its next buttons: WeCom shows at most six on a card."""
WECOM_DONE = "已处理"
"""Shown in place of a card's buttons once nothing is left to press on it."""


# --- the web desk's sign-in (bot/webdesk/signin.py) -------------------------------------------

LOGIN_LINK = (
    "这是您登录网格通工作台的链接，{minutes}分钟内有效，只能用一次：\n{link}\n"
    "请不要转发给别人。如果不是您本人要登录，不用理会这条消息。"
)
LOGIN_NOT_STAFF = "工作台只对网格员和社区、街道的工作人员开放。如需开通，请联系社区或街道管理员。"
LOGIN_PRIVATE_ONLY = "为了安全，请在和我的私聊里发送 /login 获取登录链接。"


# --- 12345 work orders (bot/hotline) ----------------------------------------------------------

HOTLINE_CALLER = "12345来电人"
"""The name a 12345 caller's resident record carries: the caller's own name is never stored."""
HOTLINE_ORDER_HEADING = "【12345工单 {number}】"
"""The first line of an imported task's words: the card shows where it came from, and which
order the platform knows it by."""
HOTLINE_ORDER_TITLE = "标题：{title}"
HOTLINE_ORDER_CONTENT = "诉求：{content}"
HOTLINE_ORDER_ADDRESS = "地址：{address}"
