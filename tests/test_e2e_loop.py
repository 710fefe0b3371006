"""The whole loop, end to end: real PTB Application ↔ HTTP ↔ Bot API stand-in, real database.

Each test is a dialogue: who does what, and what the bot then shows whom. Runs on SQLite and,
when it answers on 127.0.0.1:5432, on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.harness import World

pytestmark = pytest.mark.asyncio


async def test_resident_report_is_claimed_resolved_and_rated(w: World) -> None:
    """A resident's message becomes a card; a worker claims, resolves; the resident rates."""
    resident = w.resident()
    zhang = w.people["张三"]
    grid = w.group("xingan-1")

    replies = await w.say(resident, "审计厅小区3号楼2单元又停水了，电话13804711234")
    receipt = next(m for m in replies if m.chat_id == resident.id)
    assert "工单号：20261122-0001" in receipt.content
    assert "类别：供水" in receipt.content
    assert "负责：兴安南路第一网格" in receipt.content
    card = w.card(grid, "20261122-0001")
    assert "地点：审计厅小区 3号楼2单元" in card.content
    assert "138****1234" in card.content
    assert "13804711234" not in card.content
    assert "识别依据：停水" in card.content
    assert [t for row in card.buttons for t, _ in row] == ["认领", "合并", "改类别"]

    answer = await w.press(zhang, card, "认领")
    assert "认领成功" in (answer.text or "")
    card = w.card(grid, "20261122-0001")
    assert "张三 于" in card.content
    assert "认领，办理中" in card.content
    assert [t for row in card.buttons for t, _ in row] == [
        "办结",
        "转交",
        "上报",
        "退回",
        "合并",
        "改类别",
    ]
    assert "已由张三接单" in w.last(resident.id).content
    contact = w.last(zhang.id).content
    assert "13804711234" in contact
    assert "tg://user?id=1001" in contact

    await w.press(zhang, card, "办结")
    assert "请回复工单 20261122-0001 的办理结果" in w.last(zhang.id).content
    await w.say(zhang, "已联系供水公司，管道抢修完毕，下午两点恢复供水")
    preview = w.last(zhang.id)
    assert preview.content.startswith("将告知居民")
    assert "已办结" not in w.last(resident.id).content
    await w.press(zhang, preview, "确认")
    card = w.card(grid, "20261122-0001")
    assert "办理结果：已联系供水公司" in card.content
    rating = w.last(resident.id)
    assert "已办结" in rating.content
    assert [t for row in rating.buttons for t, _ in row] == ["满意", "基本满意", "不满意"]

    await w.press(resident, rating, "满意")
    assert "已完成（居民评价：满意）" in w.card(grid, "20261122-0001").content
    assert "谢谢您的评价" in w.last(resident.id).content


async def test_unbound_resident_is_asked_where_and_nothing_is_lost(w: World) -> None:
    """No binding and no place in the message: the bot asks, keeps every word written
    meanwhile, files the task where the answer says — and binds the home only when asked to."""
    resident = w.resident()
    replies = await w.say(resident, "楼道灯坏了好几天了，晚上黑咕隆咚的")
    assert "在哪个小区" in replies[-1].content
    assert [t for row in replies[-1].buttons for t, _ in row] == ["兴安南路社区", "四千米社区"]
    replies = await w.say(resident, "火星小区")
    assert "没有找到“火星小区”这个小区" in replies[-1].content
    replies = await w.say(resident, "3号楼2单元门口那个灯")
    assert "已补充到刚才的问题里" in replies[-1].content
    await w.say(resident, "乳品厂")
    receipt = w.last(resident.id)
    assert "类别：路灯照明" in receipt.content
    assert "负责：四千米第一网格" in receipt.content
    card = w.card(w.group("siqianmi-1"), "20261122-0001")
    assert "内容：「楼道灯坏了好几天了" in card.content
    assert "3号楼2单元门口那个灯" in card.content
    assert "地点：乳品厂小区 3号楼2单元" in card.content
    assert not any("已登记您的地址" in m.content for m in w.chat(resident.id))
    await w.press(resident, receipt, "把乳品厂小区设为我的住址")
    assert "已登记您的地址：乳品厂小区" in w.last(resident.id).content


async def test_start_binds_by_buttons_and_later_messages_route_there(w: World) -> None:
    """/start → community → 小区 buttons; then a message naming no place goes to that grid."""
    resident = w.resident()
    welcome = (await w.say(resident, "/start"))[-1]
    assert "您住在哪个社区" in welcome.content
    await w.press(resident, welcome, "兴安南路社区")
    places = w.last(resident.id)
    assert [t for row in places.buttons for t, _ in row] == [
        "电影制片厂小区", "审计厅小区", "华建小区", "林业厅小区", "乌兰牧骑小区",
    ]  # fmt: skip
    await w.press(resident, places, "林业厅小区")
    assert "已登记您的地址：林业厅小区" in w.last(resident.id).content
    await w.say(resident, "楼上天天半夜剁肉，吵得睡不着")
    assert "类别：噪音扰民" in w.last(resident.id).content
    card = w.card(w.group("xingan-2"), "20261122-0001")
    assert "地点：林业厅小区" in card.content
    again = (await w.say(resident, "/start"))[-1]
    assert "您登记的地址是：林业厅小区" in again.content


async def test_vague_message_lets_the_resident_pick_the_category(w: World) -> None:
    """Below the confidence threshold the resident picks the category from buttons."""
    resident = w.resident()
    question = (await w.say(resident, "审计厅小区这个事能不能管管"))[-1]
    assert "属于哪类问题" in question.content
    await w.press(resident, question, "物业服务")
    assert "类别：物业服务" in w.last(resident.id).content
    assert "物业服务" in w.card(w.group("xingan-1"), "20261122-0001").content


async def test_urgent_message_advises_calling_and_alerts_the_community(w: World) -> None:
    """Gas smell: red card, 119/110/120 advice to the resident, the community alerted at once."""
    resident = w.resident()
    await w.say(resident, "华建小区5号楼楼道里一股煤气味，好呛人")
    receipt = w.last(resident.id).content
    assert receipt.startswith("⚠️ 请马上开窗通风")  # what to do this minute comes first
    assert receipt.index("不要点火") < receipt.index("工单号")
    assert "已按紧急情况处理" in receipt
    assert "🔴【紧急】" in w.card(w.group("xingan-2"), "20261122-0001").content
    alert = w.last(w.group("xingannanlu")).content
    assert "紧急工单 20261122-0001（燃气）已派给兴安南路第二网格" in alert


async def test_photos_with_and_without_a_caption(w: World) -> None:
    """A captioned photo is a task with the photo on its card; a bare photo just after joins
    it; a bare photo later waits for words."""
    resident = w.resident()
    await w.send_photo(resident, caption="电影厂小区门口井盖没了，一个大窟窿")
    card = w.card(w.group("xingan-1"), "20261122-0001")
    assert card.photo is not None
    assert "｜道路" in card.content
    await w.send_photo(resident)  # a second photo of the same hole
    assert "已补充到工单 20261122-0001" in w.last(resident.id).content
    assert "照片：共 2 张" in w.card(w.group("xingan-1"), "20261122-0001").content
    w.clock.advance(timedelta(hours=1))
    replies = await w.send_photo(resident)
    assert "请再用一两句话说说" in replies[-1].content
    await w.say(resident, "审计厅小区垃圾桶满了没人清，臭烘烘的")
    second = w.card(w.group("xingan-1"), "20261122-0002")
    assert second.photo is not None
    assert "环境卫生" in second.content


async def test_only_members_claim_and_of_two_claims_one_wins(w: World) -> None:
    """A worker of another grid is refused; a second tap on a stale card is told who won."""
    resident = w.resident()
    await w.say(resident, "审计厅小区3号楼暖气不热，屋里才十五度")
    card = w.card(w.group("xingan-1"), "20261122-0001")
    refused = await w.press(w.people["王芳"], card, "认领")
    assert refused.show_alert
    assert refused.text == "您不是兴安南路第一网格的成员，不能处理这个工单。"
    assert "待认领" in w.card(w.group("xingan-1"), "20261122-0001").content
    stale = w.latest(card)
    await w.press(w.people["张三"], stale, "认领")
    second = await w.press_data(w.people["李四"], stale, stale.buttons[0][0][1] or "")
    assert second.show_alert
    assert second.text == "已被张三认领了。"
    assert "张三 于" in w.card(w.group("xingan-1"), "20261122-0001").content


async def test_unsatisfied_resident_reopens_one_level_higher(w: World) -> None:
    """不满意 reopens the task at the community, and both chats are told."""
    resident = w.resident()
    zhang = w.people["张三"]
    grid, community = w.group("xingan-1"), w.group("xingannanlu")
    await w.say(resident, "审计厅小区2号楼门口垃圾堆了一个礼拜没人清")
    await w.press(zhang, w.card(grid, "20261122-0001"), "认领")
    await w.resolve(zhang, w.card(grid, "20261122-0001"), "已清理")
    await w.press(resident, w.last(resident.id), "不满意")
    assert "已重新打开，交给兴安南路社区重新办理" in w.last(resident.id).content
    assert "居民不满意，已重新打开并上报至兴安南路社区" in w.card(grid, "20261122-0001").content
    assert "居民对办理结果不满意" in w.last(grid).content
    reopened = w.card(community, "20261122-0001")
    assert "待认领" in reopened.content
    assert "上次办理结果：已清理" in reopened.content
    assert "居民不满意，重新办理" in reopened.content
    rating = next(m for m in w.chat(resident.id) if "做个评价" in m.content)
    again = await w.press(resident, rating, "满意")
    assert again.text == "这件事已经评价过了，谢谢您！"


async def test_resident_and_group_commands(w: World) -> None:
    """/my, /cancel (good, garbage, unknown), /tasks in a group, /mine for a worker."""
    resident = w.resident()
    grid = w.group("xingan-1")
    await w.say(resident, "审计厅小区健身器材坏了")
    await w.say(resident, "电影厂小区门口乱停车堵死了")
    mine = (await w.say(resident, "/my"))[-1].content
    assert "20261122-0002｜停车｜待认领" in mine
    assert "20261122-0001｜公共设施｜待认领" in mine
    assert "请在 /cancel 后面写上工单号" in (await w.say(resident, "/cancel abc"))[-1].content
    assert "没有找到您的工单 999999" in (await w.say(resident, "/cancel 999999"))[-1].content
    await w.say(resident, "/cancel 2")
    assert "工单 20261122-0002 已撤回" in w.last(resident.id).content
    assert "状态：居民已撤回" in w.card(grid, "20261122-0002").content
    listing = (await w.say(w.people["张三"], "/tasks", chat_id=grid))[-1].content
    assert "兴安南路第一网格待办工单（1 件）" in listing
    assert "20261122-0001" in listing
    await w.press(w.people["张三"], w.card(grid, "20261122-0001"), "认领")
    work = (await w.say(w.people["张三"], "/mine"))[-1].content
    assert "张三正在办理的工单（1 件）" in work
    stranger = w.resident(5555, "路人")
    assert "只有网格员" in (await w.say(stranger, "/mine"))[-1].content
