"""The real-message labels (issue 15): well formed, split by key, agreement computed right.

The texts are not committed (scripts/real_messages.py rebuilds them from the public
repositories); what is committed — keys, text hashes, parts and labels — is checked here.
"""

from __future__ import annotations

import csv

import pytest

from nlp.taxonomy import Category
from scripts.real_messages import HELD_OUT, LABELS, Label, Message, agreement

IDS = {category.value for category in Category}


def _rows() -> list[dict[str, str]]:
    with LABELS.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_labels_are_well_formed_and_split_by_key() -> None:
    rows = _rows()
    assert len(rows) >= 1500
    keys = [row["key"] for row in rows]
    assert len(set(keys)) == len(keys)
    for row in rows:
        assert row["key"].split(":")[0] in {"msga", "fz", "dg"}, row
        assert len(row["sha1"]) == 40, row
        assert row["label"] in IDS, row
        assert row["urgent"] in {"0", "1"}, row
        assert row["second_label"] in IDS | {""}, row
        assert row["second_urgent"] in {"0", "1", ""}, row
        expected = "held_out" if Message(row["key"], "").held_out else "tune"
        assert row["part"] == expected, row  # the part depends on the key alone
    assert sum(1 for row in rows if row["second_label"]) >= 200
    held_out = sum(1 for row in rows if row["part"] == "held_out") / len(rows)
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
