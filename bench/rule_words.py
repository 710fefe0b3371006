"""Each rule word taken out in turn (or made stronger), scored on the real tuning rounds (issue 15).

    python bench/rule_words.py --mirrors /work/.mirror [--stronger 1.5] [--category noise] [--all]

A rule word earns its place when it decides more answers right than wrong on messages it was
not written for. For every keyword of every category (words written through a ``[sets]`` name
are left alone), this takes the word out of the built-in rules — or, with ``--stronger F``,
multiplies its weight by F — and counts, on the labelled real records of the tuning part (whole
messages and, where a source has them, titles alone), how many answers that made right and how
many wrong, separately for the half of each tuning round that is read and for the gate whose
errors no one reads (round 13 is a gate whole: ``scripts/real_messages.py``); and the same on
our own sets (``tests/data/dev.csv``, ``holdout.csv``, ``chat.csv``). The held-out part is never
read here.

It prints the words whose change loses nothing on the read half, nothing on our own sets, and
gains at least ``--min-gate`` records on the gate (``--all``: every word that changed an
answer), most gain first. It is a screen: the tokenizer is kept as it is, so a word taken out is
still cut whole; a change it suggests is made in the rules file and checked again with
``bench/real_messages.py --part tune --half read|gate --against OLD.toml`` before it is kept,
and with a look at what a resident would type with the word (a word that only letters misuse may
be what chat messages need).
"""

from __future__ import annotations

import argparse
import copy
import csv
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tomllib  # noqa: E402 - after the path set-up above

from bot.config.settings import ClassifierSettings  # noqa: E402
from nlp.classifier import classify  # noqa: E402
from nlp.normalize import normalize  # noqa: E402
from nlp.rules import default_rules_text, rules_from_table  # noqa: E402
from nlp.segmenter import Tokenizer, new_tokenizer  # noqa: E402
from scripts.real_messages import in_gate, labelled  # noqa: E402

OWN_SETS = ("dev", "holdout", "chat")
"""Our own labelled sets under tests/data: a change must not turn any of their answers wrong."""


@dataclass(frozen=True)
class Record:
    """One labelled text and the group it counts in: ``read``, ``gate`` or ``own``."""

    text: str
    label: str
    group: str


@dataclass(frozen=True)
class Effect:
    """What one change of the rules did: answers made right minus answers made wrong, per
    group."""

    change: str
    read: int
    gate: int
    own: int


def tuning_records(mirrors: Path) -> list[Record]:
    """The tuning part's labelled records whose text still matches its hash, each whole and,
    where it has one, its title alone."""
    records: list[Record] = []
    for row, message in labelled(mirrors):
        if row["part"] != "tune" or message is None:
            continue
        group = "gate" if in_gate(row["round"], row["key"]) else "read"
        records.append(Record(message.whole, row["label"], group))
        if message.title:
            records.append(Record(message.title, row["label"], group))
    return records


def own_records(data: Path = ROOT / "tests" / "data") -> list[Record]:
    """Our own sets' rows."""
    records: list[Record] = []
    for name in OWN_SETS:
        with (data / f"{name}.csv").open(encoding="utf-8", newline="") as file:
            records += [Record(row["text"], row["label"], "own") for row in csv.DictReader(file)]
    return records


def changes(
    table: Mapping[str, Any], stronger: float | None, category: str | None = None
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(what changed, the word, the edited rules table) for every keyword written out in a
    category's ``keywords``: the word taken out, or moved to a group of its own with its weight
    multiplied by ``stronger``."""
    for name, rules in table["categories"].items():
        if category not in (None, name):
            continue
        for g, group in enumerate(rules.get("keywords", [])):
            for w, word in enumerate(group["words"]):
                if word.startswith("@"):
                    continue
                edited = copy.deepcopy(dict(table))
                groups = edited["categories"][name]["keywords"]
                del groups[g]["words"][w]
                if stronger is not None:
                    alone = {**groups[g], "weight": group["weight"] * stronger, "words": [word]}
                    groups.append(alone)
                if not groups[g]["words"]:
                    del groups[g]
                verb = f"x{stronger:g}" if stronger is not None else "out"
                yield f"{name} {word} (weight {group['weight']:g}) {verb}", word, edited


def screen(
    table: Mapping[str, Any],
    records: Sequence[Record],
    tokenizer: Tokenizer,
    stronger: float | None = None,
    category: str | None = None,
) -> list[Effect]:
    """The effect of every change (:func:`changes`) that altered an answer; only the records
    holding the word are classified again."""
    base = rules_from_table(table)
    before = [classify(r.text, base, tokenizer).category.value for r in records]
    normal = [normalize(r.text) for r in records]  # lower-cased, as the classifier reads
    effects: list[Effect] = []
    for change, word, edited in changes(table, stronger, category):
        rules = rules_from_table(edited)
        gained: Counter[str] = Counter()
        for i, record in enumerate(records):
            if word.lower() not in normal[i]:
                continue
            after = classify(record.text, rules, tokenizer).category.value
            if after != before[i]:
                gained[record.group] += (after == record.label) - (before[i] == record.label)
        if gained:
            effects.append(Effect(change, gained["read"], gained["gate"], gained["own"]))
    return effects


def kept(effect: Effect, min_gate: int) -> bool:
    """Whether a change is worth trying in the rules file: no loss on the read half nor on our
    own sets, and a gain of at least ``min_gate`` on the gate."""
    return effect.read >= 0 and effect.own >= 0 and effect.gate >= min_gate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--stronger", type=float, metavar="F", help="multiply, not take out")
    parser.add_argument("--category", help="only this category's words")
    parser.add_argument("--min-gate", type=int, default=2, metavar="N")
    parser.add_argument("--all", action="store_true", help="every change that moved an answer")
    args = parser.parse_args(argv)
    records = tuning_records(args.mirrors)
    if not records:
        print(f"no tuning records rebuilt from {args.mirrors}: fetch the repositories that "
              "scripts/real_messages.py names", file=sys.stderr)  # fmt: skip
        return 1
    table = tomllib.loads(default_rules_text())
    tokenizer = new_tokenizer(rules_from_table(table).vocabulary, ClassifierSettings().cache_dir)
    own = own_records()
    groups = Counter(r.group for r in records)
    print(f"{groups['read']} read and {groups['gate']} gate records (messages and titles), "
          f"{len(own)} of our own")  # fmt: skip
    effects = screen(table, records + own, tokenizer, args.stronger, args.category)
    shown = [e for e in effects if args.all or kept(e, args.min_gate)]
    for e in sorted(shown, key=lambda e: (-(e.read + e.gate), e.change)):
        print(f"read {e.read:+3d}  gate {e.gate:+3d}  own {e.own:+3d}  {e.change}")
    print(f"{len(shown)} of {len(effects)} changes that moved an answer shown")
    return 0


if __name__ == "__main__":
    sys.exit(main())
