"""The classifier on real citizen messages (issue 15): the figures of the issue's table.

    python bench/real_messages.py --mirrors /work/.mirror [--part held_out|tune|all] [--round N]
                                  [--half read|gate] [--against OLD_RULES.toml]

Rebuilds the labelled records' texts from local copies of their repositories
(scripts/real_messages.py; nothing of them is committed), checks each against the hash in
``tests/data/real/labels.csv``, classifies it with the built-in rules and prints, for the part
asked (the held-out part by default: scored, never tuned on) and for each source:

- accuracy on grid matters (records whose label is not ``other``);
- macro-F1 over the categories;
- recall of ``other`` (not a grid matter);
- accuracy on grid matters for title-length texts (a record's title alone, where the source
  has one: what a resident would type in a chat);
- how often the bot would ask the resident to pick the kind for such a text (the category
  buttons: weak evidence for a grid kind, or a text that only announces a matter; the issue
  keeps this under 15%);
- urgent: false alarms, and real ones caught.

A round chosen by the words its texts use (round 5: letters talking of danger) is no part of
these figures unless named with ``--round``: read alone, its urgent line is a worst case.

With ``--against RULES`` (an earlier rules file, ``git show REV:nlp/data/rules.toml``) it also
counts the answers that changed between those rules and today's, and how many of the changes
made a wrong answer right or a right one wrong: on records the rules were not written for, this
says whether a change is a pattern or a fit (issue 15). Both run today's code: a rules file from
before ``[announce]`` never asks about a message that names no grid kind, so titles "asked now"
against one are the ones that announce a matter.

Without the copies it says which repositories to fetch and stops. CI keeps the floors on our
own sets (tests/test_dev_set.py); these figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config.settings import ClassifierSettings  # noqa: E402 - after the path set-up above
from bot.language import Language, build_language  # noqa: E402
from nlp.evaluation import evaluate  # noqa: E402
from nlp.questions import is_question_task  # noqa: E402
from nlp.taxonomy import Category  # noqa: E402
from scripts.real_messages import LATER_ROUNDS, Message, in_gate, labelled  # noqa: E402


@dataclass(frozen=True)
class Scored:
    source: str
    label: Category
    urgent: bool
    predicted: Category
    predicted_urgent: bool
    title_predicted: Category | None
    """The title alone, classified; None when the record has no title."""
    title_asked: bool
    """Whether the bot would ask the resident to pick the kind for the title alone (the
    category buttons: weak evidence, not urgent, not a question)."""


def _score(language: Language, message: Message, label: str, urgent: bool) -> Scored:
    result = language.classify(message.whole)
    title = language.classify(message.title) if message.title else None
    asked = title is not None and title.ask and not title.urgent
    asked = asked and title is not None and not is_question_task(message.title, title)
    return Scored(message.key.split(":")[0], Category(label), urgent, result.category,
                  result.urgent, title.category if title else None, asked)  # fmt: skip


def _figures(rows: Sequence[Scored]) -> list[tuple[str, str]]:
    grid = [r for r in rows if r.label is not Category.OTHER]
    other = [r for r in rows if r.label is Category.OTHER]
    titled = [r for r in grid if r.title_predicted is not None]
    every_title = [r for r in rows if r.title_predicted is not None]
    report = evaluate((r.label, r.predicted) for r in rows)
    real = [r for r in rows if r.urgent]
    false = sum(1 for r in rows if r.predicted_urgent and not r.urgent)
    caught = sum(1 for r in real if r.predicted_urgent)

    def share(hits: int, total: int) -> str:
        return f"{hits / total:.3f} ({hits}/{total})" if total else "-"

    return [
        ("records", str(len(rows))),
        ("accuracy on grid matters", share(sum(r.predicted is r.label for r in grid), len(grid))),
        ("macro-F1 over the categories", f"{report.macro_f1:.3f}"),
        ("recall of other", share(sum(r.predicted is Category.OTHER for r in other), len(other))),
        ("accuracy on grid matters, titles alone",
         share(sum(r.title_predicted is r.label for r in titled), len(titled))),
        ("asked to pick the kind, titles alone",
         share(sum(r.title_asked for r in every_title), len(every_title))),
        ("urgent: false alarms / real ones caught", f"{false} false, {caught} of {len(real)}"),
    ]  # fmt: skip


def changes(before: Sequence[Scored], after: Sequence[Scored]) -> list[tuple[str, str]]:
    """How the answers of ``after`` differ from those of ``before`` (the same records, in the
    same order): changed, wrong → right, right → wrong, for whole messages and titles alone; and
    the titles no longer asked about (answered right how often) or asked about now (that had been
    answered right how often): a change that stops a question without changing the guess shows
    only here; and the urgent flags that changed: false alarms gone or new, dangers caught or
    missed now."""

    def count(pairs: list[tuple[Category, Category | None, Category | None]]) -> str:
        changed = [(label, old, new) for label, old, new in pairs if old is not new]
        fixed = sum(1 for label, _, new in changed if new is label)
        broken = sum(1 for label, old, _ in changed if old is label)
        return f"{len(changed)} of {len(pairs)} changed: {fixed} made right, {broken} made wrong"

    paired = list(zip(before, after, strict=True))
    titled = [(b, a) for b, a in paired if b.title_predicted is not None]
    answered = [a for b, a in titled if b.title_asked and not a.title_asked]
    asked = [b for b, a in titled if a.title_asked and not b.title_asked]
    asks = (
        f"{len(answered)} no longer asked: "
        f"{sum(a.title_predicted is a.label for a in answered)} answered right; "
        f"{len(asked)} asked now: {sum(b.title_predicted is b.label for b in asked)} had been right"
    )
    flipped = [(b, a) for b, a in paired if b.predicted_urgent is not a.predicted_urgent]
    alarms = (
        f"{sum(1 for b, a in flipped if not a.urgent and b.predicted_urgent)} false alarms gone, "
        f"{sum(1 for b, a in flipped if not a.urgent and a.predicted_urgent)} new; "
        f"{sum(1 for b, a in flipped if a.urgent and a.predicted_urgent)} dangers caught now, "
        f"{sum(1 for b, a in flipped if a.urgent and b.predicted_urgent)} missed now"
    )
    return [
        ("whole messages", count([(a.label, b.predicted, a.predicted) for b, a in paired])),
        ("titles alone",
         count([(a.label, b.title_predicted, a.title_predicted) for b, a in titled])),
        ("titles asked to pick the kind", asks),
        ("urgent", alarms),
    ]  # fmt: skip


def _wanted(row: dict[str, str], part: str, round_: str | None, half: str | None = None) -> bool:
    """Whether a labelled record is scored: in the part asked for, the half asked for (a tuning
    round's half to read or its gate, :func:`scripts.real_messages.in_gate`), and the round
    asked for; with no round asked for, in any round but one chosen by what its texts say."""
    if part not in ("all", row["part"]):
        return False
    if half is not None and in_gate(row["round"], row["key"]) != (half == "gate"):
        return False
    if round_ is not None:
        return row["round"] == round_
    return row["round"] == "1" or not LATER_ROUNDS[int(row["round"])].chosen_by_words


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--part", choices=("held_out", "tune", "all"), default="held_out")
    rounds = ("1", *map(str, LATER_ROUNDS))
    parser.add_argument("--round", choices=rounds, help="one labelling round only")
    halves = "a tuning round's half to read from, or its gate (whose errors no one reads)"
    parser.add_argument("--half", choices=("read", "gate"), help=halves)
    since = "also count the answers changed since these (earlier) rules"
    parser.add_argument("--against", type=Path, metavar="RULES", help=since)
    args = parser.parse_args(argv)
    language = build_language(ClassifierSettings())
    earlier = build_language(ClassifierSettings(rules_file=args.against)) if args.against else None
    scored: list[Scored] = []
    scored_before: list[Scored] = []
    changed = 0
    for row, message in labelled(args.mirrors):
        if not _wanted(row, args.part, args.round, args.half):
            continue
        if message is None:
            changed += 1
            continue
        scored.append(_score(language, message, row["label"], row["urgent"] == "1"))
        if earlier is not None:
            scored_before.append(_score(earlier, message, row["label"], row["urgent"] == "1"))
    chosen = f"part: {args.part}" + (f", round {args.round}" if args.round else "")
    chosen += f", the {args.half} half" if args.half else ""
    print(f"{chosen}; {len(scored)} records scored, {changed} missing or changed")
    sources = sorted({r.source for r in scored})
    columns = [("all", scored)] + [(s, [r for r in scored if r.source == s]) for s in sources]
    table = [_figures(rows) for _, rows in columns]
    print(f"{'':42}" + "".join(f"{name:>18}" for name, _ in columns))
    for i, (what, _) in enumerate(table[0]):
        print(f"{what:42}" + "".join(f"{figures[i][1]:>18}" for figures in table))
    if args.against:
        print(f"answers changed since {args.against}:")
        for what, figures in changes(scored_before, scored):
            print(f"  {what:40}{figures}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
