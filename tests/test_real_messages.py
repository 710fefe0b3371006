"""The real-message labels (issue 15): well formed, split by key, agreement computed right.

The texts are not committed (scripts/real_messages.py rebuilds them from the public
repositories); what is committed — keys, text hashes, parts and labels — is checked here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench.real_messages import Scored, _wanted, changes
from nlp.taxonomy import Category
from scripts.real_messages import (
    HELD_OUT,
    LABELS,
    LATER_ROUNDS,
    SOURCES,
    Label,
    Message,
    Stratum,
    agreement,
    deal,
    gas_messages,
    gate_half,
    kept_aside,
    merge,
    residents_words,
    write,
    zhejiang_messages,
)

IDS = {category.value for category in Category}


def _rows() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_labels_are_well_formed_and_split_by_key() -> None:
    rows = _rows()
    first_round = [row for row in rows if row["round"] == "1"]
    assert len(first_round) >= 1500
    keys = [row["key"] for row in rows]
    assert len(set(keys)) == len(keys)
    for row in rows:
        assert row["key"].split(":")[0] in SOURCES, row
        assert len(row["sha1"]) == 40, row
        assert row["label"] in IDS, row
        assert row["urgent"] in {"0", "1"}, row
        assert row["second_label"] in IDS | {""}, row
        assert row["second_urgent"] in {"0", "1", ""}, row
        assert row["round"] in {"1", *map(str, LATER_ROUNDS)}, row
        # round 1's part depends on the key alone; a later round goes whole to one part
        aside = kept_aside(int(row["round"]), Message(row["key"], ""))
        assert row["part"] == ("held_out" if aside else "tune"), row
    assert sum(1 for row in rows if row["second_label"]) >= 200
    held_out = sum(1 for row in first_round if row["part"] == "held_out") / len(first_round)
    assert abs(held_out - HELD_OUT) < 0.05


def test_agreement_counts_equal_labels_and_corrects_for_chance() -> None:
    water, noise = Label("water_supply", False), Label("noise", False)
    urgent_water = Label("water_supply", True)
    pairs = [(water, water), (noise, noise), (water, noise), (water, urgent_water)]
    same, kappa, urgent = agreement(pairs)
    assert same == pytest.approx(3 / 4)
    # chance agreement: first annotator 3 water 1 noise, second 2 water 2 noise → 8/16
    assert kappa == pytest.approx((3 / 4 - 8 / 16) / (1 - 8 / 16))
    assert urgent == pytest.approx(3 / 4)
    assert agreement([]) == (0.0, 0.0, 0.0)


def test_later_rounds_go_whole_to_their_part_and_keep_the_first(tmp_path: Path) -> None:
    out = tmp_path / "labels.csv"
    held = next(f"fz:{n}" for n in range(2, 100) if Message(f"fz:{n}", "").held_out)
    tuned = next(f"fz:{n}" for n in range(2, 100) if not Message(f"fz:{n}", "").held_out)
    later = next(f"fz:{n}" for n in range(100, 200) if Message(f"fz:{n}", "").held_out)
    aside = next(f"msga:{n}" for n in range(2, 100) if not Message(f"msga:{n}", "").held_out)
    rounds = ((1, [held, tuned], "one"), (2, [later], "two"), (4, [aside], "four"))
    for round_, keys, batch in rounds:
        folder = tmp_path / batch
        folder.mkdir()
        write([Message(key, f"text {key}") for key in keys], folder / "batch-1.jsonl")
        labels = folder / "labels-batch-1.csv"
        labels.write_text("key,label,urgent,note\n" + "".join(f"{k},noise,0,\n" for k in keys))
        merge(folder, [labels], out, round_)
    with out.open(encoding="utf-8", newline="") as file:
        parts = {row["key"]: (row["part"], row["round"]) for row in csv.DictReader(file)}
    # round 1 is split by key; round 2 goes to tuning and round 4 is kept aside, whatever the key
    assert parts == {
        held: ("held_out", "1"),
        tuned: ("tune", "1"),
        later: ("tune", "2"),
        aside: ("held_out", "4"),
    }


def test_dealing_gives_each_record_one_batch_and_the_doubled_ones_the_next() -> None:
    chosen = [Message(f"msga:{n}", f"text {n}") for n in range(2, 32)]
    batches = deal(chosen, count=4, double=6, seed=1504)
    keys = [[m.key for m in batch] for batch in batches]
    seen = [key for batch in keys for key in batch]
    assert len(seen) == 30 + 6
    assert set(seen) == {m.key for m in chosen}
    twice = {key for key in seen if seen.count(key) == 2}
    assert len(twice) == 6
    for place, message in enumerate(chosen):  # dealt in turn; a second label from the next batch
        own = place % 4
        assert message.key in keys[own]
        assert (message.key in keys[(own + 1) % 4]) is (message.key in twice)


def test_changes_count_answers_made_right_and_made_wrong() -> None:
    """bench/real_messages.py --against: of the answers that changed between two rule sets,
    how many became right and how many became wrong, for whole messages and titles alone; and
    the titles no longer asked about, or asked about now."""
    water, other, noise = Category.WATER_SUPPLY, Category.OTHER, Category.NOISE

    def scored(
        label: Category,
        predicted: Category,
        title: Category | None,
        asked: bool = False,
        urgent: tuple[bool, bool] = (False, False),
    ) -> Scored:
        return Scored("fz", label, urgent[0], predicted, urgent[1], title, asked)

    before = [
        scored(water, other, other),  # made right, whole and title
        scored(other, other, other),  # made wrong, whole and title
        scored(water, water, water),  # unchanged
        scored(water, noise, None),  # wrong to another wrong; no title
        scored(noise, noise, noise, asked=True),  # no longer asked, the guess was right
        scored(noise, noise, water, asked=True),  # no longer asked, answered wrong
        scored(water, water, water),  # asked now, had been right
        scored(water, water, None, urgent=(False, True)),  # a false alarm gone
        scored(water, water, None, urgent=(True, False)),  # a danger caught now
        scored(water, water, None, urgent=(True, True)),  # a danger still caught: no change
    ]
    after = [
        scored(water, water, water),
        scored(other, noise, noise),
        scored(water, water, water),
        scored(water, other, None),
        scored(noise, noise, noise),
        scored(noise, noise, water),
        scored(water, water, water, asked=True),
        scored(water, water, None, urgent=(False, False)),
        scored(water, water, None, urgent=(True, True)),
        scored(water, water, None, urgent=(True, True)),
    ]
    assert changes(before, after) == [
        ("whole messages", "3 of 10 changed: 1 made right, 1 made wrong"),
        ("titles alone", "2 of 6 changed: 1 made right, 1 made wrong"),
        (
            "titles asked to pick the kind",
            "2 no longer asked: 1 answered right; 1 asked now: 1 had been right",
        ),
        ("urgent", "1 false alarms gone, 0 new; 1 dangers caught now, 0 missed now"),
    ]


def test_a_stratum_admits_its_source_domains_and_words_only() -> None:
    letter = Message("msga:7", "楼道里有股煤气味，很危险", domain="城建")
    assert Stratum("msga", 10, domains=("城建",)).admits(letter)
    assert not Stratum("fz", 10).admits(letter)
    assert not Stratum("msga", 10, domains=("教育",)).admits(letter)
    assert not Stratum("msga", 10, other_than=("城建",)).admits(letter)
    assert Stratum("msga", 10, mentions="泄漏|煤气味").admits(letter)
    assert not Stratum("msga", 10, mentions="着火|冒烟").admits(letter)


def test_a_round_chosen_by_words_is_scored_only_when_named() -> None:
    """Round 5 holds letters picked because they talk of danger: mixed into the held-out
    figures it would skew them, so the bench reads it only with --round 5."""
    by_words = next(r for r, spec in LATER_ROUNDS.items() if spec.chosen_by_words)
    drawn = next(
        r for r, spec in LATER_ROUNDS.items() if spec.held_out and not spec.chosen_by_words
    )
    row = {"part": "held_out", "round": str(by_words)}
    assert not _wanted(row, "held_out", None)
    assert _wanted(row, "held_out", str(by_words))
    assert _wanted({"part": "held_out", "round": str(drawn)}, "held_out", None)
    assert _wanted({"part": "held_out", "round": "1"}, "all", None)
    assert not _wanted({"part": "tune", "round": "1"}, "held_out", None)


@pytest.mark.parametrize(
    ("order", "said"),
    [
        # the channel and the desk's closing instruction, with the office's answer after it
        (
            "市民来电反映: 幸福里小区3栋楼道灯坏了一个月。请龙华区政府核实处理！（请职能局按规定在"
            "30分钟内联系市民，响应处置） 2018-01-02 区政府答复：已修复。",
            "幸福里小区3栋楼道灯坏了一个月",
        ),
        ("市民微信咨询：公积金怎么提取？", "公积金怎么提取？"),
        ("市民来电投诉:楼下烧烤店半夜很吵，请公安局核实处理谢谢！（", "楼下烧烤店半夜很吵"),
        # a second call on the same order is not the first message
        ("市民来电反映：门口井盖没了。 市民再次来电反映：还没修。", "门口井盖没了。"),
        # a resident's own wish for a check stays
        ("市民来电反映：路灯不亮，希望相关部门核实处理。", "路灯不亮，希望相关部门核实处理。"),
        # not a resident's message: an office's feedback, a follow-up on an earlier order
        ("交警来电反馈：该车辆已拖离。", ""),
        ("市民来电咨询：工单号20180101000001的处理情况。", ""),
    ],
)
def test_a_work_order_keeps_the_residents_words_only(order: str, said: str) -> None:
    assert residents_words(order) == said


def test_a_tuning_round_splits_into_a_half_to_read_and_a_gate_by_key() -> None:
    keys = [f"hk:{n}" for n in range(2, 402)]
    gate = [key for key in keys if gate_half(key)]
    assert 150 < len(gate) < 250  # about half, fixed by the key alone
    row = {"part": "tune", "round": "8", "key": gate[0]}
    assert _wanted(row, "tune", "8", "gate")
    assert not _wanted(row, "tune", "8", "read")
    assert _wanted(row, "tune", "8", None)


def test_a_gate_round_is_read_by_no_half() -> None:
    """Round 13 is a gate whole (README): a record of it whose key would fall in a round's
    half to read is still in the gate."""
    key = next(f"hk:{n}" for n in range(2, 402) if not gate_half(f"hk:{n}"))
    row = {"part": "tune", "round": "13", "key": key}
    assert _wanted(row, "tune", "13", "gate")
    assert not _wanted(row, "tune", "13", "read")


def test_zhejiang_versions_give_each_message_once_whole() -> None:
    """Every version's ``recent`` list, oldest first: a thread seen in an earlier version, or
    its content under another thread, is not taken twice; the lists that cut messages shorter
    still are not read. The records are made up."""
    older = {
        "recent": [
            {
                "tid": 11,
                "title": "楼下 烧烤 扰民",
                "content": "每晚烧烤到两点，  油烟很大",
                "domain": "环保",
            },
            {"tid": 12, "title": "空的", "content": " ", "domain": "城建"},
        ],
        "pending": [{"tid": 13, "title": "截断的", "content": "只有前两百四十个字"}],
    }
    newer = {
        "recent": [
            {"tid": 11, "title": "楼下烧烤扰民", "content": "改过的内容", "domain": "环保"},
            {"tid": 14, "title": "同一条又发了一次", "content": "每晚烧烤到两点， 油烟很大"},
            {"tid": 15, "title": "电梯坏了", "content": "3号楼电梯停了一周", "domain": "城建"},
        ]
    }
    messages = list(zhejiang_messages([older, newer]))
    assert [(m.key, m.title, m.text, m.domain) for m in messages] == [
        ("zj:11", "楼下 烧烤 扰民", "每晚烧烤到两点， 油烟很大", "环保"),
        ("zj:15", "电梯坏了", "3号楼电梯停了一周", "城建"),
    ]


def test_gas_letters_give_each_thread_once_and_never_shangluo() -> None:
    """The gas letters keyed by thread id, each once, the text's spaces tidied; an empty one, and
    one that names Shangluo (kept aside for independent evaluation) in its title, text or
    recipient, are left out. The rows are made up."""
    rows = [
        {"replyID": "101", "title": "村里 天天停气", "replyContentMain": "每天晚上停气，  没法做饭",
         "reply_object": "某县委书记", "domainName": "城建"},
        {"replyID": "101", "title": "重复", "replyContentMain": "再发一次",
         "reply_object": "某县委书记", "domainName": "城建"},
        {"replyID": "102", "title": "空的", "replyContentMain": " ",
         "reply_object": "某县委书记", "domainName": "城建"},
        {"replyID": "103", "title": "暖气不热", "replyContentMain": "家里只有十二度",
         "reply_object": "商洛市委书记", "domainName": "城建"},
        {"replyID": "104", "title": "燃气表", "replyContentMain": "商洛的燃气表走得快",
         "reply_object": "某市长", "domainName": "企业"},
        {"replyID": "105", "title": "管道气何时通", "replyContentMain": "我们小区还没通天然气",
         "reply_object": "某区长", "domainName": "三农"},
    ]  # fmt: skip
    assert [(m.key, m.title, m.text, m.domain) for m in gas_messages(rows)] == [
        ("gas:101", "村里 天天停气", "每天晚上停气， 没法做饭", "城建"),
        ("gas:105", "管道气何时通", "我们小区还没通天然气", "三农"),
    ]
