"""Crash and restart (issue 5, point 2): `griddesk run` killed with SIGKILL, nothing lost.

The driver is bench/crash_soak.py (the long soak runs it with 200 kills); here it runs small,
with a fixed seed, on SQLite and on PostgreSQL: residents write while workers claim, the bot is
killed five times at random moments (some during start-up) and restarted on the same database,
and then the checks run. A card sent again by the next bot after a kill (the at-least-once
window between Telegram accepting it and the outbox recording it) is reported, not failed.
Below it, the one bug the 200-kill soak found, pinned: a press replayed after a restart. Then
several instances at once (issue 13, point 7), and residents on WeChat whose messages reach two
instances as Tencent's callbacks (issue 14, point 5).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from bench.crash_soak import Workload, soak
from bot.language import Language
from tests.harness import World

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(110)]
TOO_OLD = "query is too old and response timeout expired or query ID is invalid"

SMALL = Workload(
    kills=5,
    seed=20261122,
    residents=8,
    messages=(4, 8),
    gap=(0.1, 0.4),
    press=0.6,
    settle=80.0,
    poll_lease=3,
)
"""About 40 messages; few enough that no group waits long for Telegram's 20 a minute.

The poll lease is 3 s instead of the default 10 s: after each kill of the poller the next bot
(the restarted one, or another instance) waits for a dead lease to run out either way, and the
checks do not depend on how long that is; the shorter wait only hands over sooner (about 20 s
less per run). The kills, their moments and the workload are the seed's, as before. The
200-kill soak (bench/crash_soak.py) keeps the default."""


async def test_sigkill_at_random_moments_loses_and_doubles_nothing(
    database_url: str, language: Language, cache_dir: Path, tmp_path: Path
) -> None:
    """Each accepted message is one task, each card posted once per bot, the outbox empties."""
    figures = await soak(database_url, SMALL, tmp_path, language, cache_home=cache_dir)
    report = figures.report()
    print(report)  # shown with -s: the figures of the run, re-sent cards included
    assert figures.problems() == [], report
    assert figures.kills == SMALL.kills, report
    assert figures.killed_starting < figures.kills, report  # most kills hit a working bot
    assert figures.messages >= 20, report
    assert figures.tasks + figures.merged == figures.messages, report
    assert figures.pressed_tasks > 0, report
    assert figures.cards_posted >= figures.tasks, report


async def test_a_press_too_old_to_answer_still_counts_and_is_not_retried(w: World) -> None:
    """Found by the soak: a press handled after a restart cannot be answered; no failure."""
    await w.say(w.resident(), "审计厅小区3号楼停水了")
    card = w.card(w.group("xingan-1"), "20261122-0001")
    data = next(d for row in card.buttons for label, d in row if label == "认领")
    w.standin.fail_next("answerCallbackQuery", 400, f"Bad Request: {TOO_OLD}")
    assert data is not None
    w.standin.press(w.people["张三"], card, data)
    update_id = max(u["update_id"] for u in w.standin.pending_updates)
    async with asyncio.timeout(10):
        await w.bot.telegram.inbox.processed(update_id)
        await w.bot.telegram.outbox.settled()
    assert update_id not in w.bot.telegram.inbox.failed
    assert "张三 于" in w.card(w.group("xingan-1"), "20261122-0001").content


SEVERAL = replace(SMALL, kills=4, seed=20261206, instances=3, messages=(6, 10), gap=(0.0, 0.03))
"""Three bots at once on one database; one of them, any, killed in each of four lives. The
messages come in bursts, so that several updates wait at once and the instances race for them
(with an inbox that let two instances handle one update this doubled tasks)."""


@pytest.mark.parametrize("webhook", [False, True], ids=["polling", "webhook"])
async def test_three_instances_killed_at_random_lose_and_double_nothing(
    database_url: str, language: Language, cache_dir: Path, tmp_path: Path, webhook: bool
) -> None:
    """Issue 13, point 7: any instance may die; the others carry on, nothing lost or doubled.

    By webhook, Telegram's POSTs reach the instances through a round-robin balancer: an update
    whose instance died mid-request is answered 502 and delivered again, to another one."""
    workload = replace(SEVERAL, webhook=webhook)
    figures = await soak(database_url, workload, tmp_path, language, cache_home=cache_dir)
    report = figures.report()
    print(report)
    assert figures.problems() == [], report
    assert figures.kills == workload.kills, report
    assert len(figures.final_exits) == workload.instances, report
    assert figures.messages >= 20, report
    assert figures.tasks + figures.merged == figures.messages, report
    if webhook:  # the balancer spread the updates: more than one instance took them
        assert sum(1 for answered in figures.balanced if answered) >= 2, report


WECHAT = replace(
    SMALL,
    kills=4,
    seed=20261207,
    instances=2,
    messages=(3, 6),
    gap=(0.05, 0.3),
    wechat=True,
    at_kill=1.0,
    settle=60.0,
)
"""Residents on WeChat, two bots behind the balancer; one of them killed in each of four
lives, each time just as two callbacks reach the instances (one each), so that the kill often
cuts one short and Tencent tries it again, on the other instance."""


async def test_wechat_callbacks_on_two_instances_killed_at_random_lose_and_double_nothing(
    database_url: str, language: Language, cache_dir: Path, tmp_path: Path
) -> None:
    """Issue 14, point 5: Tencent's callbacks reach whichever instance is up, retried as
    Tencent does; every message answered ``success`` is in one task, none handled twice, every
    follower's message sent once (or again after a kill), the outbox empties."""
    figures = await soak(database_url, WECHAT, tmp_path, language, cache_home=cache_dir)
    report = figures.report()
    print(report)
    wechat = figures.wechat
    assert wechat is not None, report
    assert figures.problems() == [], report
    assert figures.kills == WECHAT.kills, report
    assert len(figures.final_exits) == WECHAT.instances, report
    assert wechat.posted >= 15, report
    assert wechat.acknowledged + len(wechat.failed) == wechat.posted, report
    assert figures.messages == wechat.stored, report
    assert figures.tasks + figures.merged == figures.messages, report
    assert wechat.sends >= figures.tasks, report  # a receipt each, at the least
    assert figures.pressed_tasks > 0, report
    assert sum(1 for answered in figures.balanced if answered) == 2, report
