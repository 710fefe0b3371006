"""`griddesk shell` shows the whole loop in a terminal, without a token or a network.

One test runs the installed command as a person would; the others drive :func:`run_shell` in
process with a script of lines and collect what it writes.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config.settings import ClassifierSettings, load_settings
from handlers import shell_wechat, shell_wecom
from handlers.shell import HELP, run_shell
from tests.harness import EXAMPLE

GRIDDESK = Path(sys.executable).parent / "griddesk"
SCRIPT = """\
审计厅小区3号楼2单元又停水了，电话13804711234
/as 张三
1
1
/chat
下午两点恢复供水了
1
/as 王阿姨
1
/quit
"""


def test_shell_walks_the_loop(tmp_path: Path) -> None:
    """Resident reports, 张三 claims and resolves, the resident rates: all shown in the terminal."""
    done = subprocess.run(
        # by day: at night the notices to the resident wait for the end of quiet hours
        [str(GRIDDESK), "shell", "--config", str(EXAMPLE), "--at", "2026-12-07 10:00"],
        input=SCRIPT,
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "XDG_CACHE_HOME": str(tmp_path)},
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    steps = [
        "工单号：",  # the receipt (the number carries today's date)
        "── 兴安南路第一网格（群） ──",
        "138****1234",  # the group sees a masked phone…
        "  [1] 认领",
        "（张三 点了“认领”）",
        "认领，办理中",
        "  [1] 办结",  # each printout numbers its buttons from [1]
        "居民：王阿姨",  # …the claimer gets the contact privately
        "13804711234",
        "（张三 点了“办结”）",
        "请回复工单",
        "将告知居民",
        "  [1] 确认",
        "（张三 点了“确认”）",
        "办理结果：下午两点恢复供水了",
        "请您对这次办理做个评价",
        "  [1] 满意",
        "（王阿姨 点了“满意”）",
        "已完成（居民评价：满意）",
    ]
    position = 0
    for step in steps:
        found = out.find(step, position)
        assert found >= 0, f"missing {step!r} after position {position}:\n{out[position:][:3000]}"
        position = found


async def _lines(script: Sequence[str]) -> AsyncIterator[str]:
    for line in script:
        yield line


BY_DAY = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
"""When the shell's clock starts unless a test says otherwise: at night (quiet hours) the bot
says so first and holds the resident's notices, whatever time the tests run at."""


async def shell(
    script: Sequence[str],
    cache_dir: Path,
    start: datetime = BY_DAY,
    *,
    wechat: bool = False,
    wecom: bool = False,
) -> list[str]:
    """Run the shell on the example config through ``script``; every line it wrote, in order.
    ``wechat``: as ``griddesk shell --wechat``, the resident on WeChat; ``wecom``: as
    ``--wecom``, the workers on WeCom."""
    settings = replace(load_settings(EXAMPLE), classifier=ClassifierSettings(cache_dir=cache_dir))
    written: list[str] = []
    await run_shell(
        settings, None, _lines(script), written.append, start, wechat=wechat, wecom=wecom
    )
    return [line for text in written for line in text.splitlines()]


def after(lines: list[str], marker: str) -> list[str]:
    """The lines written after the first one holding ``marker``."""
    return lines[next(i for i, line in enumerate(lines) if marker in line) + 1 :]


def printed_together(lines: list[str], first: str, then: str) -> bool:
    """Whether ``then`` is printed right after ``first`` somewhere in ``lines``: a press's
    card update and the presser's own message go out side by side (two outbox lanes), in
    either order."""
    return (first, then) in itertools.pairwise(lines)


@pytest.mark.asyncio
async def test_button_numbers_restart_with_each_printout(cache_dir: Path) -> None:
    """Every printout numbers its buttons from [1], and a number presses the last printout's."""
    lines = await shell(["审计厅小区3号楼2单元又停水了", "/as 张三", "1", "1", "/quit"], cache_dir)
    claimed = after(lines, "（张三 点了“认领”）")
    assert [line for line in claimed if line.startswith("  [")][:2] == ["  [1] 办结", "  [2] 转交"]
    assert "（张三 点了“办结”）" in claimed


@pytest.mark.asyncio
async def test_slips_answer_in_one_line_and_the_session_goes_on(
    cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No such number, another person's chat, a group one is not in, a failing step: one line."""
    script = [
        "1",  # nothing printed yet
        "停水了",  # no place: the bot asks for the community, with buttons in 王阿姨's chat
        "9",  # no such number
        "/as 张三",
        "1",  # a button in 王阿姨's private chat
        "/as 王阿姨",
        "审计厅小区3号楼2单元又停水了",  # [1] in 王阿姨's chat, [2] 认领 on the group's card
        "2",  # the resident presses 认领 in a group she is not in
        "水" * 5000,  # longer than Telegram allows: the step fails
        "/as 李四",
    ]
    with caplog.at_level(logging.WARNING, logger="handlers.shell"):
        lines = await shell(script, cache_dir)
    assert lines[1] == "（最近一次显示里没有按钮。）"
    asked = after(lines, "请告诉我这件事在哪个小区")
    assert asked[2] == "（没有按钮 [9]：最近一次显示的按钮是 [1] 到 [2]。）"
    assert after(lines, "（现在你是张三")[0] == "（张三不在“王阿姨的私聊”里，按不了那里的按钮。）"
    carded = after(lines, "📋工单")
    refused = "（王阿姨不在“兴安南路第一网格（群）”里，按不了那里的按钮。）"
    assert refused in carded
    failed = after(lines, refused)[0]
    assert failed.startswith("（这一步出错了：ValueError")
    assert after(lines, failed) == ["（现在你是李四，在：兴安南路第一网格（群））"]
    assert not any("Traceback" in line for line in lines)
    assert [r.levelname for r in caplog.records if r.name == "handlers.shell"] == ["WARNING"]


@pytest.mark.asyncio
async def test_time_starts_where_asked_and_moves_with_wait(cache_dir: Path) -> None:
    """At 23:30 a claim's notice to the resident waits; /wait 8h runs the night through and it
    arrives at 07:00. /time tells the time; a wait that cannot be read is one line."""
    night = datetime(2026, 12, 6, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    script = [
        "审计厅小区3号楼楼道灯坏了",
        "/as 张三",
        "1",
        "/as 王阿姨",
        "/time",
        "/wait 8h",
        "/wait 2x",
    ]
    lines = await shell(script, cache_dir, night)
    assert lines[1].startswith("（现在是 2026-12-06 23:30，在夜间免打扰时段（22:00-07:00）里")
    assert "夜间已收到您反映的问题，明天 09:00前有人联系您。" in lines
    before_wait = lines[: lines.index("（现在是 2026-12-06 23:30）")]
    assert not any("已由张三接单" in line for line in before_wait)
    waited = after(lines, "（过了 8h，现在是 2026-12-07 07:30）")
    assert waited[:2] == [
        "── 王阿姨的私聊 ──",
        "您反映的问题（20261206-0001）已由张三接单，正在处理，12月10日 07:00前办好。",
    ]
    assert waited[-1] == "（请写要等多久，例如 /wait 30m、/wait 2h、/wait 3d。）"


@pytest.mark.asyncio
async def test_help_and_greeting_are_chinese(cache_dir: Path) -> None:
    """/shell explains the shell in Chinese, and so does the first line."""
    lines = await shell(["/shell"], cache_dir)
    assert lines[0].startswith("网格通试用台 — 你现在是居民王阿姨")
    assert lines[1:] == HELP.splitlines()
    for line in lines:
        words = re.sub(r"/\w+|Ctrl\+D", "", line)
        assert not re.search(r"[A-Za-z]{2,}", words), line


# --- griddesk shell --wechat: the resident on WeChat, the workers on Telegram -------------------

ON_WECHAT = "── 王阿姨的微信 ──"
GRID_GROUP = "── 兴安南路第一网格（群） ──"


def wechat_messages(lines: list[str]) -> list[str]:
    """Each message printed under the resident's WeChat header, as one text."""
    headers = [i for i, line in enumerate(lines) if line == ON_WECHAT]
    messages = []
    for start in headers:
        following = range(start + 1, len(lines))
        end = next((i for i in following if lines[i].startswith(("── ", "（"))), len(lines))
        messages.append("\n".join(lines[start + 1 : end]))
    return messages


def test_shell_runs_with_the_resident_on_wechat(tmp_path: Path) -> None:
    """`griddesk shell --wechat` from piped input: the welcome and the receipt reach 王阿姨 on
    WeChat, the card the grid's Telegram group; /quit ends it cleanly."""
    done = subprocess.run(
        [str(GRIDDESK), "shell", "--config", str(EXAMPLE), "--wechat", "--at", "2026-12-07 10:00"],
        input="审计厅小区3号楼又停水了\n/quit\n",
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "XDG_CACHE_HOME": str(tmp_path)},
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.startswith("网格通试用台 — 你现在是居民王阿姨，刚在微信上关注了公众号")
    assert "[王阿姨 @ 王阿姨的微信] > " in out
    welcome = out.index("1. 兴安南路社区")
    receipt = out.index("工单号：20261207-0001", welcome)
    assert out.rfind(ON_WECHAT, 0, receipt) > welcome
    assert out.index(GRID_GROUP, receipt) < out.index("📋工单 20261207-0001", receipt)
    assert "王阿姨的私聊" not in out
    assert "Traceback" not in done.stderr


@pytest.mark.asyncio
async def test_wechat_welcome_numbers_bind_her_to_a_community(cache_dir: Path) -> None:
    """Following brings the welcome with numbered communities; her numbers are her text
    replies (there are no buttons on WeChat), read as the choices they stand for."""
    lines = await shell(["1", "2", "/chat", "/as 张三", "/as 王阿姨"], cache_dir, wechat=True)
    assert lines[0].startswith("网格通试用台 — 你现在是居民王阿姨，刚在微信上关注了公众号")
    welcome, communities, bound = wechat_messages(lines)
    assert welcome.startswith("您好，我是网格通")
    assert "回复数字即可：\n1. 兴安南路社区\n2. 四千米社区" in welcome
    assert "回复数字即可：\n1. 电影制片厂小区\n2. 审计厅小区" in communities
    assert bound.startswith("好的，已登记您的地址：审计厅小区。")
    assert not any(line.startswith(("（最近一次显示", "（没有按钮", "  [")) for line in lines)
    assert after(lines, bound.splitlines()[-1])[:3] == [
        "（王阿姨在微信上只有和公众号的这一个聊天：王阿姨的微信）",
        "（现在你是张三，在：兴安南路第一网格（群））",
        "（现在你是王阿姨，在：王阿姨的微信）",
    ]
    assert "王阿姨的私聊" not in "\n".join(lines)


@pytest.mark.asyncio
async def test_wechat_report_gets_a_receipt_and_the_claim_notice(cache_dir: Path) -> None:
    """Her report: the receipt on WeChat, the card in the grid's Telegram group; 张三 presses
    认领 by its number and she hears it on WeChat."""
    script = ["审计厅小区3号楼2单元又停水了", "/as 张三", "1"]
    lines = await shell(script, cache_dir, wechat=True)
    reported = after(lines, "2. 四千米社区")
    assert reported[0] == ON_WECHAT
    assert reported[1] == "已收到您反映的问题，已转给网格员处理。"
    assert "工单号：20261207-0001" in reported
    card = after(reported, GRID_GROUP)
    assert card[0] == "📋工单 20261207-0001｜供水"
    assert card[card.index("状态：待认领") + 1] == "  [1] 认领"
    claimed = after(lines, "（张三 点了“认领”）")
    assert claimed[0] == "── 兴安南路第一网格（群）（更新） ──"
    notice = claimed[claimed.index(ON_WECHAT) + 1]
    assert notice == "您反映的问题（20261207-0001）已由张三接单，正在处理，12月10日 10:00前办好。"


@pytest.mark.asyncio
async def test_wechat_notices_after_the_window_come_as_template_messages(cache_dir: Path) -> None:
    """Three days on her customer-service window is closed: the result reaches her as the
    template message, and her "1" (a new message, which opens a window) rates it."""
    script = [
        "审计厅小区3号楼2单元又停水了",
        "/as 张三",
        "1",  # 认领
        "/wait 3d",  # the overdue card shows [1] 办结 again
        "1",  # 办结
        "/chat",
        "下午两点恢复供水了",
        "1",  # 确认
        "/as 王阿姨",
        "1",  # 满意
    ]
    lines = await shell(script, cache_dir, wechat=True)
    resolved = after(lines, "（张三 点了“确认”）")
    template = resolved[resolved.index(ON_WECHAT) + 1 :][:4]
    assert template == [
        "【模板消息】工单编号：20261207-0001",
        "进度：已办结",
        "备注：回复数字：1满意 2基本满意 3不满意",
        "时间：2026年12月10日 10:00",
    ]
    rated = after(lines, "（现在你是王阿姨，在：王阿姨的微信）")
    assert rated[0] == ON_WECHAT
    assert "谢谢您的评价" in rated[1]
    assert any("已完成（居民评价：满意）" in line for line in rated)


@pytest.mark.asyncio
async def test_wechat_slips_answer_in_one_line(
    cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A message too large for WeChat to carry, a person who is not there,
    and the help: one line or the help, and the session goes on."""
    script = ["水" * 30_000, "/as 某某", "/shell", "审计厅小区3号楼又停水了"]
    with caplog.at_level(logging.WARNING, logger="handlers.shell"):
        lines = await shell(script, cache_dir, wechat=True)
    refused = after(lines, "2. 四千米社区")
    assert refused[0].startswith("（微信发不出这条消息（the body has 90")
    assert refused[1].startswith("（没有这个人。可以选：王阿姨、张三、李四")
    assert refused[2 : 2 + len(HELP.splitlines())] == HELP.splitlines()
    assert refused[2 + len(HELP.splitlines())] == shell_wechat.HELP.format(name="王阿姨")
    assert "工单号：20261207-0001" in after(lines, refused[2 + len(HELP.splitlines())])
    assert not [r for r in caplog.records if r.name == "handlers.shell"]


# --- griddesk shell --wecom: the workers on WeCom (with --wechat: no Telegram at all) ----------

ZHANG_SAN = "── 张三的企业微信 ──"
ZHANG_SAN_UPDATED = "── 张三的企业微信（更新） ──"
CARD = "【卡片】📋工单 20261207-0001｜供水"
CLAIMED = "状态：张三 于 12月7日 10:00 认领，办理中"
REFUSE_TELEGRAM = """\
import runpy, sys
from standins import telegram
def refuse(*args, **kwargs):
    raise RuntimeError("a Telegram stand-in was started")
telegram.BotApiStandIn.__init__ = refuse
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""
"""The installed ``griddesk`` command, run with a Telegram stand-in that refuses to start."""


def _no_telegram_standin(*args: object, **kwargs: object) -> None:
    raise AssertionError("a Telegram stand-in was started")


def test_shell_runs_with_wechat_and_wecom_and_no_telegram(tmp_path: Path) -> None:
    """`griddesk shell --wechat --wecom` from piped input: 王阿姨's receipt on WeChat, 张三's
    card in his chat with the WeCom app, and no Telegram stand-in is ever started (the
    command runs with one that refuses to start); /quit ends it cleanly."""
    command = [str(GRIDDESK), "shell", "--config", str(EXAMPLE), "--wechat", "--wecom"]
    done = subprocess.run(
        [sys.executable, "-c", REFUSE_TELEGRAM, *command, "--at", "2026-12-07 10:00"],
        input="审计厅小区3号楼又停水了\n/as 张三\n/quit\n",
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "XDG_CACHE_HOME": str(tmp_path)},
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.startswith(shell_wecom.WELCOME_WECHAT.format(name="王阿姨"))
    receipt = out.index("工单号：20261207-0001")
    assert out.rfind(ON_WECHAT, 0, receipt) >= 0
    assert "[张三 @ 张三的企业微信] > " in out
    assert out.index(CARD, out.index(ZHANG_SAN, receipt)) > receipt
    assert "Telegram stand-in" not in done.stderr
    assert "Traceback" not in done.stderr
    assert "私聊" not in out
    assert "（群）" not in out


@pytest.mark.asyncio
async def test_wecom_dialogue_report_claim_resolve_rate(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """王阿姨 on WeChat reports; 张三 sees the card in his WeCom app chat, presses 认领 by its
    number and sees it change; she hears the claim on WeChat; 李四's card shows the claim;
    张三 presses 办结, writes the result, confirms it on the preview card; her "1" rates it.
    No Telegram anywhere."""
    monkeypatch.setattr("handlers.shell.BotApiStandIn", _no_telegram_standin)
    script = [
        "审计厅小区3号楼2单元又停水了",
        "/as 张三",
        "1",  # 认领
        "/as 李四",
        "/as 张三",  # nothing new: his cards as they are now
        "1",  # 办结
        "下午两点恢复供水了",
        "1",  # 确认
        "/as 王阿姨",
        "1",  # 满意
    ]
    lines = await shell(script, cache_dir, wechat=True, wecom=True)
    assert lines[0] == shell_wecom.WELCOME_WECHAT.format(name="王阿姨")
    assert "工单号：20261207-0001" in wechat_messages(lines)[1]

    carded = after(lines, "（现在你是张三，在：张三的企业微信）")
    assert carded[:2] == [ZHANG_SAN, CARD]
    assert carded[carded.index("状态：待认领") + 1 :][:3] == [
        "  [1] 认领",
        "  [2] 合并",
        "  [3] 改类别",
    ]

    claimed = after(lines, "（张三 点了“认领”）")
    assert printed_together(claimed[:20], ZHANG_SAN_UPDATED, CARD)
    assert claimed[claimed.index(CLAIMED) + 1] == "  [1] 办结"
    notice = claimed[claimed.index(ON_WECHAT) + 1]
    assert notice == "您反映的问题（20261207-0001）已由张三接单，正在处理，12月10日 10:00前办好。"

    seen_by_li_si = after(lines, "（现在你是李四，在：李四的企业微信）")
    assert seen_by_li_si[:2] == ["── 李四的企业微信 ──", CARD]
    assert CLAIMED in seen_by_li_si[: seen_by_li_si.index("  [1] 办结")]

    again = after(seen_by_li_si, "（现在你是张三，在：张三的企业微信）")
    assert again[:3] == [
        shell_wecom.CARDS_NOW.format(chat="张三的企业微信", name="张三"),
        ZHANG_SAN,
        CARD,
    ]
    asked = after(lines, "（张三 点了“办结”）")
    assert asked[0] == ZHANG_SAN
    assert asked[1].startswith("请回复工单 20261207-0001 的办理结果")

    preview = asked[asked.index("【卡片】将告知居民：") - 1 :]
    assert preview[:3] == [
        ZHANG_SAN,
        "【卡片】将告知居民：",
        "“您反映的问题（20261207-0001）已办结。办理结果：下午两点恢复供水了”",
    ]
    assert preview[4:7] == ["  [1] 确认", "  [2] 修改", "  [3] 取消"]
    resolved = after(lines, "（张三 点了“确认”）")
    assert printed_together(resolved[:20], ZHANG_SAN_UPDATED, CARD)
    assert "状态：张三 已办结，等待居民评价" in resolved
    assert "办理结果：下午两点恢复供水了" in resolved
    assert "  （按钮已变灰：已处理）" in resolved
    invitation = resolved[resolved.index(ON_WECHAT) + 1 :]
    assert invitation[:2] == [
        "您反映的问题（20261207-0001）已办结。",
        "办理结果：下午两点恢复供水了",
    ]
    assert "1. 满意" in invitation

    rated = after(lines, "（现在你是王阿姨，在：王阿姨的微信）")
    assert rated[:2] == [ON_WECHAT, "谢谢您的评价！有问题随时找我们。"]
    assert not any(line.startswith("（这一步出错了") for line in lines)


@pytest.mark.asyncio
async def test_wecom_alone_keeps_the_resident_on_telegram(cache_dir: Path) -> None:
    """`--wecom` without `--wechat`: 王阿姨 writes on Telegram, 张三 claims on WeCom, and the
    claim notice reaches her Telegram chat; there are no Telegram groups."""
    lines = await shell(["审计厅小区3号楼2单元又停水了", "/as 张三", "1"], cache_dir, wecom=True)
    assert lines[0] == shell_wecom.WELCOME.format(name="王阿姨")
    assert lines[1:3] == ["── 王阿姨的私聊 ──", "已收到您反映的问题，已转给网格员处理。"]
    assert after(lines, "（现在你是张三，在：张三的企业微信）")[:2] == [ZHANG_SAN, CARD]
    claimed = after(lines, "（张三 点了“认领”）")
    notice = claimed[claimed.index("── 王阿姨的私聊 ──") + 1]
    assert notice.startswith("您反映的问题（20261207-0001）已由张三接单")
    assert not any("（群）" in line for line in lines)


@pytest.mark.asyncio
async def test_wecom_slips_answer_in_one_line(
    cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On WeCom: a number not on screen, a button on someone else's card, /chat, a person
    who is not there, a card that changed since it was printed: one line each, and the
    session goes on; /shell explains the WeCom side too."""
    script = [
        "审计厅小区3号楼2单元又停水了",
        "/as 张三",
        "7",  # the card has [1] to [3]
        "/chat",
        "/as 某某",
        "/as 李四",
        "1",  # 李四 claims: 张三's card changes, unseen by him
        "/as 张三",  # …so it is shown again, updated
        "/as 李四",
        "/cards",
        "/shell",
    ]
    with caplog.at_level(logging.WARNING, logger="handlers.shell"):
        lines = await shell(script, cache_dir, wechat=True, wecom=True)
    carded = after(lines, "（现在你是张三，在：张三的企业微信）")
    slips = after(carded, "  [3] 改类别")
    assert slips[:3] == [
        "（没有按钮 [7]：最近一次显示的按钮是 [1] 到 [3]。）",
        "（张三在企业微信上只有和应用的这一个聊天：张三的企业微信）",
        "（没有这个人。可以选：王阿姨、张三、李四、王芳、赵玉琴、刘书记、陈主任、供水公司老周、街道值班员）",
    ]
    updated = after(after(lines, "（李四 点了“认领”）"), "（现在你是张三，在：张三的企业微信）")
    assert updated[:2] == [ZHANG_SAN_UPDATED, CARD]
    assert "状态：李四 于 12月7日 10:00 认领，办理中" in updated
    cards = after(updated, "（现在你是李四，在：李四的企业微信）")
    assert cards[0] == shell_wecom.CARDS_NOW.format(chat="李四的企业微信", name="李四")
    listed = after(cards, "  [6] 改类别")
    assert listed[0] == "── 李四的企业微信 ──"  # /cards: the same card again, numbered anew
    help_lines = after(listed, "  [6] 改类别")
    assert help_lines[-len(shell_wecom.HELP.splitlines()) :] == shell_wecom.HELP.splitlines()
    assert not [r for r in caplog.records if r.name == "handlers.shell"]
