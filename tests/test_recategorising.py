"""改类别: the claimer or the staff above correct the classifier; the trail keeps old and new.

The card offers 改类别 while the task is somebody's job; the picker lists every other kind; the
pick changes the task's category (what the figures count), records ``old→new`` for the
corrections export, and leaves holder, claim and deadlines alone. Those who may not are told
why, and a stale or forged press changes nothing.
"""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot import texts
from bot.cli.main import main
from bot.desk.actions import Verb
from bot.desk.context import Answer
from bot.desk.desk import Desk
from bot.domain import EventKind, TaskStatus
from nlp.taxonomy import Category
from storage.sql_store import SqlStore
from tests.desk_support import (  # noqa: F401 - fixtures, used by name
    ADMIN,
    GRID1_CHAT,
    LI,
    LIU,
    STRANGER,
    ZHANG,
    act,
    actions,
    claimed,
    clock,
    desk,
    events_of,
    labels,
    report,
    resolved,
    said,
    settings,
    store,
    task_of,
    to,
)

pytestmark = pytest.mark.asyncio

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
LAMP = "审计厅小区3号楼楼道里的灯坏了，晚上黑漆漆的"
"""A stairwell light: street lighting to the rules, the property's to the grid worker."""


async def test_the_claimer_corrects_the_kind_and_the_trail_keeps_old_and_new(
    desk: Desk, store: SqlStore
) -> None:
    task = await claimed(desk, store, LAMP)
    assert task.category is Category.STREET_LIGHTS
    answer = await desk.press(ZHANG, act(Verb.RECATEGORISE, task.id), None)
    assert answer == Answer(texts.ANSWER_RECATEGORISE_PICK)
    [picker] = to(await said(store), GRID1_CHAT)
    assert picker.edit_card_of == task.id
    assert texts.RECATEGORISE_PICK in picker.text
    kinds = [a.split(":")[2] for a in actions(picker) if a.startswith("kt:")]
    assert sorted(kinds) == sorted(c.value for c in Category if c is not Category.STREET_LIGHTS)

    before = await task_of(store, task.id)
    answer = await desk.press(
        ZHANG, act(Verb.RECATEGORISE_TO, task.id, Category.PROPERTY_MGMT.value), None
    )
    assert answer == Answer(texts.ANSWER_RECATEGORISED.format(category=Category.PROPERTY_MGMT.zh))
    after = await task_of(store, task.id)
    assert after.category is Category.PROPERTY_MGMT
    assert (after.status, after.claimer_id, after.holder) == (
        TaskStatus.CLAIMED, ZHANG.user_id, before.holder,
    )  # fmt: skip
    assert (after.claim_due_at, after.resolve_due_at) == (
        before.claim_due_at, before.resolve_due_at,
    )  # fmt: skip
    [event] = [e for e in await events_of(store, task.id) if e.kind is EventKind.RECATEGORISED]
    assert (event.actor_id, event.note) == (ZHANG.user_id, "street_lights→property_mgmt")
    messages = await said(store)
    [card] = to(messages, GRID1_CHAT)
    assert card.edit_card_of == task.id
    assert f"｜{Category.PROPERTY_MGMT.zh}" in card.text
    assert labels(card)[:2] == [texts.RESOLVE, texts.TRANSFER]
    assert len(messages) == 1  # the resident is not sent a message for it


async def test_an_unclaimed_task_is_corrected_by_community_staff_not_by_a_grid_worker(
    desk: Desk, store: SqlStore
) -> None:
    """Open cards offer 改类别 too; a grid worker must claim first, the community's staff
    (who oversee the grid) and admins may at once; a stranger is not a member."""
    task = await report(desk, store, LAMP)
    await desk.press(LIU, act(Verb.RECATEGORISE, task.id), None)  # the picker, rendered
    [picker] = to(await said(store), GRID1_CHAT)
    assert texts.RECATEGORISE_PICK in picker.text

    refused = await desk.press(LI, act(Verb.RECATEGORISE_TO, task.id, "property_mgmt"), None)
    assert refused == Answer(texts.ANSWER_RECATEGORISE_WHO, alert=True)
    stranger = await desk.press(STRANGER, act(Verb.RECATEGORISE_TO, task.id, "property_mgmt"), None)
    assert stranger.alert
    assert (await task_of(store, task.id)).category is Category.STREET_LIGHTS

    await desk.press(LIU, act(Verb.RECATEGORISE_TO, task.id, "property_mgmt"), None)
    assert (await task_of(store, task.id)).category is Category.PROPERTY_MGMT
    await desk.press(ADMIN, act(Verb.RECATEGORISE_TO, task.id, "water_supply"), None)
    task = await task_of(store, task.id)
    assert task.category is Category.WATER_SUPPLY
    notes = [e.note for e in await events_of(store, task.id) if e.kind is EventKind.RECATEGORISED]
    assert notes == ["street_lights→property_mgmt", "property_mgmt→water_supply"]


async def test_the_open_and_claimed_cards_offer_it(desk: Desk, store: SqlStore) -> None:
    task = await report(desk, store, LAMP)
    await desk.press(ZHANG, act(Verb.CLAIM, task.id), None)
    [card] = to(await said(store), GRID1_CHAT)
    assert labels(card)[-1] == texts.RECATEGORISE
    assert f"k:{task.id}:" in actions(card)


async def test_a_finished_task_forged_pick_or_same_kind_changes_nothing(
    desk: Desk, store: SqlStore
) -> None:
    done = await resolved(desk, store, LAMP)
    answer = await desk.press(ZHANG, act(Verb.RECATEGORISE_TO, done.id, "property_mgmt"), None)
    assert answer.alert
    assert (await task_of(store, done.id)).category is Category.STREET_LIGHTS

    task = await claimed(desk, store, "审计厅小区5号楼门口的垃圾桶满了好几天没人清")
    forged = await desk.press(ZHANG, act(Verb.RECATEGORISE_TO, task.id, "bogus"), None)
    assert forged == Answer(texts.ANSWER_EXPIRED, alert=True)
    same = await desk.press(ZHANG, act(Verb.RECATEGORISE_TO, task.id, task.category.value), None)
    assert same == Answer(texts.ANSWER_SAME_CATEGORY)
    assert not [e for e in await events_of(store, task.id) if e.kind is EventKind.RECATEGORISED]
    assert not await said(store)


async def test_the_corrections_export_is_masked_and_scores_with_rules_check(
    desk: Desk,
    store: SqlStore,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``griddesk corrections`` lists each corrected task once (first prediction against the
    kind now, phone masked); a task changed back is no correction; ``rules-check`` reads the
    file as it is."""
    lamp = await claimed(desk, store, LAMP + "，电话13804711234")
    await desk.press(ZHANG, act(Verb.RECATEGORISE_TO, lamp.id, "property_mgmt"), None)
    await desk.press(ZHANG, act(Verb.RECATEGORISE_TO, lamp.id, "elevator"), None)
    back = await report(desk, store, "审计厅小区7号楼门口的垃圾桶满了好几天没人清")
    await desk.press(LIU, act(Verb.RECATEGORISE_TO, back.id, "greenery"), None)
    await desk.press(LIU, act(Verb.RECATEGORISE_TO, back.id, back.category.value), None)
    config = tmp_path / "griddesk.toml"
    example = EXAMPLE.read_text("utf-8")
    config.write_text(example.replace('url = "sqlite:///griddesk.db"', 'url = "sqlite:///d.db"'))
    capsys.readouterr()

    assert await asyncio.to_thread(main, ["corrections", "--config", str(config), "--since",
                                          "2026-11-22"]) == 0  # fmt: skip
    exported = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows == [
        {
            "text": rows[0]["text"],
            "label": "elevator",
            "predicted": "street_lights",
            "number": lamp.number,
        }
    ]
    assert "138****1234" in rows[0]["text"]
    assert "13804711234" not in exported

    file = tmp_path / "corrections.csv"
    file.write_text(exported, "utf-8")
    assert await asyncio.to_thread(main, ["rules-check", str(file)]) == 0
    assert "rules-check" in capsys.readouterr().out
