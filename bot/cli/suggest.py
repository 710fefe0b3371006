"""``griddesk rules-suggest``: rule words a labelled set makes obvious, and the ones that mislead.

``rules-check`` scores the rules on a labelled CSV; this reads the same kind of file
(``text,label``; other columns, such as those of a corrections export, are ignored) and proposes
what an operator might add to a rules file, each with the evidence behind it
(:mod:`nlp.suggest`). Nothing is written: the operator copies what convinces them into their
rules and runs ``rules-check`` again.

The CSV is read by ``rules-check``'s own reader, so both commands accept and refuse the same
files with the same one-line messages (exit status 2): :func:`bot.cli.arguments.read_labelled_csv`.
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from bot.cli.arguments import read_labelled_csv
from bot.config.settings import load_settings
from bot.language import Language, build_language
from nlp.suggest import ConfusingKeyword, Suggestions, WordSuggestion, suggest
from nlp.taxonomy import Category

CONFUSIONS_SHOWN = 20
"""Confusing keywords the text report lists, most frequent first; ``--json`` has them all."""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``rules-suggest`` with the ``griddesk`` command's subcommands."""
    parser = commands.add_parser(
        "rules-suggest",
        help="propose rule words from a labelled CSV file, with the evidence",
        description="Read a labelled CSV file (columns text,label; others are ignored) and "
        "propose, per category, words its messages make obvious that the rules do not use yet "
        "— with how many messages of the label and of other labels hold each, the precision "
        "that gives, and how many messages the rules now get wrong it could put right — and "
        "list the rule words that pulled misclassified messages to the wrong category. "
        "Nothing is written: copy what convinces you into your rules file and run rules-check.",
    )
    parser.add_argument("csv_file", type=Path, metavar="LABELLED.csv")
    parser.add_argument("--config", type=Path, help="the config file (see config.example.toml)")
    parser.add_argument("--rules", type=Path, help="rules file (overrides the config's)")
    parser.add_argument(
        "--min-count",
        type=_at_least_one,
        default=3,
        metavar="N",
        help="a word must occur in at least N messages of the label (default 3)",
    )
    parser.add_argument(
        "--min-precision",
        type=_share,
        default=0.8,
        metavar="P",
        help="at least this share of the messages holding a word must carry the label "
        "(default 0.8)",
    )
    parser.add_argument(
        "--top",
        type=_at_least_one,
        default=10,
        metavar="K",
        help="at most K words per category, most gain first (default 10)",
    )
    parser.add_argument("--json", action="store_true", help="print the evidence as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read the file, classify every message with the rules, and print the suggestions."""

    rows = read_labelled_csv(args.csv_file)
    language = _language(args.config, args.rules)
    found = suggest(
        rows,
        language.rules,
        language.tokenizer,
        min_count=args.min_count,
        min_precision=args.min_precision,
        top=args.top,
    )
    if args.json:
        print(json.dumps(found.as_json(), ensure_ascii=False, indent=2))
    else:
        print(report(found, str(args.csv_file)))
    return 0


def report(found: Suggestions, source: str) -> str:
    """The plain-text report an operator reads."""
    lines = [
        f"rules-suggest {source}: {found.total} messages, {found.wrong} misclassified by the "
        f"rules ({found.unmatched} of them with no evidence for any category)",
        "",
        f"Words to consider, per category: in at least {found.min_count} messages of the label, "
        f"precision at least {found.min_precision:.2f},",
        "not yet scored by the category's rules. count: messages of the label holding the word;",
        "other: of other labels; gain: the label's misclassified messages holding it; "
        "A+B: side by side.",
    ]
    empty = []
    for category in found.categories:
        if not category.words:
            empty.append(category.category.value)
            continue
        lines += [
            "",
            f"{_name(category.category)}: {category.support} messages, "
            f"{category.wrong} misclassified",
            *_word_table(category.words),
        ]
    if empty:
        lines += ["", f"Nothing to suggest for: {', '.join(empty)}"]
    lines += ["", *_confusion_lines(found.confusions)]
    return "\n".join(lines)


def _word_table(words: Sequence[WordSuggestion]) -> list[str]:
    width = max(12, *(_width(w.word) for w in words))
    header = f"  {_pad('word', width)}{'count':>7}{'other':>7}{'precision':>11}{'gain':>6}"
    lines = [f"{header}  already a keyword"]
    for w in words:
        known = ", ".join(f"{word}: {c.value} {weight:g}" for word, c, weight in w.rule_words)
        row = f"  {_pad(w.word, width)}{w.count:>7}{w.other:>7}{w.precision:>11.2f}{w.gain:>6}"
        lines.append(f"{row}  {known}".rstrip())
    return lines


def _confusion_lines(confusions: Sequence[ConfusingKeyword]) -> list[str]:
    if not confusions:
        return ["No rule word pulled a message to the wrong category."]
    lines = ["Rule words that pulled misclassified messages to the wrong category:"]
    shown = confusions[:CONFUSIONS_SHOWN]
    width = max(_width(c.keyword) for c in shown)
    lines.append(f"  {'count':>5}  {_pad('keyword', width)}  label → predicted: example")
    lines += [
        f"  {c.count:>5}  {_pad(c.keyword, width)}  {c.label} → {c.predicted}: {c.example}"
        for c in shown
    ]
    if len(confusions) > len(shown):
        lines.append(f"  … and {len(confusions) - len(shown)} more (--json lists them all)")
    return lines


def _name(category: Category) -> str:
    """A category as the CLI prints it: ``sanitation (环境卫生)``."""
    return f"{category.value} ({category.zh})"


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def _language(config: Path | None, rules: Path | None) -> Language:
    """The rules and tokenizer the config names, ``--rules`` replacing its rules file."""
    settings = load_settings(config).classifier
    if rules is not None:
        settings = replace(settings, rules_file=rules)
    return build_language(settings)


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, got {text!r}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value
